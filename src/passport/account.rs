//! The steps after a confirmation: `web/sso/list` (the URLs setting the session's cookies on the other
//! domains) and the gateway's `v2/user` (whether a session is logged in).

use super::endpoint;
use super::envelope::{api_error, not_documented, parse_envelope, parse_ok};
use crate::error::Result;
use crate::options::Options;
use serde_json::Value;

/// The path of the step that hands out the URLs setting a new session's cookies on the other domains.
pub const SSO_LIST_PATH: &str = "/x/intl/passport-login/web/sso/list";

pub fn sso_list_endpoint(options: &Options) -> String {
    endpoint(options.base_url.as_str(), SSO_LIST_PATH, options)
}

/// The most `data.sso[]` URLs followed.
pub(crate) const MAX_SSO_URLS: usize = 8;

/// Parses a `web/sso/list` answer into its `data.sso[]` URLs (strings, or objects with a string `url`).
/// A code other than 0 is an error (the caller turns it into a warning).
pub fn parse_sso_list(body: &[u8]) -> Result<Vec<String>> {
    const EP: &str = "web/sso/list";
    let envelope = parse_ok(EP, body)?;
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
    endpoint(options.api_base_url.as_str(), GATEWAY_USER_PATH, options)
}

/// What `GET {api_base_url}/intl/gateway/web/v2/user` (or the mainland's `nav`) says of a session.
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

impl UserInfo {
    /// A session the service says is not logged in (code -101), with the answer's `Set-Cookie` values.
    pub(crate) fn not_logged_in(set_cookies: Vec<String>) -> UserInfo {
        UserInfo {
            is_login: false,
            code: -101,
            mid: None,
            name: None,
            face: None,
            set_cookies,
        }
    }
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
    match envelope.code {
        0 => {}
        -101 => return Ok(UserInfo::not_logged_in(set_cookies)),
        _ => return Err(api_error(EP, &envelope)),
    }
    let data = &envelope.data;
    let is_login = data
        .get("is_login")
        .and_then(Value::as_bool)
        .ok_or_else(|| not_documented(EP, "data.is_login is missing or not a boolean"))?;
    let text = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_owned);
    let mid = match data.get("mid") {
        Some(Value::Number(n)) => super::envelope::json_integer(n),
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
