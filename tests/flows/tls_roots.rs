//! Trust roots: a server whose certificate is signed by a CA the system does not know is refused by
//! default, and trusted when the CA is given with the `ca_file` option (a PEM bundle added to the system's
//! roots) — a TLS-inspecting proxy's or a local CA. Adding a root never switches verification off: another
//! CA's server is still refused, and a call without `ca_file` is still refused after one with it.
//! `SSL_CERT_FILE` is tested in tests/tls_ssl_cert_file.rs (its own process: the system store is read once).

use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::FakeServer;
use serde_json::json;

fn ca_file_of(srv: &FakeServer, dir: &std::path::Path) -> String {
    let path = dir.join("ca.pem");
    std::fs::write(&path, srv.ca_pem().expect("a TLS server has a CA")).unwrap();
    path.to_string_lossy().into_owned()
}

fn opts(base: &str, ca_file: Option<&str>) -> String {
    let mut o = json!({"base_url": base, "timeout_ms": 5000, "proxy": "", "poll_interval_ms": 100,
                       "wait_timeout_ms": 20000, "max_retries": 0});
    if let Some(f) = ca_file {
        o["ca_file"] = json!(f);
    }
    o.to_string()
}

#[test]
fn refused_by_default_and_a_whole_login_with_ca_file() {
    let srv = FakeServer::start_tls();
    let dir = TempDir::new("tls-roots-login");
    let ca = ca_file_of(&srv, &dir);
    let base = srv.url("id=tls-ca,flow=wsc");
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");

    // Default roots (the system's): the test CA is unknown.
    let r = start(Some(&opts(&base, None))).expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
    assert!(r.out.is_none());
    assert_eq!(srv.requests(), 0);

    // With ca_file: start, then wait through scanned to confirmed, over HTTPS.
    let o = opts(&base, Some(&ca));
    let started = start(Some(&o)).expect(BILI_QR_OK);
    let ticket = started.json()["ticket"].as_str().unwrap().to_owned();
    let done = wait(&ticket, Some(&o)).expect(BILI_QR_OK);
    let v = done.json();
    assert_eq!(v["status"], "confirmed");
    let names = cookie_names(&v);
    assert!(names.contains(&"SESSDATA"), "{names:?}");
    assert!(srv.requests() >= 3, "url + fetches over TLS");

    // localhost is in the certificate too.
    let o = opts(&base.replace("127.0.0.1", "localhost"), Some(&ca));
    start(Some(&o)).expect(BILI_QR_OK);
}

#[test]
fn ca_file_adds_a_root_and_never_disables_verification() {
    let a = FakeServer::start_tls();
    let b = FakeServer::start_tls();
    let dir = TempDir::new("tls-roots-other");
    let ca_a = ca_file_of(&a, &dir);

    // A's CA does not make B (another CA) trusted.
    start(Some(&opts(&b.base_url(), Some(&ca_a))))
        .expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
    assert_eq!(b.requests(), 0);

    // A with its CA works; the same server without ca_file right after is refused again (the trust that
    // ca_file adds belongs to the calls that pass it).
    start(Some(&opts(&a.base_url(), Some(&ca_a)))).expect(BILI_QR_OK);
    let before = a.requests();
    start(Some(&opts(&a.base_url(), None))).expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
    assert_eq!(a.requests(), before);

    // Both CAs in one bundle: both servers trusted (a bundle, not one certificate).
    let bundle = dir.join("bundle.pem");
    std::fs::write(
        &bundle,
        format!("{}{}", a.ca_pem().unwrap(), b.ca_pem().unwrap()),
    )
    .unwrap();
    let bundle = bundle.to_string_lossy().into_owned();
    start(Some(&opts(&a.base_url(), Some(&bundle)))).expect(BILI_QR_OK);
    start(Some(&opts(&b.base_url(), Some(&bundle)))).expect(BILI_QR_OK);

    // The server's own leaf certificate is not a CA: as ca_file it does not make the server trusted.
    let leaf = dir.join("leaf.pem");
    std::fs::write(&leaf, pem("CERTIFICATE", &a.cert_der().unwrap())).unwrap();
    let leaf = leaf.to_string_lossy().into_owned();
    start(Some(&opts(&a.base_url(), Some(&leaf))))
        .expect_err(BILI_QR_ERR_NETWORK, &["certificate"]);
}

#[test]
fn a_bad_ca_file_is_an_argument_error_and_nothing_is_sent() {
    let srv = FakeServer::start_tls();
    let dir = TempDir::new("tls-roots-bad");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let text = dir.join("text.pem");
    std::fs::write(&text, "hello\n").unwrap();
    for (path, needle) in [
        (dir.join("missing.pem"), "cannot read"),
        (dir.to_path_buf(), "directory"),
        (empty, "no PEM certificate"),
        (text, "no PEM certificate"),
    ] {
        let path = path.to_string_lossy().into_owned();
        let o = opts(&srv.base_url(), Some(&path));
        start(Some(&o)).expect_err(BILI_QR_ERR_ARGUMENT, &["ca_file", needle]);
        poll("4478b3e64d05ce26638f4d715ebe0a91", Some(&o))
            .expect_err(BILI_QR_ERR_ARGUMENT, &["ca_file"]);
    }
    assert_eq!(srv.requests(), 0);
}

fn pem(label: &str, der: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
