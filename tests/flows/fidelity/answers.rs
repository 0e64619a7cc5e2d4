//! Odd, sparse and hostile confirmed answers, from the canned server.

use super::*;

/// Sparse, null, empty or absent `data`, with the three cookies → a login, with nulls and
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

/// A proxy folded the Set-Cookie lines into one (Expires has its own comma).
#[test]
fn folded_set_cookie_lines_give_all_three_cookies() {
    static FOLDED: [&str; 1] = ["Set-Cookie: SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv; Expires=Sun, 23 May 2027 10:00:00 GMT; HttpOnly; Secure, bili_jct=0123456789abcdef0123456789abcdef; Path=/; Domain=.bilibili.tv; Expires=Sun, 23 May 2027 10:00:00 GMT; Secure, DedeUserID=1709658507; Path=/; Domain=bilibili.tv; Max-Age=15552000; Secure"];
    let srv = fetch_server(
        r#"{"code":0,"message":"0","data":{"mid":1709658507}}"#,
        &FOLDED,
    );
    let r = bili_qr::poll("folded000001", &srv.options()).unwrap();
    let login = r.login.unwrap();
    let names = names(&login);
    assert_eq!(names, ["SESSDATA", "bili_jct", "DedeUserID"]);
    assert_eq!(login.cookies[0].expires, Some(1_811_066_400));
    assert!(login.cookies[0].http_only && login.cookies[0].secure);
}

/// Credentials in go_url's query, the page itself gone (404): a login, the values exactly
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

/// `cookie_info`'s domains are all read, foreign ones dropped (never
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
    poll_fails(
        &srv,
        "cinfo0000001",
        ErrorKind::Protocol,
        &["evil.example", "bili_jct"],
    );

    let mixed: &'static str =
        Box::leak(info(r#"[".evil.example", ".bilibili.tv", ".biliintl.com"]"#).into_boxed_str());
    let srv = fetch_server(mixed, &SESS);
    let login = srv.login("cinfo0000002");
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
    assert_warns(&login, "evil.example", "");
    assert_eq!(
        login.cookie_header.matches("bili_jct=").count(),
        1,
        "one value per name in cookie_header"
    );
}

/// The cookie-octet rule: hostile domains and values never reach the poll object.
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
    let login = srv.login("hostile00001");
    let names = names(&login);
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

/// `qr_url` must be https on the service's domains.
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

/// A captcha demand is ERR_API saying so, for poll and for wait (not retried).
#[test]
fn a_captcha_demand_ends_at_once_with_advice() {
    let srv = fetch_server(
        r#"{"code":-401,"message":"非法访问","ttl":1,"data":{"ga_data":{"decisions":["verify_captcha_level2"],"risk_level":2},"v_voucher":"voucher_5e55dafa"}}"#,
        &[],
    );
    let e = poll_fails(
        &srv,
        "c4e7a0d10001",
        ErrorKind::Api,
        &["captcha", "browser"],
    );
    assert!(!e.message().contains("voucher_"));
    // The wait ends at once: one request, no retry (every retry would have reached the server before the
    // wait returned).
    let before = srv.hits().len();
    let e = bili_qr::wait("c4e7a0d10001", &srv.options(), &mut |_| true).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(srv.hits().len(), before + 1, "an API error is not retried");
}

/// 30,000 cookie_info entries all reach the login (1.7 s before the linear merge, release; not timed here).
#[test]
fn thirty_thousand_cookie_info_entries_all_arrive() {
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
    let login = srv.login("many00000001");
    // The time is not asserted (a test's pass/fail never depends on the machine's speed).
    assert_eq!(login.cookies.len(), 30_003);
}

/// The fake server's documented confirmed answer is a login whose one warning is its foreign cookie.
#[test]
fn the_fake_servers_documented_login_warns_only_of_its_foreign_cookie() {
    let srv = FakeServer::start();
    let o = Options::from_json(Some(
        &json!({"base_url": srv.url("id=fid-plain,flow=c,foreign=1"), "proxy": ""}).to_string(),
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
