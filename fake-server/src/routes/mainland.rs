//! The mainland site (`bilibili.com`): web QR login (`qrcode/generate`, `qrcode/poll`, the crossDomain hop),
//! the session check (`nav`), device cookies (`finger/spi`), the cookie refresh (`cookie/info`,
//! `correspond/1/…`, `cookie/refresh`, `confirm/refresh`) and logout (`login/exit/v2`). The shapes are in
//! `PROTOCOL.md` ("Mainland").

use std::sync::MutexGuard;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{take_fault, tv, Ctx, Request, RISK_PAGE};
use crate::cookies;
use crate::main_session::{MainSessions, WebCreds, WebSession};
use crate::refresh_key::decrypt_path;
use crate::resp::{json_str, Resp};
use crate::scenario::{Endpoint, Fault};
use crate::scenario_main::{MCookies, NeedUa};
use crate::state::State;

pub(crate) const GENERATE_PATH: &str = "/x/passport-login/web/qrcode/generate";
pub(crate) const POLL_PATH: &str = "/x/passport-login/web/qrcode/poll";
pub(crate) const CROSS_DOMAIN_PATH: &str = "/x/passport-login/web/crossDomain";
pub(crate) const OLD_CROSS_DOMAIN_PATH: &str = "/crossDomain";
pub(crate) const NAV_PATH: &str = "/x/web-interface/nav";
pub(crate) const SPI_PATH: &str = "/x/frontend/finger/spi";
pub(crate) const COOKIE_INFO_PATH: &str = "/x/passport-login/web/cookie/info";
pub(crate) const CORRESPOND_PREFIX: &str = "/correspond/1/";
pub(crate) const COOKIE_REFRESH_PATH: &str = "/x/passport-login/web/cookie/refresh";
pub(crate) const CONFIRM_REFRESH_PATH: &str = "/x/passport-login/web/confirm/refresh";
pub(crate) const EXIT_V2_PATH: &str = "/login/exit/v2";

/// A QR code key (web `qrcode_key`, TV `auth_code`) expires this long after it was issued, unless the
/// scenario says otherwise (`expire=`).
pub(crate) const KEY_LIFETIME_MS: u64 = 180_000;
/// How long a `cookie/info` timestamp opens a `correspond/1/…` page.
pub(crate) const CORRESPOND_WINDOW: Duration = Duration::from_secs(20 * 60);
/// Where the crossDomain hop sends a browser.
const WWW: &str = "https://www.bilibili.com";
/// The site's cookie domain.
const DOMAIN: &str = ".bilibili.com";

pub(crate) const NOT_LOGGED_IN: &str =
    r#"{"code":-101,"message":"账号未登录","ttl":1,"data":null}"#;
const CSRF_FAILED: &str = r#"{"code":-111,"message":"csrf 校验失败","ttl":1,"data":null}"#;
const REQUEST_ERROR: &str = r#"{"code":-400,"message":"请求错误","ttl":1,"data":null}"#;
const WBI_IMG: &str = r#"{"img_url":"https://i0.hdslb.com/bfs/wbi/7cd084941338484aae1ad9425b84077c.png","sub_url":"https://i0.hdslb.com/bfs/wbi/4932caff0ff746eab6f01bf08b70ac45.png"}"#;

/// The QR endpoints, which take the faults of the intl `url` (issue) and `fetch` (poll) endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Qr {
    WebGenerate,
    WebPoll,
    TvAuthCode,
    TvPoll,
}

pub(crate) fn qr_endpoint(rest: &str) -> Option<(Endpoint, Qr)> {
    match rest {
        GENERATE_PATH => Some((Endpoint::Url, Qr::WebGenerate)),
        POLL_PATH => Some((Endpoint::Fetch, Qr::WebPoll)),
        tv::AUTH_CODE_PATH => Some((Endpoint::Url, Qr::TvAuthCode)),
        tv::POLL_PATH => Some((Endpoint::Fetch, Qr::TvPoll)),
        _ => None,
    }
}

/// The answer of a QR endpoint once the fault stage let it through.
pub(crate) fn qr_answer(
    cx: &Ctx<'_>,
    req: &Request<'_>,
    q: Option<(Endpoint, Qr)>,
    fault: Option<Fault>,
) -> Resp {
    match q.map(|(_, q)| q) {
        Some(Qr::WebGenerate) => generate(cx, req, fault == Some(Fault::NoTicket)),
        Some(Qr::WebPoll) => poll(cx, req, fault),
        Some(Qr::TvAuthCode) => tv::auth_code(cx, req, fault == Some(Fault::NoTicket)),
        Some(Qr::TvPoll) => tv::poll(cx, req, fault),
        None => Resp::not_found_html(),
    }
}

/// The other mainland and TV routes (no faults apply to them); `None` for a path that is not one.
pub(crate) fn route(cx: &Ctx<'_>, req: &Request<'_>, rest: &str) -> Option<Resp> {
    Some(match rest {
        CROSS_DOMAIN_PATH => cross_domain(cx, req),
        OLD_CROSS_DOMAIN_PATH => Resp::redirect(WWW.to_string()),
        NAV_PATH => nav(cx, req),
        SPI_PATH => spi(),
        COOKIE_INFO_PATH => cookie_info(cx, req),
        COOKIE_REFRESH_PATH => cookie_refresh(cx, req),
        CONFIRM_REFRESH_PATH => confirm_refresh(cx, req),
        EXIT_V2_PATH => exit_v2(cx, req),
        tv::INFO_PATH => tv::info(cx, req),
        tv::REFRESH_PATH | tv::REFRESH_PATH_V2 => tv::refresh(cx, req),
        _ => {
            let hex = rest.strip_prefix(CORRESPOND_PREFIX)?;
            correspond(cx, req, hex)
        }
    })
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Advances a QR key's state machine, with the key's 180 s lifetime unless `expire=` sets another.
pub(crate) fn advance(cx: &Ctx<'_>, key: &str) -> State {
    let mut sc = cx.sc.clone();
    if sc.expire.is_none() {
        sc.expire = Some(KEY_LIFETIME_MS);
    }
    cx.sh.inner().advance(cx.key, &sc, key)
}

/// The cookie fault (`nocookies`/`partialcookies`) of a confirmed answer, counted like the intl one.
pub(crate) fn cookie_fault(cx: &Ctx<'_>, fault: Option<Fault>) -> Option<Fault> {
    match fault {
        Some(f @ (Fault::NoCookies | Fault::PartialCookies))
            if take_fault(cx.sh, cx.key, &cx.sc) =>
        {
            Some(f)
        }
        _ => None,
    }
}

pub(crate) fn post_only(req: &Request<'_>) -> Option<Resp> {
    (!req.method.eq_ignore_ascii_case("POST")).then(|| {
        Resp::json_static(r#"{"code":-405,"message":"Method Not Allowed","ttl":1,"data":null}"#)
            .with_status(405)
    })
}

/// A field of the form body, else of the query.
fn field<'r>(req: &'r Request<'_>, name: &str) -> &'r str {
    req.form
        .get(name)
        .or_else(|| req.query.get(name))
        .map(String::as_str)
        .unwrap_or("")
}

fn header<'r>(req: &'r Request<'_>, name: &str) -> &'r str {
    req.headers.get(name).map(|v| v.trim()).unwrap_or("")
}

fn ua_ok(need: NeedUa, req: &Request<'_>) -> bool {
    let ua = header(req, "user-agent");
    match need {
        NeedUa::No => true,
        NeedUa::Present => !ua.is_empty(),
        NeedUa::Browser => {
            let referer = header(req, "referer");
            ua.starts_with("Mozilla/5.0 ")
                && (referer == WWW || referer.starts_with("https://www.bilibili.com/"))
        }
    }
}

/// The mainland session cookies, `Domain=.bilibili.com` (what the service sends whatever host it answers
/// from; a client pointed at this server must map them to it, as for the intl `bilibili.tv` ones).
pub(crate) fn web_set_cookies(c: &WebCreds, foreign: bool) -> Vec<String> {
    let exp = cookies::expires();
    let mut v = vec![
        format!(
            "SESSDATA={}; Path=/; Domain={DOMAIN}; Expires={exp}; HttpOnly; Secure",
            c.sessdata
        ),
        format!("bili_jct={}; Path=/; Domain={DOMAIN}; Expires={exp}", c.jct),
        format!(
            "DedeUserID={}; Path=/; Domain={DOMAIN}; Expires={exp}",
            c.mid
        ),
        format!(
            "DedeUserID__ckMd5={}; Path=/; Domain={DOMAIN}; Expires={exp}",
            c.md5
        ),
        format!("sid={}; Path=/; Domain={DOMAIN}; Expires={exp}", c.sid),
    ];
    if foreign {
        v.push("ad_track=1; Path=/; Domain=evil.example.com".to_string());
    }
    v
}

fn generate(cx: &Ctx<'_>, req: &Request<'_>, noticket: bool) -> Resp {
    if !ua_ok(cx.sc.main.needua, req) {
        return Resp::html(412, RISK_PAGE.to_string());
    }
    if noticket {
        return Resp::json_static(
            r#"{"code":0,"message":"0","ttl":1,"data":{"url":"https://passport.bilibili.com/h5-app/passport/login/scan?navhide=1&from="}}"#,
        );
    }
    let key = cookies::alnum(32);
    cx.sh.inner().ticket_mut(cx.key, &key);
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"url":"https://passport.bilibili.com/h5-app/passport/login/scan?navhide=1&qrcode_key={key}&from=","qrcode_key":"{key}"}}}}"#
    ));
    r.ticket = Some(key);
    r
}

fn poll(cx: &Ctx<'_>, req: &Request<'_>, fault: Option<Fault>) -> Resp {
    let key = match req.query.get("qrcode_key") {
        Some(k) if !k.is_empty() => k.clone(),
        _ => return Resp::json_static(REQUEST_ERROR),
    };
    let state = advance(cx, &key);
    let (code, message) = match state {
        State::Waiting => (86101, "未扫码"),
        State::Scanned => (86090, "二维码已扫码未确认"),
        State::Expired => (86038, "二维码已失效"),
        State::Confirmed => (0, ""),
    };
    let mut r = if state == State::Confirmed {
        confirmed(cx, cookie_fault(cx, fault))
    } else {
        Resp::json(format!(
            r#"{{"code":0,"message":"0","ttl":1,"data":{{"url":"","refresh_token":"","timestamp":0,"code":{code},"message":"{message}"}}}}"#
        ))
    };
    r.ticket = Some(key);
    r
}

fn confirmed(cx: &Ctx<'_>, cookie_fault: Option<Fault>) -> Resp {
    let sc = &cx.sc;
    let origin = &cx.sh.origin;
    let prefix = &cx.prefix;
    let creds = WebCreds::new(sc.mid, &sc.name, sc.longsess);
    let refresh_token = cookies::hex(32);
    let ticket = cookies::hex(32);
    let cross_url = format!(
        "{origin}{prefix}{CROSS_DOMAIN_PATH}?ticket={ticket}&gourl=https%3A%2F%2Fwww.bilibili.com&first_domain=.bilibili.com"
    );
    let set = web_set_cookies(&creds, sc.main.foreign);
    let (url, cookies, cross) = match (cookie_fault, sc.main.mcookies) {
        (Some(Fault::NoCookies), _) => (cross_url, Vec::new(), None),
        (Some(_), _) => (cross_url, set.into_iter().take(1).collect(), None),
        (None, MCookies::Both) => (cross_url, set, Some(creds.clone())),
        (None, MCookies::SetCookie) => (cross_url, set, None),
        (None, MCookies::CrossDomain) => (cross_url, Vec::new(), Some(creds.clone())),
        (None, MCookies::Query) => (
            format!(
                "{origin}{prefix}{OLD_CROSS_DOMAIN_PATH}?DedeUserID={}&DedeUserID__ckMd5={}&Expires={}&SESSDATA={}&bili_jct={}&gourl=https%3A%2F%2Fwww.bilibili.com",
                creds.mid,
                creds.md5,
                cookies::expiry_unix(),
                creds.sessdata,
                creds.jct
            ),
            Vec::new(),
            None,
        ),
    };
    {
        let mut main = cx.sh.main();
        if cookie_fault != Some(Fault::NoCookies) {
            main.add_web(&creds, &refresh_token);
        }
        main.cross.insert(ticket, cross);
    }
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"url":{},"refresh_token":"{refresh_token}","timestamp":{},"code":0,"message":""}}}}"#,
        json_str(&url),
        now_ms()
    ));
    r.cookies = cookies;
    r
}

/// The crossDomain hop: sets the login's cookies (`mcookies=both|crossdomain`), then 302 to the site.
fn cross_domain(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    let creds = req
        .query
        .get("ticket")
        .and_then(|t| cx.sh.main().cross.get(t).cloned())
        .flatten();
    let mut r = Resp::redirect(WWW.to_string());
    if let Some(c) = creds {
        r.cookies = web_set_cookies(&c, cx.sc.main.foreign);
    }
    r
}

fn find(cx: &Ctx<'_>, req: &Request<'_>) -> Option<WebSession> {
    cx.sh.main().find_web(&req.cookies)
}

fn nav(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    if cx.sc.main.needbuvid
        && !req
            .cookies
            .iter()
            .any(|(n, v)| n == "buvid3" && !v.is_empty())
    {
        return Resp::json(format!(
            r#"{{"code":-352,"message":"风控校验失败","ttl":1,"data":{{"v_voucher":"voucher_{}"}}}}"#,
            uuid()
        ));
    }
    match find(cx, req) {
        None => Resp::json(format!(
            r#"{{"code":-101,"message":"账号未登录","ttl":1,"data":{{"isLogin":false,"wbi_img":{WBI_IMG}}}}}"#
        )),
        Some(s) => Resp::json(format!(
            r#"{{"code":0,"message":"0","ttl":1,"data":{{"isLogin":true,"email_verified":0,"face":"https://i0.hdslb.com/bfs/face/member/noface.jpg","level_info":{{"current_level":0,"current_min":0,"current_exp":0,"next_exp":1}},"mid":{},"mobile_verified":1,"money":0,"uname":{},"vipStatus":0,"vipType":0,"wbi_img":{WBI_IMG}}}}}"#,
            s.creds.mid,
            json_str(&s.creds.name)
        )),
    }
}

/// `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`, uppercase hex.
fn uuid() -> String {
    let h = cookies::hex(32).to_uppercase();
    let part = |a: usize, b: usize| h.get(a..b).unwrap_or("0").to_string();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

fn spi() -> Resp {
    let digits: String = cookies::hex(5)
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .collect();
    Resp::json(format!(
        r#"{{"code":0,"message":"ok","data":{{"b_3":"{}{digits}infoc","b_4":"{}-{digits}-{}"}}}}"#,
        uuid(),
        uuid(),
        cookies::hex(16)
    ))
}

fn cookie_info(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    if find(cx, req).is_none() {
        return Resp::json_static(NOT_LOGGED_IN);
    }
    let ts = now_ms();
    cx.sh.main().stamps.insert(ts, Instant::now());
    Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"refresh":{},"timestamp":{ts}}}}}"#,
        cx.sc.main.refresh
    ))
}

/// `correspond/1/<hex>`: the page holding `refresh_csrf`, for a path that decrypts to `refresh_<ts>` with a
/// timestamp `cookie/info` issued within [`CORRESPOND_WINDOW`]; anything else 404.
fn correspond(cx: &Ctx<'_>, req: &Request<'_>, hex: &str) -> Resp {
    if cx.sc.main.correspond404 {
        return Resp::not_found_html();
    }
    let Some(session) = find(cx, req) else {
        return Resp::not_found_html();
    };
    let ts = decrypt_path(hex).and_then(|p| {
        p.strip_prefix("refresh_")
            .and_then(|t| t.parse::<u64>().ok())
    });
    let mut main = cx.sh.main();
    let fresh = ts.is_some_and(|t| {
        main.stamps
            .get(&t)
            .is_some_and(|at| at.elapsed() < CORRESPOND_WINDOW)
    });
    let Some(ts) = ts.filter(|_| fresh) else {
        return Resp::not_found_html();
    };
    let csrf = cookies::hex(32);
    if let Some(s) = main.web.get_mut(&session.creds.sessdata) {
        s.refresh_csrf = Some(csrf.clone());
    }
    Resp::html(
        200,
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>哔哩哔哩 (゜-゜)つロ 干杯~-bilibili</title></head>\
<body><div id=\"1-name\">{csrf}</div><div id=\"1-time\">{ts}</div></body></html>"
        ),
    )
}

/// What both refresh steps check first: a POST, the web session of the request's cookies (else -101), and
/// the form's `csrf` equal to its `bili_jct` (else -111).
fn refresh_step<'a>(
    cx: &'a Ctx<'_>,
    req: &Request<'_>,
) -> Result<(MutexGuard<'a, MainSessions>, WebSession), Box<Resp>> {
    if let Some(r) = post_only(req) {
        return Err(Box::new(r));
    }
    let main = cx.sh.main();
    let Some(session) = main.find_web(&req.cookies) else {
        return Err(Box::new(Resp::json_static(NOT_LOGGED_IN)));
    };
    if field(req, "csrf") != session.creds.jct {
        return Err(Box::new(Resp::json_static(CSRF_FAILED)));
    }
    Ok((main, session))
}

fn cookie_refresh(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    let (mut main, old) = match refresh_step(cx, req) {
        Ok(step) => step,
        Err(r) => return *r,
    };
    let csrf_ok = old
        .refresh_csrf
        .as_deref()
        .is_some_and(|c| c == field(req, "refresh_csrf"));
    if cx.sc.main.refresh86095 || !csrf_ok || field(req, "refresh_token") != old.refresh_token {
        return Resp::json_static(
            r#"{"code":86095,"message":"refresh_csrf 错误或 refresh_token 与 cookie 不匹配","ttl":1,"data":null}"#,
        );
    }
    // The page's refresh_csrf is good for one refresh.
    if let Some(s) = main.web.get_mut(&old.creds.sessdata) {
        s.refresh_csrf = None;
    }
    let creds = WebCreds::new(
        old.creds.mid,
        &old.creds.name,
        old.creds.sessdata.len() > 100,
    );
    let refresh_token = cookies::hex(32);
    main.add_web(&creds, &refresh_token);
    if let Some(s) = main.web.get_mut(&creds.sessdata) {
        s.replaces = Some((old.creds.sessdata.clone(), old.refresh_token.clone()));
    }
    drop(main);
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"status":0,"message":"","refresh_token":"{refresh_token}"}}}}"#
    ));
    r.cookies = web_set_cookies(&creds, false);
    r
}

fn confirm_refresh(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    let (mut main, new) = match refresh_step(cx, req) {
        Ok(step) => step,
        Err(r) => return *r,
    };
    match &new.replaces {
        Some((old_sess, old_token)) if field(req, "refresh_token") == old_token => {
            main.web.remove(old_sess);
            if let Some(s) = main.web.get_mut(&new.creds.sessdata) {
                s.replaces = None;
            }
            Resp::json_static(r#"{"code":0,"message":"0","ttl":1}"#)
        }
        _ => Resp::json_static(REQUEST_ERROR),
    }
}

fn exit_v2(cx: &Ctx<'_>, req: &Request<'_>) -> Resp {
    if let Some(r) = post_only(req) {
        return r;
    }
    let mut main = cx.sh.main();
    let Some(s) = main.find_web(&req.cookies) else {
        return Resp::html(
            200,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>哔哩哔哩弹幕视频网 - 登录</title></head>\
<body><div id=\"login-app\"></div><script src=\"//s1.hdslb.com/bfs/static/passport/login.js\"></script></body></html>"
                .to_string(),
        );
    };
    let ts = now_ms() / 1000;
    if field(req, "biliCSRF") != s.creds.jct {
        return Resp::json(format!(
            r#"{{"code":2202,"status":false,"ts":{ts},"message":"csrf 请求非法"}}"#
        ));
    }
    main.web.remove(&s.creds.sessdata);
    Resp::json(format!(
        r#"{{"code":0,"status":true,"ts":{ts},"data":{{"redirectUrl":"https://www.bilibili.com"}}}}"#
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        let set = web_set_cookies(&WebCreds::new(5, "n", false), false);
        assert_eq!(set.len(), 5);
        assert!(set.iter().all(|c| c.contains("Domain=.bilibili.com")));
    }
}
