//! URLs the library requests or follows: parsed once, validated, compared by host and port.
//!
//! Every URL goes through [`Url::parse`] (an absolute URL: `base_url` built into an endpoint, a proxy) or
//! [`Url::join`] (a reference resolved against the URL it came with: a `Location`, a `go_url`, an sso URL).
//! The parser is `http::Uri` (the one ureq uses to send the request, so what is checked is what is sent),
//! with these rules on top:
//! - scheme `http` or `https` (any letter case); no user info (`user:pass@`);
//! - host: an IPv6 literal in brackets, or ASCII letters, digits, `-`, `_` and `.` (so a non-ASCII or
//!   percent-encoded host is refused, never guessed at);
//! - port: absent or empty (the scheme's default), else 1 to 65535 written in decimal; anything else
//!   (`:99999`, `:65616`, `:-1`, `:0`) is refused, never replaced by a default;
//! - the fragment is dropped; spaces, non-ASCII bytes and the characters `"<>\^`{|}` in the path and query
//!   are percent-encoded as a browser does; ASCII control characters anywhere are refused; at most
//!   [`MAX_URL_LEN`] bytes.
//!
//! The rules of the URL options (`base_url`, `api_base_url`: [`parse_url_option`]) live here too, named by the
//! option table (abi/bili_qr.toml).
//!
//! Nothing here slices a string at a byte index, and nothing panics, whatever the input.

use crate::error::Error;
use std::borrow::Cow;

/// The longest URL accepted (after percent-encoding).
pub(crate) const MAX_URL_LEN: usize = 16 * 1024;

/// Why a URL was refused. [`UrlError::reason`] is a phrase for a message; it never repeats the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    TooLong,
    ControlCharacter,
    NotHttp,
    UserInfo,
    NoHost,
    BadHost,
    BadPort,
    Invalid,
}

impl UrlError {
    pub fn reason(self) -> &'static str {
        match self {
            UrlError::Empty => "it is empty",
            UrlError::TooLong => "it is longer than 16 KiB",
            UrlError::ControlCharacter => "it contains control characters",
            UrlError::NotHttp => "it is not an http:// or https:// URL",
            UrlError::UserInfo => "it carries user info (user:password@)",
            UrlError::NoHost => "it has no host",
            UrlError::BadHost => {
                "its host is not a valid host name (ASCII letters, digits, '-', '.') or IP address"
            }
            UrlError::BadPort => "its port is not a number from 1 to 65535",
            UrlError::Invalid => "it is not a valid URL",
        }
    }
}

/// A validated absolute http(s) URL, without fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    uri: ureq::http::Uri,
    text: String,
    https: bool,
    /// Shared with the URLs made from this one ([`Url::with_query`]).
    host: std::sync::Arc<str>,
    port: u16,
    /// Whether the host is a loopback one (`localhost` or a loopback IP), decided once when parsed.
    loopback: bool,
}

impl Url {
    /// Parses an absolute http(s) URL.
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        let text = normalize(input)?;
        let (scheme, rest) = text.split_once(':').ok_or(UrlError::NotHttp)?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(UrlError::NotHttp);
        };
        let after = rest.strip_prefix("//").ok_or(UrlError::NotHttp)?;
        let authority = after.split(['/', '?']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        if authority.is_empty() {
            return Err(UrlError::NoHost);
        }
        let (host, port_text) = split_authority(authority)?;
        let host = check_host(host)?;
        let default_port = if https { 443 } else { 80 };
        let port = match port_text {
            None | Some("") => default_port,
            Some(p) => parse_port(p)?,
        };
        let path_and_query = after.strip_prefix(authority).unwrap_or("");
        let scheme = if https { "https" } else { "http" };
        let mut text = String::with_capacity(text.len() + 8);
        text.push_str(scheme);
        text.push_str("://");
        if host.contains(':') {
            text.push('[');
            text.push_str(&host);
            text.push(']');
        } else {
            text.push_str(&host);
        }
        if port != default_port {
            text.push(':');
            text.push_str(itoa_u16(port, &mut [0u8; 5]));
        }
        if !path_and_query.starts_with('/') {
            text.push('/');
        }
        text.push_str(path_and_query);
        let uri: ureq::http::Uri = text.parse().map_err(|_| UrlError::Invalid)?;
        // What http::Uri (and so ureq) will connect to must be what was checked.
        let uri_host = uri.host().unwrap_or("");
        let uri_host = uri_host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(uri_host);
        if !uri_host.eq_ignore_ascii_case(&host)
            || uri.port_u16().unwrap_or(default_port) != port
            || uri.authority().is_some_and(|a| a.as_str().contains('@'))
        {
            return Err(UrlError::Invalid);
        }
        let loopback = is_loopback_host(&host);
        Ok(Url {
            uri,
            text,
            https,
            host: host.into(),
            port,
            loopback,
        })
    }

    /// Resolves `reference` (a `Location` header, a `go_url`) against this URL (RFC 3986 section 5.2):
    /// absolute, scheme-relative (`//host/…`), absolute-path (`/…`), query-only (`?…`) or relative path.
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        let reference = normalize(reference)?;
        if has_scheme(&reference) {
            return Url::parse(&reference);
        }
        let scheme = if self.https { "https" } else { "http" };
        if reference.starts_with("//") {
            return Url::parse(&format!("{scheme}:{reference}"));
        }
        let origin = self.origin();
        let (base_path, _) = split_query(self.path_and_query());
        let (path, query) = if let Some(q) = reference.strip_prefix('?') {
            (base_path.to_owned(), Some(q))
        } else {
            let (p, q) = split_query(&reference);
            let merged = if p.starts_with('/') {
                p.to_owned()
            } else if p.is_empty() {
                base_path.to_owned()
            } else {
                let dir = base_path.rsplit_once('/').map_or("", |(d, _)| d);
                format!("{dir}/{p}")
            };
            (merged, q)
        };
        let path = remove_dot_segments(&path);
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        Url::parse(&format!("{origin}{path}{query}"))
    }

    /// This URL with `suffix` appended to its query: `suffix` is percent-encoded query text (`&k=v…` for a URL
    /// with a query, `?k=v…` for one without) made only of RFC 3986 unreserved characters, `%`, `&`, `=` and a
    /// leading `?`, else `Invalid`. The scheme, host and port checked when this URL was parsed are kept as
    /// they are; only the new path and query are parsed. For a request URL built from a checked base each
    /// time (a poll's ticket), without parsing the base again.
    pub fn with_query(&self, suffix: &str) -> Result<Url, UrlError> {
        let query_text = |b: u8| b.is_ascii_alphanumeric() || b"-_.~%&=".contains(&b);
        let body = suffix.strip_prefix('?').unwrap_or(suffix);
        let starts_query = body.len() < suffix.len();
        if starts_query == self.uri.query().is_some() || !body.bytes().all(query_text) {
            return Err(UrlError::Invalid);
        }
        if self.text.len() + suffix.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        let mut text = String::with_capacity(self.text.len() + suffix.len());
        text.push_str(&self.text);
        text.push_str(suffix);
        let mut pq = String::with_capacity(self.path_and_query().len() + suffix.len());
        pq.push_str(self.path_and_query());
        pq.push_str(suffix);
        let mut parts = ureq::http::uri::Parts::default();
        parts.scheme = self.uri.scheme().cloned();
        parts.authority = self.uri.authority().cloned();
        parts.path_and_query =
            Some(ureq::http::uri::PathAndQuery::try_from(pq).map_err(|_| UrlError::Invalid)?);
        let uri = ureq::http::Uri::from_parts(parts).map_err(|_| UrlError::Invalid)?;
        Ok(Url {
            uri,
            text,
            https: self.https,
            host: self.host.clone(),
            port: self.port,
            loopback: self.loopback,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
    pub fn uri(&self) -> &ureq::http::Uri {
        &self.uri
    }
    pub fn is_https(&self) -> bool {
        self.https
    }
    /// The host, lowercase, without IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
    /// Same scheme, host and port.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.https == other.https && self.host == other.host && self.port == other.port
    }
    /// Same host and port (scheme aside).
    pub fn same_host_port(&self, other: &Url) -> bool {
        self.host == other.host && self.port == other.port
    }
    /// `scheme://host[:port]`.
    fn origin(&self) -> &str {
        let pq = self.path_and_query();
        self.text.strip_suffix(pq).unwrap_or(&self.text)
    }
    fn path_and_query(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }
}

/// `url` with the user info of its authority (`user:password@`) replaced by `…@`.
pub fn without_user_info(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((_, rest)) => (url.strip_suffix(rest).unwrap_or_default(), rest),
        None => ("", url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let tail = rest.strip_prefix(authority).unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}…@{host}{tail}"),
        None => url.to_owned(),
    }
}

/// Checks the authority of a proxy URL (`scheme://[user[:password]@]host[:port][/]`): the host as for
/// [`Url::parse`], and a port, when present, from 1 to 65535 (ureq would take `:99999` for its default).
/// Returns the host and the port if one was written.
pub fn check_proxy_authority(proxy: &str) -> Result<(String, Option<u16>), UrlError> {
    let (_, rest) = proxy.split_once("://").ok_or(UrlError::Invalid)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = split_authority(host_port)?;
    let host = check_host(host)?;
    let port = match port {
        None => None,
        Some(p) => Some(parse_port(p)?),
    };
    Ok((host, port))
}

/// `n` in decimal, written into `buf`.
fn itoa_u16(mut n: u16, buf: &mut [u8; 5]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(buf.get(i..).unwrap_or(&[])).unwrap_or("")
}

/// Trims, refuses control characters, drops the fragment and percent-encodes what a browser encodes.
fn normalize(input: &str) -> Result<Cow<'_, str>, UrlError> {
    let trimmed = input.trim_matches([' ', '\t']);
    // One pass over the bytes: an ASCII control character anywhere is refused; the first `#` ends the
    // URL (the fragment is dropped); other bytes are kept or percent-encoded (class table below).
    let mut end = None;
    let mut needs_encoding = false;
    for (i, &b) in trimmed.as_bytes().iter().enumerate() {
        match CLASS[usize::from(b)] {
            KEEP => {}
            ENCODE => needs_encoding |= end.is_none(),
            CONTROL => return Err(UrlError::ControlCharacter),
            _ => {
                if end.is_none() {
                    end = Some(i);
                }
            }
        }
    }
    let url = match end {
        Some(e) => trimmed.get(..e).unwrap_or(""),
        None => trimmed,
    };
    if url.is_empty() {
        return Err(UrlError::Empty);
    }
    if !needs_encoding {
        // The common case (every URL the library builds): nothing to change.
        if url.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
        return Ok(Cow::Borrowed(url));
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(url.len() + 16);
    for b in url.bytes() {
        if CLASS[usize::from(b)] == ENCODE {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push(char::from(b));
        }
        if out.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong);
        }
    }
    Ok(Cow::Owned(out))
}

const KEEP: u8 = 0;
const ENCODE: u8 = 1;
const CONTROL: u8 = 2;
const HASH: u8 = 3;
/// What [`normalize`] does with each byte: non-ASCII bytes, space and `"<>\^`{|}` are percent-encoded as
/// a browser does; ASCII control characters are refused; `#` starts the fragment.
const CLASS: [u8; 256] = {
    let mut t = [KEEP; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b < 0x20 || b == 0x7f {
            CONTROL
        } else if b >= 0x80 {
            ENCODE
        } else {
            match b as u8 {
                b' ' | b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' => ENCODE,
                b'#' => HASH,
                _ => KEEP,
            }
        };
        b += 1;
    }
    t
};

/// `scheme:` at the start (RFC 3986: a letter, then letters, digits, `+ - .`).
fn has_scheme(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) => {
            scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    }
}

/// Host and the text after its `:` (if any). IPv6 literals keep their brackets off.
fn split_authority(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(UrlError::BadHost)?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::BadHost);
        }
        return match after {
            "" => Ok((host, None)),
            _ => after
                .strip_prefix(':')
                .map(|p| (host, Some(p)))
                .ok_or(UrlError::BadHost),
        };
    }
    Ok(match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    })
}

fn check_host(host: &str) -> Result<String, UrlError> {
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if host.contains(':') {
        return match host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => Ok(host.to_ascii_lowercase()),
            Err(_) => Err(UrlError::BadHost),
        };
    }
    let ok = host.len() <= 253
        && !host.starts_with('.')
        && !host.contains("..")
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(UrlError::BadHost);
    }
    Ok(host.to_ascii_lowercase())
}

fn parse_port(p: &str) -> Result<u16, UrlError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::BadPort);
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => u16::try_from(n).map_err(|_| UrlError::BadPort),
        _ => Err(UrlError::BadPort),
    }
}

/// RFC 3986 section 5.2.4, on a path that starts with `/`.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => trailing_slash = i == last,
            ".." => {
                out.pop();
                trailing_slash = i == last;
            }
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut s = String::with_capacity(path.len());
    for seg in &out {
        s.push('/');
        s.push_str(seg);
    }
    if trailing_slash || s.is_empty() {
        s.push('/');
    }
    s
}

/// A validated `base_url`: scheme and authority plus an optional path prefix, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    url: String,
    host: String,
    /// The port, explicit or the scheme's default.
    port: u16,
    loopback: bool,
}

impl BaseUrl {
    pub fn as_str(&self) -> &str {
        &self.url
    }
    /// The host, lowercased, without IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
    /// Whether `url` is on this URL's host and port (scheme aside): a request to this option's server.
    pub fn same_host_port(&self, url: &Url) -> bool {
        self.host == url.host() && self.port == url.port()
    }
}

/// Whether `host` (lowercase, without brackets) is a loopback host: 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Validates a base URL: https (http only for loopback hosts), an optional path prefix, no query,
/// fragment or user info. A trailing slash is dropped.
pub fn parse_base_url(s: &str) -> crate::error::Result<BaseUrl> {
    parse_url_option("base_url", s)
}

/// [`parse_base_url`] for an option named `key` (`base_url`, `api_base_url`): errors name that key.
pub fn parse_url_option(key: &str, s: &str) -> crate::error::Result<BaseUrl> {
    const RULE: &str = "must be an https:// URL (http:// only for 127.0.0.1, ::1 or localhost) with an optional path, and no query, fragment or user info";
    let bad = |why: &str| Error::argument(format!("option {key} {why}: it {RULE}"));
    if s.bytes().any(|b| b <= b' ' || b >= 0x7f) {
        return Err(bad("contains spaces, control or non-ASCII characters"));
    }
    if s.contains('?') {
        return Err(bad("has a query"));
    }
    if s.contains('#') {
        return Err(bad("has a fragment"));
    }
    let lower = s.to_ascii_lowercase();
    let https = if lower.starts_with("https://") {
        true
    } else if lower.starts_with("http://") {
        false
    } else {
        return Err(bad("has another scheme than https:// or http://"));
    };
    // After the scheme's "://"; the path without its leading '/'.
    let rest = s.split_once("://").map_or("", |(_, rest)| rest);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(bad("has user info"));
    }
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    let uri: ureq::http::Uri = s.parse().map_err(|_| bad("is not a valid URL"))?;
    // Host and port as every request URL is checked (a port out of 1..65535 is refused, not defaulted).
    let port = Url::parse(s)
        .map_err(|e| bad(&format!("is refused ({})", e.reason())))?
        .port();
    let host = uri
        .host()
        .ok_or_else(|| bad("has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let loopback = is_loopback_host(&host);
    if !https && !loopback {
        return Err(bad("uses plain http:// for a host that is not loopback"));
    }
    let scheme = if https { "https" } else { "http" };
    let path = path.trim_end_matches('/');
    let slash = if path.is_empty() { "" } else { "/" };
    Ok(BaseUrl {
        url: format!("{scheme}://{}{slash}{path}", authority.to_ascii_lowercase()),
        host,
        port,
        loopback,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_query_appended_to_a_checked_url_is_the_url_parsed_whole() {
        use super::Url;
        for (base, suffix) in [
            (
                "http://127.0.0.1:7/s/x/fetch?s_locale=en_US&platform=web",
                "&ticket=ab%2Fc-9",
            ),
            (
                "https://passport.bilibili.tv/x/fetch?a=1",
                "&ticket=73ec406c",
            ),
            ("https://[::1]:8443/p", "?k=v&w=x"),
            ("HTTP://Example.COM", "?k=v"),
        ] {
            let u = Url::parse(base).unwrap();
            let joined = u.with_query(suffix).unwrap();
            assert_eq!(
                joined,
                Url::parse(&format!("{base}{suffix}")).unwrap(),
                "{base}{suffix}"
            );
        }
        let u = Url::parse("http://127.0.0.1:7/p?a=1").unwrap();
        for bad in ["?b=2", "&b=2#f", "&b=2 ", "&b=2/", "&b=é", "&b=2?c"] {
            assert!(u.with_query(bad).is_err(), "{bad}");
        }
        assert!(Url::parse("http://127.0.0.1:7/p")
            .unwrap()
            .with_query("&b=2")
            .is_err());
        let long = format!("&t={}", "a".repeat(super::MAX_URL_LEN));
        assert!(u.with_query(&long).is_err());
    }

    use super::*;

    fn p(s: &str) -> Result<String, UrlError> {
        Url::parse(s).map(|u| u.as_str().to_owned())
    }

    #[test]
    fn parses_and_normalizes() {
        assert_eq!(
            p("HTTPS://Passport.Bilibili.TV").unwrap(),
            "https://passport.bilibili.tv/"
        );
        assert_eq!(
            p("http://127.0.0.1:8080/a?b=c#frag").unwrap(),
            "http://127.0.0.1:8080/a?b=c"
        );
        assert_eq!(p("https://h.example:443/x").unwrap(), "https://h.example/x");
        assert_eq!(p("http://[::1]:5/x").unwrap(), "http://[::1]:5/x");
        assert_eq!(p("http://h.example:/x").unwrap(), "http://h.example/x");
        let u = Url::parse("http://[::1]:5/x").unwrap();
        assert_eq!((u.host(), u.port()), ("::1", 5));
        assert!(u.is_loopback());
        assert_eq!(p(" http://h/abcdefé ").unwrap(), "http://h/abcdef%C3%A9");
        assert_eq!(
            p("http://h/a b?c=\"d\"|{}").unwrap(),
            "http://h/a%20b?c=%22d%22%7C%7B%7D"
        );
    }

    #[test]
    fn refuses_what_it_must() {
        for (s, why) in [
            ("http://127.0.0.1:99999/", UrlError::BadPort),
            ("http://127.0.0.1:65616/", UrlError::BadPort),
            ("http://127.0.0.1:-1/", UrlError::BadPort),
            ("http://127.0.0.1:0/", UrlError::BadPort),
            ("http://127.0.0.1:+80/", UrlError::BadPort),
            ("http://127.0.0.1:0x50/", UrlError::BadPort),
            ("http://é/", UrlError::BadHost),
            ("http://%62ilibili.tv/", UrlError::BadHost),
            ("http://u:p@h/", UrlError::UserInfo),
            ("http://@h/", UrlError::UserInfo),
            ("ftp://h/", UrlError::NotHttp),
            ("javascript:alert(1)//", UrlError::NotHttp),
            ("https:h/x", UrlError::NotHttp),
            ("http:///x", UrlError::NoHost),
            ("http://h/\r\nX: y", UrlError::ControlCharacter),
            ("", UrlError::Empty),
            ("http://[::1/", UrlError::BadHost),
            ("http://[nope]/", UrlError::BadHost),
            ("http://a..b/", UrlError::BadHost),
        ] {
            assert_eq!(Url::parse(s), Err(why), "{s:?}");
        }
        assert_eq!(
            Url::parse(&format!("https://h/{}", "é".repeat(6000))),
            Err(UrlError::TooLong)
        );
    }

    #[test]
    fn joins_references() {
        let base = Url::parse("http://127.0.0.1:9/a/b?x=1").unwrap();
        let j = |r: &str| base.join(r).map(|u| u.as_str().to_owned());
        assert_eq!(j("/c").unwrap(), "http://127.0.0.1:9/c");
        assert_eq!(j("c?d").unwrap(), "http://127.0.0.1:9/a/c?d");
        assert_eq!(j("../c").unwrap(), "http://127.0.0.1:9/c");
        assert_eq!(j("./").unwrap(), "http://127.0.0.1:9/a/");
        assert_eq!(j("?y=2").unwrap(), "http://127.0.0.1:9/a/b?y=2");
        assert_eq!(j("https://h/x").unwrap(), "https://h/x");
        assert_eq!(j("//h/x").unwrap(), "http://h/x");
        assert_eq!(j("/abcdefé").unwrap(), "http://127.0.0.1:9/abcdef%C3%A9");
        assert_eq!(
            j("/x/abcdé?q=é").unwrap(),
            "http://127.0.0.1:9/x/abcd%C3%A9?q=%C3%A9"
        );
        assert_eq!(j("/../../x").unwrap(), "http://127.0.0.1:9/x");
        assert_eq!(j("http://é/"), Err(UrlError::BadHost));
        assert_eq!(j("//é/"), Err(UrlError::BadHost));
        assert_eq!(j("http://127.0.0.1:99999/"), Err(UrlError::BadPort));
        assert_eq!(j("mailto:x@y"), Err(UrlError::NotHttp));
        assert_eq!(j("  "), Err(UrlError::Empty));
    }

    #[test]
    fn proxies() {
        assert_eq!(
            check_proxy_authority("socks5h://u:p@127.0.0.1:1080"),
            Ok(("127.0.0.1".to_owned(), Some(1080)))
        );
        assert_eq!(
            check_proxy_authority("http://Proxy.Example/"),
            Ok(("proxy.example".to_owned(), None))
        );
        assert_eq!(
            check_proxy_authority("socks5://127.0.0.1:99999"),
            Err(UrlError::BadPort)
        );
        assert_eq!(check_proxy_authority("http://é:1"), Err(UrlError::BadHost));
    }
}
