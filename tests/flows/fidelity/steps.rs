//! The optional steps after a confirmation: sso, go_url, a ticket's browser session, Retry-After and
//! verify_login.

use super::*;

/// The sso step asks sso/list with the new cookies, follows each trusted data.sso[] URL
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
    let login = srv.login("ssostep00001");
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
    let intl: Vec<_> = names_on(&login, "biliintl.com");
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

/// Optional steps that fail never lose a login with the three cookies; without them, the
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
    let login = srv.login("optsteps0001");
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
    let srv = fetch_server_with_sso(
        br#"{"code":-101,"message":"not logged in"}"#,
        r#"{"code":0,"message":"0","data":{"mid":7,"go_url":"https://evil.example.com/steal"}}"#,
        &SESS,
    );
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

/// The login side: a go_url host made of the SESSDATA value never reaches a warning.
#[test]
fn a_secret_in_a_go_url_host_never_reaches_a_warning() {
    let srv = fetch_server(
        r#"{"code":0,"message":"0","data":{"mid":7,"go_url":"https://5e55dafa%2C1811061062%2C5e7d1%2A51.bilibili.tv/"}}"#,
        &THREE,
    );
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

/// Cookies auth/url sets for the passport host are sent back on that ticket's fetches,
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

/// In wait, HTTP 429 (and 503) is transient and its Retry-After honoured; poll reports it.
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
    poll_fails(&srv, "ratelimit002", ErrorKind::Http, &["429", "30 s"]);

    // A Retry-After beyond the wait's deadline: the wait ends at its deadline, not later, not sooner.
    let srv = Canned::start(|_, _| answer("429 Too Many Requests", &["Retry-After: 60"], b""));
    let o = srv.options_with(json!({"max_retries": 5, "wait_timeout_ms": 1500}));
    let t = Instant::now();
    let e = bili_qr::wait("ratelimit003", &o, &mut |_| true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    // Sleeping the whole Retry-After would take 60 s: the 10 s bound is far from that and from the 1.5 s.
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(srv.hits().len(), 1, "never polled sooner than Retry-After");
}

/// Verify_login asks v2/user with the new cookies.
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
