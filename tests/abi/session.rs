//! The session functions (ABI 2) against the fake server: check (valid, expired, renewed), logout (ok,
//! -101, -111), session_convert through all three formats, and bad sessions (ERR_ARGUMENT, nothing sent,
//! no cookie value in any message).

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::{json, Value};

/// This scenario's options with `api_base_url` on the fake server too.
fn opts(env: &Env) -> String {
    env.opts(json!({ "api_base_url": env.base() }))
}

/// A confirmed login's poll object (scenario flow `c`: the first poll confirms).
pub(crate) fn login(env: &Env) -> String {
    let ticket = env.new_ticket();
    poll(&ticket, Some(&env.default_opts()))
        .expect(BILI_QR_OK)
        .out
        .expect("the confirmed poll object")
}

fn cookie_value(obj: &Value, name: &str) -> String {
    obj["cookies"]
        .as_array()
        .expect("cookies")
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["value"].as_str())
        .unwrap_or_else(|| panic!("no {name} cookie in {obj}"))
        .to_owned()
}

#[test]
fn login_check_logout_check() {
    let env = Env::new("id=sess-cycle,flow=c,name=Alice,mid=4242");
    let confirmed = login(&env);
    let poll_obj: Value = serde_json::from_str(&confirmed).unwrap();

    let r = check(&confirmed, Some(&opts(&env))).expect(BILI_QR_OK);
    let v = r.json();
    assert_eq!(v["status"], "valid");
    assert_eq!(v["mid"], 4242);
    assert_eq!(v["name"], "Alice");
    assert!(v["face"]
        .as_str()
        .is_some_and(|f| f.starts_with("https://")));
    assert_eq!(v["renewed"], false);
    assert_eq!(v["cookie_header"], poll_obj["cookie_header"]);
    // The request: GET v2/user with the login's cookies, the browser headers and the locale.
    let sent = env.requests_to("/intl/gateway/web/v2/user");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(
        sent[0].query.get("s_locale").map(String::as_str),
        Some("en_US")
    );
    assert_eq!(
        sent[0].query.get("platform").map(String::as_str),
        Some("web")
    );
    let sess = cookie_value(&poll_obj, "SESSDATA");
    assert!(
        sent[0].cookies.contains(&format!("SESSDATA={sess}")),
        "{:?}",
        sent[0].cookies
    );
    assert!(sent[0]
        .headers
        .get("user-agent")
        .is_some_and(|u| u.contains("Mozilla")));

    let r = logout(&confirmed, Some(&opts(&env))).expect(BILI_QR_OK);
    assert_eq!(
        r.json(),
        json!({"status": "logged_out", "code": 0, "message": "0"})
    );
    let exit = env.requests_to("/web/login/exit");
    assert_eq!(exit.len(), 1);
    assert_eq!(exit[0].method, "POST");
    let jct = cookie_value(&poll_obj, "bili_jct");
    assert_eq!(exit[0].query.get("csrf"), Some(&jct), "csrf in the query");
    assert_eq!(
        exit[0].form.get("csrf"),
        Some(&jct),
        "csrf in the form body"
    );
    assert!(exit[0]
        .headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded")));
    assert!(exit[0].cookies.contains(&format!("SESSDATA={sess}")));

    let r = check(&confirmed, Some(&opts(&env))).expect(BILI_QR_EXPIRED);
    assert_eq!(r.json()["status"], "expired");
    let r = logout(&confirmed, Some(&opts(&env))).expect(BILI_QR_EXPIRED);
    assert_eq!(r.json()["status"], "expired");
    assert_eq!(r.json()["code"], -101);
}

#[test]
fn expired_by_code_101() {
    let env = Env::new("id=sess-101,flow=c,expired=101");
    let confirmed = login(&env);
    env.srv.end_sessions();
    let r = check(&confirmed, Some(&opts(&env))).expect(BILI_QR_EXPIRED);
    assert_eq!(r.json()["status"], "expired");
    assert_eq!(r.json()["renewed"], false);
}

/// Checks `session`, the login `confirmed` in some form, under a scenario that renews SESSDATA: the outcome
/// (`renewed` true), and SESSDATA's old and new values, which differ.
fn check_renewed(env: &Env, confirmed: &str, session: &str) -> (Outcome, String, String) {
    let old = cookie_value(&serde_json::from_str(confirmed).unwrap(), "SESSDATA");
    let r = check(session, Some(&opts(env))).expect(BILI_QR_OK);
    let v = r.json();
    assert_eq!(v["renewed"], true);
    let new = cookie_value(&v, "SESSDATA");
    assert_ne!(new, old);
    (r, old, new)
}

#[test]
fn a_renewed_sessdata_is_merged_and_is_the_session_from_now_on() {
    let env = Env::new("id=sess-renew,flow=c,renew=1");
    let confirmed = login(&env);
    let (r, old, new) = check_renewed(&env, &confirmed, &confirmed);
    let renewed = r.json();
    assert!(renewed["cookie_header"]
        .as_str()
        .is_some_and(|h| h.contains(&format!("SESSDATA={new}")) && !h.contains(&old)));
    // The order of the cookies is kept: SESSDATA is replaced in place.
    assert_eq!(
        cookie_names(&renewed),
        cookie_names(&serde_json::from_str(&confirmed).unwrap())
    );
    // The old session is gone; the renewed one checks (and renews again: the scenario renews every time).
    check(&confirmed, Some(&opts(&env))).expect(BILI_QR_EXPIRED);
    let again = check(r.text(), Some(&opts(&env))).expect(BILI_QR_OK);
    assert_eq!(again.json()["status"], "valid");
}

#[test]
fn logout_with_a_wrong_csrf_is_an_api_error_that_says_so() {
    let env = Env::new("id=sess-111,flow=c");
    let confirmed = login(&env);
    let mut v: Value = serde_json::from_str(&confirmed).unwrap();
    for c in v["cookies"].as_array_mut().unwrap() {
        if c["name"] == "bili_jct" {
            c["value"] = json!("ffffffffffffffffffffffffffffffff");
        }
    }
    let r = logout(&v.to_string(), Some(&opts(&env)));
    r.expect_err(BILI_QR_ERR_API, &["-111", "csrf", "bili_jct"]);
    // The session was kept: it still checks valid.
    check(&confirmed, Some(&opts(&env))).expect(BILI_QR_OK);
}

#[test]
fn session_convert_round_trips_through_every_format() {
    let env = Env::new("id=sess-convert,flow=c");
    let confirmed = login(&env);
    let poll_obj: Value = serde_json::from_str(&confirmed).unwrap();
    let json1 = convert(&confirmed, "json").expect(BILI_QR_OK).json();
    assert_eq!(json1["cookies"], poll_obj["cookies"]);
    assert_eq!(json1["cookie_header"], poll_obj["cookie_header"]);
    assert_eq!(json1["mid"], poll_obj["mid"]);
    let netscape = convert(&confirmed, "netscape")
        .expect(BILI_QR_OK)
        .out
        .unwrap();
    assert!(netscape.starts_with("# Netscape HTTP Cookie File\n"));
    let header = convert(&confirmed, "header")
        .expect(BILI_QR_OK)
        .out
        .unwrap();
    assert_eq!(header, poll_obj["cookie_header"].as_str().unwrap());
    // json -> netscape -> json and header -> json keep every cookie; every form checks valid.
    let from_netscape = convert(&netscape, "json").expect(BILI_QR_OK).json();
    assert_eq!(from_netscape["cookie_header"], poll_obj["cookie_header"]);
    assert_eq!(from_netscape["mid"], poll_obj["mid"]);
    let names = |v: &Value| v["cookies"].as_array().unwrap().len();
    assert_eq!(names(&from_netscape), names(&poll_obj));
    assert_eq!(
        convert(&from_netscape.to_string(), "netscape")
            .expect(BILI_QR_OK)
            .out
            .unwrap(),
        netscape
    );
    let from_header = convert(&header, "json").expect(BILI_QR_OK).json();
    assert_eq!(from_header["cookie_header"], poll_obj["cookie_header"]);
    assert_eq!(
        convert(&format!("Cookie: {header}"), "header")
            .expect(BILI_QR_OK)
            .out
            .unwrap(),
        header
    );
    for form in [&confirmed, &netscape, &header, &json1.to_string()] {
        check(form, Some(&opts(&env))).expect(BILI_QR_OK);
    }
    convert(&confirmed, "yaml").expect_err(BILI_QR_ERR_ARGUMENT, &["format"]);
}

#[test]
fn only_the_services_cookies_are_sent() {
    let env = Env::new("id=sess-foreign,flow=c");
    let confirmed = login(&env);
    let mut v: Value = serde_json::from_str(&confirmed).unwrap();
    v["cookies"].as_array_mut().unwrap().push(json!({
        "name": "tracker", "value": "foreign-value-1", "domain": "evil.example", "path": "/",
        "expires": null, "secure": false, "http_only": false
    }));
    // Cookies of loopback hosts other than base_url's and api_base_url's (127.0.0.1 here) are not the
    // service's stand-ins: not sent either.
    for (name, domain) in [("lh", "localhost"), ("other", "127.0.0.2"), ("six", "::1")] {
        v["cookies"].as_array_mut().unwrap().push(json!({
            "name": name, "value": "1", "domain": domain, "path": "/",
            "expires": null, "secure": false, "http_only": false
        }));
    }
    check(&v.to_string(), Some(&opts(&env))).expect(BILI_QR_OK);
    let sent = env.requests_to("/v2/user");
    for name in ["tracker=", "lh=", "other=", "six="] {
        assert!(
            !sent[0].cookies.iter().any(|c| c.starts_with(name)),
            "{name} {:?}",
            sent[0].cookies
        );
    }
    assert!(sent[0].cookies.iter().any(|c| c.starts_with("SESSDATA=")));
}

#[test]
fn bad_sessions_are_argument_errors_and_nothing_is_sent() {
    let env = Env::new("id=sess-bad,flow=c");
    let secret = "bili_jct=0123456789secretvalue; DedeUserID=12";
    remember_secret("0123456789secretvalue");
    let ten_mb = "SESSDATA=x; ".repeat(10 * 1024 * 1024 / 12);
    let garbage: String = (1u8..=255)
        .cycle()
        .take(4096)
        .filter(|b| b.is_ascii())
        .map(char::from)
        .collect();
    let cases: Vec<String> = vec![
        String::new(),
        " \n\t".into(),
        secret.into(),
        "{\"cookies\":[{\"name\":\"SESSDATA\",".into(),
        "{\"cookies\":[{\"name\":\"bili_jct\",\"value\":\"0123456789secretvalue\"}]}".into(),
        "[]".into(),
        ten_mb,
        garbage,
        "# Netscape HTTP Cookie File\n.bilibili.tv\tTRUE\t/\n".into(),
    ];
    for case in &cases {
        for status in [
            check(case, Some(&opts(&env))).status,
            logout(case, Some(&opts(&env))).status,
            convert(case, "json").status,
        ] {
            assert_eq!(status, BILI_QR_ERR_ARGUMENT, "{:.60?}", case);
        }
        let e = check(case, Some(&opts(&env))).error;
        assert!(e.starts_with("session"), "{e}");
    }
    // Not UTF-8 (bytes a C caller can pass).
    let bytes = std::ffi::CString::new(vec![0xffu8, 0xfe, b'S', b'=', 0x80]).unwrap();
    let r = call_out(|out| unsafe { bili_qr_check(bytes.as_ptr(), std::ptr::null(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["session", "UTF-8"]);
    // A session without bili_jct cannot log out.
    let only_sess = "SESSDATA=abcdefabcdef1234";
    remember_secret("abcdefabcdef1234");
    logout(only_sess, Some(&opts(&env))).expect_err(BILI_QR_ERR_ARGUMENT, &["bili_jct"]);
    // NULLs.
    let r = call_out(|out| unsafe { bili_qr_check(std::ptr::null(), std::ptr::null(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["session"]);
    let s = c(only_sess);
    let r = call_out(|out| unsafe { bili_qr_session_convert(s.as_ptr(), std::ptr::null(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["format"]);
    env.assert_nothing_sent("nothing is sent for a bad session");
}

#[test]
fn session_ex_twins_carry_the_message() {
    let env = Env::new("id=sess-ex,flow=c,verify=down");
    let confirmed = login(&env);
    let r = check_ex(&confirmed, Some(&opts(&env)));
    assert!(r.outcome.status == BILI_QR_ERR_NETWORK || r.outcome.status == BILI_QR_ERR_PROTOCOL);
    assert!(r.out_error.as_deref().is_some_and(|m| !m.is_empty()));
    let r = convert_ex("", "json");
    r.outcome.expect_err(BILI_QR_ERR_ARGUMENT, &["session"]);
    let r = logout_ex("SESSDATA=abcdef1234567", Some(&opts(&env)));
    r.outcome.expect_err(BILI_QR_ERR_ARGUMENT, &["bili_jct"]);
    let env = Env::new("id=sess-ex-ok,flow=c");
    let confirmed = login(&env);
    let r = check_ex(&confirmed, Some(&opts(&env)));
    assert_eq!(r.out_error, None);
    r.outcome.expect(BILI_QR_OK);
    let r = convert_ex(&confirmed, "header");
    assert_eq!(r.out_error, None);
    let r = logout_ex(&confirmed, Some(&opts(&env)));
    r.outcome.expect(BILI_QR_OK);
    // And from a worker thread, read on this one.
    let o = opts(&env);
    let worker = std::thread::spawn(move || check_ex(&confirmed, Some(&o)));
    let r = worker.join().unwrap();
    r.outcome.expect(BILI_QR_EXPIRED);
}

#[test]
fn a_session_read_from_a_cookie_header_is_renewed_in_place() {
    let env = Env::new("id=sess-renew-header,flow=c,renew=1");
    let confirmed = login(&env);
    let header = convert(&confirmed, "header")
        .expect(BILI_QR_OK)
        .out
        .unwrap();
    let (r, _, new) = check_renewed(&env, &confirmed, &header);
    let v = r.json();
    // One SESSDATA, where it was (first), with the new value; every other cookie kept.
    let h = v["cookie_header"].as_str().unwrap();
    assert!(h.starts_with(&format!("SESSDATA={new}; ")), "{h}");
    assert_eq!(h.matches("SESSDATA=").count(), 1, "{h}");
    assert_eq!(h.split("; ").count(), header.split("; ").count());
    check(r.text(), Some(&opts(&env))).expect(BILI_QR_OK);
}
