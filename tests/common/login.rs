//! Helpers of the login tests (start, poll, wait, cancel, faults, threads, hand-made answers).

use super::Progress;
use serde_json::Value;
use std::ffi::c_void;

pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

/// The query parameters of a request the fake server logged, in its (sorted) order.
pub fn query_pairs(rec: &bili_qr_fake_server::RequestRecord) -> Vec<(&str, &str)> {
    rec.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The `ticket` query parameter of a URL (no decoding needed: tickets are unreserved characters).
pub fn ticket_param(url: &str) -> &str {
    let q = url.split_once('?').expect("a query").1;
    q.split('&')
        .find_map(|p| p.strip_prefix("ticket="))
        .expect("ticket=")
}

#[track_caller]
pub fn assert_documented_headers(h: &std::collections::BTreeMap<String, String>, ua: Option<&str>) {
    match ua {
        Some(ua) => {
            assert_eq!(h["user-agent"], ua);
            // A caller's user agent drops the client hints, which would contradict it.
            assert!(h.keys().all(|k| !k.starts_with("sec-ch-ua")), "{h:?}");
        }
        None => {
            // A 2026 desktop Chrome, with matching client hints.
            let ua = &h["user-agent"];
            let major: u32 = ua
                .split("Chrome/")
                .nth(1)
                .and_then(|v| v.split('.').next())
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            assert!(
                ua.starts_with("Mozilla/5.0 (") && major >= 140,
                "default User-Agent is a current desktop Chrome's: {ua}"
            );
            let hints = &h["sec-ch-ua"];
            assert!(
                hints.contains(&format!("\"Google Chrome\";v=\"{major}\"")),
                "{hints}"
            );
            assert_eq!(h["sec-ch-ua-mobile"], "?0");
            assert!(h.contains_key("sec-ch-ua-platform"), "{h:?}");
        }
    }
    assert_eq!(h["referer"], "https://www.bilibili.tv/");
    assert_eq!(h["origin"], "https://www.bilibili.tv");
    assert_eq!(h["accept"], "application/json, text/plain, */*");
    assert!(!h.contains_key("cookie"), "no Cookie header: {h:?}");
}

pub fn user_data(p: &Progress) -> *mut c_void {
    p as *const Progress as *mut c_void
}
