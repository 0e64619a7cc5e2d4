//! Server faults (HTTP statuses, API codes, bad bodies, redirects, timeouts, TLS) through start and poll.

use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::URL_PATH;
use serde_json::{json, Value};
use service::KEPT;
use std::ffi::c_int;
use std::time::Duration;

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
    // A string code is accepted; the confirmed answer of `badtypes` has no cookies.
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
    // The server answers after 30 s; each call must end near timeout_ms 300 instead. The 10 s bound is far
    // from both: it tells "ended by timeout_ms" from "waited for the answer" however busy the machine.
    let env = Env::new("id=slow,fault=slow,delay=30000");
    let opts = env.opts(json!({"timeout_ms": 300}));
    let (_, took) = timed(|| start(Some(&opts)).expect(BILI_QR_ERR_TIMEOUT));
    assert!(took < Duration::from_secs(10), "start: {took:?}");
    let (_, took) = timed(|| poll("slowticket01", Some(&opts)).expect(BILI_QR_ERR_TIMEOUT));
    assert!(took < Duration::from_secs(10), "poll: {took:?}");
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
