//! `data.cookie_info` of a confirmed answer (`CookieJar::apply_cookie_info`), fed arbitrary JSON after some
//! `Set-Cookie` headers already in the jar (as in a login).
//!
//! Invariants: the jar keeps only cookies whose domain is trusted (or absent) and a host name, never an
//! expired one, never two of one name and domain; no shape is an error (odd ones are warnings, which hold no
//! cookie value); every kept value is one of the values sent; a cookie already in the jar is only changed by
//! an entry of its name.
#![no_main]

mod common;

use bili_qr::internals::CookieJar;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const HOSTS: [&str; 3] = ["127.0.0.1", "passport.bilibili.tv", "evil.example.com"];
const HEADERS: [&str; 3] = [
    "SESSDATA=9f3c1a2b%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv; Max-Age=100; HttpOnly; Secure",
    "sid=s1abc234",
    "bili_jct=0123456789abcdef0123456789abcdef; Domain=.bilibili.tv",
];

fuzz_target!(|data: &[u8]| {
    let Some((&base_host, rest)) = common::pick(data, &HOSTS) else {
        return;
    };
    let Ok(info) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let mut jar = CookieJar::default();
    for h in HEADERS {
        jar.apply_set_cookie(h, base_host, common::NOW);
    }
    let before = jar.clone().into_vec();
    jar.apply_cookie_info(&info, base_host, common::NOW);
    let entries: Vec<&Value> = info
        .get("cookies")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let sent_values: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.get("value").and_then(Value::as_str))
        .collect();
    let sent_names: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.get("name").and_then(Value::as_str))
        .collect();
    for w in jar.take_warnings() {
        assert!(!w.is_empty() && w.len() <= 200 && !w.chars().any(char::is_control), "{w:?}");
        for v in &sent_values {
            if v.len() >= 6 && v.bytes().any(|b| b.is_ascii_digit()) {
                assert!(!w.contains(v), "cookie value in warning {w:?}");
            }
        }
    }
    let header = jar.cookie_header();
    let after = jar.into_vec();
    common::check_cookies(&after, base_host, common::NOW);
    common::check_header(&header, &after);
    for c in &after {
        match before
            .iter()
            .find(|b| b.name == c.name && b.domain == c.domain)
        {
            Some(b) if b == c => {}
            _ => {
                assert!(
                    sent_names.contains(&c.name.as_str()),
                    "cookie {:?} appeared from nowhere",
                    c.name
                );
                assert!(
                    sent_values.contains(&c.value.as_str()),
                    "value of {:?} is not one sent",
                    c.name
                );
            }
        }
    }
    for b in &before {
        if !after.iter().any(|a| a.name == b.name) {
            assert!(
                sent_names.contains(&b.name.as_str()),
                "cookie {:?} removed by no entry",
                b.name
            );
        }
    }
});
