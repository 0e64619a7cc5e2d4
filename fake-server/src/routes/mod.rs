//! Routing of non-control requests: scenario parsing, fault injection, then the endpoint handlers.

mod control;
mod passport;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

pub(crate) use control::control;
use passport::{fetch_answer, hop1, hop2, url_answer};

use crate::cookies;
use crate::http::{self, reason};
use crate::resp::{json_str, Body, Kind, Resp, JSON, TEXT};
use crate::scenario::{Endpoint, Fault, Scenario};
use crate::state::Shared;
use crate::{FETCH_PATH, HUGE_BODY_LEN, URL_PATH};

pub(crate) fn huge_body() -> &'static [u8] {
    static HUGE: OnceLock<Vec<u8>> = OnceLock::new();
    HUGE.get_or_init(|| {
        let head = br#"{"code":0,"message":"0","ttl":1,"data":{"padding":""#;
        let tail = br#""}}"#;
        let mut v = Vec::with_capacity(HUGE_BODY_LEN);
        v.extend_from_slice(head);
        v.resize(HUGE_BODY_LEN - tail.len(), b'x');
        v.extend_from_slice(tail);
        v
    })
}

pub(crate) fn api_message(code: i32) -> &'static str {
    match code {
        -412 => "请求被拦截",
        -352 => "风控校验失败",
        -400 => "请求错误",
        -799 => "请求过于频繁，请稍后再试",
        _ => "错误",
    }
}

pub(crate) const RISK_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>412 Precondition Failed</title></head>\
<body><h1>412</h1><p>由于触发哔哩哔哩安全风控策略，该次访问请求被拒绝。</p>\
<p>The request was rejected because of the bilibili security control policy.</p></body></html>";

/// Handles a non-control request.
pub(crate) fn handle(
    sh: &Shared,
    method: &str,
    path: &str,
    query_str: &str,
    query: &BTreeMap<String, String>,
) -> Resp {
    // `/r/…`: the target of the `redirect` fault, answered without the fault.
    let (redirected, p) = if path.starts_with("/r/") {
        (true, &path[2..])
    } else {
        (false, path)
    };
    let (raw_scenario, rest) = match p.strip_prefix("/s/") {
        Some(after) => match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        },
        None => ("", p),
    };
    // The scenario string as a key: percent-decoded, so `flow%3Dc` and `flow=c` are the same scenario.
    let scenario_key = http::percent_decode(raw_scenario, false);
    let scenario = scenario_key.as_str();
    let sc = match Scenario::parse(scenario) {
        Ok(sc) => sc,
        Err(msg) => {
            return Resp::new(
                400,
                TEXT,
                Body::Owned(format!("bad scenario: {msg}\n").into_bytes()),
            )
        }
    };
    let _ = method;
    let ep = match rest {
        URL_PATH => Endpoint::Url,
        FETCH_PATH => Endpoint::Fetch,
        "/gourl/hop1" => return hop1(raw_scenario),
        "/gourl/hop2" => return hop2(&sc),
        _ => {
            return Resp::json_static(r#"{"code":-404,"message":"啥都木有","ttl":1,"data":null}"#)
                .with_status(404)
        }
    };

    // Fault decision (`on`, `times`). The cookie faults are decided once the answer is a confirmation.
    let mut fault = if redirected {
        None
    } else {
        sc.fault_applies(ep)
    };
    if let Some(f) = fault {
        if !matches!(f, Fault::NoCookies | Fault::PartialCookies) && !take_fault(sh, scenario, &sc)
        {
            fault = None;
        }
    }

    let origin = &sh.origin;
    let full_target = if query_str.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query_str}")
    };
    match fault {
        Some(Fault::Status(412)) => return Resp::html(412, RISK_PAGE.to_string()),
        Some(Fault::Status(n)) => {
            return Resp::html(
                n,
                format!("<html><head><title>{n} {r}</title></head><body><h1>{n} {r}</h1></body></html>", r = reason(n)),
            )
        }
        Some(Fault::Api(code)) => {
            return Resp::json(format!(
                r#"{{"code":{code},"message":"{}","ttl":1,"data":null}}"#,
                api_message(code)
            ))
        }
        Some(Fault::Slow) => {
            // Capped at an hour (and checked), whatever the scenario says.
            let wait = Duration::from_millis(sc.delay.min(3_600_000));
            let until = Instant::now().checked_add(wait).unwrap_or_else(Instant::now);
            while Instant::now() < until && !sh.stop.load(Ordering::Relaxed) {
                thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
            }
            if sh.stop.load(Ordering::Relaxed) {
                // Shutting down: no answer.
                let mut r = Resp::new(0, TEXT, Body::Static(b""));
                r.kind = Kind::Reset;
                return r;
            }
        }
        Some(Fault::Truncated) => {
            let mut r = Resp::json(format!(
                r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket={}"#,
                cookies::hex(32)
            ));
            r.kind = Kind::Truncated;
            return r;
        }
        Some(Fault::Huge) => return Resp::new(200, JSON, Body::Static(huge_body())),
        Some(Fault::HugeChunked) => {
            let mut r = Resp::new(200, JSON, Body::Static(huge_body()));
            r.kind = Kind::Chunked;
            return r;
        }
        Some(Fault::NotJson) => {
            return Resp::html(
                200,
                "<html><head><title>bilibili</title></head><body><p>Service temporarily unavailable</p></body></html>"
                    .to_string(),
            )
        }
        Some(Fault::Empty) => return Resp::new(200, JSON, Body::Static(b"")),
        Some(Fault::BadTypes) => {
            return Resp::json(match ep {
                Endpoint::Url => format!(
                    r#"{{"code":"0","message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket={}","qr_type":"qrcode_login"}}}}"#,
                    cookies::hex(32)
                ),
                Endpoint::Fetch => format!(
                    r#"{{"code":"0","message":"0","ttl":1,"data":{{"mid":"{}","is_new":false,"go_url":"","user_profile":{{"is_userBlankProfile":false,"name":{},"face":""}}}}}}"#,
                    sc.mid,
                    json_str(&sc.name)
                ),
            })
        }
        Some(Fault::Missing) => return Resp::json_static(r#"{"code":0,"message":"0","ttl":1,"data":{}}"#),
        Some(Fault::Redirect) => return Resp::redirect(format!("{origin}/r{full_target}")),
        Some(Fault::RedirectLoop) => return Resp::redirect(format!("{origin}{full_target}")),
        Some(Fault::RedirectForeign) => return Resp::redirect("http://example.com/x".to_string()),
        Some(Fault::Reset) => {
            let mut r = Resp::new(0, TEXT, Body::Static(b""));
            r.kind = Kind::Reset;
            return r;
        }
        Some(Fault::NoTicket) | Some(Fault::NoCookies) | Some(Fault::PartialCookies) | None => {}
    }

    match ep {
        Endpoint::Url => url_answer(sh, scenario, query, fault == Some(Fault::NoTicket)),
        Endpoint::Fetch => fetch_answer(sh, scenario, raw_scenario, &sc, query, fault),
    }
}

/// Counts one use of the scenario's fault; false once `times` is used up.
pub(crate) fn take_fault(sh: &Shared, scenario: &str, sc: &Scenario) -> bool {
    let mut inner = sh.inner();
    let hits = match inner.fault_hits.get_mut(scenario) {
        Some(h) => h,
        None => inner.fault_hits.entry(scenario.to_string()).or_insert(0),
    };
    if sc.times.is_some_and(|t| *hits >= t) {
        return false;
    }
    *hits += 1;
    true
}
