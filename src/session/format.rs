//! Writing a session: the session object (JSON), the Cookie header, and Netscape cookies.txt.

use super::Session;
use crate::cookies::Cookie;
use crate::error::{Error, Result};
use serde::Serialize;
use std::net::IpAddr;

/// The formats of `bili_qr_session_convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFormat {
    /// The session object: `{"mid":…,"host":…,"cookies":[…],"cookie_header":"…"}`.
    Json,
    /// The `Cookie` header value alone.
    Header,
    /// A Netscape cookies.txt, as curl (`-b`), yt-dlp (`--cookies`) and wget read it.
    Netscape,
}

impl SessionFormat {
    pub fn parse(s: &str) -> Result<SessionFormat> {
        match s {
            "json" => Ok(SessionFormat::Json),
            "header" => Ok(SessionFormat::Header),
            "netscape" => Ok(SessionFormat::Netscape),
            _ => Err(Error::argument(
                "format must be \"json\", \"header\" or \"netscape\"",
            )),
        }
    }
}

/// The session object; `extra` adds the keys of a check's answer.
#[derive(Serialize)]
struct SessionObject<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    /// `"main"` for a mainland session (ABI 3); absent for bilibili.tv.
    #[serde(skip_serializing_if = "Option::is_none")]
    site: Option<&'a str>,
    mid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    face: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    renewed: Option<bool>,
    host: &'a str,
    cookies: &'a [Cookie],
    cookie_header: String,
    /// A mainland check's answer to "does the session want a refresh" (cookie/info; `null`: not known).
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_needed: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_refresh_token: Option<&'a str>,
    /// A refresh's notes (ABI 3); absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<&'a crate::redact::Warnings>,
    /// A TV/app token session (ABI 3): `"tv"` and its token; absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    flow: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a crate::token::AppToken>,
}

/// What a check adds to the session object.
pub(super) struct CheckKeys<'a> {
    pub status: &'a str,
    pub name: Option<&'a str>,
    pub face: Option<&'a str>,
    pub renewed: bool,
    /// Mainland only (`Some`): what cookie/info said of a refresh.
    pub refresh_needed: Option<Option<bool>>,
}

pub(super) fn to_json(session: &Session, check: Option<CheckKeys<'_>>) -> String {
    let object = SessionObject {
        status: check.as_ref().map(|c| c.status),
        site: (session.site == Some(crate::site::Site::Main)).then_some("main"),
        mid: session.mid,
        name: check.as_ref().map(|c| c.name),
        face: check.as_ref().map(|c| c.face),
        renewed: check.as_ref().map(|c| c.renewed),
        host: &session.host,
        cookies: &session.cookies,
        cookie_header: session.cookie_header(),
        refresh_needed: check.as_ref().and_then(|c| c.refresh_needed),
        refresh_token: session.refresh_token.as_deref(),
        previous_refresh_token: session.previous_refresh_token.as_deref(),
        warnings: None,
        flow: session.token.as_ref().map(|_| "tv"),
        token: session.token.as_ref(),
    };
    serde_json::to_string(&object).unwrap_or_default()
}

/// The session object with a `status` and `warnings` (the answer of a refresh or its confirmation).
pub(crate) fn to_json_with_status(
    session: &Session,
    status: &str,
    warnings: &crate::redact::Warnings,
) -> String {
    let object = SessionObject {
        status: Some(status),
        site: (session.site == Some(crate::site::Site::Main)).then_some("main"),
        mid: session.mid,
        name: None,
        face: None,
        renewed: None,
        host: &session.host,
        cookies: &session.cookies,
        cookie_header: session.cookie_header(),
        refresh_needed: None,
        refresh_token: session.refresh_token.as_deref(),
        previous_refresh_token: session.previous_refresh_token.as_deref(),
        warnings: Some(warnings), // a redact::Warnings, scrubbed as it was filled
        flow: session.token.as_ref().map(|_| "tv"),
        token: session.token.as_ref(),
    };
    serde_json::to_string(&object).unwrap_or_default()
}

pub const NETSCAPE_HEADER: &str = "# Netscape HTTP Cookie File";

/// One line per cookie: `domain  include_subdomains  path  secure  expiry  name  value`. A cookie with a
/// domain is written as `.domain TRUE` (an IP address as itself with FALSE: it only ever matches that host),
/// a host-only one for the session's host with `FALSE`; `#HttpOnly_` before the domain of an http-only
/// cookie (curl and yt-dlp understand it; older readers skip the line); expiry 0 for a session cookie.
pub(super) fn to_netscape(session: &Session) -> String {
    let mut out = String::new();
    out.push_str(NETSCAPE_HEADER);
    out.push('\n');
    out.push_str(concat!(
        "# Written by bili_qr ",
        env!("CARGO_PKG_VERSION"),
        ". These cookies log in as you: keep this file private.\n\n"
    ));
    for c in &session.cookies {
        if let Some(line) = netscape_line(c, &session.host) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    for line in refresh_token_lines(session) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The refresh tokens of a mainland session as cookies.txt lines, so that a saved file can be refreshed:
/// host-only cookies of the session's host whose path is the one endpoint that takes each token
/// (`cookie/refresh`, `confirm/refresh`), http-only and secure. A program that sends the file's cookies
/// (curl -b) thus never sends a token anywhere but there, where a browser sends it too (as a form field).
fn refresh_token_lines(session: &Session) -> Vec<String> {
    use crate::session::{
        CONFIRM_REFRESH_PATH, COOKIE_REFRESH_PATH, PREVIOUS_REFRESH_TOKEN_NAME, REFRESH_TOKEN_NAME,
    };
    let tokens = [
        (
            REFRESH_TOKEN_NAME,
            COOKIE_REFRESH_PATH,
            &session.refresh_token,
        ),
        (
            PREVIOUS_REFRESH_TOKEN_NAME,
            CONFIRM_REFRESH_PATH,
            &session.previous_refresh_token,
        ),
    ];
    tokens
        .iter()
        .filter_map(|(name, path, token)| {
            let token = token.as_ref()?;
            netscape_line(
                &Cookie {
                    name: (*name).to_owned(),
                    value: token.clone(),
                    domain: None,
                    path: (*path).to_owned(),
                    expires: None,
                    secure: true,
                    http_only: true,
                },
                &session.host,
            )
        })
        .collect()
}

/// One cookie's line (without the line break), or `None` if a field cannot be written (never for a cookie
/// of a parsed session: their names and values have no tab or line break).
pub fn netscape_line(c: &Cookie, host: &str) -> Option<String> {
    let (domain, subdomains) = match c.domain.as_deref().map(|d| d.trim_start_matches('.')) {
        Some(d) if !d.is_empty() && d.parse::<IpAddr>().is_err() => (format!(".{d}"), true),
        Some(d) if !d.is_empty() => (d.to_owned(), false),
        _ => (host.to_owned(), false),
    };
    let path = if c.path.is_empty() {
        "/"
    } else {
        c.path.as_str()
    };
    let unwritable = |s: &str| s.contains(['\t', '\n', '\r']);
    if c.name.is_empty()
        || [domain.as_str(), path, &c.name, &c.value]
            .iter()
            .any(|f| unwritable(f))
    {
        return None;
    }
    let flag = |b: bool| if b { "TRUE" } else { "FALSE" };
    Some(format!(
        "{}{domain}\t{}\t{path}\t{}\t{}\t{}\t{}",
        if c.http_only { "#HttpOnly_" } else { "" },
        flag(subdomains),
        flag(c.secure),
        c.expires.unwrap_or(0).max(0),
        c.name,
        c.value
    ))
}
