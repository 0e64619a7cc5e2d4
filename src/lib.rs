//! bili_qr: bilibili's QR-code login (bilibili.tv, bilibili.com and its TV/app tokens), as a Rust library
//! and a C ABI.
//!
//! The Rust core ([`start`], [`poll`], [`wait`], [`cancel`], [`check`], [`logout`], [`refresh`],
//! [`render()`]) has typed errors and no FFI in it; [`ffi`] is the thin `extern "C"` layer described by `include/bili_qr.h` and the contract,
//! `docs/ABI.md` in the repository.
//!
//! Layering, enforced by the compiler: the crate denies `unsafe_code`, every core module is declared with
//! `#[forbid(unsafe_code)]` (which no `allow` inside it can lift), and only `ffi` allows it, where every
//! `unsafe` operation sits in its own block with a `SAFETY:` note (`unsafe_op_in_unsafe_fn` is denied).
//! A new module gets the crate's `deny`; tests/abi/header.rs checks that every module but `ffi` is forbidden.
//!
//! Modules form layers: `api` (each operation dispatched on the site and flow) over the flows (`login` and
//! `passport` for bilibili.tv, `mainland`, `tv`) over what they share (`session`, `transport`, `cookies`,
//! `options`, `site`, `token`, `url`, `redact`, `error`); no two modules use each other
//! (`scripts/check-modules.py`, run by the lint suite).
//!
//! Public modules are the API (`error`, `ffi`, `options`, `render`, `session`); the fuzz targets reach the
//! parsers of the private ones through the one hidden module `internals`.
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

#[forbid(unsafe_code)]
mod api;
#[forbid(unsafe_code)]
mod cancellation;
#[forbid(unsafe_code)]
mod cookies;
#[forbid(unsafe_code)]
pub mod error;
#[allow(unsafe_code)]
pub mod ffi;
#[doc(hidden)]
#[forbid(unsafe_code)]
pub mod internals;
#[forbid(unsafe_code)]
mod login;
#[forbid(unsafe_code)]
pub mod mainland;
#[forbid(unsafe_code)]
pub mod options;
#[forbid(unsafe_code)]
mod passport;
#[forbid(unsafe_code)]
mod redact;
#[forbid(unsafe_code)]
pub mod render;
#[forbid(unsafe_code)]
mod rsa;
#[forbid(unsafe_code)]
pub mod session;
#[forbid(unsafe_code)]
pub mod site;
#[forbid(unsafe_code)]
mod ticket;
#[forbid(unsafe_code)]
mod tls;
#[forbid(unsafe_code)]
mod token;
#[forbid(unsafe_code)]
mod transport;
#[forbid(unsafe_code)]
pub mod tv;
#[forbid(unsafe_code)]
mod url;

pub use api::{cancel, check, logout, poll, refresh, start, wait};
pub use cookies::Cookie;
pub use error::{Error, ErrorKind, Result};
pub use mainland::refresh::{confirm as refresh_confirm, RefreshResult, RefreshStatus};
pub use options::Options;
pub use passport::{Login, PollResult, PollStatus, QrCode, UserProfile};
pub use render::{render, Format};
pub use session::Session;
pub use site::Site;

/// The version of this library, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
