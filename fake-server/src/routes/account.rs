//! After the login: the sso step (`web/sso/list` and the pages it lists), the session check (`v2/user`)
//! and logout (`login/exit`).

use super::{Ctx, Request};
use crate::cookies::{self, Creds};
use crate::resp::{json_str, Resp};
use crate::scenario::{Sso, Verify};

const NOT_LOGGED_IN: &str = r#"{"code":-101,"message":"账号未登录","ttl":1,"data":null}"#;

pub(crate) fn sso_list(cx: &Ctx<'_>) -> Resp {
    match cx.sc.sso {
        None => Resp::json_static(r#"{"code":0,"message":"0","ttl":1,"data":{"sso":[]}}"#),
        Some(Sso::Fail) => Resp::json_static(NOT_LOGGED_IN),
        Some(Sso::Status500) => Resp::html(
            500,
            "<html><head><title>500 Internal Server Error</title></head><body><h1>500</h1></body></html>"
                .to_string(),
        ),
        Some(Sso::List) => Resp::json(format!(
            r#"{{"code":0,"message":"0","ttl":1,"data":{{"sso":[{},"https://evil.example.com/sso/set"]}}}}"#,
            json_str(&format!("{}{}/sso/set", cx.sh.origin, cx.prefix))
        )),
    }
}

/// The loopback sso page: the session's cookies for `biliintl.com`.
pub(crate) fn sso_set(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    let creds = {
        let sessions = cx.sh.sessions();
        sessions
            .find(&req.cookies)
            .or_else(|| sessions.latest(cx.key))
    }
    .unwrap_or_else(|| Creds::new(cx.sc.mid, &cx.sc.name, cx.sc.longsess));
    let mut r = Resp::html(
        200,
        "<html><head><title>bilibili</title></head><body>ok</body></html>".to_string(),
    );
    r.cookies = cookies::sso_set(&creds);
    r
}

/// `v2/user`: is the request's session one this server handed out and has not ended?
pub(crate) fn user(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    let sc = &cx.sc;
    if sc.verify == Some(Verify::Down) {
        return Resp::reset();
    }
    let found = if sc.verify == Some(Verify::Reject) {
        None
    } else {
        cx.sh.sessions().find(&req.cookies)
    };
    let Some(creds) = found else {
        return if sc.expired101 {
            Resp::json_static(NOT_LOGGED_IN)
        } else {
            Resp::json_static(r#"{"code":0,"message":"0","ttl":1,"data":{"is_login":false}}"#)
        };
    };
    let mut set = Vec::new();
    if sc.renew {
        let new_value = cookies::sessdata_value(creds.sessdata.len() > 100);
        if cx
            .sh
            .sessions()
            .renew(&creds.sessdata, new_value.clone())
            .is_some()
        {
            set.push(cookies::sessdata_at(
                &new_value,
                "bilibili.tv",
                &cookies::expires(),
            ));
        }
    }
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"is_login":true,"mid":{},"name":{n},"uname":{n},"face":"https://p.bstarstatic.com/fake/face.png"}}}}"#,
        creds.mid,
        n = json_str(&creds.name)
    ));
    r.cookies = set;
    r
}

/// `login/exit`: csrf (query, else form body) must be the session's bili_jct.
pub(crate) fn exit(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    if !req.method.eq_ignore_ascii_case("POST") {
        return Resp::json_static(
            r#"{"code":-405,"message":"Method Not Allowed","ttl":1,"data":null}"#,
        )
        .with_status(405);
    }
    let mut sessions = cx.sh.sessions();
    let Some(creds) = sessions.find(&req.cookies) else {
        return Resp::json_static(NOT_LOGGED_IN);
    };
    let csrf = req
        .query
        .get("csrf")
        .or_else(|| req.form.get("csrf"))
        .map(String::as_str)
        .unwrap_or("");
    if csrf != creds.jct {
        return Resp::json_static(r#"{"code":-111,"message":"csrf 校验失败","ttl":1,"data":null}"#);
    }
    sessions.end(&creds.sessdata);
    Resp::json_static(r#"{"code":0,"message":"0","ttl":1,"data":{"go_url":""}}"#)
}
