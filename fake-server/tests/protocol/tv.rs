//! The TV/app token routes: signed requests, the TV QR login, `oauth2/info`, the token renewal and its
//! retirement rule, with real HTTP requests from the raw client.

use crate::common::*;
use bili_qr_fake_server::appsign::{sign, ANDROID_APPKEY, ANDROID_APPSEC, TV_APPKEY, TV_APPSEC};
use bili_qr_fake_server::State;
use serde_json::Value;

const AUTH_CODE: &str = "/x/passport-tv-login/qrcode/auth_code";
const POLL: &str = "/x/passport-tv-login/qrcode/poll";
const INFO: &str = "/x/passport-login/oauth2/info";
const REFRESH: &str = "/x/passport-login/oauth2/refresh_token";
const REFRESH_V2: &str = "/api/v2/oauth2/refresh_token";
const TV: (&str, &str) = (TV_APPKEY, TV_APPSEC);
const ANDROID: (&str, &str) = (ANDROID_APPKEY, ANDROID_APPSEC);

fn form_post(base: &str, target: &str, body: &str) -> Response {
    Conn::open(base).request(
        "POST",
        target,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
}

fn signed(pair: (&str, &str), fields: &[(&str, &str)]) -> String {
    let mut f = fields.to_vec();
    f.push(("appkey", pair.0));
    f.push(("ts", "1733500000"));
    sign(&f, pair.1)
}

fn auth_code(base: &str, sc: &str) -> String {
    let r = form_post(
        base,
        &format!("{}{AUTH_CODE}", prefix(sc)),
        &signed(TV, &[("local_id", "0")]),
    );
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["code"], 0, "{j}");
    let code = j["data"]["auth_code"]
        .as_str()
        .expect("auth_code")
        .to_string();
    assert_eq!(code.len(), 32);
    assert_eq!(
        j["data"]["url"],
        format!(
            "https://passport.bilibili.com/x/passport-tv-login/h5/qrcode/auth?auth_code={code}"
        )
    );
    code
}

fn poll(base: &str, sc: &str, code: &str, pair: (&str, &str)) -> Value {
    let r = form_post(
        base,
        &format!("{}{POLL}", prefix(sc)),
        &signed(pair, &[("auth_code", code), ("local_id", "0")]),
    );
    assert_eq!(r.status, 200);
    r.json()
}

/// A confirmed TV login under `sc` (`flow=c` added) with `pair`: the data.
fn login(base: &str, sc: &str, pair: (&str, &str)) -> Value {
    let sc = format!("{sc},flow=c");
    let code = auth_code(base, &sc);
    let j = poll(base, &sc, &code, pair);
    assert_eq!(j["code"], 0, "{j}");
    j["data"].clone()
}

fn info(base: &str, sc: &str, access: &str, pair: (&str, &str)) -> Value {
    let q = signed(pair, &[("access_key", access), ("actionKey", "appkey")]);
    let r = Conn::open(base).get(&format!("{}{INFO}?{q}", prefix(sc)));
    assert_eq!(r.status, 200);
    r.json()
}

fn renew(base: &str, path: &str, access: &str, refresh: &str, pair: (&str, &str)) -> Value {
    form_post(
        base,
        path,
        &signed(
            pair,
            &[
                ("access_key", access),
                ("actionKey", "appkey"),
                ("refresh_token", refresh),
            ],
        ),
    )
    .json()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no string {k} in {v}"))
}

#[test]
fn signature_checks() {
    let (_srv, base) = start();
    let good = signed(TV, &[("local_id", "0")]);
    assert_eq!(form_post(&base, AUTH_CODE, &good).code(), 0);
    assert_eq!(
        form_post(&base, AUTH_CODE, &signed(ANDROID, &[("local_id", "0")])).code(),
        0
    );
    let (body, sig) = good.rsplit_once("&sign=").expect("signed");
    let bad = [
        body.to_string(),                              // no sign
        format!("{body}&sign=0{}", &sig[1..]),         // wrong sign
        format!("sign={sig}&{body}"),                  // sign not last
        format!("{body}&sign={sig}&zz=1"),             // sign not last either
        format!("{body}&sign={}", sig.to_uppercase()), // not lowercase
        // Unsorted fields, correctly hashed.
        {
            let q = "ts=1733500000&appkey=4409e2ce8ffd12b8&local_id=0";
            format!("{q}&sign={}", md5_hex(&format!("{q}{TV_APPSEC}")))
        },
        // An unknown appkey, correctly hashed with a made-up secret.
        sign(&[("appkey", "0123456789abcdef"), ("ts", "1")], "x"),
        // The TV key signed with the Android secret.
        sign(&[("appkey", TV_APPKEY), ("ts", "1")], ANDROID_APPSEC),
    ];
    for b in &bad {
        let r = form_post(&base, AUTH_CODE, b);
        assert_eq!(r.code(), -3, "{b}");
        assert_eq!(r.json()["message"], "API校验密匙错误");
    }
    // The signature covers the body as sent: a query-string signature does not sign a POST.
    let r = Conn::open(&base).request("POST", &format!("{AUTH_CODE}?{good}"), &[], b"");
    assert_eq!(r.code(), -3);
    let r = Conn::open(&base).get(&format!("{AUTH_CODE}?{good}"));
    assert_eq!(r.status, 405);
}

/// md5 hex, for the hand-made bodies above.
fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn tv_qr_states_and_confirmed_shape() {
    let (srv, base) = start();
    let code = auth_code(&base, "id=tv,flow=wsc");
    let mut codes = Vec::new();
    for _ in 0..2 {
        let j = poll(&base, "id=tv,flow=wsc", &code, TV);
        assert!(j["data"].is_null(), "{j}");
        codes.push(j["code"].as_i64().expect("code"));
    }
    assert_eq!(codes, [86039, 86090]);
    let j = poll(&base, "id=tv,flow=wsc", &code, TV);
    assert_eq!(j["code"], 0);
    let d = &j["data"];
    assert_eq!(d["mid"], 1709658507);
    assert_eq!(d["expires_in"], 15552000);
    let access = s(d, "access_token");
    let refresh = s(d, "refresh_token");
    assert!(access.len() == 32 && refresh.len() == 32 && access != refresh);
    let ti = &d["token_info"];
    assert_eq!(
        (
            ti["mid"].clone(),
            s(ti, "access_token"),
            s(ti, "refresh_token")
        ),
        (d["mid"].clone(), access, refresh)
    );
    assert_eq!(ti["expires_in"], 15552000);
    let names: Vec<&str> = d["cookie_info"]["cookies"]
        .as_array()
        .expect("cookies")
        .iter()
        .map(|c| {
            assert!(
                c["value"].is_string()
                    && c["http_only"].is_number()
                    && c["expires"].is_number()
                    && c["secure"].is_number(),
                "{c}"
            );
            s(c, "name")
        })
        .collect();
    assert_eq!(names, TV_COOKIES);
    assert_eq!(
        d["cookie_info"]["domains"],
        serde_json::json!([
            ".bilibili.com",
            ".biligame.com",
            ".bigfun.cn",
            ".bigfunapp.cn",
            ".dreamcast.hk"
        ])
    );
    assert!(d["sso"].as_array().is_some_and(|a| !a.is_empty()));
    // The code is spent; an expired one; a missing one.
    assert_eq!(poll(&base, "id=tv,flow=wsc", &code, TV)["code"], 86038);
    let e = auth_code(&base, "id=tv-e,expire=0");
    assert_eq!(poll(&base, "id=tv-e,expire=0", &e, TV)["code"], 86038);
    let r = form_post(&base, POLL, &signed(TV, &[("local_id", "0")]));
    assert_eq!(r.code(), -400);
    // The cookies of cookie_info are a web session.
    let cookie: Vec<String> = d["cookie_info"]["cookies"]
        .as_array()
        .expect("cookies")
        .iter()
        .map(|c| format!("{}={}", s(c, "name"), s(c, "value")))
        .collect();
    let nav = get_with_cookie(&base, "/x/web-interface/nav", &cookie.join("; ")).json();
    assert_eq!(nav["data"]["isLogin"], true, "{nav}");
    // The control API and the phone timers drive auth codes like tickets.
    let c2 = auth_code(&base, "id=tv-ctl");
    srv.set_state("id=tv-ctl", &c2, State::Confirmed);
    assert_eq!(poll(&base, "id=tv-ctl", &c2, TV)["code"], 0);
    let c3 = auth_code(&base, "id=tv-ph,phone=0:0");
    assert_eq!(poll(&base, "id=tv-ph,phone=0:0", &c3, TV)["code"], 0);
    // Faults of the intl fetch apply to the poll.
    let c4 = auth_code(&base, "id=tv-f,fault=api-412,on=fetch");
    assert_eq!(
        poll(&base, "id=tv-f,fault=api-412,on=fetch", &c4, TV)["code"],
        -412
    );
}

#[test]
fn info_checks_the_token_and_its_pair() {
    let (srv, base) = start();
    let d = login(&base, "id=info", TV);
    let access = s(&d, "access_token");
    let j = info(&base, "", access, TV);
    assert_eq!(j["code"], 0, "{j}");
    assert_eq!(j["data"]["mid"], 1709658507);
    assert_eq!(j["data"]["access_token"], access);
    assert_eq!(j["data"]["refresh"], false);
    let left = j["data"]["expires_in"].as_u64().expect("expires_in");
    assert!(left > 15_552_000 - 3600 && left <= 15_552_000, "{left}");
    assert_eq!(
        info(&base, "tokenrefresh=1", access, TV)["data"]["refresh"],
        true
    );
    assert_eq!(info(&base, "", access, ANDROID)["code"], -663);
    assert_eq!(
        info(&base, "", "0123456789abcdef0123456789abcdef", TV)["code"],
        -101
    );
    // Unsigned.
    let r = Conn::open(&base).get(&format!(
        "{INFO}?access_key={access}&actionKey=appkey&appkey={TV_APPKEY}&ts=1"
    ));
    assert_eq!(r.code(), -3);
    // A token issued to the Android pair is Android's.
    let a = login(&base, "id=info-a", ANDROID);
    assert_eq!(info(&base, "", s(&a, "access_token"), ANDROID)["code"], 0);
    assert_eq!(info(&base, "", s(&a, "access_token"), TV)["code"], -663);
    srv.end_sessions();
    assert_eq!(info(&base, "", access, TV)["code"], -101);
}

#[test]
fn renewal_retires_the_old_token_at_the_new_ones_first_use() {
    let (_srv, base) = start();
    for path in [REFRESH, REFRESH_V2] {
        let d = login(&base, &format!("id=rn{}", path.len()), TV);
        let (old_a, old_r) = (
            s(&d, "access_token").to_string(),
            s(&d, "refresh_token").to_string(),
        );
        assert_eq!(renew(&base, path, &old_a, "wrong", TV)["code"], -101);
        assert_eq!(renew(&base, path, &old_a, &old_r, ANDROID)["code"], -663);
        let j = renew(&base, path, &old_a, &old_r, TV);
        assert_eq!(j["code"], 0, "{j}");
        let n = &j["data"];
        let (new_a, new_r) = (
            s(n, "access_token").to_string(),
            s(n, "refresh_token").to_string(),
        );
        assert_ne!(new_a, old_a);
        assert_ne!(new_r, old_r);
        assert_eq!(n["token_info"]["access_token"], new_a.as_str());
        assert_eq!(n["token_info"]["refresh_token"], new_r.as_str());
        assert_eq!(n["token_info"]["expires_in"], 15552000);
        assert_eq!(n["mid"], 1709658507);
        assert!(n["cookie_info"]["cookies"]
            .as_array()
            .is_some_and(|c| c.len() == 5));
        // Until the new token is used, the old one still works (a client that lost the answer is not locked out).
        assert_eq!(info(&base, "", &old_a, TV)["code"], 0);
        assert_eq!(info(&base, "", &new_a, TV)["code"], 0);
        // That use retired the old token, for checks and renewals.
        assert_eq!(info(&base, "", &old_a, TV)["code"], -101);
        assert_eq!(renew(&base, path, &old_a, &old_r, TV)["code"], -101);
        // The new pair renews in turn; renewing counts as its use too.
        let j = renew(&base, path, &new_a, &new_r, TV);
        assert_eq!(j["code"], 0, "{j}");
        let newer = s(&j["data"], "access_token").to_string();
        assert_eq!(
            renew(&base, path, &newer, s(&j["data"], "refresh_token"), TV)["code"],
            0
        );
        assert_eq!(info(&base, "", &new_a, TV)["code"], -101);
    }
}
