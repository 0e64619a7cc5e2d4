//! The fake server's shapes: the same answers, served by `bili-qr-fake-server`.

use super::*;

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
        assert_warns(&login, "data.is_new", shape);
    }
}

#[test]
fn fake_server_string_codes_folded_lines_and_long_sessdata() {
    let srv = FakeServer::start();
    let login = fake_login(&srv, "id=fid-codestr,flow=wsc,codestr=1", json!({})).unwrap();
    assert_usable(&login, "codestr");
    let login = fake_login(&srv, "id=fid-folded,flow=c,folded=1,longsess=1", json!({})).unwrap();
    assert_eq!(names(&login), crate::common::service::KEPT);
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
    assert_warns(&login, "following go_url failed", "gourl=hopforeign");
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
    let intl: Vec<_> = names_on(&login, "biliintl.com");
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
    assert_warns(&login, "evil.example.com", "sso=1");
    for (mode, needle) in [("fail", "code -101"), ("500", "HTTP 500")] {
        let login = fake_login(
            &srv,
            &format!("id=fid-sso-{mode},flow=c,sso={mode}"),
            json!({}),
        )
        .unwrap();
        assert_usable(&login, mode);
        assert_warns(&login, needle, mode);
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
    // Speed is for the benchmarks: here only that all of them arrive.
    let login = fake_login(&srv, "id=fid-ci-many,flow=c,cookieinfo=many", json!({})).unwrap();
    assert!(login.cookies.len() >= 30_000);

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
    assert_warns(&login, "cancelled", "");
    assert!(!srv
        .hits()
        .iter()
        .any(|h| h.target.starts_with("/sso/set") || h.target.contains("v2/user")));
}

/// A step's message that echoes the ticket reaches a warning with at most 6 characters of it.
#[test]
fn warnings_hold_at_most_six_characters_of_the_ticket() {
    let srv = fetch_server_with_sso(
        br#"{"code":-101,"message":"ticket 7d3e5f0a9b8c7d6e5f4a3b2c1d0e9f8a is not logged in"}"#,
        PLAIN,
        &THREE,
    );
    let login = srv.login("7d3e5f0a9b8c7d6e5f4a3b2c1d0e9f8a");
    let w = login.warnings.join(" | ");
    assert!(w.contains("7d3e5f…"), "{w}");
    assert!(!w.contains("7d3e5f0"), "{w}");
}
