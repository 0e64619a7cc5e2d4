//! The odd shapes (what public clients of the real service report) and the saved-session
//! endpoints, each checked byte by byte with the raw client.

use std::time::{Duration, SystemTime};

use crate::common::*;
use serde_json::json;

const USER: &str = "/intl/gateway/web/v2/user?s_locale=en_US&platform=web";
const EXIT: &str = "/x/intl/passport-login/web/login/exit";
const SSO: &str = "/x/intl/passport-login/web/sso/list?s_locale=en_US&platform=web";

/// The value of cookie `name` among Set-Cookie lines.
fn value_of(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .map(|c| pair(c))
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {set_cookies:?}"))
        .1
}

/// A confirmed login under `sc` (flow=c is added): the answer.
fn login(base: &str, sc: &str) -> Response {
    let sc = format!("{sc},flow=c");
    let r = fetch(base, &sc, &issue(base, &sc));
    assert_eq!(r.status, 200);
    r
}

fn user(base: &str, prefix: &str, cookie: &str) -> Response {
    get_with_cookie(base, &format!("{prefix}{USER}"), cookie)
}

/// A logout with `csrf` in the query, on a fresh connection.
fn logout(base: &str, csrf: &str, cookie: &str) -> Response {
    Conn::open(base).request(
        "POST",
        &format!("{EXIT}?csrf={csrf}"),
        &[("Cookie", cookie)],
        b"",
    )
}

fn is_login(r: &Response) -> bool {
    let j = r.json();
    assert_eq!(j["code"], 0, "{j}");
    j["data"]["is_login"].as_bool().expect("is_login")
}

#[test]
fn confirm_shapes_keep_the_cookies() {
    let (_srv, base) = start();
    for (shape, data) in [
        ("sparse", json!({"mid": 42})),
        (
            "nulls",
            json!({"mid": null, "is_new": null, "go_url": null, "user_profile": null}),
        ),
        ("empty", json!({})),
    ] {
        let r = login(&base, &format!("confirm={shape},mid=42,id={shape}"));
        let j = r.json();
        assert_eq!(j["code"], 0);
        assert_eq!(j["data"], data, "{shape}");
        assert_eq!(names(&r.set_cookies()), full_cookie_set(), "{shape}");
        assert_eq!(value_of(&r.set_cookies(), "DedeUserID"), "42");
    }
    // With a go_url channel, go_url stays.
    let r = login(&base, "confirm=empty,gourl=1,id=ce");
    let go = r.json()["data"]["go_url"]
        .as_str()
        .expect("go_url")
        .to_string();
    assert!(go.ends_with("/gourl/hop1"), "{go}");
}

#[test]
fn string_codes_on_both_endpoints() {
    let (_srv, base) = start();
    let sc = "codestr=1,flow=wsce,id=cs";
    let r = get(&base, &format!("/s/{sc}{URL}"));
    assert_eq!(r.json()["code"], json!("0"));
    let t = ticket_of(&r);
    let mut codes = Vec::new();
    for _ in 0..4 {
        let r = fetch(&base, sc, &t);
        codes.push(r.json()["code"].clone());
        if r.json()["code"] == json!("0") {
            assert_eq!(names(&r.set_cookies()), full_cookie_set());
            assert_eq!(r.json()["data"]["mid"], 1709658507);
        }
    }
    assert_eq!(
        codes,
        [
            json!("10018101"),
            json!("10018102"),
            json!("0"),
            json!("10018100")
        ]
    );
}

#[test]
fn folded_set_cookie_is_one_line() {
    let (srv, base) = start();
    let r = login(&base, "folded=1,id=f");
    let lines = r.headers_named("set-cookie");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines[0];
    // Ten cookies joined with ", "; the Expires dates bring commas of their own.
    assert!(line.starts_with("SESSDATA="), "{line}");
    assert!(line.contains("GMT; HttpOnly; Secure, bili_jct="), "{line}");
    assert!(line.contains(", sid="), "{line}");
    assert!(line.matches("Expires=").count() >= 5);
    // The log still lists them one by one, and the fold is exactly their join.
    let rec = &srv.log()[1];
    assert_eq!(names(&rec.set_cookies), full_cookie_set());
    assert_eq!(rec.set_cookies.join(", "), line);
}

#[test]
fn long_sessdata_has_the_real_shape() {
    let (_srv, base) = start();
    let r = login(&base, "longsess=1,id=l");
    let sess = value_of(&r.set_cookies(), "SESSDATA");
    assert_eq!(sess.len(), 170, "{sess}");
    let parts: Vec<&str> = sess.split("%2C").collect();
    assert_eq!(parts.len(), 3);
    assert!(parts[0].len() == 8 && parts[0].bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(parts[1].len() == 10 && parts[1].bytes().all(|b| b.is_ascii_digit()));
    let (five, tail) = parts[2].split_once("%2A").expect("%2A");
    assert_eq!(five.len(), 5);
    assert_eq!(tail.len(), 138);
    assert!(tail
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // It is a session like any other.
    assert!(is_login(&user(&base, "", &format!("SESSDATA={sess}"))));
}

#[test]
fn credentials_in_the_go_url_query() {
    let (srv, base) = start();
    let sc = "gourl=query,mid=555,flow=c,id=q";
    let r = fetch(&base, sc, "tk");
    assert_eq!(
        r.set_cookies(),
        Vec::<String>::new(),
        "no cookies in headers"
    );
    let go = r.json()["data"]["go_url"]
        .as_str()
        .expect("go_url")
        .to_string();
    let prefix = format!("{base}/s/{sc}/gourl/crossDomain?");
    let query = go.strip_prefix(&prefix).expect("crossDomain URL");
    let keys: Vec<&str> = query
        .split('&')
        .map(|p| p.split_once('=').expect("k=v").0)
        .collect();
    assert_eq!(keys, QUERY_CREDENTIALS);
    let get_q = |k: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .expect("key")
            .to_string()
    };
    assert_eq!(get_q("DedeUserID"), "555");
    assert!(get_q("SESSDATA").contains("%2C"), "kept percent-encoded");
    assert_eq!(get_q("gourl"), "https%3A%2F%2Fwww.bilibili.tv%2F");
    let rec = &srv.log()[0];
    assert_eq!(
        rec.cookie_info,
        [
            format!("DedeUserID={}", get_q("DedeUserID")),
            format!("DedeUserID__ckMd5={}", get_q("DedeUserID__ckMd5")),
            format!("SESSDATA={}", get_q("SESSDATA")),
            format!("bili_jct={}", get_q("bili_jct")),
        ]
    );
    // The page is gone.
    let page = get(&base, go.trim_start_matches(&base));
    assert_eq!(page.status, 404);
    assert!(page.set_cookies().is_empty());
    // The query's SESSDATA is the session; its bili_jct the csrf.
    let cookie = format!("SESSDATA={}", get_q("SESSDATA"));
    assert!(is_login(&user(&base, "", &cookie)));
    assert_eq!(logout(&base, &get_q("bili_jct"), &cookie).code(), 0);
}

#[test]
fn hops_then_404_or_foreign() {
    let (_srv, base) = start();
    let sc = "gourl=hop404,flow=c,id=h4";
    let (r, hop1) = hop_login(&base, sc);
    let sess = value_of(&r.set_cookies(), "SESSDATA");
    let h1 = get(&base, &hop1);
    assert_eq!(h1.status, 302);
    assert_eq!(names(&h1.set_cookies()), ["bili_jct", "DedeUserID"]);
    assert_eq!(value_of(&h1.set_cookies(), "DedeUserID"), "1709658507");
    let loc = h1.header("location").expect("Location").to_string();
    assert_eq!(loc, format!("/s/{sc}/gourl/gone"));
    assert_eq!(get(&base, &loc).status, 404);
    // The hop's bili_jct belongs to that login's session.
    let jct = value_of(&h1.set_cookies(), "bili_jct");
    assert_eq!(logout(&base, &jct, &format!("SESSDATA={sess}")).code(), 0);

    let sc = "gourl=hopforeign,flow=c,id=hf";
    let (_, hop1) = hop_login(&base, sc);
    let h1 = get(&base, &hop1);
    assert_eq!(h1.status, 302);
    assert_eq!(
        names(&h1.set_cookies()),
        ["bili_jct", "joy_jct", "DedeUserID", "DedeUserID__ckMd5"]
    );
    assert_eq!(
        h1.header("location"),
        Some("https://evil.example.com/gourl/next")
    );
}

#[test]
fn sso_list_and_its_pages() {
    let (srv, base) = start();
    // Default: always answers, empty list.
    let r = get(&base, SSO);
    assert_eq!(
        r.json(),
        json!({"code":0,"message":"0","ttl":1,"data":{"sso":[]}})
    );
    assert_eq!(
        get(&base, &format!("/s/id=any{SSO}")).json()["data"]["sso"],
        json!([])
    );
    // sso=1: one loopback page and one foreign one.
    let sc = "sso=1,id=s1";
    let login_r = login(&base, sc);
    let sess = value_of(&login_r.set_cookies(), "SESSDATA");
    let jct = value_of(&login_r.set_cookies(), "bili_jct");
    let r = get_with_cookie(
        &base,
        &format!("/s/{sc},flow=c{SSO}"),
        &format!("SESSDATA={sess}"),
    );
    let list = r.json()["data"]["sso"].clone();
    let local = format!("{base}/s/{sc},flow=c/sso/set");
    assert_eq!(list, json!([local, "https://evil.example.com/sso/set"]));
    let page = get_with_cookie(
        &base,
        local.trim_start_matches(&base),
        &format!("SESSDATA={sess}"),
    );
    assert_eq!(page.status, 200);
    let set = page.set_cookies();
    assert_eq!(names(&set), ["SESSDATA", "bili_jct", "DedeUserID"]);
    for c in &set {
        assert_eq!(attr(c, "Domain"), Some("biliintl.com"), "{c}");
    }
    assert_eq!(value_of(&set, "SESSDATA"), sess);
    assert_eq!(value_of(&set, "bili_jct"), jct);
    // Without a cookie the page hands out the scenario's latest login.
    let page = get(&base, local.trim_start_matches(&base));
    assert_eq!(value_of(&page.set_cookies(), "SESSDATA"), sess);
    // Failures.
    assert_eq!(get(&base, &format!("/s/sso=fail{SSO}")).code(), -101);
    assert_eq!(get(&base, &format!("/s/sso=500{SSO}")).status, 500);
    // The log keeps the Cookie header sent.
    let log = srv.log();
    let rec = log
        .iter()
        .find(|r| r.path.ends_with("/sso/list") && !r.cookies.is_empty())
        .expect("sso/list with cookies");
    assert_eq!(rec.cookies, [format!("SESSDATA={sess}")]);
}

#[test]
fn gate_cookie_must_come_back() {
    let (srv, base) = start();
    let sc = "gate=1,flow=c,id=g";
    let r = get(&base, &format!("/s/{sc}{URL}"));
    let sc_lines = r.set_cookies();
    assert_eq!(sc_lines.len(), 1);
    let (name, gate) = pair(&sc_lines[0]);
    assert_eq!(name, "pp_gate");
    assert_eq!(gate.len(), 16);
    assert_eq!(attr(&sc_lines[0], "Domain"), None, "host-only");
    assert!(attr(&sc_lines[0], "HttpOnly").is_some());
    let t = ticket_of(&r);
    let target = format!("/s/{sc}{FETCH}?ticket={t}");
    // Without the cookie (or with another value) the ticket stays waiting, however often it is asked.
    for cookie in ["", "pp_gate=0000000000000000", "other=1"] {
        for _ in 0..3 {
            let r = if cookie.is_empty() {
                get(&base, &target)
            } else {
                get_with_cookie(&base, &target, cookie)
            };
            assert_eq!(r.code(), 10018101, "{cookie}");
            assert!(r.set_cookies().is_empty());
        }
    }
    // With it: the flow (c) goes on.
    let r = get_with_cookie(&base, &target, &format!("sid=x; pp_gate={gate}"));
    assert_eq!(r.code(), 0);
    assert_eq!(names(&r.set_cookies()), full_cookie_set());
    let rec = srv.log().last().cloned().expect("record");
    assert_eq!(
        rec.cookies,
        ["sid=x".to_string(), format!("pp_gate={gate}")]
    );
    // A ticket the server never issued is never confirmed.
    let r = get_with_cookie(
        &base,
        &format!("/s/{sc}{FETCH}?ticket=someoneelse"),
        &format!("pp_gate={gate}"),
    );
    assert_eq!(r.code(), 10018101);
}

#[test]
fn rate_limits_with_retry_after() {
    let (_srv, base) = start();
    let r = get(&base, &format!("/s/fault=429,retry=3{URL}"));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    let r = get(&base, &format!("/s/fault=429{URL}"));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None);
    let r = get(&base, &format!("/s/fault=503,retry=7{FETCH}?ticket=t"));
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("7"));
    let r = get(&base, &format!("/s/fault=429,retrydate=1,retry=5{URL}"));
    let date = r.header("retry-after").expect("Retry-After");
    let when = httpdate::parse_http_date(date).expect("an HTTP-date");
    let ahead = when
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
        .as_secs();
    assert!((4..=6).contains(&ahead), "{date}: {ahead}s ahead");
    // Transient, and the ticket does not advance while limited.
    let sc = "fault=429,retry=1,times=2,on=fetch,flow=wc,id=rl";
    assert_eq!(fetch(&base, sc, "t").status, 429);
    assert_eq!(fetch(&base, sc, "t").status, 429);
    assert_eq!(fetch(&base, sc, "t").code(), 10018101);
    assert_eq!(fetch(&base, sc, "t").code(), 0);
}

#[test]
fn captcha_demand() {
    let (_srv, base) = start();
    for target in [URL.to_string(), format!("{FETCH}?ticket=t")] {
        let r = get(&base, &format!("/s/fault=captcha{target}"));
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["code"], -401);
        assert_eq!(
            j["data"]["ga_data"]["decisions"],
            json!(["verify_captcha_level2"])
        );
        assert!(j["data"]["v_voucher"]
            .as_str()
            .is_some_and(|v| v.starts_with("voucher_")));
    }
}

#[test]
fn session_check_and_logout() {
    let (srv, base) = start();
    let r = login(&base, "mid=99,name=Zoe,id=sess");
    let set = r.set_cookies();
    let sess = value_of(&set, "SESSDATA");
    let jct = value_of(&set, "bili_jct");
    let cookie = format!("SESSDATA={sess}; bili_jct={jct}; DedeUserID=99");
    assert_eq!(srv.sessions(), 1);
    // Valid, under any prefix.
    for prefix in ["", "/s/id=other"] {
        let r = user(&base, prefix, &cookie);
        let j = r.json();
        assert_eq!(j["code"], 0);
        assert_eq!(j["data"]["is_login"], true);
        assert_eq!(j["data"]["mid"], 99);
        assert_eq!(j["data"]["name"], "Zoe");
        assert!(j["data"]["face"]
            .as_str()
            .is_some_and(|f| f.starts_with("https://")));
        assert!(r.set_cookies().is_empty(), "no renewal by default");
    }
    // Unknown session, no cookie.
    assert!(!is_login(&user(&base, "", "SESSDATA=nope")));
    assert!(!is_login(&get(&base, USER)));
    assert_eq!(
        get(&base, &format!("/s/expired=101{USER}")).json(),
        json!({"code":-101,"message":"账号未登录","ttl":1,"data":null})
    );
    // verify=reject: nobody is logged in; verify=down: no answer at all.
    assert!(!is_login(&user(&base, "/s/verify=reject", &cookie)));
    let mut c = Conn::open(&base);
    c.send_raw(
        format!("GET /s/verify=down{USER} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n")
            .as_bytes(),
    );
    assert!(c.read_response().is_none());

    // Logout: GET is refused, a wrong csrf is -111 (session kept), the right one (form body) ends it.
    let r = get_with_cookie(&base, &format!("{EXIT}?csrf={jct}"), &cookie);
    assert_eq!(r.status, 405);
    assert_eq!(logout(&base, "bad", &cookie).code(), -111);
    let mut c = Conn::open(&base);
    let r = c.request("POST", EXIT, &[("Cookie", &cookie)], b"");
    assert_eq!(r.code(), -111, "no csrf at all");
    assert!(is_login(&user(&base, "", &cookie)));
    let form = format!("csrf={jct}");
    let r = c.request(
        "POST",
        EXIT,
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    assert_eq!(
        r.json(),
        json!({"code":0,"message":"0","ttl":1,"data":{"go_url":""}})
    );
    let rec = srv.log().last().cloned().expect("record");
    assert_eq!(rec.form.get("csrf"), Some(&jct));
    assert_eq!(rec.method, "POST");
    assert!(rec.cookies.contains(&format!("SESSDATA={sess}")));
    // Ended: logged out, and a second logout is -101.
    assert!(!is_login(&user(&base, "", &cookie)));
    assert_eq!(logout(&base, &jct, &cookie).code(), -101);
    assert_eq!(srv.sessions(), 0);

    // end_sessions ends every session; reset keeps them.
    let r = login(&base, "id=sess2");
    let cookie = format!("SESSDATA={}", value_of(&r.set_cookies(), "SESSDATA"));
    srv.reset();
    assert!(is_login(&user(&base, "", &cookie)));
    srv.end_sessions();
    assert!(!is_login(&user(&base, "", &cookie)));
}

#[test]
fn renewal_replaces_sessdata() {
    let (_srv, base) = start();
    let r = login(&base, "id=ren");
    let old = value_of(&r.set_cookies(), "SESSDATA");
    let jct = value_of(&r.set_cookies(), "bili_jct");
    let r = user(&base, "/s/renew=1", &format!("SESSDATA={old}"));
    assert!(is_login(&r));
    let set = r.set_cookies();
    assert_eq!(names(&set), ["SESSDATA"]);
    assert_eq!(attr(&set[0], "Domain"), Some("bilibili.tv"));
    assert!(attr(&set[0], "HttpOnly").is_some());
    let new = value_of(&set, "SESSDATA");
    assert_ne!(new, old);
    assert_eq!(new.split("%2C").count(), 3);
    assert!(!is_login(&user(&base, "", &format!("SESSDATA={old}"))));
    assert!(is_login(&user(&base, "", &format!("SESSDATA={new}"))));
    // bili_jct unchanged: logout with the new SESSDATA and the old csrf.
    assert_eq!(logout(&base, &jct, &format!("SESSDATA={new}")).code(), 0);
}

#[test]
fn nocookies_makes_no_session_and_the_log_records_cookies() {
    let (srv, base) = start();
    let r = login(&base, "fault=nocookies,id=nc");
    assert!(r.set_cookies().is_empty());
    assert_eq!(srv.sessions(), 0);
    let _ = get_with_cookie(&base, URL, "a=1;b=2");
    let mut c = Conn::open(&base);
    c.send_raw(
        format!("GET {URL} HTTP/1.1\r\nHost: x\r\nCookie: c=3\r\nCookie: d=4\r\n\r\n").as_bytes(),
    );
    assert!(c.read_response().is_some());
    let log = srv.log();
    let n = log.len();
    assert_eq!(log[n - 2].cookies, ["a=1", "b=2"]);
    assert_eq!(log[n - 1].cookies, ["c=3", "d=4"]);
    assert!(log[0].cookies.is_empty());
}
