//! The TV/app token login (options `site: "main"`, `flow: "tv"`, ABI 3) through the C ABI against the fake
//! server: the whole token life (login → save → check → refresh → check, the old token retired once the
//! new one is used), the key pair rules (-663), the signer's field order checked by the server (-3), and the
//! secrets rules (no message holds a token, a cookie value or more than 6 characters of an auth code).

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::{json, Value};
use std::io::{Read, Write};

const ANDROID_KEY: &str = "783bbb7264451d82";
const ANDROID_SECRET: &str = "2653583c8873dea268ab9386918b1d65";

/// A TV login confirmed at its first poll (`flow=c` scenarios): the poll object.
fn login(env: &Env, opts: &str) -> Value {
    let want_key = serde_json::from_str::<Value>(opts).unwrap()["app_key"]
        .as_str()
        .unwrap_or("4409e2ce8ffd12b8")
        .to_owned();
    let qr = start(Some(opts)).expect(BILI_QR_OK).json();
    let code = qr["ticket"].as_str().expect("ticket").to_owned();
    remember_secret(&code);
    assert_eq!(code.len(), 32);
    assert_eq!(qr["site"], "main");
    assert_eq!(qr["qr_type"], "main_tv");
    let url = qr["qr_url"].as_str().unwrap();
    assert!(url.ends_with(&format!("auth_code={code}")), "{url}");
    // Polling by the QR URL works too.
    let v = poll(url, Some(opts)).expect(BILI_QR_OK).json();
    remember_object(&v);
    assert_eq!(v["status"], "confirmed");
    let again = poll(&code, Some(opts)).expect(BILI_QR_EXPIRED).json();
    assert_eq!(again["code"], 86038);
    // Both requests were signed POSTs whose form carried the code.
    let polls = env.requests_to("/x/passport-tv-login/qrcode/poll");
    assert_eq!(polls.len(), 2);
    for p in &polls {
        assert_eq!(p.method, "POST");
        assert_eq!(p.form.get("auth_code"), Some(&code));
        assert_eq!(
            p.form.get("appkey").map(String::as_str),
            Some(want_key.as_str())
        );
        assert_eq!(p.form.get("local_id").map(String::as_str), Some("0"));
    }
    v
}

#[test]
fn the_whole_token_life() {
    let env = Env::new("id=tv-life,flow=c");
    let opts = env.tv_opts(json!({}));
    let t0 = now_unix();
    let confirmed = login(&env, &opts);
    assert_eq!(confirmed["site"], "main");
    assert_eq!(confirmed["flow"], "tv");
    assert_eq!(confirmed["code"], 0);
    let token = &confirmed["token"];
    let access = token["access_token"].as_str().unwrap().to_owned();
    let refresh_token = token["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(access.len(), 32);
    assert_eq!(refresh_token.len(), 32);
    let expires_at = token["expires_at"].as_i64().unwrap();
    assert!(expires_at >= t0 + 15_552_000 && expires_at <= now_unix() + 15_552_000);
    assert!(confirmed.get("refresh_token").is_none(), "{confirmed}");
    assert_eq!(
        confirmed["cookie_domains"],
        json!(["bilibili.com", "biligame.com"])
    );
    // The cookies are cookie_info's, for .bilibili.com; the header holds them in order.
    assert_eq!(cookie_names(&confirmed), service::TV_COOKIES);
    let rec = env.requests_to("/x/passport-tv-login/qrcode/poll");
    let sent: Vec<String> = rec[0].cookie_info.clone();
    let header = confirmed["cookie_header"].as_str().unwrap();
    assert_eq!(header, sent.join("; "));
    assert!(confirmed["cookies"][0]["http_only"] == true);
    assert_eq!(confirmed["cookies"][0]["domain"], "bilibili.com");
    assert!(
        confirmed["warnings"].as_array().unwrap().is_empty(),
        "{confirmed}"
    );
    let mid = confirmed["mid"].as_i64().unwrap();
    assert!(mid > 0);

    // Save: the JSON form keeps the token; the header and cookies.txt forms never carry it.
    let saved = convert(&confirmed.to_string(), "json")
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(saved["token"], confirmed["token"]);
    assert_eq!(saved["flow"], "tv");
    assert_eq!(saved["site"], "main");
    for format in ["header", "netscape"] {
        let text = convert(&confirmed.to_string(), format).expect(BILI_QR_OK);
        assert!(!text.text().contains(&access) && !text.text().contains(&refresh_token));
    }
    let saved = saved.to_string();

    // Check: oauth2/info, signed, with the access token.
    let sopts = env.session_opts(json!({}));
    let checked = check(&saved, Some(&sopts)).expect(BILI_QR_OK).json();
    assert_eq!(checked["status"], "valid");
    assert_eq!(checked["refresh_needed"], false);
    assert_eq!(checked["mid"], mid);
    assert_eq!(checked["token"]["access_token"], access.as_str());
    let infos = env.requests_to("/x/passport-login/oauth2/info");
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].query.get("access_key"), Some(&access));
    assert_eq!(
        infos[0].query.get("actionKey").map(String::as_str),
        Some("appkey")
    );

    // Refresh: a new token and new cookies, no confirmation.
    let renewed = refresh(&saved, &sopts).expect(BILI_QR_OK).json();
    assert_eq!(renewed["status"], "refreshed");
    assert_eq!(renewed["flow"], "tv");
    let new_access = renewed["token"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_refresh = renewed["token"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_access, access);
    assert_ne!(new_refresh, refresh_token);
    assert_ne!(renewed["cookie_header"], confirmed["cookie_header"]);
    assert!(renewed.get("previous_refresh_token").is_none());
    let posts = env.requests_to("/x/passport-login/oauth2/refresh_token");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].form.get("refresh_token"), Some(&refresh_token));
    assert_eq!(posts[0].form.get("access_key"), Some(&access));

    // The old token still works until the new one is used (the service's rule): a lost answer loses nothing.
    let old_again = check(&saved, Some(&sopts)).expect(BILI_QR_OK).json();
    assert_eq!(old_again["status"], "valid");
    // The new token checks valid, and from then on the old one is retired.
    let saved_new = convert(&renewed.to_string(), "json")
        .expect(BILI_QR_OK)
        .text()
        .to_owned();
    let checked = check(&saved_new, Some(&sopts)).expect(BILI_QR_OK).json();
    assert_eq!(checked["status"], "valid");
    let old = check(&saved, Some(&sopts)).expect(BILI_QR_EXPIRED).json();
    assert_eq!(old["status"], "expired");
    // Renewing with the retired token: expired, nothing changed.
    let r = refresh(&saved, &sopts).expect(BILI_QR_EXPIRED).json();
    assert_eq!(r["status"], "expired");
    assert_eq!(r["token"]["access_token"], access.as_str());
    // The renewed web cookies are a live web session too (nav).
    let web = check(
        &json!({"site":"main","cookies": renewed["cookies"]}).to_string(),
        Some(&sopts),
    )
    .expect(BILI_QR_OK)
    .json();
    assert_eq!(web["status"], "valid");
}

#[test]
fn refresh_needed_and_waiting_states() {
    let env = Env::new("id=tv-states,flow=wsc,tokenrefresh=1");
    let opts = env.tv_opts(json!({}));
    let qr = start(Some(&opts)).expect(BILI_QR_OK).json();
    let code = qr["ticket"].as_str().unwrap().to_owned();
    remember_secret(&code);
    let w = poll(&code, Some(&opts)).expect(BILI_QR_WAITING).json();
    assert_eq!(
        (w["status"].as_str(), w["code"].as_i64()),
        (Some("waiting"), Some(86039))
    );
    let s = poll(&code, Some(&opts)).expect(BILI_QR_SCANNED).json();
    assert_eq!(s["code"], 86090);
    let v = wait(&code, Some(&opts)).expect(BILI_QR_OK).json();
    remember_object(&v);
    assert_eq!(v["flow"], "tv");
    let checked = check(&v.to_string(), Some(&env.session_opts(json!({}))))
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(checked["refresh_needed"], true);
}

#[test]
fn expired_code() {
    let env = Env::new("id=tv-exp,flow=we");
    let opts = env.tv_opts(json!({}));
    let code = ticket_of(&opts);
    let v = wait(&code, Some(&opts)).expect(BILI_QR_EXPIRED).json();
    assert_eq!(v["code"], 86038);
}

#[test]
fn key_pairs() {
    let env = Env::new("id=tv-pairs,flow=c");
    // A token issued to the Android pair is refused with the TV pair (-663) and works with its own.
    let android = json!({"app_key": ANDROID_KEY, "app_secret": ANDROID_SECRET});
    let v = login(&env, &env.tv_opts(android.clone()));
    let e = check(&v.to_string(), Some(&env.session_opts(json!({}))))
        .expect_err(BILI_QR_ERR_API, &["-663", "app_key"]);
    drop(e);
    check(&v.to_string(), Some(&env.session_opts(android.clone()))).expect(BILI_QR_OK);
    let r = refresh(&v.to_string(), &env.session_opts(android)).expect(BILI_QR_OK);
    assert_eq!(r.json()["status"], "refreshed");
    // A pair the service does not know: every request is refused (-3), and the secret is in no message.
    let bad_secret = "0123456789abcdef0123456789abcdef";
    remember_secret(bad_secret);
    let bad = env.tv_opts(json!({"app_key": ANDROID_KEY, "app_secret": bad_secret}));
    start(Some(&bad)).expect_err(BILI_QR_ERR_API, &["-3", "signature"]);
    // Options rules.
    for o in [
        json!({"flow": "tv"}),
        json!({"site": "intl", "flow": "tv"}),
        json!({"site": "main", "flow": "tv", "app_key": ANDROID_KEY}),
    ] {
        start(Some(&env.opts(o))).expect_err(BILI_QR_ERR_ARGUMENT, &[]);
    }
}

/// One raw form POST to the fake server; the JSON answer.
fn raw_post(base: &str, path: &str, body: &str) -> Value {
    let rest = base.strip_prefix("http://").unwrap();
    let (authority, prefix) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let mut s = std::net::TcpStream::connect(authority).unwrap();
    let req = format!(
        "POST /{prefix}{path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (_, json) = out.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(json).unwrap()
}

/// The library's signer builds what the server accepts; the same fields out of order, or with `sign` not
/// last, or one field changed after signing, are refused with -3 — so a wrong or missing field in the
/// library's requests would be caught by the server's check.
#[test]
fn the_server_checks_the_signers_order() {
    use bili_qr::tv::sign::{ordered, query_of, sign_of, signed};
    use bili_qr::tv::{TV_APP_KEY, TV_APP_SECRET};
    let env = Env::new("id=tv-sign,flow=w");
    let base = env.base();
    let path = "/x/passport-tv-login/qrcode/auth_code";
    let ts = now_unix().to_string();
    let fields = [("ts", ts.as_str()), ("local_id", "0")];
    let good = signed(&fields, TV_APP_KEY, TV_APP_SECRET);
    assert_eq!(raw_post(&base, path, &good)["code"], 0);
    // Sorted fields, but the signature over them in the given (unsorted) order.
    let mut unsorted: Vec<(&str, &str)> = fields.to_vec();
    unsorted.push(("appkey", TV_APP_KEY));
    let q = query_of(&unsorted);
    let body = format!("{q}&sign={}", sign_of(&q, TV_APP_SECRET));
    assert_eq!(raw_post(&base, path, &body)["code"], -3);
    // The sorted order with sign moved first.
    let sorted = ordered(&fields, TV_APP_KEY);
    let q = query_of(&sorted);
    let body = format!("sign={}&{q}", sign_of(&q, TV_APP_SECRET));
    assert_eq!(raw_post(&base, path, &body)["code"], -3);
    // Two sorted fields swapped after signing.
    let mut swapped = sorted.clone();
    swapped.swap(1, 2);
    let body = format!("{}&sign={}", query_of(&swapped), sign_of(&q, TV_APP_SECRET));
    assert_eq!(raw_post(&base, path, &body)["code"], -3);
    // A field left out after signing.
    let body = format!(
        "{}&sign={}",
        query_of(&sorted[1..]),
        sign_of(&q, TV_APP_SECRET)
    );
    assert_eq!(raw_post(&base, path, &body)["code"], -3);
}

#[test]
fn hostile_and_partial_answers() {
    // A confirmed login without web cookies still hands out its token (the login is spent).
    let env = Env::new("id=tv-nocookies,flow=c,fault=nocookies");
    let v = login(&env, &env.tv_opts(json!({})));
    assert!(v["cookies"].as_array().unwrap().is_empty());
    assert!(!v["warnings"].as_array().unwrap().is_empty());
    assert_eq!(v["token"]["access_token"].as_str().unwrap().len(), 32);
    // The session object of that login is still a session (its token).
    let saved = convert(&v.to_string(), "json").expect(BILI_QR_OK).json();
    assert_eq!(saved["token"], v["token"]);
    // An API error of the poll.
    let env = Env::new("id=tv-api,fault=api-412,on=fetch");
    let opts = env.tv_opts(json!({}));
    let code = ticket_of(&opts);
    poll(&code, Some(&opts)).expect_err(BILI_QR_ERR_API, &["-412"]);
    // A token session whose token object is broken: an argument error, nothing sent.
    let before = env.log().len();
    check(
        r#"{"site":"main","token":{"access_token":"x"}}"#,
        Some(&env.session_opts(json!({}))),
    )
    .expect_err(BILI_QR_ERR_ARGUMENT, &["token"]);
    assert_eq!(env.log().len(), before);
}
