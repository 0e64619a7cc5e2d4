//! Reading a session: JSON (poll object or session object), Netscape cookies.txt, or a Cookie header.

use super::{service_domain, valid_cookie, Session, DEFAULT_HOST, MAX_SESSION};
use super::{PREVIOUS_REFRESH_TOKEN_NAME, REFRESH_TOKEN_NAME};
use crate::cookies::valid_value;
use crate::cookies::Cookie;
use crate::error::{Error, Result};
use crate::site::Site;
use serde_json::Value;

/// A session being read, and how many cookies were dropped (for the message when SESSDATA is missing).
struct Reader {
    session: Session,
    dropped: usize,
}

impl Reader {
    fn new() -> Self {
        Reader {
            session: Session {
                mid: None,
                host: DEFAULT_HOST.to_owned(),
                cookies: Vec::new(),
                site: None,
                refresh_token: None,
                previous_refresh_token: None,
                token: None,
            },
            dropped: 0,
        }
    }

    /// Keeps a cookie the rules allow; counts the others.
    fn offer(&mut self, cookie: Cookie) {
        // The refresh tokens travel as cookies in a cookies.txt or a Cookie header; they are kept apart.
        if cookie.name == REFRESH_TOKEN_NAME || cookie.name == PREVIOUS_REFRESH_TOKEN_NAME {
            if !cookie.value.is_empty() && valid_value(&cookie.value) {
                let slot = if cookie.name == REFRESH_TOKEN_NAME {
                    &mut self.session.refresh_token
                } else {
                    &mut self.session.previous_refresh_token
                };
                *slot = Some(cookie.value);
            }
            return;
        }
        let domain_ok = cookie.domain.as_deref().map_or(true, service_domain);
        if domain_ok && valid_cookie(&cookie.name, &cookie.value) {
            self.session.insert(cookie);
        } else {
            self.dropped += 1;
        }
    }

    fn finish(mut self) -> Result<Session> {
        // The site: the session's own `site` key, else its SESSDATA's domain; then only that site's cookies
        // stay (and host-only and loopback ones). A session that says nothing keeps bilibili.tv's rule.
        if self.session.site.is_none() {
            self.session.site = self
                .session
                .get("SESSDATA")
                .and_then(|c| c.domain.as_deref())
                .and_then(Site::of_domain);
        }
        let site = self.session.site.unwrap_or_default();
        let before = self.session.cookies.len();
        self.session.cookies.retain(|c| {
            c.domain.as_deref().map_or(true, |d| {
                site.is_site_host(d) || crate::options::is_loopback_host(d)
            })
        });
        self.dropped += before - self.session.cookies.len();
        if self.session.site == Some(Site::Main) {
            self.session.mark_main();
        }
        // A TV/app token session is mainland's and is used by its token: it needs no cookie.
        if self.session.token.is_some() {
            match self.session.site {
                Some(Site::Intl) => {
                    return Err(Error::argument(
                        "session has a token but says site \"intl\": TV/app tokens are of the mainland site (\"main\")",
                    ))
                }
                _ => self.session.mark_main(),
            }
        }
        if self.session.token.is_none()
            && self
                .session
                .get("SESSDATA")
                .map_or(true, |c| c.value.is_empty())
        {
            return Err(Session::lacks("SESSDATA", self.dropped));
        }
        if self.session.mid.is_none() {
            self.session.mid = self
                .session
                .get("DedeUserID")
                .and_then(|c| c.value.parse::<i64>().ok())
                .filter(|m| *m > 0);
        }
        Ok(self.session)
    }
}

pub(super) fn parse(text: &str) -> Result<Session> {
    if text.len() > MAX_SESSION {
        return Err(Error::argument(format!(
            "session is longer than {} bytes (1 MiB): pass one login's cookies",
            MAX_SESSION
        )));
    }
    // A byte order mark before the text (a file saved by an editor on Windows) is not part of it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::argument(
            "session is empty: pass the confirmed poll object of a login, a session object, the text of a cookies.txt, or a Cookie header",
        ));
    }
    if trimmed.starts_with('{') {
        return from_json(trimmed);
    }
    if looks_like_netscape(trimmed) {
        // Untrimmed: the last line's value may be empty, and its tab must stay.
        return from_netscape(text);
    }
    from_header(trimmed)
}

fn looks_like_netscape(text: &str) -> bool {
    text.starts_with("# Netscape HTTP Cookie File")
        || text.starts_with("# HTTP Cookie File")
        || text.lines().any(|l| l.split('\t').count() == 7)
}

/// A host name as written in a session (`host`, a cookies.txt domain): lowercase letters, digits, `.-:`.
fn host_name(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('.').to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    ok.then_some(s)
}

fn from_json(text: &str) -> Result<Session> {
    let root = crate::error::json_object(
        text,
        "session",
        "pass the poll object or session object as handed out",
        "session JSON must be an object",
    )?;
    let mut reader = Reader::new();
    // The host of the host-only cookies: the service's or a loopback test host, like every cookie's domain.
    if let Some(host) = root
        .get("host")
        .and_then(Value::as_str)
        .and_then(host_name)
        .filter(|h| service_domain(h))
    {
        reader.session.host = host;
    }
    if let Some(site) = root.get("site").and_then(Value::as_str) {
        reader.session.site = Some(
            Site::parse(site)
                .ok_or_else(|| Error::argument("session's site must be \"intl\" or \"main\""))?,
        );
    }
    let token = |key: &str| {
        root.get(key)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && valid_value(t) && t.len() <= 4096)
            .map(str::to_owned)
    };
    reader.session.refresh_token = token("refresh_token");
    reader.session.previous_refresh_token = token("previous_refresh_token");
    if let Some(t) = root.get("token").filter(|t| !t.is_null()) {
        reader.session.token = Some(crate::token::AppToken::from_json(t)?);
    }
    reader.session.mid = match root.get("mid") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .filter(|m| *m > 0);
    match root.get("cookies") {
        Some(Value::Array(list)) => {
            for item in list {
                match cookie_from_json(item) {
                    Some(c) => reader.offer(c),
                    None => reader.dropped += 1,
                }
            }
        }
        _ => {
            if let Some(header) = root.get("cookie_header").and_then(Value::as_str) {
                read_header(&mut reader, header);
            }
        }
    }
    reader.finish()
}

/// A cookie object: `name` and `value` strings required; the other keys as in the poll object.
fn cookie_from_json(item: &Value) -> Option<Cookie> {
    let name = item.get("name")?.as_str()?;
    let value = item.get("value")?.as_str()?;
    let domain = match item.get("domain") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(host_name(d)?),
        Some(_) => return None,
    };
    let path = item
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with('/') && valid_value(p))
        .unwrap_or("/");
    let expires = match item.get("expires") {
        Some(Value::Number(n)) => n.as_i64().filter(|e| *e > 0),
        _ => None,
    };
    let flag = |key: &str| match item.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64().is_some_and(|v| v != 0),
        _ => false,
    };
    Some(Cookie {
        name: name.to_owned(),
        value: value.to_owned(),
        domain,
        path: path.to_owned(),
        expires,
        secure: flag("secure"),
        http_only: flag("http_only"),
    })
}

/// A cookies.txt: `domain  include_subdomains  path  secure  expiry  name  value`, tab-separated;
/// `#HttpOnly_` before the domain of an http-only cookie; comments, blank and malformed lines skipped.
fn from_netscape(text: &str) -> Result<Session> {
    let mut reader = Reader::new();
    let mut host: Option<String> = None;
    let mut host_only_site: Option<Site> = None;
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let (http_only, line) = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [domain, subdomains, path, secure, expiry, name, value] = fields.as_slice() else {
            reader.dropped += 1;
            continue;
        };
        let (Some(d), Ok(expiry)) = (host_name(domain), expiry.trim().parse::<i64>()) else {
            reader.dropped += 1;
            continue;
        };
        let flag = |f: &str| f.trim().eq_ignore_ascii_case("TRUE");
        let host_only = !domain.starts_with('.') && !flag(subdomains);
        if host_only {
            if !service_domain(&d) {
                reader.dropped += 1;
                continue;
            }
            host.get_or_insert(d.clone());
            // A host-only line of a bilibili.com host (the refresh token's, say) makes it a mainland file.
            if Site::Main.is_site_host(&d) {
                host_only_site.get_or_insert(Site::Main);
            }
        }
        reader.offer(Cookie {
            name: (*name).to_owned(),
            value: (*value).to_owned(),
            domain: (!host_only).then_some(d),
            path: if path.starts_with('/') && valid_value(path) {
                (*path).to_owned()
            } else {
                "/".to_owned()
            },
            expires: (expiry > 0).then_some(expiry),
            secure: flag(secure),
            http_only,
        });
    }
    if let Some(h) = host {
        reader.session.host = h;
    }
    if reader
        .session
        .get("SESSDATA")
        .is_some_and(|c| c.domain.is_none())
    {
        reader.session.site = host_only_site;
    }
    reader.finish()
}

/// A `Cookie` header value (`a=1; b=2`), with an optional leading `Cookie:`.
fn from_header(text: &str) -> Result<Session> {
    let mut reader = Reader::new();
    let text = match text.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("cookie:") => text.get(7..).unwrap_or(""),
        _ => text,
    };
    read_header(&mut reader, text);
    reader.finish()
}

fn read_header(reader: &mut Reader, text: &str) {
    for pair in text.split(';') {
        let pair = pair.trim();
        if pair.is_empty() {
            continue;
        }
        let Some((name, value)) = pair.split_once('=') else {
            reader.dropped += 1;
            continue;
        };
        reader.offer(Cookie {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            domain: None,
            path: "/".to_owned(),
            expires: None,
            secure: false,
            http_only: false,
        });
    }
}
