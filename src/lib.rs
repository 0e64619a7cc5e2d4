//! bili_qr: the bilibili.tv (international) QR-code login, as a Rust library and a C ABI.
//!
//! The Rust core ([`start`], [`poll`], [`wait`], [`cancel`], [`render()`]) has typed errors and no FFI in
//! it; `ffi` is the thin `extern "C"` layer described by `include/bili_qr.h` and `shared/ABI.md`.

mod cancellation;
pub mod cookies;
pub mod error;
pub mod ffi;
mod login;
pub mod options;
pub mod passport;
pub mod render;
pub mod ticket;
mod tls;
mod transport;
pub mod url;

pub use cookies::Cookie;
pub use error::{Error, ErrorKind, Result};
pub use login::{cancel, poll, start, wait};
pub use options::Options;
pub use passport::{Login, PollResult, PollStatus, QrCode, UserProfile};
pub use render::{render, Format};

/// The version of this library, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
