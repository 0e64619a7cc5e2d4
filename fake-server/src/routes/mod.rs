//! Routing of non-control requests: scenario parsing, fault injection, then the endpoint handlers.

mod account;
mod control;
mod gourl;
mod mainland;
mod passport;
mod tv;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

pub(crate) use control::control;

use crate::cookies;
use crate::http::{self, reason};
use crate::resp::{json_str, Body, Kind, Resp, JSON, TEXT};
use crate::scenario::{Endpoint, Fault, Scenario};
use crate::state::Shared;
use crate::{EXIT_PATH, FETCH_PATH, HUGE_BODY_LEN, SSO_LIST_PATH, URL_PATH, USER_PATH};

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

/// A parsed request, as the routes see it.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    /// The path without the query, as sent.
    pub(crate) path: &'a str,
    /// The raw query string (without `?`).
    pub(crate) query_str: &'a str,
    /// Percent-decoded query parameters.
    pub(crate) query: BTreeMap<String, String>,
    /// `name=value` pairs of the `Cookie` header(s), values as sent.
    pub(crate) cookies: Vec<(String, String)>,
    /// Fields of an `application/x-www-form-urlencoded` body.
    pub(crate) form: BTreeMap<String, String>,
    /// That body as sent (`""` for another content type): the TV/app signature covers its bytes and order.
    pub(crate) form_raw: String,
    /// Request headers, names lowercased.
    pub(crate) headers: &'a BTreeMap<String, String>,
}

/// The scenario a request runs under.
pub(crate) struct Ctx<'a> {
    pub(crate) sh: &'a Shared,
    /// The decoded scenario string (the key of ticket states and fault counters).
    pub(crate) key: &'a str,
    /// `""` or `/s/{scenario as requested}`.
    pub(crate) prefix: String,
    pub(crate) sc: Scenario,
}

/// Sleeps `ms` (capped at an hour) unless the server shuts down; false when it does.
pub(crate) fn pause(sh: &Shared, ms: u64) -> bool {
    let wait = Duration::from_millis(ms.min(3_600_000));
    let until = Instant::now()
        .checked_add(wait)
        .unwrap_or_else(Instant::now);
    while Instant::now() < until && !sh.stop.load(Ordering::Relaxed) {
        thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
    }
    !sh.stop.load(Ordering::Relaxed)
}

/// `/c/{n}/…` (a `slowchain` hop): `Some((n, rest))`.
fn chain_hop(path: &str) -> Option<(u64, &str)> {
    let after = path.strip_prefix("/c/")?;
    let i = after.find('/')?;
    let n = after.get(..i)?.parse::<u64>().ok()?;
    Some((n, after.get(i..)?))
}

/// Handles a non-control request.
pub(crate) fn handle(sh: &Shared, req: &Request<'_>) -> Resp {
    let path = req.path;
    let query_str = req.query_str;
    // `/r/…`: the target of the `redirect` fault, answered without the fault.
    // `/c/N/…`: a hop of the `slowchain` fault, answered with a wait and the next redirect.
    let (redirected, chain, p) = if let Some(rest) = path.strip_prefix("/r") {
        if rest.starts_with('/') {
            (true, None, rest)
        } else {
            (false, None, path)
        }
    } else if let Some((n, rest)) = chain_hop(path) {
        (true, Some(n), rest)
    } else {
        (false, None, path)
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
    let origin = &sh.origin;
    // The original target (for the redirect faults' Locations).
    let target = if query_str.is_empty() {
        p.to_string()
    } else {
        format!("{p}?{query_str}")
    };
    if let Some(n) = chain {
        if !pause(sh, sc.delay) {
            return Resp::reset();
        }
        return if n + 1 >= sc.hops {
            Resp::redirect(format!("{origin}/r{target}"))
        } else {
            Resp::redirect(format!("{origin}/c/{}{target}", n + 1))
        };
    }
    let cx = Ctx {
        sh,
        key: scenario,
        prefix: if raw_scenario.is_empty() {
            String::new()
        } else {
            format!("/s/{raw_scenario}")
        },
        sc,
    };
    let sc = &cx.sc;
    // The mainland and TV routes: their QR endpoints go through the fault stage like `url`/`fetch`.
    if let Some(r) = mainland::route(&cx, req, rest) {
        return r;
    }
    let main_ep = mainland::qr_endpoint(rest);
    let ep = match rest {
        _ if main_ep.is_some() => main_ep.map_or(Endpoint::Url, |(ep, _)| ep),
        URL_PATH => Endpoint::Url,
        FETCH_PATH => Endpoint::Fetch,
        SSO_LIST_PATH => return account::sso_list(&cx),
        USER_PATH => return account::user(&cx, req),
        EXIT_PATH => return account::exit(&cx, req),
        "/sso/set" => return account::sso_set(&cx, req),
        "/gourl/hop1" => return gourl::hop1(&cx),
        "/gourl/hop2" => return gourl::hop2(&cx),
        "/gourl/gone" | "/gourl/crossDomain" => return Resp::not_found_html(),
        _ => {
            if let Some(n) = rest.strip_prefix("/gourl/slow/") {
                if let Ok(n) = n.parse::<u64>() {
                    return gourl::slow(&cx, n);
                }
            }
            return Resp::json_static(r#"{"code":-404,"message":"啥都木有","ttl":1,"data":null}"#)
                .with_status(404);
        }
    };
    let query = &req.query;
    let full_target = if query_str.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query_str}")
    };

    // Fault decision (`on`, `times`). The cookie faults are decided once the answer is a confirmation.
    let mut fault = if redirected {
        None
    } else {
        sc.fault_applies(ep)
    };
    if let Some(f) = fault {
        if !matches!(f, Fault::NoCookies | Fault::PartialCookies) && !take_fault(sh, scenario, sc) {
            fault = None;
        }
    }

    match fault {
        Some(Fault::Status(412)) => return Resp::html(412, RISK_PAGE.to_string()),
        Some(Fault::Status(n)) => {
            let mut r = Resp::html(
                n,
                format!("<html><head><title>{n} {r}</title></head><body><h1>{n} {r}</h1></body></html>", r = reason(n)),
            );
            if matches!(n, 429 | 503) {
                if let Some(after) = sc.retry_after() {
                    r.extra_headers.push(("Retry-After".to_string(), after));
                }
            }
            return r;
        }
        Some(Fault::Captcha) => {
            return Resp::json(format!(
                r#"{{"code":-401,"message":"非法访问","ttl":1,"data":{{"ga_data":{{"decisions":["verify_captcha_level2"],"risk_level":2,"grisk_id":"{}"}},"v_voucher":"voucher_{}"}}}}"#,
                cookies::hex(32),
                cookies::hex(36)
            ))
        }
        Some(Fault::Location(bad)) => return Resp::redirect(bad.value().to_string()),
        Some(Fault::SlowChain) => {
            if !pause(sh, sc.delay) {
                return Resp::reset();
            }
            return if sc.hops <= 1 {
                Resp::redirect(format!("{origin}/r{full_target}"))
            } else {
                Resp::redirect(format!("{origin}/c/1{full_target}"))
            };
        }
        Some(Fault::Api(code)) => {
            return Resp::json(format!(
                r#"{{"code":{code},"message":"{}","ttl":1,"data":null}}"#,
                api_message(code)
            ))
        }
        Some(Fault::Slow) => {
            if !pause(sh, sc.delay) {
                // Shutting down: no answer.
                return Resp::reset();
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
        Some(Fault::Reset) => return Resp::reset(),
        Some(Fault::NoTicket)
        | Some(Fault::NoCookies)
        | Some(Fault::PartialCookies)
        | Some(Fault::ExtraHeaders(_))
        | Some(Fault::LongHeader)
        | None => {}
    }

    let mut r = match ep {
        _ if main_ep.is_some() => mainland::qr_answer(&cx, req, main_ep, fault),
        Endpoint::Url => passport::url_answer(&cx, query, fault == Some(Fault::NoTicket)),
        Endpoint::Fetch => passport::fetch_answer(&cx, req, fault),
    };
    match fault {
        Some(Fault::ExtraHeaders(n)) => r
            .extra_headers
            .extend((1..=n).map(|i| (format!("X-Fake-{i}"), i.to_string()))),
        Some(Fault::LongHeader) => r
            .extra_headers
            .push(("X-Long".to_string(), "a".repeat(64 * 1024))),
        _ => {}
    }
    r
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
