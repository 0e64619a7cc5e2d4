//! `SSL_CERT_FILE`: with the variable naming a PEM bundle, the library's default roots are that
//! bundle (as for OpenSSL and curl), so a server signed by a CA in it is trusted without any option, and a
//! server of another CA is still refused. Its own test binary: the system store is read once per process, so
//! the variable is set before the first call.

mod common;

use bili_qr::ffi::*;
use bili_qr_fake_server::FakeServer;
use common::*;
use serde_json::json;

#[test]
fn ssl_cert_file_is_honoured() {
    let trusted = FakeServer::start_tls();
    let other = FakeServer::start_tls();
    let dir = std::env::temp_dir().join(format!("bili-qr-ssl-cert-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("bundle.pem");
    std::fs::write(&bundle, trusted.ca_pem().unwrap()).unwrap();
    // The only test in this process: no other thread reads the environment.
    std::env::set_var("SSL_CERT_FILE", &bundle);
    std::env::remove_var("SSL_CERT_DIR");

    let o = |base: &str| json!({"base_url": base, "timeout_ms": 5000, "proxy": ""}).to_string();
    let r = start(Some(&o(&trusted.url("id=sslcertfile,flow=wsc")))).expect(BILI_QR_OK);
    assert!(r.json()["ticket"].is_string());
    assert!(trusted.requests() >= 1);
    start(Some(&o(&other.base_url()))).expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
    assert_eq!(other.requests(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
