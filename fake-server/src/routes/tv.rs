//! The TV/app token routes: QR login for TVs (`qrcode/auth_code`, `qrcode/poll`), the token check
//! (`oauth2/info`) and its renewal (`oauth2/refresh_token`, also under `/api/v2/…`). Every request is
//! signed (`appsign.rs`).
//!
//! Token retirement: a renewal hands out a new access/refresh token pair; the old access token (and its
//! refresh token) keep working until the new access token is used for the first time (`oauth2/info` or a
//! renewal), then the old one answers -101. So a client that crashes before saving the new pair still has a
//! working old one, and one that saved and used the new pair has retired the old.

use std::time::Instant;

use serde_json::json;

use super::mainland::{advance, cookie_fault, now_ms, post_only};
use super::{Ctx, Request};
use crate::appsign;
use crate::cookies;
use crate::main_session::{Token, WebCreds, TOKEN_LIFETIME_SECS};
use crate::resp::Resp;
use crate::scenario::Fault;
use crate::state::State;

pub(crate) const AUTH_CODE_PATH: &str = "/x/passport-tv-login/qrcode/auth_code";
pub(crate) const POLL_PATH: &str = "/x/passport-tv-login/qrcode/poll";
pub(crate) const INFO_PATH: &str = "/x/passport-login/oauth2/info";
pub(crate) const REFRESH_PATH: &str = "/x/passport-login/oauth2/refresh_token";
pub(crate) const REFRESH_PATH_V2: &str = "/api/v2/oauth2/refresh_token";

const SIGN_ERROR: &str = r#"{"code":-3,"message":"API校验密匙错误","ttl":1,"data":null}"#;
const NOT_LOGGED_IN: &str = r#"{"code":-101,"message":"账号未登录","ttl":1,"data":null}"#;
const OTHER_PAIR: &str = r#"{"code":-663,"message":"鉴权失败，请联系账号组","ttl":1,"data":null}"#;
const REQUEST_ERROR: &str = r#"{"code":-400,"message":"请求错误","ttl":1,"data":null}"#;
const DOMAINS: [&str; 5] = [
    ".bilibili.com",
    ".biligame.com",
    ".bigfun.cn",
    ".bigfunapp.cn",
    ".dreamcast.hk",
];
const SSO: [&str; 4] = [
    "https://passport.bilibili.com/api/v2/sso",
    "https://passport.biligame.com/api/v2/sso",
    "https://passport.bigfunapp.cn/api/v2/sso",
    "https://passport.bigfun.cn/api/v2/sso",
];

/// The signed fields as sent: the form body of a POST, else the query.
fn signed(req: &Request<'_>) -> Option<&'static str> {
    let raw = if req.method.eq_ignore_ascii_case("POST") {
        req.form_raw.as_str()
    } else {
        req.query_str
    };
    appsign::check(raw)
}

fn field<'r>(req: &'r Request<'_>, name: &str) -> &'r str {
    let from = if req.method.eq_ignore_ascii_case("POST") {
        &req.form
    } else {
        &req.query
    };
    from.get(name).map(String::as_str).unwrap_or("")
}

pub(crate) fn auth_code(cx: &Ctx<'_>, req: &Request<'_>, noticket: bool) -> Resp {
    if let Some(r) = post_only(req) {
        return r;
    }
    if signed(req).is_none() {
        return Resp::json_static(SIGN_ERROR);
    }
    if noticket {
        return Resp::json_static(
            r#"{"code":0,"message":"0","ttl":1,"data":{"url":"https://passport.bilibili.com/x/passport-tv-login/h5/qrcode/auth"}}"#,
        );
    }
    let code = cookies::hex(32);
    cx.sh.inner().ticket_mut(cx.key, &code);
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"url":"https://passport.bilibili.com/x/passport-tv-login/h5/qrcode/auth?auth_code={code}","auth_code":"{code}"}}}}"#
    ));
    r.ticket = Some(code);
    r
}

pub(crate) fn poll(cx: &Ctx<'_>, req: &Request<'_>, fault: Option<Fault>) -> Resp {
    if let Some(r) = post_only(req) {
        return r;
    }
    let Some(appkey) = signed(req) else {
        return Resp::json_static(SIGN_ERROR);
    };
    let code = field(req, "auth_code").to_string();
    if code.is_empty() {
        return Resp::json_static(REQUEST_ERROR);
    }
    let mut r = match advance(cx, &code) {
        State::Waiting => {
            Resp::json_static(r#"{"code":86039,"message":"二维码尚未确认","ttl":1,"data":null}"#)
        }
        State::Scanned => Resp::json_static(
            r#"{"code":86090,"message":"二维码已扫码未确认","ttl":1,"data":null}"#,
        ),
        State::Expired => {
            Resp::json_static(r#"{"code":86038,"message":"二维码已失效","ttl":1,"data":null}"#)
        }
        State::Confirmed => {
            let f = cookie_fault(cx, fault);
            let (data, pairs) = issue(cx, appkey, cx.sc.mid, &cx.sc.name, None, f);
            let mut r =
                Resp::json(json!({"code": 0, "message": "0", "ttl": 1, "data": data}).to_string());
            r.cookie_info = pairs;
            r
        }
    };
    r.ticket = Some(code);
    r
}

/// A fresh token pair and its web cookies: remembered, and answered as `data` (with the `name=value` pairs
/// of `cookie_info` for the request log).
fn issue(
    cx: &Ctx<'_>,
    appkey: &'static str,
    mid: u64,
    name: &str,
    replaces: Option<String>,
    cookie_fault: Option<Fault>,
) -> (serde_json::Value, Vec<String>) {
    let access = cookies::hex(32);
    let refresh = cookies::hex(32);
    let creds = WebCreds::new(mid, name, cx.sc.longsess);
    let expires = cookies::expiry_unix();
    let all = [
        ("SESSDATA", creds.sessdata.clone(), 1),
        ("bili_jct", creds.jct.clone(), 0),
        ("DedeUserID", mid.to_string(), 0),
        ("DedeUserID__ckMd5", creds.md5.clone(), 0),
        ("sid", creds.sid.clone(), 0),
    ];
    let keep = match cookie_fault {
        Some(Fault::NoCookies) => 0,
        Some(_) => 1,
        None => all.len(),
    };
    let list: Vec<serde_json::Value> = all
        .iter()
        .take(keep)
        .map(|(n, v, h)| json!({"name": n, "value": v, "http_only": h, "expires": expires, "secure": 0}))
        .collect();
    let pairs = all
        .iter()
        .take(keep)
        .map(|(n, v, _)| format!("{n}={v}"))
        .collect();
    {
        let mut main = cx.sh.main();
        if keep > 0 {
            main.add_web(&creds, &refresh);
        }
        main.tokens.insert(
            access.clone(),
            Token {
                access: access.clone(),
                refresh: refresh.clone(),
                appkey,
                mid,
                name: name.to_string(),
                born: Instant::now(),
                replaces,
            },
        );
    }
    let data = json!({
        "is_new": false,
        "mid": mid,
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": TOKEN_LIFETIME_SECS,
        "token_info": {
            "mid": mid,
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": TOKEN_LIFETIME_SECS,
        },
        "cookie_info": {"cookies": list, "domains": DOMAINS},
        "sso": SSO,
        "hint": "",
    });
    (data, pairs)
}

/// The live token named by `access_key`, checked against the request's pair; its first use retires the
/// token it replaced.
fn use_token(cx: &Ctx<'_>, req: &Request<'_>, appkey: &str) -> Result<Token, &'static str> {
    let access = field(req, "access_key");
    let mut main = cx.sh.main();
    let token = match main.tokens.get(&access.to_string()) {
        Some(t) if t.remaining_secs() > 0 => t.clone(),
        _ => return Err(NOT_LOGGED_IN),
    };
    if token.appkey != appkey {
        return Err(OTHER_PAIR);
    }
    if let Some(old) = &token.replaces {
        main.tokens.remove(old);
        if let Some(t) = main.tokens.get_mut(&token.access) {
            t.replaces = None;
        }
    }
    Ok(token)
}

pub(crate) fn info(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    let Some(appkey) = signed(req) else {
        return Resp::json_static(SIGN_ERROR);
    };
    let token = match use_token(cx, req, appkey) {
        Ok(t) => t,
        Err(body) => return Resp::json_static(body),
    };
    Resp::json(
        json!({
            "code": 0,
            "message": "0",
            "ttl": 1,
            "data": {
                "mid": token.mid,
                "access_token": token.access,
                "expires_in": token.remaining_secs(),
                "refresh": cx.sc.main.tokenrefresh,
            }
        })
        .to_string(),
    )
}

pub(crate) fn refresh(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    if let Some(r) = post_only(req) {
        return r;
    }
    let Some(appkey) = signed(req) else {
        return Resp::json_static(SIGN_ERROR);
    };
    let token = match use_token(cx, req, appkey) {
        Ok(t) => t,
        Err(body) => return Resp::json_static(body),
    };
    if field(req, "refresh_token") != token.refresh {
        return Resp::json_static(NOT_LOGGED_IN);
    }
    let (data, pairs) = issue(
        cx,
        appkey,
        token.mid,
        &token.name,
        Some(token.access.clone()),
        None,
    );
    let mut r = Resp::json(
        json!({"code": 0, "message": "0", "ttl": 1, "ts": now_ms() / 1000, "data": data})
            .to_string(),
    );
    r.cookie_info = pairs;
    r
}
