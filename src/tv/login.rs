//! The TV QR login: `passport-tv-login/qrcode/auth_code` (the ticket is the `auth_code`) and
//! `passport-tv-login/qrcode/poll` (the state is the **outer** `code`; a confirmed answer's `data` holds the
//! tokens and `cookie_info`). Both are signed POSTs ([`super::sign`]).

use super::sign::signed;
use super::POLL_CODES;
use super::{app_key, app_secret};
use crate::cookies::{Cookie, REQUIRED};
use crate::error::{Error, ErrorKind, Result};
use crate::mainland::login::start_answer;
use crate::options::Options;
use crate::passport::envelope::{not_documented, parse_envelope};
use crate::passport::{Login, PollResult, PollStatus, QrCode};
use crate::site::Site;
use crate::token::{token_text, AppToken, TvKeys};
use crate::transport::{Call, Request};
use serde_json::{Map, Value};

/// An `auth_code`: 1 to 128 characters of `A-Z a-z 0-9 - _ . ~` (the service's are 32 hex characters).
pub fn is_auth_code(s: &str) -> bool {
    crate::mainland::login::is_key(s)
}

/// The auth code in `input`: the input itself, or the `auth_code` parameter of the QR URL.
pub fn extract_auth_code(input: &str) -> Result<&str> {
    if is_auth_code(input) {
        return Ok(input);
    }
    let query = input.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    match query
        .split('&')
        .find_map(|pair| pair.strip_prefix("auth_code="))
    {
        Some(found) if is_auth_code(found) => Ok(found),
        _ => Err(Error::argument(
            "ticket is malformed: expected the auth_code from bili_qr_start (1 to 128 characters of A-Z a-z 0-9 - _ . ~), or its qr_url with auth_code=",
        )),
    }
}

/// `POST {base_url}/x/passport-tv-login/qrcode/auth_code` (`appkey`, `local_id=0`, `ts`, `sign`).
pub fn start(options: &Options) -> Result<QrCode> {
    const EP: &str = "qrcode/auth_code";
    let endpoint = super::AUTH_CODE.url(options, &[]);
    let ts = super::ts_now();
    let body = signed(
        &[("local_id", "0"), ("ts", ts.as_str())],
        app_key(options),
        app_secret(options),
    );
    let answer = Request::post_form(&endpoint, &body).send(options, &Call::default())?;
    let envelope = parse_envelope(EP, &answer.body)?;
    if envelope.code != 0 {
        return Err(super::api_error(EP, &envelope));
    }
    let what = (
        "auth_code",
        is_auth_code as fn(&str) -> bool,
        "an auth code",
    );
    let (qr_url, code) = start_answer(EP, &envelope, what, options)?;
    Ok(QrCode {
        ticket: code.to_owned(),
        qr_url: qr_url.to_owned(),
        qr_type: "main_tv".to_owned(),
        site: Some("main"),
    })
}

/// One poll of an auth code (extracted by the caller), within `call`'s deadline.
pub(crate) fn poll_code(code: &str, options: &Options, call: &Call<'_>) -> Result<PollResult> {
    const EP: &str = "qrcode/poll";
    let endpoint = super::POLL.url(options, &[]);
    let ts = super::ts_now();
    let body = signed(
        &[("auth_code", code), ("local_id", "0"), ("ts", ts.as_str())],
        app_key(options),
        app_secret(options),
    );
    let answer = Request::post_form(&endpoint, &body).send(options, call)?;
    let envelope = parse_envelope(EP, &answer.body)?;
    let Some(status) = POLL_CODES.status(envelope.code) else {
        return Err(super::api_error(EP, &envelope));
    };
    let message = crate::mainland::printable(&envelope.message);
    let login = match status {
        PollStatus::Confirmed => Some(confirmed(&envelope.data, options, code)?),
        _ => None,
    };
    Ok(PollResult {
        status,
        code: envelope.code,
        message,
        login,
    })
}

/// The token of a confirmed poll's or a renewal's `data`: `token_info`, else the same keys at the top
/// (both shapes are in use). `None` when neither holds both tokens.
pub(crate) fn token_of(data: &Map<String, Value>, now: i64) -> Option<(AppToken, Option<i64>)> {
    let from = |o: &Map<String, Value>| {
        let text = |k: &str| {
            o.get(k)
                .and_then(Value::as_str)
                .filter(|s| token_text(s))
                .map(str::to_owned)
        };
        let expires_in = o
            .get("expires_in")
            .and_then(crate::passport::parse_code)
            .filter(|e| *e > 0);
        let mid = o
            .get("mid")
            .and_then(crate::passport::parse_code)
            .filter(|m| *m > 0);
        Some((
            AppToken {
                access_token: text("access_token")?,
                refresh_token: text("refresh_token")?,
                expires_at: expires_in.map(|e| now.saturating_add(e)),
            },
            mid,
        ))
    };
    let nested = data
        .get("token_info")
        .and_then(Value::as_object)
        .and_then(from);
    let (token, mid) = nested.or_else(|| from(data))?;
    let mid = mid.or_else(|| {
        data.get("mid")
            .and_then(crate::passport::parse_code)
            .filter(|m| *m > 0)
    });
    Some((token, mid))
}

/// The web cookies of `data.cookie_info`: each cookie once, for `bilibili.com`, and the listed domains
/// of the mainland site. A cookie whose name or value a `Cookie` header cannot carry is left out (noted).
pub(crate) fn cookies_of(
    data: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> (Vec<Cookie>, Vec<String>) {
    let Some(info) = data.get("cookie_info").and_then(Value::as_object) else {
        warnings.push("data.cookie_info is missing: no web cookies came with the token".to_owned());
        return (Vec::new(), Vec::new());
    };
    let mut domains: Vec<String> = Vec::new();
    for d in info
        .get("domains")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        // A domain that is not a host name (`evil.example/.bilibili.com`, `*.bilibili.com`, a `%`) is not
        // listed, even when it ends with the site's domain.
        let d = d.trim_start_matches('.').to_ascii_lowercase();
        if crate::cookies::valid_domain(&d) && Site::Main.is_site_host(&d) && !domains.contains(&d)
        {
            domains.push(d);
        }
    }
    let mut cookies: Vec<Cookie> = Vec::new();
    let mut dropped = 0usize;
    for item in info
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = item.get("name").and_then(Value::as_str);
        let value = item.get("value").and_then(Value::as_str);
        let (Some(name), Some(value)) = (name, value) else {
            dropped += 1;
            continue;
        };
        if value.is_empty() || !crate::session::valid_cookie(name, value) {
            dropped += 1;
            continue;
        }
        let flag = |k: &str| match item.get(k) {
            Some(Value::Bool(b)) => *b,
            Some(v) => crate::passport::parse_code(v).is_some_and(|n| n != 0),
            None => false,
        };
        let cookie = Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            domain: Some("bilibili.com".to_owned()),
            path: "/".to_owned(),
            expires: item
                .get("expires")
                .and_then(crate::passport::parse_code)
                .filter(|e| *e > 0),
            secure: flag("secure"),
            http_only: flag("http_only"),
        };
        match cookies.iter_mut().find(|c| c.name == cookie.name) {
            Some(slot) => *slot = cookie,
            None => cookies.push(cookie),
        }
    }
    if dropped > 0 {
        warnings.push(format!(
            "{dropped} cookie(s) of data.cookie_info were left out: no name, or a name or value a Cookie header cannot carry"
        ));
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|n| !cookies.iter().any(|c| c.name == *n))
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "data.cookie_info lacks the {} cookie(s): the web cookies are incomplete (the token works without them)",
            missing.join(", ")
        ));
    }
    (cookies, domains)
}

/// A confirmed poll's `data` as the poll object's login: the token is the credential; missing or odd web
/// cookies are warnings. Only a confirmed answer without both tokens is an error (nothing usable came).
fn confirmed(data: &Value, options: &Options, code: &str) -> Result<Login> {
    const EP: &str = "qrcode/poll";
    let data = data
        .as_object()
        .ok_or_else(|| not_documented(EP, "the confirmed answer's data is not an object"))?;
    let now = crate::mainland::unix_now();
    let Some((token, mid)) = token_of(data, now) else {
        return Err(Error::protocol(
            "the login was confirmed, but the answer holds no access_token and refresh_token (token_info); this login cannot be used: start a new one",
        ));
    };
    let mut warnings = Vec::new();
    let (cookies, cookie_domains) = cookies_of(data, &mut warnings);
    let from_cookie = cookies
        .iter()
        .find(|c| c.name == "DedeUserID")
        .and_then(|c| c.value.parse::<i64>().ok())
        .filter(|m| *m > 0);
    // No warning quotes a secret (none is built from the answer's text, but a defence costs little).
    for w in &mut warnings {
        let mut e = Error::new(ErrorKind::Protocol, w.as_str());
        e = token.redact(e).redact(code);
        for c in &cookies {
            e = e.redact(&c.value);
        }
        *w = e.message().to_owned();
    }
    Ok(Login {
        mid: mid.or(from_cookie),
        is_new: data.get("is_new").and_then(Value::as_bool),
        go_url: None,
        user_profile: None,
        cookie_header: crate::cookies::header_of(&cookies),
        cookies,
        warnings,
        host: options.base_url.host().to_owned(),
        verified: None,
        site_keys: None,
        tv: Some(TvKeys {
            site: "main",
            flow: "tv",
            token,
            cookie_domains,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_codes_from_urls() {
        crate::mainland::login::tests::assert_extracts(extract_auth_code, "auth_code", &|code| {
            format!(
                "https://passport.bilibili.com/x/passport-tv-login/h5/qrcode/auth?auth_code={code}"
            )
        });
    }

    #[test]
    fn confirmed_shapes() {
        let o = Options::from_json(Some(r#"{"site":"main","flow":"tv"}"#)).unwrap();
        let data: Value = serde_json::from_str(
            r#"{"is_new":false,"mid":7,"access_token":"top-level-access","refresh_token":"top-level-refresh","expires_in":100,
               "token_info":{"mid":7,"access_token":"aaaaaaaaaaaaaaaaaaaa","refresh_token":"rrrrrrrrrrrrrrrrrrrr","expires_in":15552000},
               "cookie_info":{"cookies":[{"name":"SESSDATA","value":"s%2C1","http_only":1,"expires":1900000000,"secure":0},
                 {"name":"bili_jct","value":"j","http_only":0,"expires":1900000000,"secure":0},
                 {"name":"DedeUserID","value":"7","http_only":0,"expires":1900000000,"secure":0},
                 {"name":"bad","value":"a;b"}],
                 "domains":[".bilibili.com",".biligame.com",".bigfun.cn"]}}"#,
        )
        .unwrap();
        let login = confirmed(&data, &o, "code").unwrap();
        let tv = login.tv.as_ref().unwrap();
        assert_eq!(tv.token.access_token, "aaaaaaaaaaaaaaaaaaaa");
        assert!(tv.token.expires_at.unwrap() > 15552000);
        assert_eq!(tv.cookie_domains, ["bilibili.com", "biligame.com"]);
        assert_eq!(login.mid, Some(7));
        assert_eq!(login.cookies.len(), 3);
        assert!(login.cookies[0].http_only);
        assert_eq!(
            login.cookie_header,
            "SESSDATA=s%2C1; bili_jct=j; DedeUserID=7"
        );
        assert_eq!(login.warnings.len(), 1, "{:?}", login.warnings);
        // Top-level keys only (the older shape) also work; no cookies is a warning, not an error.
        let data: Value = serde_json::from_str(
            r#"{"mid":"8","access_token":"aaaaaaaaaaaaaaaaaaaa","refresh_token":"rrrrrrrrrrrrrrrrrrrr","expires_in":10}"#,
        )
        .unwrap();
        let login = confirmed(&data, &o, "code").unwrap();
        assert_eq!(login.mid, Some(8));
        assert!(login.cookies.is_empty());
        assert!(!login.warnings.is_empty());
        let json = PollResult {
            status: PollStatus::Confirmed,
            code: 0,
            message: "0".into(),
            login: Some(login),
        }
        .to_json();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["site"], "main");
        assert_eq!(v["flow"], "tv");
        assert_eq!(v["token"]["refresh_token"], "rrrrrrrrrrrrrrrrrrrr");
        assert!(v.get("refresh_token").is_none());
        // No token: an error that quotes nothing of the answer.
        let data: Value =
            serde_json::from_str(r#"{"token_info":{"access_token":"aaaaaaaaaaaaaaaaaaaa"}}"#)
                .unwrap();
        let e = confirmed(&data, &o, "code").unwrap_err();
        assert!(!e.message().contains("aaaaaaa"));
    }

    #[test]
    fn cookie_domains_are_host_names_of_the_site() {
        let data: Value = serde_json::from_str(
            r#"{"cookie_info":{"cookies":[],"domains":["evil.example/.bilibili.com","*.bilibili.com",
               "evil.example .bilibili.com","evil.example:1.bilibili.com","a%2C1.bilibili.com",
               "x..bilibili.com",".bilibili.com","WWW.Bilibili.com",".bilibili.com.evil.com"]}}"#,
        )
        .unwrap();
        let mut warnings = Vec::new();
        let (_, domains) = cookies_of(data.as_object().unwrap(), &mut warnings);
        assert_eq!(domains, ["bilibili.com", "www.bilibili.com"]);
    }
}
