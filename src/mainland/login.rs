//! The mainland QR login: `qrcode/generate` (the ticket is the `qrcode_key`), `qrcode/poll` (the state is
//! `data.code`), and a confirmed login's cookies from every source, in order (docs/COOKIES.md): the poll
//! answer's `Set-Cookie`, the credentials in `data.url`'s query (the form used before 2026-08), the
//! `Set-Cookie` of every hop of `data.url` (the crossDomain page, followed as a browser would), then the
//! device cookies (`finger/spi`) and, with `verify_login`, `nav`.

use super::{device, POLL_CODES};
use crate::cookies::CookieJar;
use crate::error::{Error, ErrorKind, Result};
use crate::login::ticket_cookies as sessions;
use crate::login::{path_of, Collector, Redirects, QUERY_CREDENTIALS};
use crate::options::Options;
use crate::passport::envelope::{api_error, not_documented, parse_envelope, parse_ok};
use crate::passport::envelope::{qr_url_refused, Envelope};
use crate::passport::{ConfirmedData, Login, PollResult, PollStatus};
use crate::passport::{QrCode, SiteKeys};
use crate::site::Site;
use crate::transport::{Answer, Call, Request};
use crate::url::Url;
use serde_json::Value;

/// Whether a QR URL may be handed out: https on a host under bilibili.com or biligame.com, or (tests) a URL
/// on the loopback `base_url` host. (The TV login's QR URLs too.)
fn qr_url_allowed(qr_url: &str, options: &Options) -> bool {
    let Ok(u) = Url::parse(qr_url) else {
        return false;
    };
    if qr_url.split('?').next().is_some_and(|a| a.contains('@')) {
        return false;
    }
    (u.is_https() && Site::Main.is_site_host(u.host()))
        || (options.base_url.is_loopback() && u.host() == options.base_url.host())
}

/// A `qrcode_key`: 1 to 128 characters of `A-Z a-z 0-9 - _ . ~` (the service's are 32 hex characters).
pub fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= crate::ticket::MAX_TICKET_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// The key in `input`: the input itself, or the `qrcode_key` (else `ticket`) parameter of a URL.
pub fn extract_key(input: &str) -> Result<&str> {
    if is_key(input) {
        return Ok(input);
    }
    if let Some((_, query)) = input.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        if let Some(found) = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("qrcode_key="))
        {
            if is_key(found) {
                return Ok(found);
            }
            return Err(Error::argument(
                "the qrcode_key= parameter of the URL is not a qrcode_key: expected 1 to 128 characters of A-Z a-z 0-9 - _ . ~",
            ));
        }
    }
    crate::ticket::extract(input).map_err(|e| {
        e.with_message(
            "ticket is malformed: expected the qrcode_key from bili_qr_start (1 to 128 characters of A-Z a-z 0-9 - _ . ~), or its qr_url",
        )
    })
}

/// `data.url` and the code `data.{field}` of a mainland start answer (`qrcode/generate`, or the TV login's
/// `qrcode/auth_code`), checked: the code by `valid` (else it is not the documented JSON: "data.{field} is
/// not {what}"), the URL by [`qr_url_allowed`].
pub(crate) fn start_answer<'a>(
    endpoint: &str,
    envelope: &'a Envelope,
    (field, valid, what): (&str, fn(&str) -> bool, &str),
    options: &Options,
) -> Result<(&'a str, &'a str)> {
    let qr_url = envelope.data_str(endpoint, "url")?;
    let code = envelope.data_str(endpoint, field)?;
    if !valid(code) {
        return Err(not_documented(
            endpoint,
            &format!("data.{field} is not {what}"),
        ));
    }
    if !qr_url_allowed(qr_url, options) {
        return Err(qr_url_refused(
            endpoint,
            "url",
            "bilibili.com or biligame.com",
        ));
    }
    Ok((qr_url, code))
}

/// `GET {base_url}/x/passport-login/web/qrcode/generate?source=main-fe-header`.
pub fn start(options: &Options) -> Result<QrCode> {
    const EP: &str = "qrcode/generate";
    let endpoint = super::GENERATE.url(options, &[("source", "main-fe-header")]);
    let answer = Request::get(&endpoint).send(options, &Call::default())?;
    let envelope = parse_ok(EP, &answer.body)?;
    let (qr_url, key) = start_answer(EP, &envelope, ("qrcode_key", is_key, "a key"), options)?;
    let mut set = Vec::new();
    for hop in &answer.hops {
        for line in &hop.set_cookies {
            for part in crate::cookies::split_folded(line) {
                if let Ok(c) = cookie::Cookie::parse(part) {
                    if crate::cookies::valid_name(c.name())
                        && crate::cookies::valid_value(c.value())
                    {
                        let v = (!c.value().is_empty()).then(|| c.value().to_owned());
                        set.push((c.name().to_owned(), v));
                    }
                }
            }
        }
    }
    sessions::remember(key, set);
    Ok(QrCode {
        ticket: key.to_owned(),
        qr_url: qr_url.to_owned(),
        qr_type: "main_web".to_owned(),
        site: Some("main"),
    })
}

/// The state of a poll answer's `data`.
#[derive(Debug)]
struct PollData {
    code: i64,
    message: String,
    url: Option<String>,
    refresh_token: Option<String>,
}

fn parse_poll(body: &[u8]) -> Result<PollData> {
    const EP: &str = "qrcode/poll";
    let envelope = parse_envelope(EP, body)?;
    if envelope.code != 0 {
        return Err(api_error(EP, &envelope));
    }
    let data = envelope
        .data
        .as_object()
        .ok_or_else(|| not_documented(EP, "data is missing or not an object"))?;
    let code = data
        .get("code")
        .and_then(crate::passport::parse_code)
        .ok_or_else(|| not_documented(EP, "data.code is missing or not an integer"))?;
    let message = data
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if POLL_CODES.status(code).is_none() {
        let inner = crate::passport::Envelope {
            code,
            message: crate::redact::scrub(&message),
            data: Value::Null,
            message_missing: false,
        };
        return Err(api_error(EP, &inner));
    }
    let text = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(PollData {
        code,
        message,
        url: text("url"),
        refresh_token: text("refresh_token"),
    })
}

/// One poll of a key (extracted by the caller), within `call`'s deadline.
pub(crate) fn poll_key(key: &str, options: &Options, call: &Call<'_>) -> Result<PollResult> {
    let poll_url = super::POLL.url(
        options,
        &[("qrcode_key", key), ("source", "main-fe-header")],
    );
    let session = sessions::cookie_header(key);
    let answer = Request::get(&poll_url)
        .cookie(session.as_deref().map(String::as_str))
        .send(options, call)?;
    let data = parse_poll(&answer.body)?;
    // parse_poll let only the four states through.
    let status = POLL_CODES.status(data.code).unwrap_or(PollStatus::Waiting);
    if matches!(status, PollStatus::Confirmed | PollStatus::Expired) {
        sessions::forget(key);
    }
    let (code, message) = (data.code, super::printable(&data.message));
    let login = match status {
        PollStatus::Confirmed => {
            let refresh_token = data.refresh_token.clone();
            let mut login =
                collect(options, &poll_url, &answer, data, call).map_err(
                    |e| match &refresh_token {
                        Some(t) => e.redact(t),
                        None => e,
                    },
                )?;
            for w in &mut login.warnings {
                let mut e = Error::new(ErrorKind::Protocol, w.as_str()).redact(key);
                if let Some(t) = &refresh_token {
                    e = e.redact(t);
                }
                *w = e.message().to_owned();
            }
            Some(login)
        }
        _ => None,
    };
    Ok(PollResult {
        status,
        code,
        message,
        login,
    })
}

/// Reads the credentials in the query of `data.url` (the form used before 2026-08) into the jar, for
/// `.bilibili.com`, values as they stand (SESSDATA Secure and HttpOnly, as the service sets it). Returns how
/// many were kept.
fn apply_query_credentials(jar: &mut CookieJar, raw: &str, base_host: &str, now: i64) -> usize {
    crate::login::apply_query_credentials(
        jar,
        raw,
        &QUERY_CREDENTIALS,
        Some("bilibili.com".to_owned()),
        |name| name == "SESSDATA",
        base_host,
        now,
    )
}

/// Whether the cookies in hand make a session (the three required ones, not empty).
fn complete(jar: &CookieJar) -> bool {
    jar.missing_required().is_empty()
}

/// A confirmed login's cookies from every source (module documentation), with the [`Collector`] of both
/// sites. Optional steps that fail become warnings; only a login still lacking SESSDATA, bili_jct or
/// DedeUserID is an error. `data.url` (resolved against the poll URL) is requested as a browser would when
/// its host is trusted; its redirect (to `gourl`, the site's home page, which sets none of the session's
/// cookies) is not followed.
fn collect(
    options: &Options,
    poll_url: &str,
    answer: &Answer,
    data: PollData,
    call: &Call<'_>,
) -> Result<Login> {
    let mut c = Collector::new(options, call, Site::Main, super::jar(options));
    c.tried("the poll answer's Set-Cookie");
    c.apply_hops(&answer.hops, Redirects::Stop);
    if let Some(raw) = data.url.as_deref() {
        if apply_query_credentials(&mut c.jar, raw, c.base_host, c.now) > 0 {
            c.tried("the credentials in data.url's query");
        }
        let joined = Url::parse(poll_url).and_then(|p| p.join(raw));
        if let Some(target) = c.target("data.url", joined) {
            c.tried("data.url (crossDomain)");
            c.follow("data.url", &target, Redirects::Stop);
        }
    } else {
        c.warnings
            .push("data.url is missing: the crossDomain step was skipped");
    }
    if data.refresh_token.is_none() {
        c.warnings.push(
            "data.refresh_token is missing: this session cannot be refreshed with bili_qr_refresh",
        );
    }

    if complete(&c.jar) {
        device::ensure(&mut c.jar, options, call, &mut c.warnings);
    }
    let mut verified = None;
    let mut profile = None;
    if options.verify_login && complete(&c.jar) {
        let path = path_of(&super::NAV.url(options, &[]));
        let nav = c.verify("nav", &path, super::session::nav)?;
        verified = Some(nav.is_some());
        profile = nav.map(|nav| crate::passport::UserProfile {
            is_user_blank_profile: None,
            name: nav.name,
            face: nav.face,
        });
    }
    let confirmed = ConfirmedData {
        go_url: data.url,
        user_profile: profile,
        ..ConfirmedData::default()
    };
    let mut login = c.finish(confirmed)?;
    login.verified = verified;
    login.site_keys = Some(SiteKeys {
        site: Site::Main.as_str(),
        refresh_token: data.refresh_token,
    });
    Ok(login)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn keys_from_urls() {
        assert_extracts(extract_key, "qrcode_key", &|key| {
            format!(
                "https://passport.bilibili.com/h5-app/passport/login/scan?navhide=1&qrcode_key={key}&from="
            )
        });
    }

    /// `extract` takes a login's code as it is or from its QR URL (`qr_url` of the code), and refuses
    /// a `param=` with a space, the empty text and garbage (naming `param`).
    pub(crate) fn assert_extracts(
        extract: fn(&str) -> Result<&str>,
        param: &str,
        qr_url: &dyn Fn(&str) -> String,
    ) {
        let code = "0123456789abcdef0123456789abcdef";
        assert_eq!(extract(code).unwrap(), code);
        assert_eq!(extract(&qr_url(code)).unwrap(), code);
        assert!(extract(&format!("https://x/?{param}=a b")).is_err());
        assert!(extract("").is_err());
        let e = extract("not a key at all").unwrap_err();
        assert!(e.message().contains(param), "{}", e.message());
    }

    #[test]
    fn poll_states() {
        let body = |code: i64| {
            format!(
                r#"{{"code":0,"message":"0","data":{{"url":"","refresh_token":"","timestamp":0,"code":{code},"message":"m"}}}}"#
            )
        };
        for (code, want) in [(86101, 86101), (86090, 86090), (86038, 86038)] {
            let d = parse_poll(body(code).as_bytes()).unwrap();
            assert_eq!(d.code, want);
            assert!(d.url.is_none() && d.refresh_token.is_none());
        }
        let e = parse_poll(body(12345).as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert!(e.message().contains("12345"));
        let e = parse_poll(br#"{"code":-412,"message":"banned"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        let e = parse_poll(b"<html>412</html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = parse_poll(br#"{"code":0,"message":"0","data":{"code":"x"}}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let ok = parse_poll(
            br#"{"code":0,"message":"0","data":{"url":"https://passport.biligame.com/x","refresh_token":"rt","timestamp":1,"code":0,"message":""}}"#,
        )
        .unwrap();
        assert_eq!(ok.code, 0);
        assert_eq!(ok.refresh_token.as_deref(), Some("rt"));
    }

    #[test]
    fn old_query_form_credentials() {
        let mut jar = CookieJar::for_domains(Site::Main.domains());
        let raw = "https://passport.biligame.com/crossDomain?DedeUserID=42&DedeUserID__ckMd5=abc&Expires=15551000&SESSDATA=s%2C1&bili_jct=j&gourl=https%3A%2F%2Fwww.bilibili.com";
        assert_eq!(
            apply_query_credentials(&mut jar, raw, "passport.bilibili.com", 1_000),
            4
        );
        assert!(complete(&jar));
        let s = jar.get("SESSDATA").unwrap();
        assert_eq!(s.value, "s%2C1");
        assert_eq!(s.domain.as_deref(), Some("bilibili.com"));
        assert_eq!(s.expires, Some(1_000 + 15_551_000));
        // The new form carries none.
        let mut jar = CookieJar::for_domains(Site::Main.domains());
        let raw = "https://passport.biligame.com/x/passport-login/web/crossDomain?ticket=0123&gourl=https%3A%2F%2Fwww.bilibili.com&first_domain=.bilibili.com";
        assert_eq!(
            apply_query_credentials(&mut jar, raw, "passport.bilibili.com", 0),
            0
        );
    }

    #[test]
    fn qr_urls() {
        let o = Options::from_json(Some(r#"{"site":"main"}"#)).unwrap();
        assert!(qr_url_allowed(
            "https://passport.bilibili.com/h5-app/passport/login/scan?navhide=1&qrcode_key=a&from=",
            &o
        ));
        assert!(!qr_url_allowed("http://passport.bilibili.com/x", &o));
        assert!(!qr_url_allowed("https://evil.example/?bilibili.com", &o));
        assert!(!qr_url_allowed("javascript:alert(1)", &o));
        assert!(!qr_url_allowed("https://user@passport.bilibili.com/", &o));
    }
}
