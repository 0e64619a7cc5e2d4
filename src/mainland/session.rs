//! A mainland session asked about and ended: `nav` (is it logged in), `cookie/info` (does it want a
//! refresh), `login/exit/v2` (logout).

use super::{device, form};
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::passport::envelope::{api_error, parse_envelope};
use crate::passport::UserInfo;
use crate::session::{
    check_result, redact, service_header, CheckResult, LogoutResult, LogoutStatus, Session,
};
use crate::transport::{Call, Request};
use serde_json::Value;

pub use crate::passport::envelope::CODE_NOT_LOGGED_IN;
/// Risk control (no device cookies, or a captcha demanded).
pub const CODE_RISK: i64 = -352;
/// `login/exit/v2`: the csrf token did not match.
pub const CODE_EXIT_CSRF: i64 = 2202;

/// `GET {api_base_url}/x/web-interface/nav` with `cookie`: logged in or not (code -101); any other code is
/// the API error (-352 named as risk control).
pub(crate) fn nav(cookie: &str, options: &Options, call: &Call<'_>) -> Result<UserInfo> {
    let endpoint = super::NAV.url(options, &[]);
    let answer = Request::get(&endpoint)
        .cookie(Some(cookie).filter(|c| !c.is_empty()))
        .send(options, call)?;
    parse_nav(&answer.body, answer.final_set_cookies().to_vec())
}

/// Parses a `nav` answer (`UserInfo::is_login` is `data.isLogin`, and `name` its `uname`).
pub(crate) fn parse_nav(body: &[u8], set_cookies: Vec<String>) -> Result<UserInfo> {
    const EP: &str = "nav";
    let envelope = parse_envelope(EP, body)?;
    match envelope.code {
        0 => {}
        CODE_NOT_LOGGED_IN => return Ok(UserInfo::not_logged_in(set_cookies)),
        _ => return Err(api_error(EP, &envelope)),
    }
    let data = &envelope.data;
    let is_login = data.get("isLogin").and_then(Value::as_bool).ok_or_else(|| {
        Error::protocol(
            "the nav answer is not the documented JSON (data.isLogin is missing or not a boolean); check api_base_url",
        )
    })?;
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .map(|s| s.chars().filter(|c| !c.is_control()).take(256).collect())
    };
    let mid = match data.get("mid") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(UserInfo {
        is_login,
        code: 0,
        mid: mid.filter(|m| *m > 0),
        name: text("uname"),
        face: text("face"),
        set_cookies,
    })
}

/// Merges `Set-Cookie` lines (and extra cookies) into a session through the mainland jar's rules; a cookie
/// the answer deleted leaves the session. Returns whether anything changed.
pub(crate) fn merge(
    session: &mut Session,
    set_cookies: &[String],
    extra: Vec<crate::cookies::Cookie>,
    options: &Options,
) -> bool {
    let host = options.api_base_url.host();
    crate::session::merge_cookies(session, super::jar(options), host, set_cookies, extra)
}

/// `GET {base_url}/x/passport-login/web/cookie/info?csrf=<bili_jct>`: `Ok(Some(refresh))`, `Ok(None)` for
/// code -101 (not logged in), or the error. Also returns the server's timestamp (ms).
pub(crate) fn cookie_info(
    session: &Session,
    options: &Options,
    call: &Call<'_>,
) -> Result<Option<(bool, i64)>> {
    const EP: &str = "cookie/info";
    let csrf = session.get("bili_jct").map_or("", |c| c.value.as_str());
    let endpoint = super::COOKIE_INFO.url(options, &[("csrf", csrf)]);
    let header = service_header(session, options);
    let answer = Request::get(&endpoint)
        .cookie(Some(header.as_str()).filter(|c| !c.is_empty()))
        .send(options, call)?;
    let envelope = parse_envelope(EP, &answer.body)?;
    match envelope.code {
        0 => {}
        CODE_NOT_LOGGED_IN => return Ok(None),
        _ => return Err(api_error(EP, &envelope)),
    }
    let refresh = envelope.data.get("refresh").and_then(Value::as_bool);
    let timestamp = envelope.data.get("timestamp").and_then(Value::as_i64);
    match (refresh, timestamp) {
        (Some(r), Some(t)) if t > 0 => Ok(Some((r, t))),
        _ => Err(Error::protocol(
            "the cookie/info answer is not the documented JSON (data.refresh or data.timestamp is missing or mistyped); check base_url",
        )),
    }
}

/// `bili_qr_check` for a mainland session: `nav` (once more with fresh device cookies if it answers -352
/// and the session has none), then `cookie/info` for `refresh_needed` (best effort).
pub fn check(session: &Session, options: &Options) -> Result<CheckResult> {
    check_inner(session, options).map_err(|e| redact(e, session))
}

fn check_inner(session: &Session, options: &Options) -> Result<CheckResult> {
    let call = Call::default();
    let mut merged = session.clone();
    merged.mark_main();
    let header = service_header(&merged, options);
    let info = match nav(&header, options, &call) {
        Err(e) if is_risk(&e) && merged.get("buvid3").is_none() => {
            let (b3, b4) = device::fetch(options, &call).map_err(|_| e)?;
            merge(
                &mut merged,
                &[],
                device::cookies(b3, b4, super::unix_now()),
                options,
            );
            nav(&service_header(&merged, options), options, &call)?
        }
        other => other?,
    };
    merge(&mut merged, &info.set_cookies, Vec::new(), options);
    let ask_refresh = |s: &Session| match cookie_info(s, options, &call) {
        Ok(Some((refresh, _))) => Some(refresh),
        _ => None,
    };
    Ok(check_result(session, merged, info, Some(&ask_refresh)))
}

fn is_risk(e: &Error) -> bool {
    e.kind() == ErrorKind::Api && e.message().contains(&format!("code {CODE_RISK} ("))
}

/// `bili_qr_logout` for a mainland session: `POST {base_url}/login/exit/v2` form `biliCSRF=<bili_jct>`.
/// Code 0: logged out; -101, or an HTML page (what an already-dead session gets): expired; 2202: the csrf
/// token did not match.
pub fn logout(session: &Session, options: &Options) -> Result<LogoutResult> {
    let Some(jct) = session.get("bili_jct").filter(|c| !c.value.is_empty()) else {
        return Err(Error::argument(
            "session has no bili_jct cookie, which logout sends as its csrf token: pass the whole session as handed out by the login",
        ));
    };
    // The scope makes the session's secrets known to the scrub of the answer's `message` too.
    let _scope = crate::session::session_scope(session);
    logout_inner(session, &jct.value, options).map_err(|e| redact(e, session))
}

fn logout_inner(session: &Session, csrf: &str, options: &Options) -> Result<LogoutResult> {
    const EP: &str = "login/exit/v2";
    let endpoint = super::EXIT.url(options, &[]);
    let body = form(&[("biliCSRF", csrf)]);
    let header = service_header(session, options);
    let answer = Request::post_form(&endpoint, &body)
        .cookie(Some(header.as_str()))
        .send(options, &Call::default())?;
    let trimmed = answer
        .body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| answer.body.get(i));
    if trimmed == Some(&b'<') {
        return Ok(LogoutResult {
            status: LogoutStatus::Expired,
            code: CODE_NOT_LOGGED_IN,
            message: crate::redact::scrub(
                "the service answered with its login page: the session had already ended",
            ),
        });
    }
    let envelope = parse_envelope(EP, &answer.body)?;
    let refusal = (
        CODE_EXIT_CSRF,
        "the logout was refused with code 2202: the csrf token (bili_jct) did not match the session; pass the bili_jct that came with this SESSDATA",
    );
    LogoutResult::answered(EP, &envelope, refusal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::Site;

    #[test]
    fn nav_answers() {
        let ok = parse_nav(
            br#"{"code":0,"message":"0","data":{"isLogin":true,"mid":42,"uname":"n","face":"f"}}"#,
            vec![],
        )
        .unwrap();
        assert!(ok.is_login);
        assert_eq!(ok.mid, Some(42));
        assert_eq!(ok.name.as_deref(), Some("n"));
        let out = parse_nav(
            br#"{"code":-101,"message":"not logged in","data":{"isLogin":false}}"#,
            vec![],
        )
        .unwrap();
        assert!(!out.is_login);
        let e = parse_nav(
            br#"{"code":-352,"message":"risk","data":{"v_voucher":"x"}}"#,
            vec![],
        )
        .unwrap_err();
        assert!(is_risk(&e), "{}", e.message());
        assert!(parse_nav(br#"{"code":0,"message":"0","data":{}}"#, vec![]).is_err());
    }

    #[test]
    fn sessions_read_their_site_and_tokens() {
        use crate::session::SessionFormat;
        // A Cookie header (BBDownT's form): the token is kept apart, the site is not known.
        let s = Session::parse(
            "SESSDATA=s1234567; bili_jct=j1234567; DedeUserID=42; ac_time_value=t1234567",
        )
        .unwrap();
        assert_eq!(s.site, None);
        assert_eq!(s.refresh_token.as_deref(), Some("t1234567"));
        assert!(s.get("ac_time_value").is_none());
        assert!(!s.cookie_header().contains("t1234567"));
        // Cookies of .bilibili.com make it mainland; written and read back, nothing is lost.
        let json = r#"{"cookies":[{"name":"SESSDATA","value":"s1234567","domain":"bilibili.com"},{"name":"bili_jct","value":"j1234567","domain":"bilibili.com"},{"name":"x","value":"1","domain":"bilibili.tv"}],"refresh_token":"t1234567"}"#;
        let s = Session::parse(json).unwrap();
        assert_eq!(s.site, Some(Site::Main));
        assert_eq!(s.host, "passport.bilibili.com");
        assert!(
            s.get("x").is_none(),
            "a bilibili.tv cookie is not the mainland's"
        );
        let file = s.write(SessionFormat::Netscape);
        assert!(file.contains("#HttpOnly_passport.bilibili.com\tFALSE\t/x/passport-login/web/cookie/refresh\tTRUE\t0\tac_time_value\tt1234567\n"));
        let back = Session::parse(&file).unwrap();
        assert_eq!(back.site, Some(Site::Main));
        assert_eq!(back.refresh_token.as_deref(), Some("t1234567"));
        assert_eq!(back.cookies, s.cookies);
        let obj: Value = serde_json::from_str(&s.write(SessionFormat::Json)).unwrap();
        assert_eq!(obj["site"], "main");
        assert_eq!(obj["refresh_token"], "t1234567");
        assert!(obj.get("previous_refresh_token").is_none());
        assert!(!s.write(SessionFormat::Header).contains("t1234567"));
        // An intl session is read as before: no site key written, mainland cookies dropped.
        let intl = r#"{"cookies":[{"name":"SESSDATA","value":"s1234567","domain":"bilibili.tv"},{"name":"y","value":"1","domain":"bilibili.com"}]}"#;
        let s = Session::parse(intl).unwrap();
        assert_eq!(s.site, Some(Site::Intl));
        assert!(s.get("y").is_none());
        let obj: Value = serde_json::from_str(&s.write(SessionFormat::Json)).unwrap();
        assert!(obj.get("site").is_none() && obj.get("refresh_token").is_none());
        // A site key that is neither: an argument error.
        assert!(Session::parse(r#"{"site":"cn","cookie_header":"SESSDATA=1"}"#).is_err());
    }
}
