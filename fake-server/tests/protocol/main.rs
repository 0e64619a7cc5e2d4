//! The fake server's own tests, one test binary with a module per subject, each checked byte by byte with a
//! raw HTTP client (`tests/common`, not the bili_qr library): `server` the documented routes, `control` the
//! control API, log, keep-alive and TLS, `faults` and `hostile` the fault modes and hostile shapes, `shapes`
//! and `browser` the odd shapes public clients report, `mainland` and `tv` the bilibili.com and TV/app
//! routes, `binary` the `bili-qr-fake-server` executable.

#[path = "../common/mod.rs"]
mod common;

mod binary;
mod browser;
mod control;
mod faults;
mod hostile;
mod mainland;
mod server;
mod shapes;
mod tv;
