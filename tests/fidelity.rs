//! Issue 13 and 14 (the login side): a login the service confirmed is never lost to an odd but usable
//! answer, and hostile answers are refused. Each shape is served by a small canned HTTP server (the exact
//! bytes under test) and, where the fake server has the shape, by `bili-qr-fake-server` too.

use bili_qr::{ErrorKind, Options, PollStatus};
use bili_qr_fake_server::FakeServer;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One request as the canned server saw it: the target and its `Cookie` header (if any).
#[derive(Debug, Clone)]
struct Hit {
    target: String,
    cookie: Option<String>,
    at: Instant,
}

/// A server that answers every request with `handler(target)`, one connection per request.
struct Canned {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Canned {
    fn start(handler: impl Fn(&str, u16) -> Vec<u8> + Send + Sync + 'static) -> Canned {
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
                    let cookie = text.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("cookie")
                            .then(|| v.trim().to_owned())
                    });
                    seen.lock().unwrap().push(Hit {
                        target: target.clone(),
                        cookie,
                        at: Instant::now(),
                    });
                    let _ = stream.write_all(&handler(&target, port));
                });
            }
        });
        Canned { port, hits }
    }

    fn options(&self) -> Options {
        Options::from_json(Some(
            &json!({"base_url": format!("http://127.0.0.1:{}", self.port), "timeout_ms": 5000,
                    "poll_interval_ms": 100, "proxy": ""})
            .to_string(),
        ))
        .unwrap()
    }

    fn options_with(&self, extra: Value) -> Options {
        let mut o = json!({"base_url": format!("http://127.0.0.1:{}", self.port), "timeout_ms": 5000,
                           "poll_interval_ms": 100, "proxy": ""});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        Options::from_json(Some(&o.to_string())).unwrap()
    }

    fn hits(&self) -> Vec<Hit> {
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

const THREE: [&str; 3] = [
    "Set-Cookie: SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv",
    "Set-Cookie: bili_jct=0123456789abcdef0123456789abcdef; Path=/; Domain=bilibili.tv",
    "Set-Cookie: DedeUserID=7; Path=/; Domain=bilibili.tv",
];

const NO_SSO: &[u8] = br#"{"code":0,"message":"0","ttl":1,"data":{"sso":[]}}"#;

/// A server whose fetch answers `body` with `headers`, sso/list an empty list, and 404 JSON on any other
/// path.
fn fetch_server(body: &'static str, headers: &'static [&'static str]) -> Canned {
    Canned::start(move |target, _| {
        if target.contains("/web/sso/list") {
            answer("200 OK", &[], NO_SSO)
        } else if target.contains("/qrcode/auth/fetch") {
            answer("200 OK", headers, body.as_bytes())
        } else {
            answer(
                "404 Not Found",
                &[],
                br#"{"code":-404,"message":"nothing here"}"#,
            )
        }
    })
}

fn json_of(r: &bili_qr::PollResult) -> Value {
    serde_json::from_str(&r.to_json()).unwrap()
}

/// Issue 13 item 1: sparse, null, empty or absent `data`, with the three cookies → a login, with nulls and
/// warnings; mid from data.mid (integer or numeric string) else DedeUserID.
#[test]
fn confirmed_answers_with_odd_data_are_logins() {
    let cases: [(&'static str, Value, usize); 7] = [
        (
            r#"{"code":0,"message":"0","ttl":1,"data":{"mid":7}}"#,
            json!(7),
            3,
        ),
        (
            r#"{"code":0,"message":"0","ttl":1,"data":{"mid":null,"is_new":null,"go_url":null,"user_profile":null}}"#,
            json!(7),
            4,
        ),
        (r#"{"code":0,"message":"0","ttl":1,"data":{}}"#, json!(7), 4),
        (
            r#"{"code":0,"message":"0","ttl":1,"data":null}"#,
            json!(7),
            1,
        ),
        (r#"{"code":0,"message":"0","ttl":1}"#, json!(7), 1),
        (
            r#"{"code":"0","message":"0","ttl":"1","data":{"mid":"7","is_new":"no","go_url":"","user_profile":{"is_userBlankProfile":false,"name":"","face":""}}}"#,
            json!(7),
            1,
        ),
        (
            r#"{"code":0,"data":{"mid":7,"is_new":false,"go_url":"","user_profile":{"is_userBlankProfile":false,"name":"A","face":""}}}"#,
            json!(7),
            1,
        ),
    ];
    for (body, mid, n_warnings) in cases {
        let srv = fetch_server(body, &THREE);
        let r =
            bili_qr::poll("oddshape0001", &srv.options()).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(r.status, PollStatus::Confirmed);
        let v = json_of(&r);
        assert_eq!(v["mid"], mid, "{body}");
        for key in ["is_new", "go_url", "user_profile"] {
            assert!(v.get(key).is_some(), "{body}: the poll object keeps {key}");
        }
        let warnings = v["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), n_warnings, "{body}: {warnings:?}");
        assert_eq!(v["host"], "127.0.0.1");
        assert!(v["cookie_header"]
            .as_str()
            .unwrap()
            .starts_with("SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; bili_jct="));
        for w in warnings {
            let w = w.as_str().unwrap();
            assert!(
                !w.contains("5e55dafa") && !w.contains("0123456789abcdef"),
                "{w}"
            );
        }
    }
    // The null fields are JSON null, not absent.
    let srv = fetch_server(r#"{"code":0,"message":"0","data":{}}"#, &THREE);
    let v = json_of(&bili_qr::poll("oddshape0002", &srv.options()).unwrap());
    assert_eq!(v["is_new"], Value::Null);
    assert_eq!(v["go_url"], Value::Null);
    assert_eq!(v["user_profile"], Value::Null);
    // Without the three cookies, still an error that names what is missing and what was tried.
    let srv = fetch_server(r#"{"code":0,"message":"0","data":{"mid":7}}"#, &THREE[..1]);
    let e = bili_qr::poll("oddshape0003", &srv.options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(
        e.message().contains("bili_jct, DedeUserID")
            && e.message().contains("tried: the fetch answer's Set-Cookie"),
        "{}",
        e.message()
    );
}

/// Issue 13 item 2: a proxy folded the Set-Cookie lines into one (Expires has its own comma).
#[test]
fn folded_set_cookie_lines_give_all_three_cookies() {
    static FOLDED: [&str; 1] = ["Set-Cookie: SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv; Expires=Sun, 23 May 2027 10:00:00 GMT; HttpOnly; Secure, bili_jct=0123456789abcdef0123456789abcdef; Path=/; Domain=.bilibili.tv; Expires=Sun, 23 May 2027 10:00:00 GMT; Secure, DedeUserID=1709658507; Path=/; Domain=bilibili.tv; Max-Age=15552000; Secure"];
    let srv = fetch_server(
        r#"{"code":0,"message":"0","data":{"mid":1709658507}}"#,
        &FOLDED,
    );
    let r = bili_qr::poll("folded000001", &srv.options()).unwrap();
    let login = r.login.unwrap();
    let names: Vec<_> = login.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["SESSDATA", "bili_jct", "DedeUserID"]);
    assert_eq!(login.cookies[0].expires, Some(1_811_066_400));
    assert!(login.cookies[0].http_only && login.cookies[0].secure);
}

/// Issue 13 item 2: credentials in go_url's query, the page itself gone (404): a login, the values exactly
/// as in the URL, and a warning for nothing (a 404 at the end of go_url is a normal end).
#[test]
fn credentials_in_go_url_query_are_taken_as_they_stand() {
    let srv = Canned::start(|target, port| {
        if target.contains("/qrcode/auth/fetch") {
            let body = format!(
                r#"{{"code":0,"message":"0","data":{{"mid":1709658507,"is_new":false,"go_url":"http://127.0.0.1:{port}/crossDomain?DedeUserID=1709658507&DedeUserID__ckMd5=a1b2c3d4e5f60718&Expires=15551000&SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51&bili_jct=0123456789abcdef0123456789abcdef&gourl=https%3A%2F%2Fwww.bilibili.tv%2F","user_profile":{{"is_userBlankProfile":false,"name":"","face":""}}}}}}"#
            );
            answer("200 OK", &[], body.as_bytes())
        } else if target.contains("/web/sso/list") {
            answer("200 OK", &[], NO_SSO)
        } else {
            answer("404 Not Found", &[], b"<html>gone</html>")
        }
    });
    let t0 = unix_now();
    let r = bili_qr::poll("querycred001", &srv.options()).unwrap();
    let login = r.login.unwrap();
    let get = |n: &str| login.cookies.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!(get("SESSDATA").value, "5e55dafa%2C1811061062%2C5e7d1%2A51");
    assert_eq!(get("bili_jct").value, "0123456789abcdef0123456789abcdef");
    assert_eq!(get("DedeUserID").value, "1709658507");
    assert_eq!(get("DedeUserID__ckMd5").value, "a1b2c3d4e5f60718");
    assert_eq!(
        get("SESSDATA").domain,
        None,
        "host-only: the base_url host set them"
    );
    let e = get("SESSDATA").expires.unwrap();
    assert!((t0 + 15_551_000..=t0 + 15_551_010).contains(&e), "{e}");
    assert!(!login.cookie_header.contains("gourl"));
    assert!(srv
        .hits()
        .iter()
        .any(|h| h.target.starts_with("/crossDomain?")));
}

/// Issue 13 item 2 and issue 14 item 6: cookie_info's domains are all read, foreign ones dropped (never
/// relabelled host-only), with a warning naming the domain.
#[test]
fn cookie_info_domains_are_all_read_and_foreign_ones_dropped() {
    static SESS: [&str; 1] = [THREE[0]];
    let info = |domains: &str| {
        format!(
            r#"{{"code":0,"message":"0","data":{{"mid":7,"is_new":false,"go_url":"","user_profile":null,"cookie_info":{{"cookies":[{{"name":"bili_jct","value":"0123456789abcdef0123456789abcdef","http_only":0,"expires":2000000000,"secure":0}},{{"name":"DedeUserID","value":"7","http_only":0,"expires":2000000000,"secure":0}}],"domains":{domains}}}}}}}"#
        )
    };
    let foreign: &'static str = Box::leak(info(r#"[".evil.example"]"#).into_boxed_str());
    let srv = fetch_server(foreign, &SESS);
    let e = bili_qr::poll("cinfo0000001", &srv.options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(
        e.message().contains("evil.example") && e.message().contains("bili_jct"),
        "{}",
        e.message()
    );

    let mixed: &'static str =
        Box::leak(info(r#"[".evil.example", ".bilibili.tv", ".biliintl.com"]"#).into_boxed_str());
    let srv = fetch_server(mixed, &SESS);
    let login = bili_qr::poll("cinfo0000002", &srv.options())
        .unwrap()
        .login
        .unwrap();
    let jct: Vec<_> = login
        .cookies
        .iter()
        .filter(|c| c.name == "bili_jct")
        .map(|c| c.domain.clone())
        .collect();
    assert_eq!(
        jct,
        [Some("bilibili.tv".into()), Some("biliintl.com".into())]
    );
    assert!(
        login.cookies.iter().all(|c| c.domain.is_some()),
        "none relabelled host-only"
    );
    assert!(
        login.warnings.iter().any(|w| w.contains("evil.example")),
        "{:?}",
        login.warnings
    );
    assert_eq!(
        login.cookie_header.matches("bili_jct=").count(),
        1,
        "one value per name in cookie_header"
    );
}

/// Issue 14 item 5 and the cookie-octet decision: hostile domains and values never reach the poll object.
#[test]
fn hostile_cookie_domains_names_and_values_are_dropped() {
    static HOSTILE: [&str; 7] = [
        THREE[0],
        THREE[1],
        THREE[2],
        "Set-Cookie: evil1=1; Path=/; Domain=evil.example/.bilibili.tv",
        "Set-Cookie: evil2=1; Path=/; Domain=evil.example .bilibili.tv",
        "Set-Cookie: evil3=1; Path=/; Domain=*.bilibili.tv",
        "Set-Cookie: evil4=1; Path=/; Domain=evil.example:1.bilibili.tv",
    ];
    let body = r#"{"code":0,"message":"0","data":{"mid":7,"cookie_info":{"cookies":[{"name":"evil\r\nX-Injected: 1","value":"1"},{"name":"evil6","value":"a\r\nSet-Cookie: x=1"},{"name":"ev\u0000il7","value":"1"},{"name":"evil8","value":"a; Domain=evil.example"},{"name":"evil9;","value":"1"},{"name":"evil10","value":"nul\u0000"}],"domains":[".bilibili.tv"]}}}"#;
    let srv = fetch_server(body, &HOSTILE);
    let login = bili_qr::poll("hostile00001", &srv.options())
        .unwrap()
        .login
        .unwrap();
    let names: Vec<_> = login.cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["SESSDATA", "bili_jct", "DedeUserID"]);
    assert!(!login.cookie_header.contains("evil") && !login.cookie_header.contains('\n'));
    let w = login.warnings.join(" | ");
    assert!(
        w.contains("4 cookies dropped: a Domain that is not a host name"),
        "{w}"
    );
    assert!(
        w.contains("dropped: a name that is not an RFC 6265 token"),
        "{w}"
    );
    assert!(
        w.contains("dropped: a value with characters a Cookie header cannot carry"),
        "{w}"
    );
}

/// Issue 14 decision: qr_url must be https on the service's domains.
#[test]
fn a_hostile_qr_url_is_a_protocol_error() {
    for qr in [
        "javascript:alert(1)//?ticket=4478b3e64d05ce26638f4d715ebe0a91",
        "https://evil.example/phish?ticket=4478b3e64d05ce26638f4d715ebe0a91",
    ] {
        let body: &'static str = Box::leak(
            format!(r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"{qr}","qr_type":"qrcode_login"}}}}"#)
                .into_boxed_str(),
        );
        let srv = Canned::start(move |_, _| answer("200 OK", &[], body.as_bytes()));
        let e = bili_qr::start(&srv.options()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{qr}");
        assert!(!e.message().contains("4478b3e64d"), "{}", e.message());
    }
}

/// Issue 13 item 4: a captcha demand is ERR_API saying so, for poll and for wait (not retried).
#[test]
fn a_captcha_demand_ends_at_once_with_advice() {
    let srv = fetch_server(
        r#"{"code":-401,"message":"非法访问","ttl":1,"data":{"ga_data":{"decisions":["verify_captcha_level2"],"risk_level":2},"v_voucher":"voucher_5e55dafa"}}"#,
        &[],
    );
    let e = bili_qr::poll("c4e7a0d10001", &srv.options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(
        e.message().contains("captcha") && e.message().contains("browser"),
        "{}",
        e.message()
    );
    assert!(!e.message().contains("voucher_"));
    let t = Instant::now();
    let e = bili_qr::wait("c4e7a0d10001", &srv.options(), &mut |_| true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(t.elapsed() < Duration::from_secs(3));
}

/// Issue 14 decision: 30,000 cookie_info entries merge in linear time (1.7 s before, release).
#[test]
fn thirty_thousand_cookie_info_entries_are_fast() {
    let mut entries = String::new();
    for i in 0..30_000 {
        if i > 0 {
            entries.push(',');
        }
        entries.push_str(&format!(r#"{{"name":"c{i}","value":"1"}}"#));
    }
    let body: &'static str = Box::leak(
        format!(r#"{{"code":0,"message":"0","data":{{"mid":7,"cookie_info":{{"cookies":[{entries}],"domains":[".bilibili.tv"]}}}}}}"#)
            .into_boxed_str(),
    );
    let srv = fetch_server(body, &THREE);
    let t = Instant::now();
    let login = bili_qr::poll("many00000001", &srv.options())
        .unwrap()
        .login
        .unwrap();
    let took = t.elapsed();
    assert_eq!(login.cookies.len(), 30_003);
    // Generous: a debug build on a busy machine; the quadratic merge took over 20 s in debug.
    assert!(took < Duration::from_secs(5), "{took:?}");
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The fake server's documented confirmed answer is a login whose one warning is its foreign cookie.
#[test]
fn the_fake_servers_documented_login_warns_only_of_its_foreign_cookie() {
    let srv = FakeServer::start();
    let o = Options::from_json(Some(
        &json!({"base_url": srv.url("id=fid-plain,flow=c"), "proxy": ""}).to_string(),
    ))
    .unwrap();
    let qr = bili_qr::start(&o).unwrap();
    let login = bili_qr::poll(&qr.ticket, &o).unwrap().login.unwrap();
    assert_eq!(
        login.warnings,
        ["Set-Cookie: cookies for the untrusted domain evil.example.com were dropped"]
    );
    assert_eq!(login.mid, Some(1709658507));
}

const PLAIN: &str = r#"{"code":0,"message":"0","ttl":1,"data":{"mid":7,"is_new":false,"go_url":"","user_profile":{"is_userBlankProfile":false,"name":"N","face":""}}}"#;

/// Issue 13 item 2: the sso step asks sso/list with the new cookies, follows each trusted data.sso[] URL
/// (with the cookies for its host) and merges its cookies; a foreign URL is never requested and is named.
#[test]
fn the_sso_step_collects_the_other_domains_cookies() {
    let srv = Canned::start(|target, port| {
        if target.contains("/web/sso/list") {
            let body = format!(
                r#"{{"code":0,"message":"0","data":{{"sso":["http://127.0.0.1:{port}/sso/set","https://evil.example.com/sso/set"]}}}}"#
            );
            answer("200 OK", &[], body.as_bytes())
        } else if target.starts_with("/sso/set") {
            answer(
                "200 OK",
                &[
                    "Set-Cookie: SESSDATA=intl%2C1; Path=/; Domain=biliintl.com",
                    "Set-Cookie: intl_only=1; Domain=.biliintl.com",
                ],
                b"<html></html>",
            )
        } else {
            answer("200 OK", &THREE, PLAIN.as_bytes())
        }
    });
    let login = bili_qr::poll("ssostep00001", &srv.options())
        .unwrap()
        .login
        .unwrap();
    let hits = srv.hits();
    let targets: Vec<&str> = hits.iter().map(|h| h.target.as_str()).collect();
    assert_eq!(targets.len(), 3, "{targets:?}");
    assert!(
        targets[1].starts_with("/x/intl/passport-login/web/sso/list?s_locale=en_US&platform=web")
    );
    assert_eq!(targets[2], "/sso/set");
    for h in &hits[1..] {
        let sent = h.cookie.as_deref().unwrap_or("");
        assert!(
            sent.starts_with("SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; bili_jct="),
            "{sent}"
        );
    }
    let intl: Vec<_> = login
        .cookies
        .iter()
        .filter(|c| c.domain.as_deref() == Some("biliintl.com"))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(intl, ["SESSDATA", "intl_only"]);
    // The Cookie header keeps the bilibili.tv value of SESSDATA.
    assert!(login
        .cookie_header
        .starts_with("SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; "));
    assert!(
        login
            .warnings
            .iter()
            .any(|w| w.contains("evil.example.com") && w.contains("not requested")),
        "{:?}",
        login.warnings
    );
}

/// Issue 13 item 2: optional steps that fail never lose a login with the three cookies; without them, the
/// error names what was tried and the refused hosts.
#[test]
fn failing_optional_steps_are_warnings_or_a_precise_error() {
    // sso/list fails (HTTP 500); go_url hop sets bili_jct and DedeUserID, then its next hop is foreign.
    static SESS: [&str; 1] = [THREE[0]];
    let srv = Canned::start(|target, port| {
        if target.contains("/web/sso/list") {
            answer("500 Internal Server Error", &[], b"<html></html>")
        } else if target.starts_with("/hop1") {
            answer(
                "302 Found",
                &[
                    THREE[1],
                    THREE[2],
                    "Location: https://evil.example.com/next",
                ],
                b"",
            )
        } else {
            let body = format!(
                r#"{{"code":0,"message":"0","data":{{"mid":7,"go_url":"http://127.0.0.1:{port}/hop1"}}}}"#
            );
            answer("200 OK", &SESS, body.as_bytes())
        }
    });
    let login = bili_qr::poll("optsteps0001", &srv.options())
        .unwrap()
        .login
        .unwrap();
    assert!(login
        .cookie_header
        .contains("bili_jct=0123456789abcdef0123456789abcdef"));
    let w = login.warnings.join(" | ");
    assert!(
        w.contains("following go_url failed") && w.contains("sso/list failed: HTTP 500"),
        "{w}"
    );
    assert!(!srv.hits().iter().any(|h| h.target.contains("next")));

    // Only SESSDATA anywhere, go_url foreign: the error says what was tried and which host was refused.
    let srv = Canned::start(|target, _| {
        if target.contains("/web/sso/list") {
            answer("200 OK", &[], br#"{"code":-101,"message":"not logged in"}"#)
        } else {
            answer(
                "200 OK",
                &SESS,
                br#"{"code":0,"message":"0","data":{"mid":7,"go_url":"https://evil.example.com/steal"}}"#,
            )
        }
    });
    let e = bili_qr::poll("optsteps0002", &srv.options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    let m = e.message();
    assert!(
        m.contains("lacks the bili_jct, DedeUserID cookie(s)"),
        "{m}"
    );
    assert!(
        m.contains("tried: the fetch answer's Set-Cookie, sso/list"),
        "{m}"
    );
    assert!(
        m.contains("untrusted hosts not requested: evil.example.com"),
        "{m}"
    );
    assert!(m.contains("code -101"), "{m}");
    assert!(!m.contains("5e55dafa"), "{m}");
}

/// Issue 14 item 7 (the login side): a go_url host made of the SESSDATA value never reaches a warning.
#[test]
fn a_secret_in_a_go_url_host_never_reaches_a_warning() {
    let srv = Canned::start(|target, _| {
        if target.contains("/web/sso/list") {
            answer("200 OK", &[], NO_SSO)
        } else {
            answer(
                "200 OK",
                &THREE,
                br#"{"code":0,"message":"0","data":{"mid":7,"go_url":"https://5e55dafa%2C1811061062%2C5e7d1%2A51.bilibili.tv/"}}"#,
            )
        }
    });
    let login = bili_qr::poll(
        "secrethost01",
        &srv.options_with(json!({"timeout_ms": 1000})),
    )
    .unwrap()
    .login
    .unwrap();
    for w in &login.warnings {
        assert!(!w.contains("5e55dafa") && !w.contains("1811061062"), "{w}");
    }
}

/// Issue 13 item 3: cookies auth/url sets for the passport host are sent back on that ticket's fetches,
/// and dropped when the ticket ends.
#[test]
fn a_tickets_browser_session_is_sent_back() {
    let srv = Canned::start(|target, _| {
        if target.contains("/qrcode/auth/url") {
            answer(
                "200 OK",
                &["Set-Cookie: pp_gate=9a8b7c6d5e4f3a2b; Path=/; HttpOnly", "Set-Cookie: other=1; Domain=biliintl.com"],
                br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=9a7e5e55ab0c1d2e3f405162738495a6","qr_type":"qrcode_login"}}"#,
            )
        } else if target.contains("/web/sso/list") {
            answer("200 OK", &[], NO_SSO)
        } else if target.contains("ticket=9a7e5e55ab0c1d2e3f405162738495a6") {
            answer(
                "200 OK",
                &["Set-Cookie: step=2"],
                br#"{"code":10018101,"message":"waiting","data":null}"#,
            )
        } else {
            answer(
                "200 OK",
                &[],
                br#"{"code":10018101,"message":"waiting","data":null}"#,
            )
        }
    });
    let o = srv.options();
    let qr = bili_qr::start(&o).unwrap();
    assert_eq!(
        bili_qr::poll(&qr.ticket, &o).unwrap().status,
        PollStatus::Waiting
    );
    assert_eq!(
        bili_qr::poll(&qr.qr_url, &o).unwrap().status,
        PollStatus::Waiting
    );
    // Another ticket carries nothing.
    bili_qr::poll("otherticket1", &o).unwrap();
    let hits = srv.hits();
    let fetches: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.target.contains("auth/fetch"))
        .collect();
    assert_eq!(
        fetches[0].cookie.as_deref(),
        Some("pp_gate=9a8b7c6d5e4f3a2b; other=1")
    );
    assert_eq!(
        fetches[1].cookie.as_deref(),
        Some("pp_gate=9a8b7c6d5e4f3a2b; other=1; step=2")
    );
    assert_eq!(fetches[2].cookie, None);
    assert_eq!(hits[0].cookie, None, "auth/url itself carries none");
}

/// Issue 13 item 4: in wait, HTTP 429 (and 503) is transient and its Retry-After honoured; poll reports it.
#[test]
fn a_429_with_retry_after_is_waited_out() {
    let count = Arc::new(Mutex::new(0u32));
    let c2 = count.clone();
    let srv = Canned::start(move |target, _| {
        if target.contains("/web/sso/list") {
            return answer("200 OK", &[], NO_SSO);
        }
        let mut n = c2.lock().unwrap();
        *n += 1;
        match *n {
            1 => answer(
                "429 Too Many Requests",
                &["Retry-After: 2"],
                b"<html>slow down</html>",
            ),
            2 => answer(
                "503 Service Unavailable",
                &["Retry-After: 1"],
                b"<html>busy</html>",
            ),
            _ => answer("200 OK", &THREE, PLAIN.as_bytes()),
        }
    });
    let o = srv.options_with(json!({"max_retries": 3, "wait_timeout_ms": 20000}));
    let r = bili_qr::wait("ratelimit001", &o, &mut |_| true).unwrap();
    assert_eq!(r.status, PollStatus::Confirmed);
    let hits = srv.hits();
    let fetch: Vec<&Hit> = hits
        .iter()
        .filter(|h| h.target.contains("auth/fetch"))
        .collect();
    assert_eq!(fetch.len(), 3);
    let gap1 = fetch[1].at - fetch[0].at;
    let gap2 = fetch[2].at - fetch[1].at;
    assert!(
        gap1 >= Duration::from_millis(1950),
        "Retry-After 2 s honoured: {gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_millis(950),
        "Retry-After 1 s honoured: {gap2:?}"
    );

    // poll: one request, ERR_HTTP naming the status and the Retry-After.
    let srv = Canned::start(|_, _| answer("429 Too Many Requests", &["Retry-After: 30"], b""));
    let e = bili_qr::poll("ratelimit002", &srv.options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert!(
        e.message().contains("429") && e.message().contains("30 s"),
        "{}",
        e.message()
    );

    // A Retry-After beyond the wait's deadline: the wait ends at its deadline, not later, not sooner.
    let srv = Canned::start(|_, _| answer("429 Too Many Requests", &["Retry-After: 60"], b""));
    let o = srv.options_with(json!({"max_retries": 5, "wait_timeout_ms": 1500}));
    let t = Instant::now();
    let e = bili_qr::wait("ratelimit003", &o, &mut |_| true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(srv.hits().len(), 1, "never polled sooner than Retry-After");
}

/// Issue 13 item 6: verify_login asks v2/user with the new cookies.
#[test]
fn verify_login_checks_the_new_session() {
    fn server(user: &'static [u8], down: bool) -> Canned {
        Canned::start(move |target, _| {
            if target.contains("/web/sso/list") {
                answer("200 OK", &[], NO_SSO)
            } else if target.contains("/intl/gateway/web/v2/user") {
                if down {
                    Vec::new() // the connection closes without an answer
                } else {
                    answer(
                        "200 OK",
                        &["Set-Cookie: SESSDATA=renewed%2C2; Path=/; Domain=bilibili.tv"],
                        user,
                    )
                }
            } else {
                answer("200 OK", &THREE, PLAIN.as_bytes())
            }
        })
    }
    let opts = |srv: &Canned| {
        srv.options_with(
            json!({"verify_login": true, "api_base_url": format!("http://127.0.0.1:{}", srv.port)}),
        )
    };
    let srv = server(
        br#"{"code":0,"message":"0","data":{"is_login":true,"mid":7}}"#,
        false,
    );
    let r = bili_qr::poll("verify000001", &opts(&srv)).unwrap();
    let v = json_of(&r);
    assert_eq!(v["verified"], true);
    assert!(
        v["cookie_header"]
            .as_str()
            .unwrap()
            .starts_with("SESSDATA=renewed%2C2; "),
        "renewed value kept"
    );
    let hits = srv.hits();
    let check = hits.iter().find(|h| h.target.contains("v2/user")).unwrap();
    assert_eq!(
        check.target,
        "/intl/gateway/web/v2/user?s_locale=en_US&platform=web"
    );
    assert!(check
        .cookie
        .as_deref()
        .unwrap()
        .contains("SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51"));

    for refused in [
        &br#"{"code":0,"message":"0","data":{"is_login":false}}"#[..],
        br#"{"code":-101,"message":"not logged in","data":null}"#,
    ] {
        let srv = server(refused, false);
        let e = bili_qr::poll("verify000002", &opts(&srv)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(
            e.message().contains("does not accept the new session"),
            "{}",
            e.message()
        );
    }
    let srv = server(b"", true);
    let r = bili_qr::poll("verify000003", &opts(&srv)).unwrap();
    let v = json_of(&r);
    assert_eq!(v["verified"], false);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("verify_login: "),
        "{v}"
    );
    // Without verify_login, no request to v2/user and no key.
    let srv = server(b"", true);
    let v = json_of(&bili_qr::poll("verify000004", &srv.options()).unwrap());
    assert!(v.get("verified").is_none());
    assert!(!srv.hits().iter().any(|h| h.target.contains("v2/user")));
}

// ------------------------------------------------------------------ the fake server's shapes (issue 13 item 7)

fn fake_opts(srv: &FakeServer, scenario: &str, extra: Value) -> Options {
    let mut o = json!({"base_url": srv.url(scenario), "proxy": "", "timeout_ms": 5000,
                       "poll_interval_ms": 100, "wait_timeout_ms": 20000});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    Options::from_json(Some(&o.to_string())).unwrap()
}

/// start, then wait: the confirmed login of `scenario`, or the error.
fn fake_login(srv: &FakeServer, scenario: &str, extra: Value) -> bili_qr::Result<bili_qr::Login> {
    let o = fake_opts(srv, scenario, extra);
    let qr = bili_qr::start(&o)?;
    let r = bili_qr::wait(&qr.ticket, &o, &mut |_| true)?;
    assert_eq!(r.status, PollStatus::Confirmed, "{scenario}");
    Ok(r.login.expect("a confirmed result has its login"))
}

fn names(login: &bili_qr::Login) -> Vec<&str> {
    login.cookies.iter().map(|c| c.name.as_str()).collect()
}

fn assert_usable(login: &bili_qr::Login, what: &str) {
    for n in ["SESSDATA", "bili_jct", "DedeUserID"] {
        assert!(
            login.cookie_header.contains(&format!("{n}=")),
            "{what}: {n} missing from {}",
            login.cookie_header.len()
        );
    }
}

#[test]
fn fake_server_sparse_null_and_empty_data_are_logins() {
    let srv = FakeServer::start();
    for shape in ["sparse", "nulls", "empty"] {
        let sc = format!("id=fid-confirm-{shape},flow=c,confirm={shape}");
        let login = fake_login(&srv, &sc, json!({})).unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert_usable(&login, shape);
        assert_eq!(
            login.mid,
            Some(1709658507),
            "{shape}: data.mid or DedeUserID"
        );
        assert_eq!(
            (login.is_new, &login.go_url, &login.user_profile),
            (None, &None, &None),
            "{shape}"
        );
        assert!(
            login.warnings.iter().any(|w| w.contains("data.is_new")),
            "{shape}: {:?}",
            login.warnings
        );
    }
}

#[test]
fn fake_server_string_codes_folded_lines_and_long_sessdata() {
    let srv = FakeServer::start();
    let login = fake_login(&srv, "id=fid-codestr,flow=wsc,codestr=1", json!({})).unwrap();
    assert_usable(&login, "codestr");
    let login = fake_login(&srv, "id=fid-folded,flow=c,folded=1,longsess=1", json!({})).unwrap();
    assert_eq!(
        names(&login),
        [
            "SESSDATA",
            "bili_jct",
            "DedeUserID",
            "DedeUserID__ckMd5",
            "joy_jct",
            "mid",
            "sid"
        ]
    );
    let sess = &login.cookies[0];
    assert_eq!(sess.value.len(), 170, "the long SESSDATA, whole");
    let fetch = srv
        .log()
        .into_iter()
        .rfind(|r| r.path.ends_with("/auth/fetch"))
        .unwrap();
    assert!(fetch.set_cookies[0].starts_with(&format!("SESSDATA={};", sess.value)));
}

#[test]
fn fake_server_go_url_shapes_keep_the_login() {
    let srv = FakeServer::start();
    // Credentials in the query, the page 404.
    let login = fake_login(&srv, "id=fid-gq,flow=c,gourl=query", json!({})).unwrap();
    assert_usable(&login, "gourl=query");
    let fetch = srv
        .log()
        .into_iter()
        .find(|r| {
            r.path.contains("id=fid-gq")
                && r.path.ends_with("/auth/fetch")
                && !r.cookie_info.is_empty()
        })
        .unwrap();
    for pair in &fetch.cookie_info {
        assert!(
            login.cookie_header.contains(pair.as_str()),
            "{pair} taken as it stands in the URL"
        );
    }
    // Hop sets cookies, then 404.
    let login = fake_login(&srv, "id=fid-g404,flow=c,gourl=hop404", json!({})).unwrap();
    assert_usable(&login, "gourl=hop404");
    // Hop sets cookies, then points to evil.example.com (never requested: it is not even loopback).
    let login = fake_login(&srv, "id=fid-gfor,flow=c,gourl=hopforeign", json!({})).unwrap();
    assert_usable(&login, "gourl=hopforeign");
    assert!(names(&login).contains(&"joy_jct"));
    assert!(
        login
            .warnings
            .iter()
            .any(|w| w.contains("following go_url failed")),
        "{:?}",
        login.warnings
    );
    // A go_url host made of the SESSDATA value: not requested, never in a warning.
    let login = fake_login(&srv, "id=fid-gsec,flow=c,gourl=secrethost", json!({})).unwrap();
    let sess = login
        .cookies
        .iter()
        .find(|c| c.name == "SESSDATA")
        .unwrap()
        .value
        .clone();
    for w in &login.warnings {
        assert!(!w.contains(&sess) && !w.contains(&sess[..8]), "{w}");
    }
}

#[test]
fn fake_server_sso_step() {
    let srv = FakeServer::start();
    let login = fake_login(&srv, "id=fid-sso,flow=c,sso=1", json!({})).unwrap();
    let intl: Vec<_> = login
        .cookies
        .iter()
        .filter(|c| c.domain.as_deref() == Some("biliintl.com"))
        .map(|c| c.name.as_str())
        .collect();
    for n in ["SESSDATA", "bili_jct", "DedeUserID"] {
        assert!(intl.contains(&n), "{n} for biliintl.com: {intl:?}");
    }
    let log = srv.log();
    let list = log
        .iter()
        .find(|r| r.path.ends_with("/web/sso/list"))
        .unwrap();
    assert!(
        list.cookies.iter().any(|c| c.starts_with("SESSDATA=")),
        "sso/list carries the new cookies"
    );
    assert!(log.iter().any(|r| r.path.ends_with("/sso/set")));
    assert!(
        login
            .warnings
            .iter()
            .any(|w| w.contains("evil.example.com")),
        "{:?}",
        login.warnings
    );
    for (mode, needle) in [("fail", "code -101"), ("500", "HTTP 500")] {
        let login = fake_login(
            &srv,
            &format!("id=fid-sso-{mode},flow=c,sso={mode}"),
            json!({}),
        )
        .unwrap();
        assert_usable(&login, mode);
        assert!(
            login.warnings.iter().any(|w| w.contains(needle)),
            "{mode}: {:?}",
            login.warnings
        );
    }
}

#[test]
fn fake_server_gate_ticket_session() {
    let srv = FakeServer::start();
    let login = fake_login(&srv, "id=fid-gate,flow=wsc,gate=1", json!({})).unwrap();
    assert_usable(&login, "gate=1");
    let log = srv.log();
    let gate = log
        .iter()
        .find(|r| r.path.ends_with("/auth/url"))
        .and_then(|r| r.set_cookies.first().cloned())
        .unwrap();
    let gate = gate.split(';').next().unwrap().to_owned();
    let fetches: Vec<_> = log
        .iter()
        .filter(|r| r.path.ends_with("/auth/fetch"))
        .collect();
    assert_eq!(
        fetches.len(),
        3,
        "waiting, scanned, confirmed: the gate was passed every time"
    );
    for f in fetches {
        assert!(f.cookies.contains(&gate), "{:?}", f.cookies);
    }
}

#[test]
fn fake_server_rate_limit_captcha_and_verify() {
    let srv = FakeServer::start();
    let t = Instant::now();
    let login = fake_login(
        &srv,
        "id=fid-429,flow=wc,fault=429,on=fetch,times=1,retry=1",
        json!({}),
    )
    .unwrap();
    assert_usable(&login, "429");
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 honoured: {:?}",
        t.elapsed()
    );

    let o = fake_opts(&srv, "id=fid-captcha,fault=captcha,on=fetch", json!({}));
    let e = bili_qr::wait("4478b3e64d05ce26638f4d715ebe0a91", &o, &mut |_| true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(e.message().contains("captcha"), "{}", e.message());

    let verify = |sc: &str| json!({"verify_login": true, "api_base_url": srv.url(sc)});
    let sc = "id=fid-verify,flow=c";
    let login = fake_login(&srv, sc, verify(sc)).unwrap();
    assert_eq!(login.verified, Some(true));
    for sc in [
        "id=fid-vrej,flow=c,verify=reject",
        "id=fid-v101,flow=c,verify=reject,expired=101",
    ] {
        let e = fake_login(&srv, sc, verify(sc)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{sc}");
        assert!(
            e.message().contains("does not accept the new session"),
            "{}",
            e.message()
        );
    }
    let sc = "id=fid-vdown,flow=c,verify=down";
    let login = fake_login(&srv, sc, verify(sc)).unwrap();
    assert_eq!(login.verified, Some(false));
    assert!(
        login.warnings.iter().any(|w| w.starts_with("verify_login")),
        "{:?}",
        login.warnings
    );
}

#[test]
fn fake_server_hostile_cookies_and_qr_urls() {
    let srv = FakeServer::start();
    let login = fake_login(&srv, "id=fid-cd,flow=c,cookiedomain=hostile", json!({})).unwrap();
    assert!(
        !names(&login).iter().any(|n| n.starts_with("evil")),
        "{:?}",
        names(&login)
    );
    assert!(
        login
            .warnings
            .iter()
            .any(|w| w == "4 cookies dropped: a Domain that is not a host name"),
        "{:?}",
        login.warnings
    );

    let e = fake_login(&srv, "id=fid-ci-for,flow=c,cookieinfo=foreign", json!({})).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("evil.example"), "{}", e.message());
    let login = fake_login(&srv, "id=fid-ci-mix,flow=c,cookieinfo=mixed", json!({})).unwrap();
    assert_usable(&login, "mixed");
    assert!(
        login
            .cookies
            .iter()
            .all(|c| c.domain.as_deref() == Some("bilibili.tv")),
        "{:?}",
        login.cookies.iter().map(|c| &c.domain).collect::<Vec<_>>()
    );
    let login = fake_login(&srv, "id=fid-ci-hos,flow=c,cookieinfo=hostile", json!({})).unwrap();
    assert!(
        !login.cookie_header.contains("evil") && !login.cookie_header.contains(['\r', '\n', '\0'])
    );
    let t = Instant::now();
    let login = fake_login(&srv, "id=fid-ci-many,flow=c,cookieinfo=many", json!({})).unwrap();
    assert!(login.cookies.len() >= 30_000);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());

    for q in ["javascript", "foreign"] {
        let o = fake_opts(&srv, &format!("id=fid-qr-{q},qrurl={q}"), json!({}));
        let e = bili_qr::start(&o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{q}");
    }
}

/// A cancel (or the deadline) that arrives after the confirmation does not lose the login: the steps left
/// are skipped with warnings, verification included.
#[test]
fn a_cancel_after_the_confirmation_keeps_the_login() {
    let srv = Canned::start(|target, port| {
        if target.contains("/web/sso/list") {
            thread::sleep(Duration::from_millis(1000));
            let body = format!(
                r#"{{"code":0,"message":"0","data":{{"sso":["http://127.0.0.1:{port}/sso/set"]}}}}"#
            );
            answer("200 OK", &[], body.as_bytes())
        } else if target.contains("v2/user") || target.starts_with("/sso/set") {
            answer(
                "200 OK",
                &[],
                br#"{"code":0,"message":"0","data":{"is_login":true}}"#,
            )
        } else {
            answer("200 OK", &THREE, PLAIN.as_bytes())
        }
    });
    let o = srv.options_with(
        json!({"verify_login": true, "api_base_url": format!("http://127.0.0.1:{}", srv.port)}),
    );
    let ticket = "cancelafter1";
    let waiter = {
        let o = o.clone();
        thread::spawn(move || bili_qr::wait(ticket, &o, &mut |_| true))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !srv
        .hits()
        .iter()
        .any(|h| h.target.contains("/web/sso/list"))
    {
        assert!(Instant::now() < deadline, "sso/list never asked");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(bili_qr::cancel(ticket).unwrap(), 1);
    let r = waiter
        .join()
        .unwrap()
        .expect("the confirmed login is returned");
    let login = r.login.unwrap();
    assert_usable(&login, "cancelled after the confirmation");
    assert_eq!(login.verified, Some(false));
    assert!(
        login.warnings.iter().any(|w| w.contains("cancelled")),
        "{:?}",
        login.warnings
    );
    assert!(!srv
        .hits()
        .iter()
        .any(|h| h.target.starts_with("/sso/set") || h.target.contains("v2/user")));
}

/// A step's message that echoes the ticket reaches a warning with at most 6 characters of it.
#[test]
fn warnings_hold_at_most_six_characters_of_the_ticket() {
    let srv = Canned::start(|target, _| {
        if target.contains("/web/sso/list") {
            answer(
                "200 OK",
                &[],
                br#"{"code":-101,"message":"ticket 7d3e5f0a9b8c7d6e5f4a3b2c1d0e9f8a is not logged in"}"#,
            )
        } else {
            answer("200 OK", &THREE, PLAIN.as_bytes())
        }
    });
    let login = bili_qr::poll("7d3e5f0a9b8c7d6e5f4a3b2c1d0e9f8a", &srv.options())
        .unwrap()
        .login
        .unwrap();
    let w = login.warnings.join(" | ");
    assert!(w.contains("7d3e5f…"), "{w}");
    assert!(!w.contains("7d3e5f0"), "{w}");
}
