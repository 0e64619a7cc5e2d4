//! The two passport endpoints: request URLs, and parsing of their answers into typed results.

use crate::cookies::CookieJar;
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::ticket;
use serde::Serialize;
use serde_json::Value;

pub const URL_PATH: &str = "/x/intl/passport-login/qrcode/auth/url";
pub const FETCH_PATH: &str = "/x/intl/passport-login/qrcode/auth/fetch";

pub const CODE_CONFIRMED: i64 = 0;
pub const CODE_EXPIRED: i64 = 10018100;
pub const CODE_WAITING: i64 = 10018101;
pub const CODE_SCANNED: i64 = 10018102;

/// A new QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrCode {
    pub ticket: String,
    pub qr_url: String,
    pub qr_type: String,
}

/// The state of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PollStatus {
    Waiting,
    Scanned,
    Expired,
    Confirmed,
}

/// `data.user_profile` of a confirmed answer; each field `None` (JSON `null`) when it lacks its documented type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    #[serde(rename = "is_userBlankProfile")]
    pub is_user_blank_profile: Option<bool>,
    pub name: Option<String>,
    pub face: Option<String>,
}

/// What a confirmed login adds to the poll object (docs/ABI.md, "The confirmed poll object in version 2").
/// The optional fields are `None` (JSON `null`) when the answer did not give them with their documented type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Login {
    /// `data.mid` (integer or numeric string), else the number in the `DedeUserID` cookie.
    pub mid: Option<i64>,
    pub is_new: Option<bool>,
    pub go_url: Option<String>,
    pub user_profile: Option<UserProfile>,
    pub cookies: Vec<crate::cookies::Cookie>,
    pub cookie_header: String,
    /// Short English notes on each optional step that failed and each odd field; never a secret.
    pub warnings: Vec<String>,
    /// The `base_url` host: the host that set the host-only cookies (`domain: null`).
    pub host: String,
    /// With `verify_login`: whether `v2/user` accepted the new session (`false`: it could not be asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// The poll object of the ABI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollResult {
    pub status: PollStatus,
    pub code: i64,
    pub message: String,
    #[serde(flatten)]
    pub login: Option<Login>,
}

impl PollResult {
    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings, integers and booleans cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Appends `key=value` to a query, percent-encoding the value (RFC 3986 unreserved characters pass).
pub(crate) fn push_query(out: &mut String, key: &str, value: &str) {
    out.push(if out.contains('?') { '&' } else { '?' });
    out.push_str(key);
    out.push('=');
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

pub fn url_endpoint(options: &Options) -> String {
    let mut url = format!("{}{URL_PATH}", options.base_url.as_str());
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    url
}

pub fn fetch_endpoint(options: &Options, ticket: &str) -> String {
    let mut url = format!("{}{FETCH_PATH}", options.base_url.as_str());
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    push_query(&mut url, "ticket", ticket);
    url
}

/// The root object common to every answer: `code`, `message`, and `data`.
pub struct Envelope {
    pub code: i64,
    pub message: String,
    pub data: Value,
    /// Set when a `code` 0 answer's `message` was missing or not a string (taken as "").
    pub message_missing: bool,
}

fn not_documented(endpoint: &str, what: &str) -> Error {
    Error::protocol(format!(
        "the {endpoint} answer is not the documented JSON ({what}); check base_url, or the service changed"
    ))
}

/// A server-provided text made safe for a one-line message: no control characters, at most 120 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}

/// A `code`: a JSON integer, or a string holding one (`"0"`, `"-101"`: other clients accept it).
pub fn parse_code(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

/// Parses the root object. `code` decides everything and must be an integer (or an integer-valued string).
/// For `code` 0 nothing else is required here (a missing `message` is taken as ""); for other codes
/// `message` must be a string and `ttl`, when present, a number.
pub fn parse_envelope(endpoint: &str, body: &[u8]) -> Result<Envelope> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() && body.iter().all(u8::is_ascii_whitespace) {
            not_documented(endpoint, "empty body")
        } else {
            not_documented(endpoint, "not JSON")
        }
    })?;
    let Value::Object(mut root) = value else {
        return Err(not_documented(endpoint, "not a JSON object"));
    };
    let code = root
        .get("code")
        .and_then(parse_code)
        .ok_or_else(|| not_documented(endpoint, "code is missing or not an integer"))?;
    let (message, message_missing) = match root.get("message") {
        Some(Value::String(s)) => (s.clone(), false),
        _ if code == 0 => (String::new(), true),
        _ => {
            return Err(not_documented(
                endpoint,
                "message is missing or not a string",
            ))
        }
    };
    if code != 0 && root.get("ttl").is_some_and(|t| !t.is_number()) {
        return Err(not_documented(endpoint, "ttl is not a number"));
    }
    let data = root.remove("data").unwrap_or(Value::Null);
    Ok(Envelope {
        code,
        message,
        data,
        message_missing,
    })
}

/// Whether `data` carries a human-verification demand (mainland risk control: `ga_data`, `v_voucher`).
pub fn captcha_demanded(data: &Value) -> bool {
    data.as_object().is_some_and(|d| {
        ["ga_data", "v_voucher"]
            .iter()
            .any(|k| d.get(*k).is_some_and(|v| !v.is_null()))
    })
}

/// The error for a `code` the documentation does not list for this endpoint (or any code with a captcha
/// demand in its `data`).
pub fn api_error(endpoint: &str, envelope: &Envelope) -> Error {
    let advice = if captcha_demanded(&envelope.data) {
        "the service demands a human verification (captcha) for this network: log in once from a web browser on this network, poll less often, or change network"
    } else {
        match envelope.code {
            -412 | -352 => "the request was refused by risk control; slow down or change network",
            -799 => "too many requests; slow down and try again later",
            -400 => "the service called the request malformed; check the options",
            -404 => "the service does not know this endpoint; check base_url",
            -101 => "the service says the session is not logged in",
            10003003 => "the service is not available in this region",
            _ => "see the message; try again later",
        }
    };
    Error::new(
        ErrorKind::Api,
        format!(
            "the {endpoint} endpoint answered code {} (\"{}\"): {advice}",
            envelope.code,
            printable(&envelope.message)
        ),
    )
}

/// Whether `qr_url` may be handed out: https on a host under bilibili.tv or biliintl.com (any port, no user
/// info), or, in tests, a URL on the loopback `base_url` host. Not `javascript:`, not a phishing host.
pub fn qr_url_allowed(qr_url: &str, options: &Options) -> bool {
    let Ok(uri) = qr_url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let https = scheme.eq_ignore_ascii_case("https");
    let http = scheme.eq_ignore_ascii_case("http");
    let trusted_root = crate::cookies::TRUSTED_DOMAINS
        .iter()
        .any(|root| crate::cookies::domain_matches(host, root));
    (https && trusted_root && crate::cookies::valid_domain(host))
        || ((https || http)
            && options.base_url.is_loopback()
            && host.eq_ignore_ascii_case(options.base_url.host()))
}

/// Parses an `auth/url` answer; `qr_url` must carry a ticket and pass [`qr_url_allowed`].
pub fn parse_qr_code(body: &[u8], options: &Options) -> Result<QrCode> {
    const EP: &str = "qrcode/auth/url";
    let envelope = parse_envelope(EP, body)?;
    if envelope.code != 0 {
        return Err(api_error(EP, &envelope));
    }
    let data = envelope
        .data
        .as_object()
        .ok_or_else(|| not_documented(EP, "data is missing or not an object"))?;
    let field = |name: &str| {
        data.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| not_documented(EP, &format!("data.{name} is missing or not a string")))
    };
    let qr_url = field("qr_url")?;
    let qr_type = field("qr_type")?;
    let ticket = ticket::extract(qr_url)
        .ok()
        .filter(|t| *t != qr_url)
        .ok_or_else(|| not_documented(EP, "data.qr_url carries no valid ticket"))?;
    if !qr_url_allowed(qr_url, options) {
        return Err(Error::protocol(
            "the qrcode/auth/url answer's data.qr_url is not an https URL on bilibili.tv or biliintl.com; it was not handed out (check base_url: the server may be hostile)",
        ));
    }
    Ok(QrCode {
        ticket: ticket.to_owned(),
        qr_url: qr_url.to_owned(),
        qr_type: qr_type.to_owned(),
    })
}

/// The confirmed `data` object, read leniently, before cookies are attached.
#[derive(Debug, Default)]
pub struct ConfirmedData {
    pub mid: Option<i64>,
    pub is_new: Option<bool>,
    pub go_url: Option<String>,
    pub user_profile: Option<UserProfile>,
    pub cookie_info: Option<Value>,
    /// One note per odd field (missing or mistyped), for the poll object's `warnings`.
    pub warnings: Vec<String>,
}

/// Reads a confirmed answer's `data`: every field is optional, taken only with its documented type.
pub fn confirmed_data(data: &Value) -> ConfirmedData {
    let mut out = ConfirmedData::default();
    let Some(data) = data.as_object() else {
        out.warnings
            .push("data is missing or not an object".to_owned());
        return out;
    };
    let mut warnings = Vec::new();
    let mut odd = |what: &str| warnings.push(what.to_owned());
    out.mid = match data.get("mid") {
        Some(Value::Number(n)) => n.as_i64().filter(|m| *m > 0),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok().filter(|m: &i64| *m > 0)
        }
        _ => None,
    };
    if out.mid.is_none() {
        odd("data.mid is missing or not a positive integer");
    }
    out.is_new = data.get("is_new").and_then(Value::as_bool);
    if out.is_new.is_none() {
        odd("data.is_new is missing or not a boolean");
    }
    out.go_url = data
        .get("go_url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if out.go_url.is_none() {
        odd("data.go_url is missing or not a string");
    }
    out.user_profile = match data.get("user_profile") {
        Some(Value::Object(p)) => {
            let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
            let profile = UserProfile {
                is_user_blank_profile: p.get("is_userBlankProfile").and_then(Value::as_bool),
                name: text("name"),
                face: text("face"),
            };
            if profile.is_user_blank_profile.is_none() {
                odd("data.user_profile.is_userBlankProfile is missing or not a boolean");
            }
            if profile.name.is_none() {
                odd("data.user_profile.name is missing or not a string");
            }
            if profile.face.is_none() {
                odd("data.user_profile.face is missing or not a string");
            }
            Some(profile)
        }
        _ => {
            odd("data.user_profile is missing or not an object");
            None
        }
    };
    out.cookie_info = data.get("cookie_info").filter(|v| !v.is_null()).cloned();
    out.warnings = warnings;
    out
}

/// Parses a fetch answer. For a confirmed one, returns the data whose cookies the caller still collects.
pub fn parse_fetch(body: &[u8]) -> Result<(PollStatus, Envelope, Option<ConfirmedData>)> {
    const EP: &str = "qrcode/auth/fetch";
    let envelope = parse_envelope(EP, body)?;
    if envelope.code != CODE_CONFIRMED && captcha_demanded(&envelope.data) {
        return Err(api_error(EP, &envelope));
    }
    let status = match envelope.code {
        CODE_CONFIRMED => PollStatus::Confirmed,
        CODE_EXPIRED => PollStatus::Expired,
        CODE_WAITING => PollStatus::Waiting,
        CODE_SCANNED => PollStatus::Scanned,
        _ => return Err(api_error(EP, &envelope)),
    };
    let confirmed = if status == PollStatus::Confirmed {
        let mut data = confirmed_data(&envelope.data);
        if envelope.message_missing {
            data.warnings
                .insert(0, "message is missing or not a string".to_owned());
        }
        Some(data)
    } else {
        None
    };
    Ok((status, envelope, confirmed))
}

/// What was tried to collect a confirmed login's cookies, for the error when the required ones are missing.
#[derive(Debug, Default, Clone)]
pub struct Collected {
    /// The sources read, in order ("the fetch answer's Set-Cookie", "go_url (2 hops)", …).
    pub tried: Vec<String>,
    /// Hosts that were not requested because they are not trusted.
    pub refused: Vec<String>,
}

/// Builds the confirmed login from its data and collected cookies, checking the required cookies.
/// `warnings` come first (steps), then the odd fields, then the jar's.
pub fn finish_login(
    data: ConfirmedData,
    mut jar: CookieJar,
    host: &str,
    mut warnings: Vec<String>,
    collected: &Collected,
) -> Result<Login> {
    let missing = jar.missing_required();
    warnings.extend(data.warnings);
    warnings.extend(jar.take_warnings());
    // Defence in depth for the secrets rule: no warning quotes a cookie value (a server can put one into
    // a host name that a step's error names).
    for w in &mut warnings {
        for c in jar.iter() {
            if c.value.len() >= 6 && w.contains(&c.value) {
                *w = w.replace(&c.value, "…");
            }
        }
    }
    if !missing.is_empty() {
        let mut detail = format!("tried: {}", collected.tried.join(", "));
        if !collected.refused.is_empty() {
            detail.push_str(&format!(
                "; untrusted hosts not requested: {}",
                collected.refused.join(", ")
            ));
        }
        if !warnings.is_empty() {
            detail.push_str(&format!("; {}", warnings.join("; ")));
        }
        return Err(Error::protocol(format!(
            "the login was confirmed but the session lacks the {} cookie(s) ({detail}); this login cannot be used: start a new one",
            missing.join(", ")
        )));
    }
    let from_cookie = jar
        .get("DedeUserID")
        .and_then(|c| c.value.parse::<i64>().ok())
        .filter(|m| *m > 0);
    let mid = data.mid.or(from_cookie);
    if let (Some(a), Some(b)) = (data.mid, from_cookie) {
        if a != b {
            warnings.push("data.mid differs from the DedeUserID cookie; data.mid kept".to_owned());
        }
    }
    Ok(Login {
        mid,
        is_new: data.is_new,
        go_url: data.go_url,
        user_profile: data.user_profile,
        cookie_header: jar.cookie_header(),
        cookies: jar.into_vec(),
        warnings,
        host: host.to_owned(),
        verified: None,
    })
}

/// The path of the step that hands out the URLs setting a new session's cookies on the other domains.
pub const SSO_LIST_PATH: &str = "/x/intl/passport-login/web/sso/list";

pub fn sso_list_endpoint(options: &Options) -> String {
    let mut url = format!("{}{SSO_LIST_PATH}", options.base_url.as_str());
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    url
}

/// The most `data.sso[]` URLs followed.
pub(crate) const MAX_SSO_URLS: usize = 8;

/// Parses a `web/sso/list` answer into its `data.sso[]` URLs (strings, or objects with a string `url`).
/// A code other than 0 is an error (the caller turns it into a warning).
pub fn parse_sso_list(body: &[u8]) -> Result<Vec<String>> {
    const EP: &str = "web/sso/list";
    let envelope = parse_envelope(EP, body)?;
    if envelope.code != 0 {
        return Err(api_error(EP, &envelope));
    }
    let list = envelope
        .data
        .get("sso")
        .and_then(Value::as_array)
        .ok_or_else(|| not_documented(EP, "data.sso is missing or not an array"))?;
    Ok(list
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("url").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .take(MAX_SSO_URLS)
        .collect())
}

/// The path of the gateway's session check.
pub const GATEWAY_USER_PATH: &str = "/intl/gateway/web/v2/user";

pub fn gateway_user_endpoint(options: &Options) -> String {
    let mut url = format!("{}{GATEWAY_USER_PATH}", options.api_base_url.as_str());
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    url
}

/// What `GET {api_base_url}/intl/gateway/web/v2/user` says of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// `code` 0 with `data.is_login` true. False for `data.is_login` false and for code -101.
    pub is_login: bool,
    /// The answer's `code` (0, or -101).
    pub code: i64,
    pub mid: Option<i64>,
    pub name: Option<String>,
    pub face: Option<String>,
    /// The answer's raw `Set-Cookie` values (a renewed session), for the caller's jar.
    pub set_cookies: Vec<String>,
}

/// Asks the gateway whether a session is logged in: `GET {api_base_url}/intl/gateway/web/v2/user?s_locale=…&
/// platform=…` with `cookie_header` (the session's cookies for the api host) and the login's browser headers,
/// within `call`'s deadline and cancel signal. For `verify_login` and `bili_qr_check`.
///
/// `Ok` with `is_login` true (code 0 and `data.is_login` true) or false (`data.is_login` false, or code
/// -101), and the answer's `Set-Cookie` values (a renewed session) in `set_cookies`. Any other answer is
/// the error poll would give (HTTP, protocol, API with the captcha advice, network, timeout, cancelled).
pub(crate) fn gateway_user(
    cookie_header: &str,
    options: &Options,
    call: &crate::transport::Call<'_>,
) -> Result<UserInfo> {
    let url = gateway_user_endpoint(options);
    let answer = crate::transport::Request::get(&url)
        .cookie(Some(cookie_header).filter(|c| !c.is_empty()))
        .send(options, call)?;
    let set_cookies = answer.final_set_cookies().to_vec();
    parse_gateway_user(&answer.body, set_cookies)
}

/// Parses a `v2/user` answer. code 0 → `is_login` from `data.is_login` (a missing one is a protocol
/// error); -101 → not logged in; any other code → the API error (a captcha demand named as such).
pub fn parse_gateway_user(body: &[u8], set_cookies: Vec<String>) -> Result<UserInfo> {
    const EP: &str = "gateway v2/user";
    let envelope = parse_envelope(EP, body)?;
    let not_logged_in = |code| UserInfo {
        is_login: false,
        code,
        mid: None,
        name: None,
        face: None,
        set_cookies: Vec::new(),
    };
    match envelope.code {
        0 => {}
        -101 => {
            let mut info = not_logged_in(-101);
            info.set_cookies = set_cookies;
            return Ok(info);
        }
        _ => return Err(api_error(EP, &envelope)),
    }
    let data = &envelope.data;
    let is_login = data
        .get("is_login")
        .and_then(Value::as_bool)
        .ok_or_else(|| not_documented(EP, "data.is_login is missing or not a boolean"))?;
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
    let mid = match data.get("mid") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(UserInfo {
        is_login,
        code: 0,
        mid,
        name: text("name").or_else(|| text("uname")),
        face: text("face"),
        set_cookies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn loopback() -> Options {
        Options::from_json(Some(r#"{"base_url":"http://127.0.0.1:9"}"#)).unwrap()
    }

    #[test]
    fn qr_code() {
        let o = Options::default();
        let body = br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=4478b3e64d05ce26638f4d715ebe0a91","qr_type":"qrcode_login","extra":1}}"#;
        let qr = parse_qr_code(body, &o).unwrap();
        assert_eq!(qr.ticket, "4478b3e64d05ce26638f4d715ebe0a91");
        let e = parse_qr_code(
            br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://x/","qr_type":"q"}}"#,
            &o,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = parse_qr_code(br#"{"code":-412,"message":"blocked","ttl":1}"#, &o).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert!(e.message().contains("-412"));
        // A string code is accepted.
        let body = br#"{"code":"0","message":"0","data":{"qr_url":"https://www.biliintl.com/q?ticket=abcdef12","qr_type":"qrcode_login"}}"#;
        assert_eq!(parse_qr_code(body, &o).unwrap().ticket, "abcdef12");
    }

    /// Issue 14 decision: qr_url is handed out only when it is https on the service's domains.
    #[test]
    fn qr_url_must_be_https_on_the_service() {
        let o = Options::default();
        let l = loopback();
        for (url, default_ok, loopback_ok) in [
            (
                "https://www.bilibili.tv/h5/en/qrcode/login?ticket=abc",
                true,
                true,
            ),
            ("https://m.biliintl.com/x?ticket=abc", true, true),
            ("https://bilibili.tv:443/x?ticket=abc", true, true),
            ("javascript:alert(1)//?ticket=abc", false, false),
            ("https://evil.example/phish?ticket=abc", false, false),
            ("http://www.bilibili.tv/x?ticket=abc", false, false),
            ("https://evilbilibili.tv/x?ticket=abc", false, false),
            (
                "https://www.bilibili.tv@evil.example/x?ticket=abc",
                false,
                false,
            ),
            ("https://user@www.bilibili.tv/x?ticket=abc", false, false),
            (
                "https://www.bilibili.tv.evil.example/x?ticket=abc",
                false,
                false,
            ),
            ("http://127.0.0.1:9/x?ticket=abc", false, true),
            ("http://127.0.0.2:9/x?ticket=abc", false, false),
            ("data:text/html,x?ticket=abc", false, false),
        ] {
            assert_eq!(qr_url_allowed(url, &o), default_ok, "{url}");
            assert_eq!(qr_url_allowed(url, &l), loopback_ok, "{url} (loopback)");
        }
        let body = br#"{"code":0,"message":"0","data":{"qr_url":"javascript:alert(1)//?ticket=abcdef12","qr_type":"q"}}"#;
        assert_eq!(
            parse_qr_code(body, &o).unwrap_err().kind(),
            ErrorKind::Protocol
        );
    }

    #[test]
    fn fetch_codes() {
        for (code, st) in [
            (10018100, PollStatus::Expired),
            (10018101, PollStatus::Waiting),
            (10018102, PollStatus::Scanned),
        ] {
            let body = format!(r#"{{"code":{code},"message":"m","ttl":1,"data":null}}"#);
            assert_eq!(parse_fetch(body.as_bytes()).unwrap().0, st);
            let body = format!(r#"{{"code":"{code}","message":"m","ttl":1,"data":null}}"#);
            assert_eq!(parse_fetch(body.as_bytes()).unwrap().0, st, "string code");
        }
        for bad in [
            &br#"{"code":"0x0","message":"0"}"#[..],
            br#"{"code":0.5,"message":"0"}"#,
            br#"{"code":" 0","message":"0"}"#,
            br#"{"code":"","message":"0"}"#,
            br#"{"code":null,"message":"0"}"#,
            br#"{"message":"0"}"#,
            b"<html>",
            b"",
        ] {
            assert_eq!(
                parse_fetch(bad).err().unwrap().kind(),
                ErrorKind::Protocol,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    /// Issue 13 item 1: a confirmed answer is decided by code alone; its data is read leniently.
    #[test]
    fn confirmed_data_is_lenient() {
        let (st, _, d) = parse_fetch(br#"{"code":"0"}"#).unwrap();
        assert_eq!(st, PollStatus::Confirmed);
        let d = d.unwrap();
        assert_eq!(d.mid, None);
        assert_eq!(d.warnings[0], "message is missing or not a string");
        assert!(d
            .warnings
            .contains(&"data is missing or not an object".to_owned()));
        let (_, _, d) = parse_fetch(br#"{"code":0,"message":"0","data":{}}"#).unwrap();
        let d = d.unwrap();
        assert_eq!(
            (d.mid, d.is_new, d.go_url, d.user_profile),
            (None, None, None, None)
        );
        assert_eq!(d.warnings.len(), 4, "{:?}", d.warnings);
        let (_, _, d) = parse_fetch(
            br#"{"code":0,"message":"0","data":{"mid":"42","is_new":null,"go_url":null,"user_profile":{"name":5,"face":"f","is_userBlankProfile":true}}}"#,
        )
        .unwrap();
        let d = d.unwrap();
        assert_eq!(d.mid, Some(42));
        assert_eq!(d.is_new, None);
        assert_eq!(
            d.user_profile,
            Some(UserProfile {
                is_user_blank_profile: Some(true),
                name: None,
                face: Some("f".into())
            })
        );
        let (_, _, d) = parse_fetch(br#"{"code":0,"message":"0","data":{"mid":-5}}"#).unwrap();
        assert_eq!(d.unwrap().mid, None);
    }

    fn jar_with(headers: &[&str]) -> CookieJar {
        let mut jar = CookieJar::default();
        for h in headers {
            jar.apply_set_cookie(h, "h", 1_700_000_000);
        }
        jar
    }

    #[test]
    fn finish_login_requires_the_three_cookies_and_takes_mid_from_dedeuserid() {
        let d = confirmed_data(&json!({}));
        let jar = jar_with(&["SESSDATA=s", "bili_jct=j", "DedeUserID=77"]);
        let login = finish_login(d, jar, "h", vec![], &Collected::default()).unwrap();
        assert_eq!(login.mid, Some(77));
        assert_eq!(login.host, "h");
        assert_eq!(login.warnings.len(), 4);
        let v: Value = serde_json::from_str(
            &PollResult {
                status: PollStatus::Confirmed,
                code: 0,
                message: String::new(),
                login: Some(login),
            }
            .to_json(),
        )
        .unwrap();
        assert_eq!(v["is_new"], Value::Null);
        assert_eq!(v["user_profile"], Value::Null);
        assert_eq!(v["go_url"], Value::Null);
        assert!(v.get("verified").is_none());
        assert_eq!(v["mid"], 77);

        let jar = jar_with(&["SESSDATA=secretvalue1", "DedeUserID=77"]);
        let collected = Collected {
            tried: vec!["the fetch answer's Set-Cookie".into(), "go_url".into()],
            refused: vec!["evil.example".into()],
        };
        let e = finish_login(confirmed_data(&json!({})), jar, "h", vec![], &collected).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert!(e.message().contains("bili_jct") && e.message().contains("evil.example"));
        assert!(e.message().contains("go_url") && !e.message().contains("secretvalue1"));
    }

    /// Issue 13 item 4: a captcha demand is named as such, whatever the code.
    #[test]
    fn a_captcha_demand_is_an_api_error_that_says_so() {
        for body in [
            &br#"{"code":-401,"message":"x","data":{"ga_data":{"decisions":["verify_captcha_level2"]}}}"#[..],
            br#"{"code":-401,"message":"x","data":{"v_voucher":"voucher_1"}}"#,
            br#"{"code":10018101,"message":"x","data":{"v_voucher":"voucher_1"}}"#,
        ] {
            let e = parse_fetch(body).err().unwrap();
            assert_eq!(e.kind(), ErrorKind::Api);
            assert!(e.message().contains("captcha") && e.message().contains("browser"), "{}", e.message());
            assert!(!e.message().contains("voucher_1"));
        }
        let e = parse_fetch(br#"{"code":-401,"message":"x","data":{"ga_data":null}}"#)
            .err()
            .unwrap();
        assert!(!e.message().contains("captcha"));
    }

    #[test]
    fn sso_list_and_gateway_user() {
        let urls = parse_sso_list(
            br#"{"code":0,"message":"0","data":{"sso":["https://www.biliintl.com/x",{"url":"https://a.bilibili.tv/y"},5]}}"#,
        )
        .unwrap();
        assert_eq!(
            urls,
            ["https://www.biliintl.com/x", "https://a.bilibili.tv/y"]
        );
        assert_eq!(
            parse_sso_list(br#"{"code":-101,"message":"no"}"#)
                .unwrap_err()
                .kind(),
            ErrorKind::Api
        );
        let u = parse_gateway_user(
            br#"{"code":0,"message":"0","data":{"is_login":true,"mid":"5","name":"N"}}"#,
            vec![],
        )
        .unwrap();
        assert!(
            u.is_login && u.mid == Some(5) && u.name.as_deref() == Some("N") && u.face.is_none()
        );
        let u = parse_gateway_user(br#"{"code":-101,"message":"not logged in"}"#, vec![]).unwrap();
        assert!(!u.is_login && u.code == -101);
        let u = parse_gateway_user(br#"{"code":0,"data":{"is_login":false}}"#, vec![]).unwrap();
        assert!(!u.is_login);
        assert_eq!(
            parse_gateway_user(br#"{"code":0,"data":{}}"#, vec![])
                .unwrap_err()
                .kind(),
            ErrorKind::Protocol
        );
    }

    #[test]
    fn query_encoding() {
        let o = Options::default();
        assert!(fetch_endpoint(&o, "a~b").ends_with("?s_locale=en_US&platform=web&ticket=a~b"));
        assert_eq!(
            gateway_user_endpoint(&o),
            "https://api.bilibili.tv/intl/gateway/web/v2/user?s_locale=en_US&platform=web"
        );
    }
}
