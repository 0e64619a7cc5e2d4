//! Whole logins and sessions against servers, through the C ABI and the Rust API in this process: one test
//! binary, a module per subject. `mainland` and `tv` the mainland web and TV/app flows; `fidelity` odd and
//! hostile confirmed answers (canned bytes and the fake server); `secrets` every error path checked for
//! secrets; `tls` and `tls_roots` certificate verification and trust roots; `transport_hostile` the HTTP
//! layer against hostile shapes; `proxy_real` logins through tinyproxy and microsocks.

#[path = "../common/mod.rs"]
mod common;

mod fidelity;
mod mainland;
mod proxy_real;
mod secrets;
mod tls;
mod tls_roots;
mod transport_hostile;
mod tv;
