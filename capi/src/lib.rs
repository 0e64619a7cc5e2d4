//! The C libraries `libbili_qr.so` and `libbili_qr.a`.
//!
//! Every exported function is defined, documented and tested in the `bili_qr` crate (`src/ffi/` at the
//! repository root). A `#[no_mangle] extern "C"` function of a linked crate is exported by a cdylib and kept by
//! a staticlib, so this crate only has to link that one; see `capi/Cargo.toml` for why it is a package of its own.

pub use bili_qr_rust::ffi::*;
