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
}

/// What a check adds to the session object.
pub(super) struct CheckKeys<'a> {
    pub status: &'a str,
    pub name: Option<&'a str>,
    pub face: Option<&'a str>,
    pub renewed: bool,
}

pub(super) fn to_json(session: &Session, check: Option<CheckKeys<'_>>) -> String {
    let object = SessionObject {
        status: check.as_ref().map(|c| c.status),
        mid: session.mid,
        name: check.as_ref().map(|c| c.name),
        face: check.as_ref().map(|c| c.face),
        renewed: check.as_ref().map(|c| c.renewed),
        host: &session.host,
        cookies: &session.cookies,
        cookie_header: session.cookie_header(),
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
    out
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
