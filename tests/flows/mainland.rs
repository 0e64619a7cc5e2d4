//! The mainland site (option `site: "main"`, ABI 3) through the C ABI against the fake server: the whole
//! session life (login → save → check → refresh → confirm → check → logout → check expired), every confirmed
//! cookie shape (`mcookies=`), 412 without browser headers, -352 without device cookies, a stale
//! correspondPath (404), 86095, a crash between refresh and confirm, and the secrets rules (no message holds
//! a cookie value, a refresh token or more than 6 characters of a qrcode_key).

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::{json, Value};

/// Starts a mainland login and polls it once (scenarios with `flow=c`): the confirmed poll object.
fn login(env: &Env, opts: &str) -> Value {
    let qr = start(Some(opts)).expect(BILI_QR_OK).json();
    let key = qr["ticket"].as_str().expect("ticket").to_owned();
    remember_secret(&key);
    assert_eq!(key.len(), 32);
    assert_eq!(qr["site"], "main");
    assert!(qr["qr_url"].as_str().is_some_and(|u| u
        .starts_with("https://passport.bilibili.com/h5-app/passport/login/scan?")
        && u.contains(&format!("qrcode_key={key}"))));
    let r = poll(&key, Some(opts)).expect(BILI_QR_OK);
    let v = r.json();
    remember_object(&v);
    assert_eq!(v["status"], "confirmed");
    assert_eq!(v["site"], "main");
    assert_eq!(v["code"], 0);
    // The key is spent: another poll says expired.
    let again = poll(&key, Some(opts)).expect(BILI_QR_EXPIRED).json();
    assert_eq!(again["code"], 86038);
    // The poll request carried the key.
    assert!(env
        .requests_to("/x/passport-login/web/qrcode/poll")
        .iter()
        .any(|r| r.query.get("qrcode_key") == Some(&key)));
    v
}

#[track_caller]
fn assert_session(v: &Value) {
    for name in ["SESSDATA", "bili_jct", "DedeUserID"] {
        assert!(
            cookie(v, name).is_some_and(|c| !c.is_empty()),
            "no {name} in {v}"
        );
    }
}

#[test]
fn the_whole_session_life() {
    let env = Env::new("id=main-life,flow=c");
    let opts = env.main_opts(json!({}));
    let confirmed = login(&env, &opts);
    assert_session(&confirmed);
    for key in [
        "mid",
        "is_new",
        "go_url",
        "user_profile",
        "cookies",
        "cookie_header",
        "warnings",
        "host",
        "refresh_token",
    ] {
        assert!(confirmed.get(key).is_some(), "the poll object lacks {key}");
    }
    let token = confirmed["refresh_token"].as_str().expect("refresh_token");
    assert_eq!(token.len(), 32);
    let mid = cookie(&confirmed, "DedeUserID")
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert_eq!(confirmed["mid"], mid);
    assert!(
        confirmed["warnings"].as_array().unwrap().is_empty(),
        "{confirmed}"
    );
    // The device cookies came with the login.
    assert!(cookie(&confirmed, "buvid3").is_some_and(|b| b.ends_with("infoc")));
    assert!(cookie(&confirmed, "buvid4").is_some());
    // The refresh token is not a cookie and is never sent as one.
    assert!(cookie(&confirmed, "ac_time_value").is_none());
    assert!(!confirmed["cookie_header"].as_str().unwrap().contains(token));

    // Saved as a cookies.txt: the refresh token travels in it, on the refresh endpoint's path only.
    let file = convert(&confirmed.to_string(), "netscape")
        .expect(BILI_QR_OK)
        .text()
        .to_owned();
    let token_line = file
        .lines()
        .find(|l| l.contains("\tac_time_value\t"))
        .expect("the refresh token line");
    assert!(token_line
        .starts_with("#HttpOnly_127.0.0.1\tFALSE\t/x/passport-login/web/cookie/refresh\tTRUE\t"));
    assert!(token_line.ends_with(token));
    assert!(file.contains(".bilibili.com\tTRUE\t/\t"));
    let header = convert(&file, "header")
        .expect(BILI_QR_OK)
        .text()
        .to_owned();
    assert!(!header.contains(token) && !header.contains("ac_time_value"));
    let json_again = convert(&file, "json").expect(BILI_QR_OK).json();
    assert_eq!(json_again["site"], "main");
    assert_eq!(json_again["refresh_token"], token);

    // Check, from the saved file: nav and cookie/info.
    let checked = check(&file, Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(checked["status"], "valid");
    assert_eq!(checked["site"], "main");
    assert_eq!(checked["mid"], mid);
    assert!(checked["name"].is_string());
    assert_eq!(checked["refresh_needed"], false);
    assert_eq!(checked["refresh_token"], token);
    let nav = env.requests_to("/x/web-interface/nav");
    let last = nav.last().expect("nav was asked");
    let sess = cookie(&confirmed, "SESSDATA").unwrap();
    assert!(last.cookies.contains(&format!("SESSDATA={sess}")));
    assert!(last.cookies.iter().all(|c| !c.starts_with("ac_time_value")));
    assert_eq!(
        last.headers.get("referer").map(String::as_str),
        Some("https://www.bilibili.com/")
    );

    // Refresh: a new session, the old one still works until the confirmation.
    let old = confirmed.to_string();
    let r = refresh(&old, &opts).expect(BILI_QR_OK).json();
    assert_eq!(r["status"], "refreshed");
    assert_eq!(r["site"], "main");
    assert_eq!(r["previous_refresh_token"], token);
    let new_token = r["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    assert_session(&r);
    assert_ne!(cookie(&r, "SESSDATA"), cookie(&confirmed, "SESSDATA"));
    assert_ne!(cookie(&r, "bili_jct"), cookie(&confirmed, "bili_jct"));
    assert!(cookie(&r, "buvid3").is_some(), "the device cookies stay");
    let form = &env.requests_to("/x/passport-login/web/cookie/refresh")[0];
    assert_eq!(form.method, "POST");
    let field = |k: &str| form.form.get(k).map(String::as_str);
    assert_eq!(field("source"), Some("main_web"));
    assert_eq!(field("refresh_token"), Some(token));
    assert_eq!(field("csrf"), cookie(&confirmed, "bili_jct"));
    assert_eq!(field("refresh_csrf").map(str::len), Some(32));
    let info = &env.requests_to("/x/passport-login/web/cookie/info")[0];
    assert_eq!(
        info.query.get("csrf").map(String::as_str),
        cookie(&confirmed, "bili_jct")
    );
    check(&old, Some(&opts)).expect(BILI_QR_OK);

    // The refreshed session saved as a file keeps the pending confirmation.
    let refreshed_file = convert(&r.to_string(), "netscape")
        .expect(BILI_QR_OK)
        .text()
        .to_owned();
    assert!(refreshed_file.contains("\tbili_qr_previous_ac_time_value\t"));
    // Refreshing again before the confirmation is refused, with nothing sent.
    let before = env.log().len();
    refresh(&refreshed_file, &opts).expect_err(BILI_QR_ERR_ARGUMENT, &["bili_qr_refresh_confirm"]);
    assert_eq!(env.log().len(), before);

    // Confirm: the old session ends, the new one works.
    let done = refresh_confirm(&refreshed_file, &opts)
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(done["status"], "confirmed");
    assert!(done.get("previous_refresh_token").is_none());
    assert_eq!(done["refresh_token"], new_token.as_str());
    let confirm = &env.requests_to("/x/passport-login/web/confirm/refresh")[0];
    assert_eq!(
        confirm.form.get("refresh_token").map(String::as_str),
        Some(token)
    );
    assert_eq!(
        confirm.form.get("csrf").map(String::as_str),
        cookie(&r, "bili_jct")
    );
    let old_now = check(&old, Some(&opts)).expect(BILI_QR_EXPIRED).json();
    assert_eq!(old_now["status"], "expired");
    let new_now = check(&done.to_string(), Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(new_now["mid"], mid);
    // Confirming twice: nothing to confirm.
    refresh_confirm(&done.to_string(), &opts)
        .expect_err(BILI_QR_ERR_ARGUMENT, &["previous_refresh_token"]);

    // Logout with the new session; then it is expired, and a second logout says so.
    let out = logout(&done.to_string(), Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(out["status"], "logged_out");
    let exit = &env.requests_to("/login/exit/v2")[0];
    assert_eq!(
        exit.form.get("biliCSRF").map(String::as_str),
        cookie(&r, "bili_jct")
    );
    assert_eq!(exit.form.len(), 1);
    check(&done.to_string(), Some(&opts)).expect(BILI_QR_EXPIRED);
    let again = logout(&done.to_string(), Some(&opts))
        .expect(BILI_QR_EXPIRED)
        .json();
    assert_eq!(again["status"], "expired");
    // A refresh of an ended session: expired, nothing changed.
    let gone = refresh(&done.to_string(), &opts)
        .expect(BILI_QR_EXPIRED)
        .json();
    assert_eq!(gone["status"], "expired");
}

#[test]
fn every_confirmed_shape_keeps_the_login() {
    for shape in ["both", "setcookie", "crossdomain", "query"] {
        let env = Env::new(&format!("id=main-shape-{shape},flow=c,mcookies={shape}"));
        let opts = env.main_opts(json!({}));
        let v = login(&env, &opts);
        assert_session(&v);
        assert!(v["warnings"].as_array().unwrap().is_empty(), "{shape}: {v}");
        let go = v["go_url"].as_str().expect("go_url");
        let cross = env.requests_to("crossDomain");
        // The crossDomain page is requested once, its redirect to the site is not followed.
        assert_eq!(cross.len(), 1, "{shape}");
        assert!(go.contains("crossDomain"), "{shape}: {go}");
        if shape == "query" {
            assert!(go.contains("SESSDATA="));
        }
        // The session the login handed out is accepted.
        let checked = check(&v.to_string(), Some(&opts)).expect(BILI_QR_OK).json();
        assert_eq!(checked["status"], "valid", "{shape}");
    }
}

#[test]
fn wait_confirms_after_the_scan_with_progress() {
    let env = Env::new("id=main-wait,flow=wsc");
    let opts = env.main_opts(json!({}));
    let key = ticket_of(&opts);
    let p = poll(&key, Some(&opts)).expect(BILI_QR_WAITING).json();
    assert_eq!(p["status"], "waiting");
    assert_eq!(p["code"], 86101);
    assert!(p.get("site").is_none() && p.get("cookies").is_none());
    let v = wait(&key, Some(&opts)).expect(BILI_QR_OK).json();
    remember_object(&v);
    assert_session(&v);
    // The QR URL works as the ticket argument too (its qrcode_key= parameter).
    let env2 = Env::new("id=main-url,flow=s");
    let opts2 = env2.main_opts(json!({}));
    let qr = start(Some(&opts2)).expect(BILI_QR_OK).json();
    remember_secret(qr["ticket"].as_str().unwrap());
    let p = poll(qr["qr_url"].as_str().unwrap(), Some(&opts2))
        .expect(BILI_QR_SCANNED)
        .json();
    assert_eq!(p["code"], 86090);
}

#[test]
fn verify_login_asks_nav_and_fills_the_profile() {
    let env = Env::new("id=main-verify,flow=c,needbuvid=1");
    let opts = env.main_opts(json!({"verify_login": true}));
    let v = login(&env, &opts);
    assert_eq!(v["verified"], true, "{v}");
    assert!(v["user_profile"]["name"].is_string());
    // nav was asked with the device cookies (needbuvid=1 answers -352 without them).
    let nav = env.requests_to("/x/web-interface/nav");
    assert_eq!(nav.len(), 1);
    assert!(nav[0].cookies.iter().any(|c| c.starts_with("buvid3=")));
}

#[test]
fn device_cookies_are_fetched_when_risk_control_asks() {
    let env = Env::new("id=main-buvid,flow=c,needbuvid=1");
    let opts = env.main_opts(json!({}));
    let v = login(&env, &opts);
    // A session saved without its device cookies (copied from elsewhere): check fetches them on -352.
    let mut bare = v.clone();
    bare["cookies"] = Value::Array(
        v["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["name"].as_str().unwrap().starts_with("buvid"))
            .cloned()
            .collect(),
    );
    let spi_before = env.requests_to("/x/frontend/finger/spi").len();
    let checked = check(&bare.to_string(), Some(&opts))
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(checked["status"], "valid");
    assert_eq!(checked["renewed"], true);
    assert!(cookie(&checked, "buvid3").is_some());
    assert_eq!(
        env.requests_to("/x/frontend/finger/spi").len(),
        spi_before + 1
    );
}

#[test]
fn browser_headers_avoid_the_412() {
    let env = Env::new("id=main-412,flow=c,needua=1");
    let opts = env.main_opts(json!({}));
    start(Some(&opts)).expect(BILI_QR_OK);
    let gen = &env.requests_to("/x/passport-login/web/qrcode/generate")[0];
    assert_eq!(
        gen.query.get("source").map(String::as_str),
        Some("main-fe-header")
    );
    let e = start(Some(&env.main_opts(json!({"user_agent": "curl/8.5"}))))
        .expect_err(BILI_QR_ERR_HTTP, &["412"]);
    assert!(!e.error.contains("<html"));
}

#[test]
fn a_stale_correspond_path_keeps_the_old_session() {
    let env = Env::new("id=main-404,flow=c,correspond=404");
    let opts = env.main_opts(json!({}));
    let v = login(&env, &opts).to_string();
    refresh(&v, &opts).expect_err(BILI_QR_ERR_HTTP, &["404", "correspondPath", "still works"]);
    check(&v, Some(&opts)).expect(BILI_QR_OK);
    assert!(env
        .requests_to("/x/passport-login/web/cookie/refresh")
        .is_empty());
    // The published key is not the fake server's: its path does not decrypt there (404 too).
    let env = Env::new("id=main-key,flow=c");
    let mut o: Value = serde_json::from_str(&env.main_opts(json!({}))).unwrap();
    o.as_object_mut().unwrap().remove("refresh_public_key");
    let o = o.to_string();
    let v = login(&env, &o).to_string();
    refresh(&v, &o).expect_err(BILI_QR_ERR_HTTP, &["404"]);
    assert!(env.log().iter().any(|r| r.path.contains("/correspond/1/")
        && r.path.rsplit('/').next().is_some_and(|p| p.len() == 256)));
}

#[test]
fn code_86095_is_an_error_that_keeps_the_old_session() {
    let env = Env::new("id=main-86095,flow=c,refresh86095=1,refresh=1");
    let opts = env.main_opts(json!({}));
    let v = login(&env, &opts).to_string();
    let checked = check(&v, Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(checked["refresh_needed"], true);
    refresh(&v, &opts).expect_err(BILI_QR_ERR_API, &["86095", "still works"]);
    check(&v, Some(&opts)).expect(BILI_QR_OK);
}

#[test]
fn a_crash_between_refresh_and_confirm_loses_nothing() {
    let env = Env::new("id=main-crash,flow=c");
    let opts = env.main_opts(json!({}));
    let v = login(&env, &opts).to_string();
    // The refreshed session is lost (the program died before saving it): the old one still works, and can
    // be refreshed again.
    let lost = refresh(&v, &opts).expect(BILI_QR_OK).json();
    check(&v, Some(&opts)).expect(BILI_QR_OK);
    check(&lost.to_string(), Some(&opts)).expect(BILI_QR_OK);
    let second = refresh(&v, &opts).expect(BILI_QR_OK).json();
    let done = refresh_confirm(&second.to_string(), &opts)
        .expect(BILI_QR_OK)
        .json();
    check(&done.to_string(), Some(&opts)).expect(BILI_QR_OK);
    check(&v, Some(&opts)).expect(BILI_QR_EXPIRED);
}

#[test]
fn sessions_say_their_site() {
    let env = Env::new("id=main-site,flow=c");
    let opts = env.main_opts(json!({}));
    let v = login(&env, &opts);
    // A Cookie header says nothing of its site: the options do.
    let header = v["cookie_header"].as_str().unwrap();
    let intl_opts = env.opts(json!({"api_base_url": env.base()}));
    let checked = check(header, Some(&opts)).expect(BILI_QR_OK).json();
    // It is then a mainland session: its object says so, with the mainland passport host.
    assert_eq!(checked["site"], "main");
    assert_eq!(checked["host"], "passport.bilibili.com");
    let with_token = format!(
        "{header}; ac_time_value={}",
        v["refresh_token"].as_str().unwrap()
    );
    let refreshed = refresh(&with_token, &opts).expect(BILI_QR_OK).json();
    assert_eq!(refreshed["host"], "passport.bilibili.com");
    // The poll object says "main": the options' missing site follows it (base URLs given explicitly).
    let no_site: Value = serde_json::from_str(&opts).unwrap();
    let mut no_site = no_site.as_object().unwrap().clone();
    no_site.remove("site");
    let no_site = Value::Object(no_site).to_string();
    check(&v.to_string(), Some(&no_site)).expect(BILI_QR_OK);
    // Options naming the other site are refused, nothing sent.
    let before = env.log().len();
    check(&v.to_string(), Some(&env.opts(json!({"site": "intl"}))))
        .expect_err(BILI_QR_ERR_ARGUMENT, &["site"]);
    assert_eq!(env.log().len(), before);
    // An intl session cannot be refreshed.
    let intl = Env::new("id=main-intl,flow=c");
    let t = intl.new_ticket();
    let iv = poll(&t, Some(&intl.default_opts())).expect(BILI_QR_OK);
    assert!(iv.json().get("site").is_none() && iv.json().get("refresh_token").is_none());
    refresh(iv.text(), &intl_opts).expect_err(BILI_QR_ERR_ARGUMENT, &["bilibili.tv"]);
    refresh_confirm(iv.text(), &intl_opts).expect_err(BILI_QR_ERR_ARGUMENT, &["bilibili.tv"]);
    // Without a refresh token: a clear argument error.
    let mut no_token = v.clone();
    no_token.as_object_mut().unwrap().remove("refresh_token");
    refresh(&no_token.to_string(), &opts).expect_err(BILI_QR_ERR_ARGUMENT, &["refresh_token"]);
}

#[test]
fn messages_hold_no_secret() {
    let env = Env::new("id=main-secrets,flow=c,refresh86095=1");
    let opts = env.main_opts(json!({}));
    let v = login(&env, &opts);
    let text = v.to_string();
    let token = v["refresh_token"].as_str().unwrap().to_owned();
    // Secrets put in the options by mistake are not repeated.
    let bad = format!("{{\"site\":\"main\",\"bogus_{token}\":1}}");
    let r = refresh(&text, &bad);
    assert_eq!(r.status, BILI_QR_ERR_ARGUMENT);
    assert!(!r.error.contains(&token[..7]), "{}", r.error);
    let r = refresh(&text, &opts);
    assert_eq!(r.status, BILI_QR_ERR_API);
    assert_no_secret(&r.error, std::slice::from_ref(&token));
    // Errors of every call are checked against every secret when `env` drops.
}

#[test]
fn a_logout_answer_echoing_the_cookies_keeps_them_out_of_its_message() {
    use crate::common::canned::{answer, Canned};
    let sess = "9f3c1a2b%2C1811061062%2C5e7d1%2A51e0c4ed77";
    let jct = "0123456789abcdef0123456789abcdef";
    let echo = format!("s={sess} j={jct} r=rt9f8e7d6c5b4a39281706f5e4d3c2b1a0");
    for (code, status) in [(-101, "expired"), (0, "logged_out")] {
        let body = json!({"code": code, "message": echo, "status": code == 0}).to_string();
        let server = Canned::start(move |_, _| answer("200 OK", &[], body.as_bytes()));
        let session = json!({"site": "main", "refresh_token": "rt9f8e7d6c5b4a39281706f5e4d3c2b1a0", "cookies": [
            {"name": "SESSDATA", "value": sess, "domain": "bilibili.com"},
            {"name": "bili_jct", "value": jct, "domain": "bilibili.com"},
            {"name": "DedeUserID", "value": "5", "domain": "bilibili.com"}]})
        .to_string();
        let out = logout(&session, Some(&server.opts(""))).json();
        assert_eq!(out["status"], status, "{out}");
        let message = out["message"].as_str().unwrap();
        for secret in [sess, jct, "rt9f8e7d6c5b4a39281706f5e4d3c2b1a0"] {
            assert!(!message.contains(&secret[..7]), "{message}");
        }
    }
}

#[test]
fn a_wait_is_cancelled_by_its_qr_url() {
    let env = Env::new("id=main-cancel,flow=w");
    let opts = env.main_opts(json!({"poll_interval_ms": 200}));
    let qr = start(Some(&opts)).expect(BILI_QR_OK).json();
    let key = qr["ticket"].as_str().unwrap().to_owned();
    remember_secret(&key);
    let url = qr["qr_url"].as_str().unwrap().to_owned();
    let waiter = {
        let (key, opts) = (key.clone(), opts.clone());
        std::thread::spawn(move || wait(&key, Some(&opts)).status)
    };
    // Bounded: the wait polls every 200 ms; signal it once it has polled at least once.
    let mut signalled = 0;
    for _ in 0..200 {
        if !env
            .requests_to("/x/passport-login/web/qrcode/poll")
            .is_empty()
        {
            signalled = cancel(&url).status;
            if signalled > 0 {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert_eq!(
        signalled, 1,
        "cancel(qr_url) signals the wait on its qrcode_key"
    );
    assert_eq!(waiter.join().unwrap(), BILI_QR_ERR_CANCELLED);
}
