//! The C ABI (docs/ABI.md) function by function, through `bili_qr::ffi` in this process: one test binary,
//! a module per concern. The helpers of `tests/common` check the out-parameter and last-error rules on
//! every call, and every test's fake passport server checks on drop that no message so far holds a secret.
//!
//! `basics` installs this binary's global allocator (it watches one block at a time, to prove that
//! `bili_qr_free` zeroes strings). What must run in a process of its own stays out: the default options
//! through the proxy environment (tests/abi_defaults.rs), `SSL_CERT_FILE` (tests/tls_ssl_cert_file.rs)
//! and the stress run (tests/stress.rs).

use bili_qr::ffi::*;
use std::ffi::c_int;

#[path = "../common/mod.rs"]
mod common;

mod answers;
mod basics;
mod cancel;
mod errors;
mod faults;
mod header;
mod options;
mod poll;
mod render;
mod save;
mod schema;
mod session;
mod start;
mod threads;
mod versions;
mod wait;

/// Every status code of the header with its name, in the order docs/ABI.md lists them.
const ALL_STATUSES: [(c_int, &str); 12] = [
    (BILI_QR_OK, "BILI_QR_OK"),
    (BILI_QR_WAITING, "BILI_QR_WAITING"),
    (BILI_QR_SCANNED, "BILI_QR_SCANNED"),
    (BILI_QR_EXPIRED, "BILI_QR_EXPIRED"),
    (BILI_QR_ERR_ARGUMENT, "BILI_QR_ERR_ARGUMENT"),
    (BILI_QR_ERR_NETWORK, "BILI_QR_ERR_NETWORK"),
    (BILI_QR_ERR_TIMEOUT, "BILI_QR_ERR_TIMEOUT"),
    (BILI_QR_ERR_HTTP, "BILI_QR_ERR_HTTP"),
    (BILI_QR_ERR_PROTOCOL, "BILI_QR_ERR_PROTOCOL"),
    (BILI_QR_ERR_API, "BILI_QR_ERR_API"),
    (BILI_QR_ERR_CANCELLED, "BILI_QR_ERR_CANCELLED"),
    (BILI_QR_ERR_INTERNAL, "BILI_QR_ERR_INTERNAL"),
];
