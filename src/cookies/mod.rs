//! Session cookies: `Set-Cookie` parsing (by the `cookie` crate, values kept exactly as sent, proxy-folded
//! lines split), `data.cookie_info`, the validation and domain rules, deletions, and the merge rules of the
//! ABI (docs/COOKIES.md).
//!
//! Merging is linear: the jar indexes its cookies by (name, domain, path), so 30,000 entries cost as many hash
//! look-ups, not 30,000² comparisons.

use serde::Serialize;

mod jar;
#[cfg(test)]
mod tests;

pub use jar::CookieJar;

/// The cookies a confirmed login must carry.
pub const REQUIRED: [&str; 3] = ["SESSDATA", "bili_jct", "DedeUserID"];

/// The registrable domains whose cookies (and whose hosts, for `go_url`) are accepted, beside the
/// `base_url` host.
pub const TRUSTED_DOMAINS: [&str; 2] = ["bilibili.tv", "biliintl.com"];

/// The host `cookie_header` is for when the jar was not told the `api_base_url` host (the default one), and
/// the host a loopback test server stands in for.
pub const SERVICE_API_HOST: &str = "api.bilibili.tv";
/// The `base_url` host when the jar was not told it (the default one).
pub const SERVICE_PASSPORT_HOST: &str = "passport.bilibili.tv";

/// The longest cookie name accepted (bytes).
pub(crate) const MAX_NAME: usize = 256;
/// The longest `name=value` accepted (bytes): what browsers store (RFC 6265 section 6.1's minimum).
pub(crate) const MAX_PAIR: usize = 4096;

/// One session cookie, as handed to callers. `Debug` shows every field but the value (a secret).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// Without a leading dot; `None` when the header had no Domain attribute (host-only: the `base_url` host).
    pub domain: Option<String>,
    pub path: String,
    /// Unix seconds, from Max-Age, else Expires; `None` for a session cookie.
    pub expires: Option<i64>,
    pub secure: bool,
    pub http_only: bool,
}

impl std::fmt::Debug for Cookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cookie")
            .field("name", &self.name)
            .field("value", &format_args!("…"))
            .field("domain", &self.domain)
            .field("path", &self.path)
            .field("expires", &self.expires)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .finish()
    }
}

/// Whether `domain` equals `root` or is a subdomain of it (ASCII case-insensitive).
pub fn domain_matches(domain: &str, root: &str) -> bool {
    let domain = domain.trim_start_matches('.');
    if domain.eq_ignore_ascii_case(root) {
        return true;
    }
    let (d, r) = (domain.as_bytes(), root.as_bytes());
    d.len() > r.len()
        && d[d.len() - r.len() - 1] == b'.'
        && d[d.len() - r.len()..].eq_ignore_ascii_case(r)
}

/// RFC 6265 section 5.1.4: whether a request to `request_path` carries a cookie of `cookie_path` (equal, or
/// a prefix ending in `/` or followed by `/` in the request path).
pub fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    match request_path.strip_prefix(cookie_path) {
        None => false,
        Some(rest) => rest.is_empty() || cookie_path.ends_with('/') || rest.starts_with('/'),
    }
}

/// Whether cookies for `domain`, and hops to host `domain`, are accepted given the `base_url` host.
pub fn is_trusted(domain: &str, base_host: &str) -> bool {
    TRUSTED_DOMAINS
        .iter()
        .any(|root| domain_matches(domain, root))
        || domain
            .trim_start_matches('.')
            .eq_ignore_ascii_case(base_host)
}

/// RFC 6265 `cookie-name` (an RFC 7230 token): 1 to 256 of the visible ASCII characters other than the
/// separators `( ) < > @ , ; : \ " / [ ] ? = { }`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                )
        })
}

/// A cookie value: RFC 6265 `cookie-octet`s, leniently widened to what browsers store and a `Cookie`
/// header can carry: printable ASCII (space, `"`, `,` and `\` included, as real servers send them) but
/// never `;`, a control character (CR, LF, NUL, …), non-ASCII, or a space at either end.
pub fn valid_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b';')
        && !value.starts_with(' ')
        && !value.ends_with(' ')
}

/// A Domain attribute's value (leading dots removed) that is a host name: dot-separated labels of 1 to
/// 63 letters, digits, `-` or `_`, 253 characters at most. Refuses `evil.example/.bilibili.tv`,
/// `evil.example .bilibili.tv`, `*.bilibili.tv`, `evil.example:1.bilibili.tv`, empty labels, a trailing dot.
pub fn valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Splits a `Set-Cookie` value that a proxy folded from several header lines (joined with commas). A comma
/// splits only where the text after it starts a new `name=value` (a token, then `=`, before any `;`), so
/// the comma of `Expires=Sun, 23 May 2027 …` never does.
pub fn split_folded(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in line.match_indices(',') {
        let next = line.get(i + 1..).unwrap_or("");
        let segment = next.split(';').next().unwrap_or("");
        let starts_cookie = segment
            .split_once('=')
            .is_some_and(|(name, _)| valid_name(name.trim()));
        if starts_cookie {
            if let Some(part) = line.get(start..i) {
                parts.push(part);
            }
            start = i + 1;
        }
    }
    if let Some(part) = line.get(start..) {
        parts.push(part);
    }
    parts
}

/// `name=value` pairs joined by `"; "`, in the order given: the text of a `Cookie` header.
pub(crate) fn header_of<'a>(cookies: impl IntoIterator<Item = &'a Cookie>) -> String {
    let mut out = String::new();
    for c in cookies {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(&c.name);
        out.push('=');
        out.push_str(&c.value);
    }
    out
}

/// 0 for a host-only, `bilibili.tv` or (mainland) `bilibili.com` cookie (what the service's own hosts
/// receive), 1 for another domain.
fn rank(c: &Cookie) -> u8 {
    match &c.domain {
        None => 0,
        Some(d) if domain_matches(d, "bilibili.tv") || domain_matches(d, "bilibili.com") => 0,
        Some(_) => 1,
    }
}
