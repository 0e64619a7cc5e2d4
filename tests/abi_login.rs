//! The C ABI against the fake passport server: start, poll (every state, the confirmed object and its
//! cookies, go_url hops, cookie_info), every fault mode, wait/cancel, retries, threads and connection reuse.

mod common;

use bili_qr::ffi::*;
use bili_qr_fake_server::State;
use common::*;
use serde_json::{json, Value};
use std::ffi::{c_int, c_void};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const URL_PATH: &str = "/x/intl/passport-login/qrcode/auth/url";
const FETCH_PATH: &str = "/x/intl/passport-login/qrcode/auth/fetch";
const KEPT: [&str; 7] = [
    "SESSDATA",
    "bili_jct",
    "DedeUserID",
    "DedeUserID__ckMd5",
    "joy_jct",
    "mid",
    "sid",
];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

/// The `ticket` query parameter of a URL (no decoding needed: tickets are unreserved characters).
fn ticket_param(url: &str) -> &str {
    let q = url.split_once('?').expect("a query").1;
    q.split('&')
        .find_map(|p| p.strip_prefix("ticket="))
        .expect("ticket=")
}

#[track_caller]
fn assert_documented_headers(h: &std::collections::BTreeMap<String, String>, ua: Option<&str>) {
    match ua {
        Some(ua) => {
            assert_eq!(h["user-agent"], ua);
            // A caller's user agent drops the client hints, which would contradict it.
            assert!(h.keys().all(|k| !k.starts_with("sec-ch-ua")), "{h:?}");
        }
        None => {
            // A 2026 desktop Chrome (issue 13 item 5), with matching client hints.
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

// ---------------------------------------------------------------- start

#[test]
fn start_answers_the_documented_object_and_sends_the_documented_request() {
    let env = Env::new("id=start1");
    let r = start(Some(&env.default_opts())).expect(BILI_QR_OK);
    let v = r.json();
    assert_eq!(keys(&v), ["qr_type", "qr_url", "ticket"]);
    assert_eq!(v["qr_type"], "qrcode_login");
    let qr_url = v["qr_url"].as_str().unwrap();
    assert!(
        qr_url.starts_with("https://www.bilibili.tv/h5/en/qrcode/login?ticket="),
        "{qr_url}"
    );
    let ticket = v["ticket"].as_str().unwrap();
    assert_eq!(
        ticket,
        ticket_param(qr_url),
        "ticket is qr_url's ticket parameter"
    );
    assert_eq!(ticket.len(), 32);
    // A second start issues another ticket.
    let again = start(Some(&env.default_opts())).expect(BILI_QR_OK).json();
    assert_ne!(again["ticket"], v["ticket"]);

    let log = env.log();
    assert_eq!(log.len(), 2);
    let rec = &log[0];
    assert_eq!(rec.method, "GET");
    assert_eq!(rec.path, format!("/s/id=start1{URL_PATH}"));
    let q: Vec<(&str, &str)> = rec
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(q, [("platform", "web"), ("s_locale", "en_US")]);
    assert_documented_headers(&rec.headers, None);
    assert_eq!(rec.headers["accept-language"], "en-US,en;q=0.9");
}

#[test]
fn start_sends_locale_platform_and_a_custom_user_agent() {
    let env = Env::new("id=start2");
    let ua = "MyLauncher/2.1 (+https://example.org/bot)";
    let opts = env.opts(json!({"locale": "th_TH", "platform": "android", "user_agent": ua}));
    let v = start(Some(&opts)).expect(BILI_QR_OK).json();
    assert!(
        v["qr_url"]
            .as_str()
            .unwrap()
            .starts_with("https://www.bilibili.tv/h5/th/qrcode/login?ticket="),
        "{v}"
    );
    let rec = &env.log()[0];
    assert_eq!(rec.query["s_locale"], "th_TH");
    assert_eq!(rec.query["platform"], "android");
    assert_documented_headers(&rec.headers, Some(ua));
    assert_eq!(rec.headers["accept-language"], "th-TH,th;q=0.9");
}

// ---------------------------------------------------------------- poll

#[test]
fn poll_sends_the_documented_query_and_headers() {
    let env = Env::new("id=pollq,flow=wc");
    let opts = env.opts(json!({"locale": "id_ID", "platform": "h5"}));
    let ticket = "Ab-_.~9zZ";
    poll(ticket, Some(&opts)).expect(BILI_QR_WAITING);
    poll(ticket, Some(&opts)).expect(BILI_QR_OK);
    // After a confirmed login has received cookies, later requests still carry no Cookie header.
    poll(ticket, Some(&opts)).expect(BILI_QR_EXPIRED);
    let log = env.fetches();
    assert_eq!(log.len(), 3);
    for rec in &log {
        assert_eq!(rec.method, "GET");
        assert_eq!(rec.path, format!("/s/id=pollq,flow=wc{FETCH_PATH}"));
        let q: Vec<(&str, &str)> = rec
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            q,
            [
                ("platform", "h5"),
                ("s_locale", "id_ID"),
                ("ticket", ticket)
            ]
        );
        assert_documented_headers(&rec.headers, None);
    }
}

#[test]
fn poll_reports_every_state_of_the_flow() {
    let env = Env::new("id=states,flow=wwsc");
    let opts = env.default_opts();
    let ticket = env.new_ticket();
    let expect = [
        (BILI_QR_WAITING, "waiting", 10018101, "Not scanned"),
        (BILI_QR_WAITING, "waiting", 10018101, "Not scanned"),
        (
            BILI_QR_SCANNED,
            "scanned",
            10018102,
            "Scanned, waiting for confirmation",
        ),
    ];
    for (st, name, code, msg) in expect {
        let v = poll(&ticket, Some(&opts)).expect(st).json();
        assert_eq!(v, json!({"status": name, "code": code, "message": msg}));
    }
    let v = poll(&ticket, Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["status"], "confirmed");
    // A spent ticket answers expired.
    let v = poll(&ticket, Some(&opts)).expect(BILI_QR_EXPIRED).json();
    assert_eq!(
        v,
        json!({"status": "expired", "code": 10018100, "message": "QR code expired"})
    );
    // Forced states, and a flow that starts expired.
    let other = env.new_ticket();
    env.srv.set_state(&env.scenario, &other, State::Scanned);
    poll(&other, Some(&opts)).expect(BILI_QR_SCANNED);
    let env2 = Env::new("id=states2,flow=e");
    poll("expiredticket", Some(&env2.default_opts())).expect(BILI_QR_EXPIRED);
}

#[test]
fn poll_confirmed_object_is_exact() {
    let env = Env::new("id=confirm,flow=c,mid=424242,name=Alice");
    let opts = env.default_opts();
    let ticket = env.new_ticket();
    let t0 = now_unix();
    let r = poll(&ticket, Some(&opts)).expect(BILI_QR_OK);
    let t1 = now_unix();
    let v = r.json();
    assert_eq!(
        keys(&v),
        [
            "code",
            "cookie_header",
            "cookies",
            "go_url",
            "host",
            "is_new",
            "message",
            "mid",
            "status",
            "user_profile",
            "warnings"
        ]
    );
    assert_eq!(v["status"], "confirmed");
    assert_eq!(
        v["warnings"],
        json!(["Set-Cookie: cookies for the untrusted domain evil.example.com were dropped"]),
        "the one odd thing in PROTOCOL.md's answer: ad_track for evil.example.com"
    );
    assert_eq!(v["host"], "127.0.0.1", "the base_url host");
    assert_eq!(v["code"], 0);
    assert_eq!(v["message"], "0");
    assert_eq!(v["mid"], 424242);
    assert_eq!(v["is_new"], false);
    assert_eq!(v["go_url"], "");
    assert_eq!(
        v["user_profile"],
        json!({"is_userBlankProfile": false, "name": "Alice", "face": ""})
    );

    let rec = env.fetches().pop().unwrap();
    assert_eq!(
        rec.set_cookies.len(),
        10,
        "PROTOCOL.md's confirmed set: {:?}",
        rec.set_cookies
    );
    let kept = kept(&rec.set_cookies, t1);
    let names: Vec<&str> = kept.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, KEPT, "the oracle keeps PROTOCOL.md's list");
    let cookies = v["cookies"].as_array().unwrap();
    let got: Vec<&str> = cookies
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        got, KEPT,
        "kept cookies, in order (deleted and foreign ones dropped)"
    );
    for (obj, sc) in cookies.iter().zip(&kept) {
        assert_cookie_matches(obj, sc, t0, t1);
    }
    let header: Vec<String> = kept
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    assert_eq!(v["cookie_header"], header.join("; "));

    // Spot checks against the letter of ABI.md.
    let by = |n: &str| cookies.iter().find(|c| c["name"] == n).unwrap().clone();
    let sess = by("SESSDATA");
    assert!(
        sess["value"].as_str().unwrap().contains("%2C"),
        "no decoding"
    );
    assert_eq!(
        (
            sess["domain"].clone(),
            sess["secure"].clone(),
            sess["http_only"].clone()
        ),
        (json!("bilibili.tv"), json!(true), json!(true))
    );
    assert!(sess["expires"].as_i64().unwrap() > t1 + 170 * 86400);
    assert_eq!(
        by("bili_jct")["domain"],
        "bilibili.tv",
        "leading dot removed"
    );
    assert_eq!(by("bili_jct")["http_only"], false);
    assert_eq!(by("DedeUserID")["value"], "424242");
    assert_eq!(by("mid")["domain"], "biliintl.com");
    let sid = by("sid");
    assert_eq!(
        (
            sid["domain"].clone(),
            sid["path"].clone(),
            sid["expires"].clone()
        ),
        (Value::Null, json!("/"), Value::Null),
        "a session cookie"
    );
    for dropped in ["buvid3", "old_tracker", "ad_track"] {
        assert!(!v["cookie_header"].as_str().unwrap().contains(dropped));
    }
}

#[test]
fn poll_merges_cookies_across_go_url_hops() {
    let env = Env::new("id=gourl,flow=c,gourl=1");
    let opts = env.default_opts();
    let t0 = now_unix();
    let v = poll("gourlticket01", Some(&opts)).expect(BILI_QR_OK).json();
    let t1 = now_unix();
    assert_eq!(v["go_url"], format!("{}/gourl/hop1", env.base()));
    let log = env.log();
    let paths: Vec<String> = log.iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            format!("/s/id=gourl,flow=c,gourl=1{FETCH_PATH}"),
            "/s/id=gourl,flow=c,gourl=1/gourl/hop1".into(),
            "/s/id=gourl,flow=c,gourl=1/gourl/hop2".into(),
            // The sso step after every confirmed login (issue 13).
            "/s/id=gourl,flow=c,gourl=1/x/intl/passport-login/web/sso/list".into(),
        ]
    );
    assert!(
        !log[0].headers.contains_key("cookie"),
        "no Cookie header on the fetch"
    );
    // The hops and sso/list carry the cookies collected so far, as a browser does (issue 13).
    for rec in &log[1..] {
        let sent = rec.headers.get("cookie").map(String::as_str).unwrap_or("");
        assert!(sent.starts_with("SESSDATA="), "{}: {sent:?}", rec.path);
    }
    let all: Vec<String> = log.iter().flat_map(|r| r.set_cookies.clone()).collect();
    let kept = kept(&all, t1);
    let names: Vec<&str> = kept.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "SESSDATA",
            "bili_jct",
            "joy_jct",
            "DedeUserID",
            "DedeUserID__ckMd5"
        ]
    );
    let cookies = v["cookies"].as_array().unwrap();
    assert_eq!(cookies.len(), kept.len(), "{v}");
    for (obj, sc) in cookies.iter().zip(&kept) {
        assert_cookie_matches(obj, sc, t0, t1);
    }
    let header: Vec<String> = kept
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    assert_eq!(v["cookie_header"], header.join("; "));
}

#[test]
fn poll_does_not_follow_a_foreign_go_url() {
    let env = Env::new("id=gourlforeign,flow=c,gourl=foreign");
    let t0 = now_unix();
    let v = poll("foreignticket", Some(&env.default_opts()))
        .expect(BILI_QR_OK)
        .json();
    let t1 = now_unix();
    assert_eq!(v["go_url"], "https://evil.example.com/steal");
    let log = env.log();
    // The fetch and the sso step's sso/list; never evil.example.com.
    assert_eq!(log.len(), 2);
    assert!(log[1].path.ends_with("/web/sso/list"), "{}", log[1].path);
    let kept = kept(&log[0].set_cookies, t1);
    let cookies = v["cookies"].as_array().unwrap();
    let got: Vec<&str> = cookies
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, KEPT, "all cookies come from the confirmed answer");
    for (obj, sc) in cookies.iter().zip(&kept) {
        assert_cookie_matches(obj, sc, t0, t1);
    }
}

#[test]
fn poll_takes_cookies_from_cookie_info() {
    let env = Env::new("id=cookieinfo,flow=c,cookieinfo=1");
    let t1 = now_unix();
    let v = poll("cookieinfoticket", Some(&env.default_opts()))
        .expect(BILI_QR_OK)
        .json();
    let rec = env.fetches().pop().unwrap();
    assert_eq!(rec.set_cookies.len(), 1);
    let sess = SetCookie::parse(&rec.set_cookies[0]);
    let cookies = v["cookies"].as_array().unwrap();
    let got: Vec<&str> = cookies
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        ["SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5"]
    );
    assert_cookie_matches(&cookies[0], &sess, t1, now_unix());
    let mut pairs = vec![format!("SESSDATA={}", sess.value)];
    for (obj, pair) in cookies[1..].iter().zip(&rec.cookie_info) {
        let (name, value) = pair.split_once('=').unwrap();
        assert_eq!(obj["name"], name);
        assert_eq!(obj["value"], value, "byte-equal to cookie_info");
        assert_eq!(
            obj["domain"], "bilibili.tv",
            "from domains[], without the dot"
        );
        assert_eq!(obj["path"], "/");
        assert_eq!(obj["secure"], false);
        assert_eq!(obj["http_only"], false);
        let e = obj["expires"].as_i64().expect("expires from cookie_info");
        assert!((t1 + 179 * 86400..t1 + 181 * 86400).contains(&e), "{e}");
        pairs.push(pair.clone());
    }
    assert_eq!(rec.cookie_info.len(), 3);
    assert_eq!(v["cookie_header"], pairs.join("; "));
}

#[test]
fn a_qr_url_is_accepted_as_the_ticket() {
    let env = Env::new("id=qrurl,flow=wsc");
    let opts = env.default_opts();
    let v = start(Some(&opts)).expect(BILI_QR_OK).json();
    let (ticket, qr_url) = (v["ticket"].as_str().unwrap(), v["qr_url"].as_str().unwrap());
    poll(qr_url, Some(&opts)).expect(BILI_QR_WAITING);
    // Any URL with ticket= among other parameters, with a fragment.
    let other = format!("https://example.org/x?xticket=zzz9999&a=1&ticket={ticket}&b=2#frag");
    poll(&other, Some(&opts)).expect(BILI_QR_SCANNED);
    assert_eq!(cancel(qr_url).status, 0);
    let r = wait(qr_url, Some(&opts)).expect(BILI_QR_OK);
    assert_eq!(r.json()["status"], "confirmed");
    for rec in env.fetches() {
        assert_eq!(rec.query["ticket"], ticket);
    }
}

// ---------------------------------------------------------------- faults

/// A fault on the url endpoint (`start`) and/or on the fetch endpoint (`poll` of a confirming ticket).
fn fault_case(fault: &str, on_start: Option<c_int>, on_poll: Option<c_int>, needles: &[&str]) {
    if let Some(st) = on_start {
        let env = Env::new(&format!("id=f-url,fault={fault},on=url"));
        let r = start(Some(&env.default_opts())).expect_err_or_ok(st, needles, fault);
        if st == BILI_QR_OK {
            assert_eq!(r.json()["ticket"].as_str().unwrap().len(), 32);
        }
        assert!(!env.log().is_empty());
    }
    if let Some(st) = on_poll {
        let env = Env::new(&format!("id=f-fetch,fault={fault},on=fetch,flow=c"));
        let r =
            poll("faultticket0123", Some(&env.default_opts())).expect_err_or_ok(st, needles, fault);
        if st == BILI_QR_OK {
            let names: Vec<Value> = r.json()["cookies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].clone())
                .collect();
            assert_eq!(names, KEPT.map(|n| json!(n)));
        }
        assert!(!env.log().is_empty());
    }
}

trait ExpectOr {
    fn expect_err_or_ok(self, st: c_int, needles: &[&str], fault: &str) -> Outcome;
}

impl ExpectOr for Outcome {
    #[track_caller]
    fn expect_err_or_ok(self, st: c_int, needles: &[&str], fault: &str) -> Outcome {
        assert_eq!(
            self.status, st,
            "fault={fault}: expected {st}, got {} ({:?})",
            self.status, self.error
        );
        for n in needles {
            assert!(
                self.error.contains(n),
                "fault={fault}: message lacks {n:?}: {:?}",
                self.error
            );
        }
        self
    }
}

macro_rules! fault_tests {
    ($($name:ident: $fault:expr => $start:expr, $poll:expr, [$($needle:expr),*];)*) => {
        $(
            #[test]
            fn $name() {
                fault_case($fault, $start, $poll, &[$($needle),*]);
            }
        )*
    };
}

const HTTP: Option<c_int> = Some(BILI_QR_ERR_HTTP);
const API: Option<c_int> = Some(BILI_QR_ERR_API);
const NET: Option<c_int> = Some(BILI_QR_ERR_NETWORK);
const PROTO: Option<c_int> = Some(BILI_QR_ERR_PROTOCOL);
const OK: Option<c_int> = Some(BILI_QR_OK);

fault_tests! {
    fault_412_is_http_naming_412: "412" => HTTP, HTTP, ["412"];
    fault_500_is_http: "500" => HTTP, HTTP, ["500"];
    fault_502_is_http: "502" => HTTP, HTTP, ["502"];
    fault_503_is_http: "503" => HTTP, HTTP, ["503"];
    fault_404_is_http: "404" => HTTP, HTTP, ["404"];
    fault_api_412_is_api: "api-412" => API, API, ["-412", "请求被拦截"];
    fault_api_352_is_api: "api-352" => API, API, ["-352", "风控校验失败"];
    fault_api_400_is_api: "api-400" => API, API, ["-400", "请求错误"];
    fault_api_799_is_api: "api-799" => API, API, ["-799", "请求过于频繁，请稍后再试"];
    fault_truncated_is_network: "truncated" => NET, NET, [];
    fault_reset_is_network: "reset" => NET, NET, [];
    fault_huge_is_protocol: "huge" => PROTO, PROTO, [];
    fault_huge_chunked_is_protocol: "huge-chunked" => PROTO, PROTO, [];
    fault_notjson_is_protocol: "notjson" => PROTO, PROTO, [];
    fault_empty_is_protocol: "empty" => PROTO, PROTO, [];
    // A string code is accepted (issue 13); the confirmed answer of `badtypes` has no cookies.
    fault_badtypes_is_protocol: "badtypes" => OK, PROTO, [];
    fault_missing_is_protocol: "missing" => PROTO, PROTO, [];
    fault_noticket_is_protocol: "noticket" => PROTO, None, [];
    fault_nocookies_is_protocol: "nocookies" => None, PROTO, ["SESSDATA"];
    fault_partialcookies_is_protocol: "partialcookies" => None, PROTO, ["bili_jct"];
    fault_redirect_is_followed: "redirect" => OK, OK, [];
    fault_redirect_loop_is_network: "redirect-loop" => NET, NET, ["redirect"];
    fault_redirect_foreign_is_network: "redirect-foreign" => NET, NET, [];
}

#[test]
fn the_api_message_is_carried_in_the_error() {
    let env = Env::new("id=apimsg,fault=api-412");
    let r = start(Some(&env.default_opts())).expect(BILI_QR_ERR_API);
    assert!(
        r.error.contains("-412") && r.error.contains("请求被拦截"),
        "{}",
        r.error
    );
}

#[test]
fn redirects_are_followed_up_to_5_and_not_to_plain_http_elsewhere() {
    let env = Env::new("id=redir,fault=redirect");
    start(Some(&env.default_opts())).expect(BILI_QR_OK);
    let paths: Vec<String> = env.log().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            format!("/s/id=redir,fault=redirect{URL_PATH}"),
            format!("/r/s/id=redir,fault=redirect{URL_PATH}")
        ]
    );
    let env = Env::new("id=loop,fault=redirect-loop");
    start(Some(&env.default_opts())).expect(BILI_QR_ERR_NETWORK);
    assert_eq!(
        env.log().len(),
        6,
        "the request and 5 redirects, then it gives up"
    );
    let env = Env::new("id=foreign,fault=redirect-foreign");
    start(Some(&env.default_opts())).expect(BILI_QR_ERR_NETWORK);
    assert_eq!(env.log().len(), 1, "http://example.com is never requested");
}

#[test]
fn a_slow_answer_past_timeout_ms_is_a_timeout() {
    // The server answers after 8000 ms; each call must end near timeout_ms 300 instead (the bounds are loose:
    // the machine may be busy; they only tell "ended by timeout_ms" from "waited for the answer").
    let env = Env::new("id=slow,fault=slow,delay=8000");
    let opts = env.opts(json!({"timeout_ms": 300}));
    let t = Instant::now();
    start(Some(&opts)).expect(BILI_QR_ERR_TIMEOUT);
    let took = t.elapsed();
    assert!(took < Duration::from_millis(5000), "start: {took:?}");
    let t = Instant::now();
    poll("slowticket01", Some(&opts)).expect(BILI_QR_ERR_TIMEOUT);
    let took = t.elapsed();
    assert!(took < Duration::from_millis(5000), "poll: {took:?}");
}

#[test]
fn a_closed_port_is_a_network_error() {
    let port = closed_port();
    let opts = json!({"base_url": format!("http://127.0.0.1:{port}/s/id=closed"), "poll_interval_ms": 100, "max_retries": 1})
        .to_string();
    start(Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    let r = poll("closedportticket", Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert_no_secret(&r.error, &["closedportticket".to_owned()]);
    let r = wait("closedportticket", Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert_no_secret(&r.error, &["closedportticket".to_owned()]);
}

#[test]
fn an_untrusted_tls_certificate_is_a_network_error() {
    let srv = bili_qr_fake_server::FakeServer::start_tls();
    assert!(srv.base_url().starts_with("https://"));
    let opts = json!({"base_url": srv.url("id=tls"), "timeout_ms": 5000}).to_string();
    let r = start(Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert!(
        r.error.to_lowercase().contains("certificate"),
        "{}",
        r.error
    );
    poll("tlsticket0001", Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert!(
        srv.log().is_empty(),
        "no request got through the refused handshake"
    );
}

#[test]
fn plain_http_is_allowed_for_every_loopback_host_only() {
    let port = closed_port();
    for host in [
        "127.0.0.2",
        "127.255.255.254",
        "[::1]",
        "localhost",
        "LOCALHOST",
    ] {
        let opts =
            json!({"base_url": format!("http://{host}:{port}/x"), "timeout_ms": 3000}).to_string();
        let r = start(Some(&opts));
        assert_eq!(
            r.status, BILI_QR_ERR_NETWORK,
            "{host}: loopback over http is allowed: {}",
            r.error
        );
    }
    for host in ["128.0.0.1", "10.1.2.3", "localhost.example.com", "[::2]"] {
        let opts = json!({"base_url": format!("http://{host}:{port}/x")}).to_string();
        start(Some(&opts)).expect_err(BILI_QR_ERR_ARGUMENT, &["base_url"]);
    }
}

// ---------------------------------------------------------------- wait

fn user_data(p: &Progress) -> *mut c_void {
    p as *const Progress as *mut c_void
}

#[test]
fn wait_confirms_and_reports_progress() {
    let env = Env::new("id=wait1,flow=wwsc");
    let ticket = env.new_ticket();
    let progress = Progress::default();
    let t0 = now_unix();
    let r = wait_with(
        &ticket,
        Some(&env.default_opts()),
        progress_fn(),
        user_data(&progress),
    )
    .expect(BILI_QR_OK);
    let t1 = now_unix();
    let v = r.json();
    assert_eq!(v["status"], "confirmed");
    let rec = env.fetches().pop().unwrap();
    let kept = kept(&rec.set_cookies, t1);
    for (obj, sc) in v["cookies"].as_array().unwrap().iter().zip(&kept) {
        assert_cookie_matches(obj, sc, t0, t1);
    }
    assert_eq!(v["cookies"].as_array().unwrap().len(), KEPT.len());
    let events = progress.events.lock().unwrap();
    let seen: Vec<(c_int, Value)> = events.iter().map(|(s, v, _)| (*s, v.clone())).collect();
    let w = json!({"status": "waiting", "code": 10018101, "message": "Not scanned"});
    let s = json!({"status": "scanned", "code": 10018102, "message": "Scanned, waiting for confirmation"});
    assert_eq!(
        seen,
        [
            (BILI_QR_WAITING, w.clone()),
            (BILI_QR_WAITING, w),
            (BILI_QR_SCANNED, s)
        ]
    );
    for (_, _, ud) in events.iter() {
        assert_eq!(
            *ud,
            user_data(&progress) as usize,
            "user_data passed through"
        );
    }
    assert_eq!(env.fetches().len(), 4);
}

#[test]
fn wait_without_a_callback_and_wait_to_expiry() {
    let env = Env::new("id=wait2,flow=wse");
    let v = wait("waitexpire01", Some(&env.default_opts()))
        .expect(BILI_QR_EXPIRED)
        .json();
    assert_eq!(
        v,
        json!({"status": "expired", "code": 10018100, "message": "QR code expired"})
    );
    assert_eq!(env.fetches().len(), 3);
}

#[test]
fn a_callback_returning_non_zero_cancels_the_wait() {
    let env = Env::new("id=wait3,flow=w");
    let progress = Progress {
        cancel_after: Some(2),
        ..Default::default()
    };
    let r = wait_with(
        "waitcb01",
        Some(&env.default_opts()),
        progress_fn(),
        user_data(&progress),
    )
    .expect(BILI_QR_ERR_CANCELLED);
    assert!(r.error.contains("callback"), "{}", r.error);
    assert_eq!(progress.events.lock().unwrap().len(), 2);
    assert_eq!(
        env.fetches().len(),
        2,
        "no poll after the callback said stop"
    );
}

/// `user_data` of [`on_waiting_thread`]: the thread that called `bili_qr_wait`, and what was seen.
struct ThreadCheck {
    waiter: Mutex<Option<thread::ThreadId>>,
    calls: Mutex<Vec<bool>>,
}

/// A progress callback that records whether it runs on the waiting thread, and returns -1 (any
/// non-zero value cancels) on its second call.
unsafe extern "C" fn on_waiting_thread(
    _status: c_int,
    _event: *const std::ffi::c_char,
    user_data: *mut c_void,
) -> c_int {
    let check = &*(user_data as *const ThreadCheck);
    let same = *check.waiter.lock().unwrap() == Some(thread::current().id());
    let mut calls = check.calls.lock().unwrap();
    calls.push(same);
    if calls.len() >= 2 {
        -1
    } else {
        0
    }
}

#[test]
fn progress_runs_on_the_waiting_thread_and_any_non_zero_return_cancels() {
    let env = Env::new("id=cbthread,flow=w");
    let check = ThreadCheck {
        waiter: Mutex::new(None),
        calls: Mutex::new(Vec::new()),
    };
    let opts = env.default_opts();
    thread::scope(|s| {
        s.spawn(|| {
            *check.waiter.lock().unwrap() = Some(thread::current().id());
            let ud = &check as *const ThreadCheck as *mut c_void;
            wait_with("cbthreadticket", Some(&opts), Some(on_waiting_thread), ud)
                .expect(BILI_QR_ERR_CANCELLED);
        });
    });
    assert_eq!(*check.calls.lock().unwrap(), [true, true]);
    assert_eq!(env.fetches().len(), 2);
}

/// Starts a wait on another thread; returns its handle once its first poll has answered (it then sleeps).
fn spawn_wait(
    env: &Env,
    ticket: &str,
    opts: &str,
    tx: mpsc::Sender<()>,
) -> thread::JoinHandle<(Outcome, Instant)> {
    let _ = env;
    let (ticket, opts) = (ticket.to_owned(), opts.to_owned());
    thread::spawn(move || {
        let progress = Progress {
            notify: Mutex::new(Some(tx)),
            ..Default::default()
        };
        let r = wait_with(&ticket, Some(&opts), progress_fn(), user_data(&progress));
        (r, Instant::now())
    })
}

#[test]
fn cancel_from_another_thread_ends_a_sleeping_wait_promptly() {
    let env = Env::new("id=cancel1,flow=w");
    let ticket = env.new_ticket();
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    let (tx, rx) = mpsc::channel();
    let h = spawn_wait(&env, &ticket, &opts, tx);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the first poll answered");
    thread::sleep(Duration::from_millis(150)); // now it sleeps for 60 s
    let asked = Instant::now();
    let r = cancel(&ticket);
    assert_eq!(r.status, 1, "one wait signalled");
    let (r, ended) = h.join().unwrap();
    r.expect(BILI_QR_ERR_CANCELLED);
    let took = ended.duration_since(asked);
    assert!(took < Duration::from_secs(10), "cancel took {took:?}");
    assert_eq!(env.fetches().len(), 1);
    // Nothing runs on the ticket any more.
    assert_eq!(cancel(&ticket).status, 0);
}

#[test]
fn cancel_signals_every_wait_on_the_ticket_and_zero_when_idle() {
    let env = Env::new("id=cancel2,flow=w");
    let ticket = env.new_ticket();
    assert_eq!(cancel(&ticket).status, 0, "idle ticket");
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    let (tx, rx) = mpsc::channel();
    // One wait on the bare ticket, one on its qr_url: the same ticket.
    let qr_url = format!("https://www.bilibili.tv/h5/en/qrcode/login?ticket={ticket}");
    let a = spawn_wait(&env, &ticket, &opts, tx.clone());
    let b = spawn_wait(&env, &qr_url, &opts, tx);
    for _ in 0..2 {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("both waits polled");
    }
    // A wait on another ticket is not touched.
    assert_eq!(cancel("someotherticket").status, 0);
    let asked = Instant::now();
    assert_eq!(
        cancel(&format!("https://example.org/?ticket={ticket}")).status,
        2
    );
    for h in [a, b] {
        let (r, ended) = h.join().unwrap();
        r.expect(BILI_QR_ERR_CANCELLED);
        assert!(ended.duration_since(asked) < Duration::from_secs(2));
    }
    assert_eq!(cancel(&ticket).status, 0);
}

#[test]
fn cancel_ends_a_wait_as_soon_as_its_request_in_flight_ends() {
    let env = Env::new("id=cancel3,fault=slow,delay=800,flow=w");
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    let h = thread::spawn(move || {
        let r = wait("inflightticket", Some(&opts));
        (r, Instant::now())
    });
    // The first request is in flight for 800 ms; the wait registers before it sends.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut n = 0;
    while n == 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        n = cancel("inflightticket").status;
    }
    let asked = Instant::now();
    assert_eq!(n, 1);
    let (r, ended) = h.join().unwrap();
    r.expect(BILI_QR_ERR_CANCELLED);
    assert!(
        ended.duration_since(asked) < Duration::from_secs(2),
        "not the 60 s poll interval: {:?}",
        ended.duration_since(asked)
    );
}

#[test]
fn wait_timeout_ms_also_bounds_a_request_in_flight() {
    let env = Env::new("id=waittimeout2,fault=slow,delay=9000,flow=w");
    let opts = env.opts(json!({"wait_timeout_ms": 1000, "timeout_ms": 10000}));
    let t = Instant::now();
    wait("c0ffee77aa02", Some(&opts)).expect(BILI_QR_ERR_TIMEOUT);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

#[test]
fn wait_times_out_after_wait_timeout_ms() {
    let env = Env::new("id=waittimeout,flow=w");
    let opts = env.opts(json!({"wait_timeout_ms": 1000}));
    let t = Instant::now();
    let r = wait("c0ffee77aa01", Some(&opts)).expect(BILI_QR_ERR_TIMEOUT);
    let took = t.elapsed();
    assert!(r.error.contains("wait_timeout_ms"), "{}", r.error);
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert!(env.fetches().len() >= 3, "it kept polling every 100 ms");
}

#[test]
fn wait_retries_transient_5xx_then_succeeds() {
    let env = Env::new("id=retry1,fault=503,times=2,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 3}));
    let v = wait("retryticket1", Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["status"], "confirmed");
    let st: Vec<u16> = env.fetches().iter().map(|r| r.status).collect();
    assert_eq!(st, [503, 503, 200]);
}

#[test]
fn wait_gives_up_after_max_retries_transient_failures() {
    let env = Env::new("id=retry2,fault=503,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 1}));
    let r = wait("retryticket2", Some(&opts)).expect(BILI_QR_ERR_HTTP);
    assert!(r.error.contains("503"), "{}", r.error);
    assert_eq!(env.fetches().len(), 2, "the request and exactly 1 retry");
    let env = Env::new("id=retry2b,fault=502,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 0}));
    wait("retryticket2", Some(&opts)).expect(BILI_QR_ERR_HTTP);
    assert_eq!(env.fetches().len(), 1, "max_retries 0: no retry");
}

#[test]
fn wait_backs_off_with_growing_pauses_between_retries() {
    // poll_interval_ms 100 and 3 retries: growing pauses take well over 3 x 100 ms.
    let env = Env::new("id=backoff,fault=500,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 3}));
    let t = Instant::now();
    wait("backoffticket", Some(&opts)).expect(BILI_QR_ERR_HTTP);
    let took = t.elapsed();
    assert_eq!(env.fetches().len(), 4);
    assert!(
        took >= Duration::from_millis(600),
        "pauses did not grow: {took:?}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn wait_timeout_ms_ends_a_retrying_wait() {
    let env = Env::new("id=retrydeadline,fault=503,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 100, "wait_timeout_ms": 1000}));
    let t = Instant::now();
    wait("retrydeadline1", Some(&opts)).expect(BILI_QR_ERR_TIMEOUT);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

#[test]
fn cancel_ends_a_wait_sleeping_in_backoff() {
    let env = Env::new("id=cancelbackoff,fault=503,on=fetch,flow=c");
    // The first retry pause is 2 x 30 s.
    let opts = env.opts(json!({"max_retries": 5, "poll_interval_ms": 30000}));
    let h = thread::spawn(move || {
        let r = wait("cancelbackoff1", Some(&opts));
        (r, Instant::now())
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while env.fetches().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    thread::sleep(Duration::from_millis(100));
    let asked = Instant::now();
    assert_eq!(cancel("cancelbackoff1").status, 1);
    let (r, ended) = h.join().unwrap();
    r.expect(BILI_QR_ERR_CANCELLED);
    assert!(ended.duration_since(asked) < Duration::from_secs(2));
    assert_eq!(env.fetches().len(), 1);
}

#[test]
fn wait_ends_at_once_on_4xx_api_and_protocol_errors() {
    for (fault, st) in [
        ("412", BILI_QR_ERR_HTTP),
        ("404", BILI_QR_ERR_HTTP),
        ("api-412", BILI_QR_ERR_API),
        ("api-799", BILI_QR_ERR_API),
        ("notjson", BILI_QR_ERR_PROTOCOL),
        ("partialcookies", BILI_QR_ERR_PROTOCOL),
    ] {
        let env = Env::new(&format!("id=once,fault={fault},on=fetch,flow=c"));
        let opts = env.opts(json!({"max_retries": 5}));
        let r = wait("onceticket01", Some(&opts));
        assert_eq!(r.status, st, "{fault}: {}", r.error);
        assert_eq!(env.fetches().len(), 1, "{fault}: ends after one request");
    }
}

#[test]
fn wait_retries_a_reset_connection() {
    let env = Env::new("id=retry3,fault=reset,times=1,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 2}));
    wait("retryticket3", Some(&opts)).expect(BILI_QR_OK);
    let st: Vec<u16> = env.fetches().iter().map(|r| r.status).collect();
    assert_eq!(st, [0, 200], "reset, then the retry");
}

#[test]
fn wait_retries_a_request_timeout() {
    // The slow request times out (timeout_ms 300) and is retried; the next poll answers waiting and
    // the callback stops the wait: a per-request timeout did not end it.
    let env = Env::new("id=retry4,fault=slow,delay=1500,times=1,on=fetch,flow=w");
    let opts = env.opts(json!({"timeout_ms": 300, "max_retries": 2}));
    let progress = Progress {
        cancel_after: Some(1),
        ..Default::default()
    };
    let t = Instant::now();
    wait_with(
        "retryticket4",
        Some(&opts),
        progress_fn(),
        user_data(&progress),
    )
    .expect(BILI_QR_ERR_CANCELLED);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(progress.events.lock().unwrap().len(), 1);
}

// ---------------------------------------------------------------- threads and connection reuse

#[test]
fn eight_threads_poll_at_once() {
    let env = Env::new("id=threads,flow=wsc");
    let opts = env.default_opts();
    let tickets: Vec<String> = (0..8).map(|_| env.new_ticket()).collect();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = tickets
        .iter()
        .map(|t| {
            let (t, opts, barrier) = (t.clone(), opts.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                let a = poll(&t, Some(&opts)).status;
                let b = poll(&t, Some(&opts)).status;
                let c = poll(&t, Some(&opts));
                (a, b, c)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let log = env.fetches();
    let mut sessions = Vec::new();
    for (ticket, (a, b, c)) in tickets.iter().zip(results) {
        assert_eq!((a, b), (BILI_QR_WAITING, BILI_QR_SCANNED));
        let v = c.expect(BILI_QR_OK).json();
        let rec = log
            .iter()
            .find(|r| r.query["ticket"] == *ticket && !r.set_cookies.is_empty())
            .expect("the confirming fetch of this ticket");
        let kept = kept(&rec.set_cookies, now_unix());
        let header: Vec<String> = kept
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        assert_eq!(
            v["cookie_header"],
            header.join("; "),
            "this ticket's own cookies"
        );
        sessions.push(v["cookie_header"].as_str().unwrap().to_owned());
    }
    sessions.sort();
    sessions.dedup();
    assert_eq!(sessions.len(), 8);
}

#[test]
fn one_thread_polling_reuses_one_connection() {
    let env = Env::new("id=reuse1,flow=w");
    let opts = env.default_opts();
    let ticket = env.new_ticket();
    for _ in 0..20 {
        poll(&ticket, Some(&opts)).expect(BILI_QR_WAITING);
    }
    assert_eq!(env.srv.requests(), 21);
    assert_eq!(
        env.srv.connections(),
        1,
        "start and 20 polls on one keep-alive connection"
    );
}

#[test]
fn a_wait_polls_over_one_connection() {
    let env = Env::new("id=reusewait,flow=wwwwsc");
    let ticket = env.new_ticket();
    wait(&ticket, Some(&env.default_opts())).expect(BILI_QR_OK);
    assert_eq!(env.srv.requests(), 8);
    assert_eq!(
        env.srv.connections(),
        1,
        "start, the wait's 6 polls and the sso step's sso/list on one connection"
    );
}

#[test]
fn eight_threads_polling_open_at_most_eight_connections() {
    let env = Env::new("id=reuse8,flow=w");
    let opts = env.default_opts();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (opts, barrier) = (opts.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..10 {
                    poll(&format!("reuse8ticket{i}"), Some(&opts)).expect(BILI_QR_WAITING);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(env.srv.requests(), 80);
    let conns = env.srv.connections();
    assert!(
        (1..=8).contains(&conns),
        "{conns} connections for 8 threads"
    );
}

// ---------------------------------------------------------------- hand-made answers

/// A tiny HTTP server answering every request with what `handler` returns for its request target
/// (`Connection: close`, one answer per connection). Records the targets it was asked for.
struct Canned {
    port: u16,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Canned {
    fn start(handler: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Canned {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let seen = hits.clone();
        let handler = Arc::new(handler);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (handler, seen) = (handler.clone(), seen.clone());
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let target = text.split_whitespace().nth(1).unwrap_or("").to_owned();
                    seen.lock().unwrap().push(target.clone());
                    let _ = stream.write_all(&handler(&target));
                });
            }
        });
        Canned { port, hits }
    }

    fn opts(&self, prefix: &str) -> String {
        json!({"base_url": format!("http://127.0.0.1:{}{prefix}", self.port), "timeout_ms": 5000, "poll_interval_ms": 100})
            .to_string()
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

fn answer(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        v.push_str(h);
        v.push_str("\r\n");
    }
    v.push_str("\r\n");
    let mut v = v.into_bytes();
    v.extend_from_slice(body);
    v
}

const CONFIRMED_BODY: &str = r#"{"code":0,"message":"0","ttl":1,"future":{"a":[1,2,3]},"data":{"mid":7,"is_new":true,"go_url":"","user_profile":{"is_userBlankProfile":true,"name":"N","face":"https://i0.hdslb.com/x.png","vip":1},"unknown":null}}"#;

#[test]
fn unknown_fields_are_ignored_and_any_2xx_is_accepted() {
    let srv = Canned::start(|target| {
        if target.contains("/qrcode/auth/url") {
            answer(
                "201 Created",
                &[],
                br#"{"code":0,"message":"0","ttl":1,"extra":{"x":[1,2]},"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?lang=en&ticket=abcDEF123-_.~&x=1","qr_type":"qrcode_login","new_field":true}}"#,
            )
        } else {
            answer(
                "200 OK",
                &[
                    "Set-Cookie: SESSDATA=s1",
                    "Set-Cookie: bili_jct=j1",
                    "Set-Cookie: DedeUserID=7",
                ],
                CONFIRMED_BODY.as_bytes(),
            )
        }
    });
    let opts = srv.opts("");
    let v = start(Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["ticket"], "abcDEF123-_.~");
    let v = poll("abcDEF123-_.~", Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["mid"], 7);
    assert_eq!(v["is_new"], true);
    assert_eq!(
        v["user_profile"],
        json!({"is_userBlankProfile": true, "name": "N", "face": "https://i0.hdslb.com/x.png"})
    );
    assert_eq!(v["cookie_header"], "SESSDATA=s1; bili_jct=j1; DedeUserID=7");
    // The raw request target: the query carries s_locale, platform and the ticket (whose characters are
    // all unreserved, so percent-encoding leaves them as they are).
    let hits = srv.hits();
    assert!(
        hits[0].starts_with("/x/intl/passport-login/qrcode/auth/url?"),
        "{hits:?}"
    );
    assert!(
        hits[1].starts_with("/x/intl/passport-login/qrcode/auth/fetch?"),
        "{hits:?}"
    );
    let query: Vec<&str> = hits[1].split_once('?').unwrap().1.split('&').collect();
    let mut sorted = query.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["platform=web", "s_locale=en_US", "ticket=abcDEF123-_.~"]
    );
}

#[test]
fn cookie_rules_on_hand_made_headers() {
    let srv = Canned::start(|_| {
        answer(
            "200 OK",
            &[
                "Set-Cookie: SESSDATA=first; Path=/",
                "set-cookie: bili_jct=j1; Domain=.www.bilibili.tv; Max-Age=100; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
                "SET-COOKIE: DedeUserID=7; Domain=127.0.0.1",
                "Set-Cookie: tmp=gone; Path=/",
                "sEt-CoOkIe: tmp=; Max-Age=0",
                "Set-Cookie: SESSDATA=second%2Cx; Path=/x; Secure",
                "Set-Cookie: evil1=a; Domain=notbilibili.tv",
                "Set-Cookie: evil2=b; Domain=bilibili.tv.evil.com",
                "Set-Cookie: evil3=c; Domain=biliintl.com.evil",
                "Set-Cookie: keep2=d; Domain=m.biliintl.com; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
                "Set-Cookie: quoted=\"q v\"",
            ],
            CONFIRMED_BODY.as_bytes(),
        )
    });
    let t0 = now_unix();
    let v = poll("handmade1234", Some(&srv.opts("")))
        .expect(BILI_QR_OK)
        .json();
    let t1 = now_unix();
    let cookies = v["cookies"].as_array().unwrap();
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // SESSDATA once, with the later value; the others in the order received.
    assert_eq!(
        names.iter().filter(|n| **n == "SESSDATA").count(),
        1,
        "{names:?}"
    );
    let others: Vec<&str> = names.iter().copied().filter(|n| *n != "SESSDATA").collect();
    assert_eq!(others, ["bili_jct", "DedeUserID", "keep2", "quoted"]);
    let by = |n: &str| cookies.iter().find(|c| c["name"] == n).unwrap().clone();
    let sess = by("SESSDATA");
    assert_eq!(sess["value"], "second%2Cx");
    assert_eq!(sess["path"], "/x");
    assert_eq!(sess["secure"], true);
    let jct = by("bili_jct");
    assert_eq!(jct["domain"], "www.bilibili.tv");
    let e = jct["expires"].as_i64().unwrap();
    assert!(
        (t0 + 99..=t1 + 101).contains(&e),
        "Max-Age wins over Expires: {e}"
    );
    assert_eq!(by("DedeUserID")["domain"], "127.0.0.1", "the base_url host");
    assert_eq!(by("keep2")["expires"], 2114380800);
    assert_eq!(
        by("quoted")["value"],
        "\"q v\"",
        "values stay exactly as sent"
    );
    let header: Vec<String> = cookies
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["name"].as_str().unwrap(),
                c["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(v["cookie_header"], header.join("; "));
}

#[test]
fn a_body_of_exactly_1_mib_is_read_and_one_byte_more_is_protocol() {
    fn padded(len: usize) -> Vec<u8> {
        let json = br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=mib0123456789","qr_type":"qrcode_login"}}"#;
        let mut v = json.to_vec();
        v.resize(len, b' ');
        v
    }
    let srv = Canned::start(|target| {
        if target.starts_with("/exact/") {
            answer("200 OK", &[], &padded(1 << 20))
        } else {
            answer("200 OK", &[], &padded((1 << 20) + 1))
        }
    });
    let v = start(Some(&srv.opts("/exact"))).expect(BILI_QR_OK).json();
    assert_eq!(v["ticket"], "mib0123456789");
    start(Some(&srv.opts("/over"))).expect(BILI_QR_ERR_PROTOCOL);
}

#[test]
fn exactly_5_redirects_are_followed_and_a_sixth_is_not() {
    const QR: &str = r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=hops012345","qr_type":"qrcode_login"}}"#;
    let srv = Canned::start(|target| {
        // /{n}/x/intl/.../url -> /hop/{n}/1 -> ... -> /hop/{n}/{n} -> 200: n redirects.
        let parts: Vec<&str> = target.split('/').collect();
        if parts.get(1) == Some(&"hop") {
            let n: u32 = parts[2].parse().unwrap();
            let k: u32 = parts[3].parse().unwrap();
            if k < n {
                let loc = format!("Location: /hop/{n}/{}", k + 1);
                answer("302 Found", &[&loc], b"")
            } else {
                answer("200 OK", &[], QR.as_bytes())
            }
        } else {
            let loc = format!("Location: /hop/{}/1", parts[1]);
            answer("302 Found", &[&loc], b"")
        }
    });
    let v = start(Some(&srv.opts("/5"))).expect(BILI_QR_OK).json();
    assert_eq!(v["ticket"], "hops012345");
    assert_eq!(srv.hits().len(), 6, "the request and 5 redirects");
    start(Some(&srv.opts("/6"))).expect(BILI_QR_ERR_NETWORK);
    assert_eq!(
        srv.hits().len(),
        12,
        "the request and 5 redirects, not a 6th"
    );
}

#[test]
fn missing_or_mistyped_documented_fields_are_protocol_errors() {
    let bodies: Vec<(&str, &str)> = vec![
        ("fetch", r#"{"code":10018101,"ttl":1,"data":null}"#),
        (
            "fetch",
            r#"{"code":10018101,"message":5,"ttl":1,"data":null}"#,
        ),
        ("fetch", r#"{"message":"0","ttl":1,"data":null}"#),
        ("fetch", r#"{"code":0.5,"message":"0","ttl":1,"data":null}"#),
        // Confirmed answers with odd data but the three cookies are logins now (tests/fidelity.rs).
        ("fetch", r#"[1,2,3]"#),
        (
            "url",
            r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":5,"qr_type":"qrcode_login"}}"#,
        ),
        (
            "url",
            r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=bad%20one","qr_type":"qrcode_login"}}"#,
        ),
        (
            "url",
            r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=ok123456"}}"#,
        ),
        ("url", r#"{"code":0,"message":"0","ttl":1}"#),
    ];
    let bodies = Arc::new(bodies);
    let b2 = bodies.clone();
    let srv = Canned::start(move |target| {
        // /{index}/x/intl/...
        let i: usize = target.split('/').nth(1).unwrap().parse().unwrap();
        answer(
            "200 OK",
            &[
                "Set-Cookie: SESSDATA=s1",
                "Set-Cookie: bili_jct=j1",
                "Set-Cookie: DedeUserID=7",
            ],
            b2[i].1.as_bytes(),
        )
    });
    for (i, (endpoint, body)) in bodies.iter().enumerate() {
        let opts = srv.opts(&format!("/{i}"));
        let r = if *endpoint == "fetch" {
            poll("mistyped0001", Some(&opts))
        } else {
            start(Some(&opts))
        };
        assert_eq!(r.status, BILI_QR_ERR_PROTOCOL, "{body}: {}", r.error);
    }
}

/// A confirmed answer whose go_url is `/g/0` on the same server: `/g/k` sets `hk=v{k}` and redirects to
/// `/g/{k+1}` up to `/g/{last}`, which answers 200. `extra` headers go on `/g/1`.
fn go_url_server(last: u32, extra: &'static [&'static str]) -> Canned {
    let port = Arc::new(std::sync::OnceLock::<u16>::new());
    let p2 = port.clone();
    let srv = Canned::start(move |target| {
        let port = *p2.get().unwrap();
        if target.contains("/qrcode/auth/fetch") {
            let body = format!(
                r#"{{"code":0,"message":"0","ttl":1,"data":{{"mid":7,"is_new":false,"go_url":"http://127.0.0.1:{port}/g/0","user_profile":{{"is_userBlankProfile":false,"name":"","face":""}}}}}}"#
            );
            return answer(
                "200 OK",
                &[
                    "Set-Cookie: SESSDATA=s1",
                    "Set-Cookie: bili_jct=j1",
                    "Set-Cookie: DedeUserID=7",
                ],
                body.as_bytes(),
            );
        }
        let k: u32 = target.trim_start_matches("/g/").parse().unwrap();
        let cookie = format!("Set-Cookie: h{k}=v{k}; Path=/");
        let mut headers = vec![cookie];
        if k == 1 {
            headers.extend(extra.iter().map(|s| s.to_string()));
        }
        if k < last {
            headers.push(format!("Location: /g/{}", k + 1));
        }
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        answer(
            if k < last { "302 Found" } else { "200 OK" },
            &refs,
            b"<html></html>",
        )
    });
    port.set(srv.port).unwrap();
    srv
}

#[test]
fn go_url_hops_are_followed_up_to_5_redirects() {
    let srv = go_url_server(7, &[]);
    let v = poll("gohops000001", Some(&srv.opts("")))
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(
        v["cookie_header"],
        "SESSDATA=s1; bili_jct=j1; DedeUserID=7; h0=v0; h1=v1; h2=v2; h3=v3; h4=v4; h5=v5"
    );
    let hops: Vec<String> = srv
        .hits()
        .into_iter()
        .filter(|t| t.starts_with("/g/"))
        .collect();
    assert_eq!(hops, ["/g/0", "/g/1", "/g/2", "/g/3", "/g/4", "/g/5"]);
}

#[test]
fn go_url_hops_can_replace_delete_and_not_add_foreign_cookies() {
    static EXTRA: [&str; 3] = [
        "Set-Cookie: bili_jct=j2; Domain=bilibili.tv",
        "Set-Cookie: h0=; Max-Age=0",
        "Set-Cookie: far=1; Domain=example.com",
    ];
    let srv = go_url_server(2, &EXTRA);
    let v = poll("gohops000002", Some(&srv.opts("")))
        .expect(BILI_QR_OK)
        .json();
    let cookies = v["cookies"].as_array().unwrap();
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    // A cookie is replaced by one of the same name and domain: bili_jct for bilibili.tv is another cookie
    // than the host-only one (version 2, docs/COOKIES.md), and the Cookie header carries the later value.
    assert_eq!(
        sorted,
        ["DedeUserID", "SESSDATA", "bili_jct", "bili_jct", "h1", "h2"],
        "{names:?}"
    );
    let jct = cookies
        .iter()
        .find(|c| c["name"] == "bili_jct" && c["domain"] == "bilibili.tv")
        .unwrap();
    assert_eq!(jct["value"], "j2");
    assert!(
        v["cookie_header"].as_str().unwrap().contains("bili_jct=j2")
            && !v["cookie_header"].as_str().unwrap().contains("bili_jct=j1"),
        "{}",
        v["cookie_header"]
    );
    // A hop that deletes a required cookie leaves a login that cannot be used.
    static DELETE: [&str; 1] = ["Set-Cookie: SESSDATA=; Expires=Thu, 01 Jan 1970 00:00:01 GMT"];
    let srv = go_url_server(2, &DELETE);
    poll("gohops000003", Some(&srv.opts(""))).expect_err(BILI_QR_ERR_PROTOCOL, &["SESSDATA"]);
}

/// A progress callback that cancels its own wait through `bili_qr_cancel` (user_data: the ticket as a
/// C string) and returns 0; records what cancel returned.
unsafe extern "C" fn cancel_own_wait(
    _status: c_int,
    _event: *const std::ffi::c_char,
    user_data: *mut c_void,
) -> c_int {
    let n = bili_qr_cancel(user_data as *const std::ffi::c_char);
    CANCEL_FROM_CALLBACK.store(n, std::sync::atomic::Ordering::SeqCst);
    0
}

static CANCEL_FROM_CALLBACK: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-100);

#[test]
fn cancel_from_inside_the_progress_callback_ends_the_wait() {
    let env = Env::new("id=cbcancel,flow=w");
    let ticket = c("cbcancelticket");
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    let t = Instant::now();
    wait_with(
        "cbcancelticket",
        Some(&opts),
        Some(cancel_own_wait),
        ticket.as_ptr() as *mut c_void,
    )
    .expect(BILI_QR_ERR_CANCELLED);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "no 60 s sleep, no deadlock"
    );
    assert_eq!(
        CANCEL_FROM_CALLBACK.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(env.fetches().len(), 1);
}
