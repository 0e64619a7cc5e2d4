//! The `qrcode/auth/fetch` answer parser (`passport::parse_fetch`), fed arbitrary bodies; a confirmed answer's
//! `cookie_info`, when present, goes through the cookie jar as the login does.
//!
//! Invariants: the status follows the documented code (0 confirmed, 10018100 expired, 10018101 waiting,
//! 10018102 scanned) and every other code is an API error (so is any non-zero code whose data demands a
//! captcha); a confirmed answer always has its data (mid,
//! is_new, go_url, user_profile: equal to the body's when typed right, else none), the others never; the jar
//! keeps only trusted cookies; every message is one bounded line and holds no cookie value.
#![no_main]

mod common;

use bili_qr::internals::CookieJar;
use bili_qr::internals::{captcha_demanded, parse_envelope, parse_fetch, PollStatus};
use bili_qr::ErrorKind;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let envelope = parse_envelope("qrcode/auth/fetch", data);
    match parse_fetch(data) {
        Ok((status, env, confirmed)) => {
            let expected = match env.code {
                0 => PollStatus::Confirmed,
                10018100 => PollStatus::Expired,
                10018101 => PollStatus::Waiting,
                10018102 => PollStatus::Scanned,
                other => panic!("code {other} accepted"),
            };
            assert_eq!(status, expected);
            assert_eq!(env.code, envelope.as_ref().expect("envelope refused").code);
            if status != PollStatus::Confirmed {
                assert!(confirmed.is_none(), "data attached to a {status:?} answer");
                return;
            }
            let c = confirmed.expect("a parsed fetch answer with code 0 has no data");
            let d = &env.data;
            // An integral float (`7.0`, `7e0`) is the integer JavaScript sees.
            let mid = d["mid"]
                .as_i64()
                .or_else(|| {
                    d["mid"]
                        .as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                        .map(|f| f as i64)
                })
                .or_else(|| d["mid"].as_str().and_then(|s| s.parse().ok()));
            if c.mid.is_some() {
                assert_eq!(c.mid, mid);
            }
            assert_eq!(d["is_new"].as_bool(), c.is_new);
            assert_eq!(d["go_url"].as_str(), c.go_url.as_deref());
            match &c.user_profile {
                Some(p) => {
                    assert_eq!(d["user_profile"]["name"].as_str(), p.name.as_deref());
                    assert_eq!(d["user_profile"]["face"].as_str(), p.face.as_deref());
                }
                None => assert!(!d["user_profile"].is_object()),
            }
            for w in &c.warnings {
                assert!(w.len() <= 200 && !w.chars().any(char::is_control), "{w:?}");
            }
            if let Some(info) = &c.cookie_info {
                assert!(!info.is_null());
                for base_host in ["127.0.0.1", "passport.bilibili.tv"] {
                    let mut jar = CookieJar::default();
                    jar.apply_cookie_info(info, base_host, common::NOW);
                    for w in jar.take_warnings() {
                        check_no_values(&w, info);
                    }
                    let header = jar.cookie_header();
                    let cookies = jar.into_vec();
                    common::check_cookies(&cookies, base_host, common::NOW);
                    common::check_header(&header, &cookies);
                }
            }
        }
        Err(e) => {
            common::check_message(&e);
            match &envelope {
                Ok(env)
                    if ![0, 10018100, 10018101, 10018102].contains(&env.code)
                        || (env.code != 0 && captcha_demanded(&env.data)) =>
                {
                    assert_eq!(e.kind(), ErrorKind::Api);
                    assert!(e.message().contains(&env.code.to_string()));
                }
                _ => assert_eq!(e.kind(), ErrorKind::Protocol, "{}", e.message()),
            }
        }
    }
});

/// No cookie value (4 characters or more, with a digit, so not a word of the message's own wording) from
/// `cookie_info` appears in the message.
fn check_no_values(message: &str, info: &Value) {
    if let Some(list) = info.get("cookies").and_then(Value::as_array) {
        for v in list
            .iter()
            .filter_map(|c| c.get("value").and_then(Value::as_str))
        {
            if v.len() >= 4 && v.bytes().any(|b| b.is_ascii_digit()) {
                assert!(
                    !message.contains(v),
                    "cookie value {v:?} in message {message:?}"
                );
            }
        }
    }
}
