//! bili_qr_poll: the request, every state, the confirmed object and its cookies (go_url hops,
//! cookie_info), and the ticket argument (malformed tickets are argument errors, nothing sent).

use crate::common::login::*;
use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::State;
use bili_qr_fake_server::FETCH_PATH;
use serde_json::{json, Value};
use service::KEPT;

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
        let q = query_pairs(rec);
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

/// Polls `ticket` once with `env`'s default options, which confirms: the poll object, and the clock (unix
/// seconds) just before and just after the call, which bound the cookies' expiry times.
fn confirmed_poll(env: &Env, ticket: &str) -> (Value, i64, i64) {
    let t0 = now_unix();
    let v = poll(ticket, Some(&env.default_opts()))
        .expect(BILI_QR_OK)
        .json();
    (v, t0, now_unix())
}

#[test]
fn poll_confirmed_object_is_exact() {
    let env = Env::new("id=confirm,flow=c,mid=424242,name=Alice,foreign=1");
    let ticket = env.new_ticket();
    let (v, t0, t1) = confirmed_poll(&env, &ticket);
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
    assert_eq!(
        cookie_names(&v),
        KEPT,
        "kept cookies, in order (deleted and foreign ones dropped)"
    );
    assert_cookies_are(&v, &kept, t0, t1);
    let cookies = v["cookies"].as_array().unwrap();

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
    let (v, t0, t1) = confirmed_poll(&env, "gourlticket01");
    assert_eq!(v["go_url"], format!("{}/gourl/hop1", env.base()));
    let log = env.log();
    let paths: Vec<String> = log.iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            format!("/s/id=gourl,flow=c,gourl=1{FETCH_PATH}"),
            "/s/id=gourl,flow=c,gourl=1/gourl/hop1".into(),
            "/s/id=gourl,flow=c,gourl=1/gourl/hop2".into(),
            // The sso step after every confirmed login.
            "/s/id=gourl,flow=c,gourl=1/x/intl/passport-login/web/sso/list".into(),
        ]
    );
    assert!(
        !log[0].headers.contains_key("cookie"),
        "no Cookie header on the fetch"
    );
    // The hops and sso/list carry the cookies collected so far, as a browser does.
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
    assert_cookies_are(&v, &kept, t0, t1);
}

/// The poll object's cookies are `kept` (what a correct client keeps of the same headers), one by one and
/// in order, and its `cookie_header` is theirs.
#[track_caller]
fn assert_cookies_are(v: &Value, kept: &[SetCookie], t0: i64, t1: i64) {
    let cookies = v["cookies"].as_array().expect("cookies");
    assert_eq!(cookies.len(), kept.len(), "{v}");
    for (obj, sc) in cookies.iter().zip(kept) {
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
    let (v, t0, t1) = confirmed_poll(&env, "foreignticket");
    assert_eq!(v["go_url"], "https://evil.example.com/steal");
    let log = env.log();
    // The fetch and the sso step's sso/list; never evil.example.com.
    assert_eq!(log.len(), 2);
    assert!(log[1].path.ends_with("/web/sso/list"), "{}", log[1].path);
    let kept = kept(&log[0].set_cookies, t1);
    assert_eq!(
        cookie_names(&v),
        KEPT,
        "all cookies come from the confirmed answer"
    );
    assert_cookies_are(&v, &kept, t0, t1);
}

#[test]
fn poll_takes_cookies_from_cookie_info() {
    let env = Env::new("id=cookieinfo,flow=c,cookieinfo=1");
    let (v, t0, _) = confirmed_poll(&env, "cookieinfoticket");
    let rec = env.fetches().pop().unwrap();
    assert_eq!(rec.set_cookies.len(), 1);
    let sess = SetCookie::parse(&rec.set_cookies[0]);
    let cookies = v["cookies"].as_array().unwrap();
    assert_eq!(
        cookie_names(&v),
        ["SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5"]
    );
    assert_cookie_matches(&cookies[0], &sess, t0, now_unix());
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
        assert!((t0 + 179 * 86400..t0 + 181 * 86400).contains(&e), "{e}");
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
    let r = wait(qr_url, Some(&opts)).expect(BILI_QR_OK);
    assert_eq!(r.json()["status"], "confirmed");
    // cancel takes the URL too (after the wait: a cancel before it would be kept for it and end it).
    assert_eq!(cancel(qr_url).status, 0);
    for rec in env.fetches() {
        assert_eq!(rec.query["ticket"], ticket);
    }
}

/// Malformed tickets (each message must mention "ticket").
fn bad_tickets() -> Vec<String> {
    vec![
        String::new(),
        "Q".repeat(129),
        "Zq7Xw9kLm2 spaced".into(),
        "Zq7Xw9kLm2/slash".into(),
        "Zq7Xw9kLm2+plus".into(),
        "Zq7Xw9kLm2%41pct".into(),
        "Zq7Xw9kLm2é".into(),
        "Zq7Xw9kLm2\tTab".into(),
        "Zq7Xw9kLm2=eq".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login?foo=Zq7Xw9kLm2".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login?ticket=".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login?ticket=Zq7X%20w9kLm2".into(),
        format!(
            "https://www.bilibili.tv/h5/en/qrcode/login?ticket={}",
            "Q".repeat(129)
        ),
    ]
}

/// The bad tickets carry `Zq7Xw9kLm2` or `QQQQ…`: no message may repeat more than 6 characters of them.
#[track_caller]
fn assert_no_marker(message: &str) {
    assert!(
        !message.contains("Zq7Xw9k") && !message.contains("QQQQQQQ"),
        "a message repeats the ticket: {message}"
    );
}

#[test]
fn malformed_tickets_are_argument_errors_and_nothing_is_sent() {
    let env = Env::new("id=badtickets,flow=w");
    let opts = env.default_opts();
    for t in bad_tickets() {
        let r = poll(&t, Some(&opts)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("ticket"), "{t:?}: {}", r.error);
        assert_no_marker(&r.error);
        let r = wait(&t, Some(&opts)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("ticket"), "{t:?}: {}", r.error);
        assert_no_marker(&r.error);
        let r = cancel(&t).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("ticket"), "{t:?}: {}", r.error);
        assert_no_marker(&r.error);
    }
    env.assert_nothing_sent("a malformed ticket must send nothing");
}

#[test]
fn ticket_length_bounds_1_and_128_are_accepted() {
    let env = Env::new("id=ticketbounds,flow=w");
    let opts = env.default_opts();
    for t in ["Z".to_owned(), "Ab-_.~".repeat(21) + "xy"] {
        assert!(t.len() == 1 || t.len() == 128);
        let r = poll(&t, Some(&opts)).expect(BILI_QR_WAITING);
        assert_eq!(r.json()["status"], "waiting");
    }
    let sent: Vec<String> = env
        .fetches()
        .iter()
        .map(|r| r.query["ticket"].clone())
        .collect();
    assert_eq!(sent, ["Z".to_owned(), "Ab-_.~".repeat(21) + "xy"]);
}
