//! TLS is always verified: a local HTTPS fake server with a self-signed certificate is refused with
//! ERR_NETWORK and a message that says the certificate was refused, by start, poll, wait and under a path
//! prefix; nothing reaches the server's HTTP layer; and no option exists that could switch verification off.
//! Also the transport rules next to it: plain http only to loopback hosts, redirects only to https or
//! loopback.

use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::FakeServer;
use serde_json::json;

const TICKET: &str = "4478b3e64d05ce26638f4d715ebe0a91";

fn tls_opts(base: &str) -> String {
    json!({"base_url": base, "timeout_ms": 5000, "proxy": ""}).to_string()
}

#[test]
fn a_self_signed_certificate_is_refused_by_every_call() {
    let srv = FakeServer::start_tls();
    let base = srv.base_url();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    for url in [
        base.clone(),
        srv.url("id=tls-prefix"),
        base.replace("127.0.0.1", "localhost"),
    ] {
        let opts = tls_opts(&url);
        let r = start(Some(&opts)).expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
        assert!(
            r.error.contains("refused") || r.error.contains("not trusted"),
            "{}",
            r.error
        );
        let qr_url = format!("https://www.bilibili.tv/h5/en/qrcode/login?ticket={TICKET}");
        for ticket in [TICKET, qr_url.as_str()] {
            let r = poll(ticket, Some(&opts)).expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
            // At most the first 6 characters of the ticket.
            assert_no_secret(&r.error, &[TICKET.to_owned()]);
        }
        let wait_opts = json!({"base_url": url, "timeout_ms": 5000, "proxy": "", "max_retries": 0,
                               "poll_interval_ms": 100, "wait_timeout_ms": 5000})
        .to_string();
        let r = wait(TICKET, Some(&wait_opts)).expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
        assert_no_secret(&r.error, &[TICKET.to_owned()]);
    }
    // The handshake failed: no HTTP request was ever read by the server.
    assert_eq!(
        srv.requests(),
        0,
        "a request got through the refused TLS handshake"
    );
    assert!(srv.log().is_empty());
}

#[test]
fn the_same_server_is_trusted_by_no_option_whatever_its_spelling() {
    let srv = FakeServer::start_tls();
    let base = srv.base_url();
    for key in [
        "insecure",
        "verify",
        "verify_tls",
        "tls_verify",
        "ssl_verify",
        "verify_peer",
        "danger_accept_invalid_certs",
        "accept_invalid_certs",
        "no_verify",
        "tls",
        "cacert",
        "ca_bundle",
        "root_certificates",
        "pinned_certificate",
    ] {
        for value in [
            json!(true),
            json!(false),
            json!(0),
            json!(1),
            json!(""),
            json!("/tmp/ca.pem"),
        ] {
            let mut o = json!({"base_url": base, "timeout_ms": 2000});
            o[key] = value.clone();
            let r = start(Some(&o.to_string()))
                .expect_err(BILI_QR_ERR_ARGUMENT, &["unknown option", key]);
            assert!(r.out.is_none());
            poll(TICKET, Some(&o.to_string()))
                .expect_err(BILI_QR_ERR_ARGUMENT, &["unknown option", key]);
        }
    }
    assert_eq!(srv.requests(), 0);
}

#[test]
fn plain_http_is_refused_for_hosts_that_are_not_loopback() {
    for base in [
        "http://example.com",
        "http://passport.bilibili.tv",
        "http://10.0.0.1:8080",
        "http://128.0.0.1",
        "http://[::2]:80",
        "http://localhost.example.com",
        "HTTP://Example.COM/",
    ] {
        let opts = json!({"base_url": base}).to_string();
        start(Some(&opts)).expect_err(BILI_QR_ERR_ARGUMENT, &["base_url"]);
        poll(TICKET, Some(&opts)).expect_err(BILI_QR_ERR_ARGUMENT, &["base_url"]);
    }
    for base in [
        "ftp://127.0.0.1/",
        "file:///etc/passwd",
        "https://user:pw@passport.bilibili.tv",
        "https://x/?q=1",
    ] {
        start(Some(&json!({"base_url": base}).to_string()))
            .expect_err(BILI_QR_ERR_ARGUMENT, &["base_url"]);
    }
}

#[test]
fn a_redirect_to_plain_http_elsewhere_is_refused_and_not_followed() {
    let env = Env::new("id=tls-redirect-foreign,fault=redirect-foreign");
    // A host that is neither configured nor one of bilibili.tv's known hosts is not named (SECURITY.md: a
    // server-chosen host name can carry a secret).
    let r = start(Some(&env.default_opts()))
        .expect_err(BILI_QR_ERR_NETWORK, &["a redirect target", "plain http"]);
    assert!(!r.error.contains("example.com"), "{}", r.error);
    assert!(r.error.contains("http"), "{}", r.error);
    // Only the first hop reached the fake server; example.com was never contacted (it is not loopback, and
    // the test machine has no network: a followed redirect would be a network error naming another cause).
    assert_eq!(env.log().len(), 1);
    let env = Env::new("id=tls-redirect-loop,fault=redirect-loop");
    start(Some(&env.default_opts())).expect_err(BILI_QR_ERR_NETWORK, &["redirect"]);
    assert_eq!(env.log().len(), 6, "the first request and 5 redirects");
}
