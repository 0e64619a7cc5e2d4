//! Options parsing (`Options::from_json`), fed arbitrary text.
//!
//! Invariants: an accepted object gives options inside every documented range (base_url https, or http only
//! to a loopback host, no query/fragment/user info/trailing slash; tokens of 1 to 16 of A-Za-z0-9_-; the
//! integer ranges; a printable user agent), only from a JSON object whose keys are all known; a refused one is
//! an argument error in one bounded line; parsing is deterministic; there is no key that switches TLS
//! verification off.
#![no_main]

mod common;

use bili_qr::internals::is_loopback_host;
use bili_qr::options::ProxySetting;
use bili_qr::{ErrorKind, Options};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;

/// The option keys of the contract (include/bili_qr_abi.json, generated from abi/bili_qr.toml).
fn known() -> &'static [String] {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let abi: serde_json::Value =
            serde_json::from_str(include_str!("../../include/bili_qr_abi.json")).expect("the contract's JSON");
        abi["options"]
            .as_array()
            .expect("the contract's options")
            .iter()
            .map(|o| o["key"].as_str().expect("an option's key").to_owned())
            .collect()
    })
}

fn token_ok(s: &str) -> bool {
    (1..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let result = Options::from_json(Some(text));
    let again = Options::from_json(Some(text));
    match (&result, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("from_json is not deterministic"),
    }
    match result {
        Ok(o) => {
            if !text.trim().is_empty() {
                let v: serde_json::Value =
                    serde_json::from_str(text).expect("accepted text that is not JSON");
                let map = v.as_object().expect("accepted JSON that is not an object");
                assert!(
                    map.keys().all(|k| known().contains(k)),
                    "accepted an unknown key"
                );
            }
            let url = o.base_url.as_str();
            let host = o.base_url.host();
            assert!(!host.is_empty());
            assert!(!url.contains(['?', '#', ' ']), "base_url {url:?}");
            let after_scheme = &url[url.find("://").expect("a scheme") + 3..];
            let authority = after_scheme.split('/').next().unwrap_or("");
            assert!(
                !authority.contains('@'),
                "user info kept in base_url {url:?}"
            );
            assert!(
                authority.contains(host) || authority.contains(&format!("[{host}]")),
                "host {host:?} not the authority of {url:?}"
            );
            assert!(!url.ends_with('/'), "trailing slash kept: {url:?}");
            if url.starts_with("http://") {
                assert!(
                    is_loopback_host(host) && o.base_url.is_loopback(),
                    "plain http to {host:?}"
                );
            } else {
                assert!(url.starts_with("https://"), "base_url scheme: {url:?}");
            }
            assert!(token_ok(&o.locale) && token_ok(&o.platform));
            assert!(
                o.timeout >= Duration::from_millis(1)
                    && o.timeout <= Duration::from_millis(600_000)
            );
            assert!(
                o.poll_interval >= Duration::from_millis(100)
                    && o.poll_interval <= Duration::from_secs(60)
            );
            assert!(
                o.wait_timeout >= Duration::from_secs(1)
                    && o.wait_timeout <= Duration::from_secs(3600)
            );
            assert!(o.max_retries <= 100);
            // None: the browser identity's default; a caller's is 1..512 printable ASCII.
            if let Some(ua) = &o.user_agent {
                assert!(
                    (1..=512).contains(&ua.len()) && ua.bytes().all(|b| (0x20..0x7f).contains(&b))
                );
            }
            if let ProxySetting::Url(p) = &o.proxy {
                let l = p.to_ascii_lowercase();
                assert!(
                    ["http://", "https://", "socks5://"]
                        .iter()
                        .any(|s| l.starts_with(s)),
                    "proxy {p:?}"
                );
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument);
            common::check_message(&e);
        }
    }
    // No option switches certificate checks off, whatever its value.
    for key in [
        "insecure",
        "verify",
        "danger_accept_invalid_certs",
        "tls_verify",
    ] {
        let e = Options::from_json(Some(&format!(
            "{{\"{key}\":{}}}",
            if text.is_empty() { "true" } else { "false" }
        )))
        .expect_err("a TLS switch was accepted");
        assert!(e.message().contains(key));
    }
});
