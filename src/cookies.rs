//! Session cookies: `Set-Cookie` parsing (by the `cookie` crate, values kept exactly as sent, proxy-folded
//! lines split), `data.cookie_info`, the validation and domain rules, deletions, and the merge rules of the
//! ABI (docs/COOKIES.md).
//!
//! Merging is linear: the jar indexes its cookies by (name, domain), so 30,000 entries cost as many hash
//! look-ups, not 30,000² comparisons.

use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// The cookies a confirmed login must carry.
pub const REQUIRED: [&str; 3] = ["SESSDATA", "bili_jct", "DedeUserID"];

/// The registrable domains whose cookies (and whose hosts, for `go_url`) are accepted, beside the
/// `base_url` host.
pub const TRUSTED_DOMAINS: [&str; 2] = ["bilibili.tv", "biliintl.com"];

/// The longest cookie name accepted (bytes).
pub(crate) const MAX_NAME: usize = 256;
/// The longest `name=value` accepted (bytes): what browsers store (RFC 6265 section 6.1's minimum).
pub(crate) const MAX_PAIR: usize = 4096;
/// The most warnings one jar reports; further ones are counted in a last line.
const MAX_WARNINGS: usize = 16;

/// One session cookie, as handed to callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The cookies of one login, in the order received; a later cookie of the same name and domain replaces an
/// earlier one in place, and a deletion removes it. Odd or refused input is dropped and counted in
/// [`CookieJar::take_warnings`].
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    /// In order of first receipt; `None` where a cookie was deleted.
    slots: Vec<Option<Cookie>>,
    /// (name, domain) → index in `slots`.
    index: HashMap<(String, Option<String>), usize>,
    warnings: Vec<String>,
    /// Dropped cookies by reason, reported as one warning each.
    dropped: Vec<(&'static str, usize)>,
}

impl CookieJar {
    /// Records a warning (short, no cookie value), at most `MAX_WARNINGS` distinct ones.
    pub fn warn(&mut self, warning: impl Into<String>) {
        let warning = warning.into();
        if !self.warnings.contains(&warning) && self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        }
    }

    fn count_dropped(&mut self, reason: &'static str) {
        match self.dropped.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => self.dropped.push((reason, 1)),
        }
    }

    /// The warnings gathered so far (each optional step that failed, each odd or refused input), emptied.
    pub fn take_warnings(&mut self) -> Vec<String> {
        let mut out = std::mem::take(&mut self.warnings);
        for (reason, n) in std::mem::take(&mut self.dropped) {
            let s = if n == 1 { "" } else { "s" };
            out.push(format!("{n} cookie{s} dropped: {reason}"));
        }
        out
    }

    /// Applies one `Set-Cookie` header value (split first if a proxy folded several into it). Headers that
    /// do not parse, whose name or value is not valid, or whose Domain is not a host name or is foreign, are
    /// dropped (counted in the warnings).
    pub fn apply_set_cookie(&mut self, header: &str, base_host: &str, now: i64) {
        for part in split_folded(header) {
            self.apply_one_set_cookie(part, None, base_host, now);
        }
    }

    /// [`CookieJar::apply_set_cookie`] for a response of `origin_host`: a host-only cookie of another host
    /// than the `base_url` host keeps that host as its domain (it is not the base host's).
    pub fn apply_set_cookie_from(
        &mut self,
        header: &str,
        origin_host: &str,
        base_host: &str,
        now: i64,
    ) {
        let origin = Some(origin_host).filter(|h| !h.eq_ignore_ascii_case(base_host));
        for part in split_folded(header) {
            self.apply_one_set_cookie(part, origin, base_host, now);
        }
    }

    fn apply_one_set_cookie(
        &mut self,
        header: &str,
        origin: Option<&str>,
        base_host: &str,
        now: i64,
    ) {
        if header.trim().is_empty() {
            return;
        }
        let Ok(parsed) = cookie::Cookie::parse(header) else {
            self.count_dropped("a Set-Cookie header that is not name=value");
            return;
        };
        let (name, value) = (parsed.name(), parsed.value());
        if !self.acceptable(name, value) {
            return;
        }
        // The cookie crate strips one leading dot; `Domain=..bilibili.tv` keeps another: drop them all.
        let domain = parsed
            .domain()
            .or(origin)
            .map(|d| d.trim_start_matches('.').to_ascii_lowercase());
        if let Some(d) = &domain {
            if !self.domain_acceptable(d, base_host, "Set-Cookie") {
                return;
            }
        }
        let expires = match parsed.max_age() {
            Some(age) => Some(now.saturating_add(age.whole_seconds())),
            None => parsed.expires_datetime().map(|t| t.unix_timestamp()),
        };
        let deleted = match parsed.max_age() {
            Some(age) => age.whole_seconds() <= 0,
            None => matches!(expires, Some(e) if e <= now),
        };
        if deleted {
            self.remove(name, domain.as_deref());
            return;
        }
        self.insert(Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            domain,
            // An empty or relative Path attribute counts as absent (RFC 6265 5.2.4).
            path: parsed
                .path()
                .filter(|p| p.starts_with('/') && valid_value(p))
                .unwrap_or("/")
                .to_owned(),
            expires,
            secure: parsed.secure().unwrap_or(false),
            http_only: parsed.http_only().unwrap_or(false),
        });
    }

    /// Whether a name and value may be kept; counts the refusal otherwise.
    fn acceptable(&mut self, name: &str, value: &str) -> bool {
        if !valid_name(name) {
            self.count_dropped("a name that is not an RFC 6265 token");
            false
        } else if !valid_value(value) {
            self.count_dropped("a value with characters a Cookie header cannot carry");
            false
        } else if name.len() + 1 + value.len() > MAX_PAIR {
            self.count_dropped("longer than 4096 bytes");
            false
        } else {
            true
        }
    }

    /// Whether cookies for `domain` (lowercase, no leading dot) may be kept; warns otherwise.
    fn domain_acceptable(&mut self, domain: &str, base_host: &str, source: &str) -> bool {
        if !valid_domain(domain) && !domain.eq_ignore_ascii_case(base_host) {
            self.count_dropped("a Domain that is not a host name");
            return false;
        }
        if !is_trusted(domain, base_host) {
            let shown = if domain.len() <= 64 {
                domain
            } else {
                "a long name"
            };
            self.warn(format!(
                "{source}: cookies for the untrusted domain {shown} were dropped"
            ));
            return false;
        }
        true
    }

    /// Applies `data.cookie_info` (`{"cookies":[{"name","value","http_only","expires","secure"}],"domains":[…]}`).
    ///
    /// Each cookie is set for every domain listed that is trusted (no `domains`, or an empty list: host-only,
    /// as the answer's own host sets them). Foreign or malformed domains are dropped with a warning, never
    /// relabelled; when no listed domain is trusted, the cookies are dropped. Malformed entries are skipped
    /// with a warning: nothing here is an error (the required cookies may come from another source).
    pub fn apply_cookie_info(&mut self, info: &Value, base_host: &str, now: i64) {
        const SRC: &str = "data.cookie_info";
        let Some(cookies) = info.get("cookies").and_then(Value::as_array) else {
            self.warn(format!("{SRC} has no cookies array; ignored"));
            return;
        };
        let mut targets: Vec<Option<String>> = Vec::new();
        let mut listed = false;
        match info.get("domains") {
            None | Some(Value::Null) => {}
            Some(Value::Array(domains)) => {
                for d in domains {
                    listed = true;
                    let Some(d) = d.as_str() else {
                        self.warn(format!("{SRC}.domains holds a non-string; ignored"));
                        continue;
                    };
                    let d = d.trim_start_matches('.').to_ascii_lowercase();
                    if self.domain_acceptable(&d, base_host, SRC)
                        && !targets.contains(&Some(d.clone()))
                    {
                        targets.push(Some(d));
                    }
                }
            }
            Some(_) => {
                listed = true;
                self.warn(format!("{SRC}.domains is not an array; ignored"));
            }
        }
        if !listed {
            targets.push(None);
        } else if targets.is_empty() {
            if !cookies.is_empty() {
                self.warn(format!(
                    "{SRC}: no trusted domain listed; its {} cookie(s) were dropped",
                    cookies.len()
                ));
            }
            return;
        }
        for item in cookies {
            let name = item.get("name").and_then(Value::as_str);
            let value = item.get("value").and_then(Value::as_str);
            let (Some(name), Some(value)) = (name, value) else {
                self.count_dropped("a data.cookie_info entry without a string name and value");
                continue;
            };
            if !self.acceptable(name, value) {
                continue;
            }
            let flag = |key: &str| match item.get(key) {
                Some(Value::Bool(b)) => *b,
                Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0) != 0.0,
                Some(Value::String(s)) => matches!(s.as_str(), "1" | "true"),
                _ => false,
            };
            let expires = match item.get("expires") {
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => s.parse::<i64>().ok(),
                _ => None,
            }
            .filter(|&e| e != 0);
            for domain in &targets {
                if matches!(expires, Some(e) if e <= now) {
                    self.remove(name, domain.as_deref());
                    continue;
                }
                self.insert(Cookie {
                    name: name.to_owned(),
                    value: value.to_owned(),
                    domain: domain.clone(),
                    path: "/".into(),
                    expires,
                    secure: flag("secure"),
                    http_only: flag("http_only"),
                });
            }
        }
    }

    /// Adds a cookie the caller built (credentials read from a URL, a saved session), checking its name,
    /// value and domain like any other source. Returns whether it was kept.
    pub fn add(&mut self, cookie: Cookie, base_host: &str) -> bool {
        if !self.acceptable(&cookie.name, &cookie.value) {
            return false;
        }
        if let Some(d) = &cookie.domain {
            if !self.domain_acceptable(d, base_host, "a cookie") {
                return false;
            }
        }
        self.insert(cookie);
        true
    }

    fn insert(&mut self, cookie: Cookie) {
        let key = (cookie.name.clone(), cookie.domain.clone());
        match self.index.get(&key) {
            Some(&i) => {
                if let Some(slot) = self.slots.get_mut(i) {
                    *slot = Some(cookie);
                }
            }
            None => {
                self.index.insert(key, self.slots.len());
                self.slots.push(Some(cookie));
            }
        }
    }

    fn remove(&mut self, name: &str, domain: Option<&str>) {
        let key = (name.to_owned(), domain.map(str::to_owned));
        if let Some(i) = self.index.remove(&key) {
            if let Some(slot) = self.slots.get_mut(i) {
                *slot = None;
            }
        }
    }

    /// The kept cookies, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = &Cookie> {
        self.slots.iter().flatten()
    }

    /// The number of cookies kept.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The cookie of this name that `cookie_header` carries (see [`CookieJar::cookie_header`]).
    pub fn get(&self, name: &str) -> Option<&Cookie> {
        let mut best: Option<&Cookie> = None;
        for c in self.iter().filter(|c| c.name == name) {
            match best {
                Some(b) if rank(c) > rank(b) => {}
                _ => best = Some(c),
            }
        }
        best
    }

    /// The names of the required cookies this jar lacks (absent, or with an empty value).
    pub fn missing_required(&self) -> Vec<&'static str> {
        REQUIRED
            .iter()
            .copied()
            .filter(|n| !self.get(n).is_some_and(|c| !c.value.is_empty()))
            .collect()
    }

    /// `name=value` pairs joined by `"; "`: one per name, in the order the names were first received. Where
    /// several domains hold a name, the value of a host-only or `bilibili.tv` cookie is preferred over another
    /// domain's, and among equals the one set last.
    pub fn cookie_header(&self) -> String {
        self.header_where(|_| true)
    }

    /// The `Cookie` header a browser would send to `host`: host-only cookies when `host` is the `base_url`
    /// host, cookies whose domain `host` domain-matches, and, when the `base_url` host is a loopback stand-in
    /// for the service (tests), every cookie to that host. Paths are not matched (the service sets `/`).
    pub fn header_for(&self, host: &str, base_host: &str) -> String {
        let to_base = host.eq_ignore_ascii_case(base_host);
        let stand_in = to_base && crate::options::is_loopback_host(base_host);
        self.header_where(|c| match &c.domain {
            None => to_base,
            Some(d) => stand_in || domain_matches(host, d),
        })
    }

    fn header_where(&self, include: impl Fn(&Cookie) -> bool) -> String {
        let mut chosen: Vec<&Cookie> = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for c in self.iter().filter(|c| include(c)) {
            match by_name.get(c.name.as_str()) {
                Some(&i) => {
                    if chosen.get(i).is_some_and(|b| rank(c) <= rank(b)) {
                        chosen[i] = c;
                    }
                }
                None => {
                    by_name.insert(&c.name, chosen.len());
                    chosen.push(c);
                }
            }
        }
        let mut out = String::new();
        for c in chosen {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(&c.name);
            out.push('=');
            out.push_str(&c.value);
        }
        out
    }

    pub fn into_vec(self) -> Vec<Cookie> {
        self.slots.into_iter().flatten().collect()
    }
}

/// 0 for a host-only or `bilibili.tv` cookie (what the service's own hosts receive), 1 for another domain.
fn rank(c: &Cookie) -> u8 {
    match &c.domain {
        None => 0,
        Some(d) if domain_matches(d, "bilibili.tv") => 0,
        Some(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    fn names(jar: &CookieJar) -> Vec<&str> {
        jar.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn attributes_and_filters() {
        let mut jar = CookieJar::default();
        for h in [
            "SESSDATA=9f3c1a2b%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly; Secure",
            "bili_jct=abc; Domain=.bilibili.tv; Max-Age=100",
            "DedeUserID=1; Domain=www.BILIBILI.tv",
            "x=1; Domain=evil.example.com",
            "y=2; Domain=notbilibili.tv",
            "buvid3=deleted; Max-Age=0",
            "old=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
            "sid=s1",
            "not a cookie",
            "h=1; Domain=127.0.0.1",
        ] {
            jar.apply_set_cookie(h, "127.0.0.1", NOW);
        }
        assert_eq!(
            names(&jar),
            ["SESSDATA", "bili_jct", "DedeUserID", "sid", "h"]
        );
        let s = jar.get("SESSDATA").unwrap();
        assert_eq!(s.value, "9f3c1a2b%2C1811061062%2C5e7d1%2A51");
        assert_eq!(s.domain.as_deref(), Some("bilibili.tv"));
        assert_eq!(s.expires, Some(2139722880));
        assert!(s.secure && s.http_only);
        let j = jar.get("bili_jct").unwrap();
        assert_eq!(
            (j.domain.as_deref(), j.expires),
            (Some("bilibili.tv"), Some(NOW + 100))
        );
        let sid = jar.get("sid").unwrap();
        assert_eq!(
            (sid.domain.as_deref(), sid.path.as_str(), sid.expires),
            (None, "/", None)
        );
        assert!(jar.missing_required().is_empty());
        assert!(jar
            .cookie_header()
            .starts_with("SESSDATA=9f3c1a2b%2C1811061062%2C5e7d1%2A51; bili_jct=abc; "));
        let w = jar.take_warnings();
        assert!(
            w.iter().any(|w| w.contains("evil.example.com")),
            "foreign domains are reported: {w:?}"
        );
    }

    #[test]
    fn replace_in_place_and_delete() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("a=1", "h", NOW);
        jar.apply_set_cookie("b=1", "h", NOW);
        jar.apply_set_cookie("a=2", "h", NOW);
        assert_eq!(jar.cookie_header(), "a=2; b=1");
        jar.apply_set_cookie("a=; Max-Age=-1", "h", NOW);
        assert_eq!(jar.cookie_header(), "b=1");
        jar.apply_set_cookie("a=3", "h", NOW);
        assert_eq!(
            jar.cookie_header(),
            "b=1; a=3",
            "re-set after deletion: last"
        );
        assert_eq!(jar.missing_required(), REQUIRED.to_vec());
    }

    #[test]
    fn same_name_other_domain_is_another_cookie() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("SESSDATA=intl; Domain=biliintl.com", "h", NOW);
        jar.apply_set_cookie("SESSDATA=tv; Domain=bilibili.tv", "h", NOW);
        jar.apply_set_cookie("SESSDATA=intl2; Domain=.biliintl.com", "h", NOW);
        assert_eq!(jar.len(), 2);
        let values: Vec<_> = jar.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["intl2", "tv"]);
        assert_eq!(jar.cookie_header(), "SESSDATA=tv", "bilibili.tv preferred");
        assert_eq!(jar.header_for("www.biliintl.com", "h"), "SESSDATA=intl2");
        assert_eq!(jar.header_for("passport.bilibili.tv", "h"), "SESSDATA=tv");
        assert_eq!(jar.header_for("example.com", "h"), "");
    }

    #[test]
    fn host_only_cookies_of_another_host_keep_that_host() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie_from("a=1", "www.biliintl.com", "passport.bilibili.tv", NOW);
        jar.apply_set_cookie_from("b=1", "passport.bilibili.tv", "passport.bilibili.tv", NOW);
        jar.apply_set_cookie_from("c=1", "evil.example", "passport.bilibili.tv", NOW);
        let domains: Vec<_> = jar.iter().map(|c| c.domain.as_deref()).collect();
        assert_eq!(domains, [Some("www.biliintl.com"), None]);
    }

    #[test]
    fn header_for_a_loopback_stand_in_carries_every_cookie() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("a=1; Domain=bilibili.tv", "127.0.0.1", NOW);
        jar.apply_set_cookie("b=2", "127.0.0.1", NOW);
        assert_eq!(jar.header_for("127.0.0.1", "127.0.0.1"), "a=1; b=2");
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("a=1; Domain=bilibili.tv", "passport.bilibili.tv", NOW);
        jar.apply_set_cookie("b=2", "passport.bilibili.tv", NOW);
        assert_eq!(
            jar.header_for("www.bilibili.tv", "passport.bilibili.tv"),
            "a=1"
        );
    }

    /// Regression (fuzz target set_cookie): `Domain=..bilibili.tv` was kept as ".bilibili.tv", but the ABI
    /// hands out `domain` without a leading dot.
    #[test]
    fn domain_is_kept_without_any_leading_dot() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("z=1; Domain=..BiliBili.tv", "127.0.0.1", NOW);
        jar.apply_set_cookie("y=1; Domain=...evil.example.com", "127.0.0.1", NOW);
        let z = jar.get("z").expect("a bilibili.tv cookie is kept");
        assert_eq!(z.domain.as_deref(), Some("bilibili.tv"));
        assert!(jar.get("y").is_none());
    }

    /// Regression (fuzz target set_cookie): `Path=` (empty) was kept as an empty path; the ABI's `path` is
    /// "/" when absent, and an empty or relative Path counts as absent.
    #[test]
    fn an_empty_or_relative_path_is_the_default_path() {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie("a=1; Path=", "h", NOW);
        jar.apply_set_cookie("b=1; Path=x/y", "h", NOW);
        jar.apply_set_cookie("c=1; Path=/x", "h", NOW);
        assert_eq!(jar.get("a").unwrap().path, "/");
        assert_eq!(jar.get("b").unwrap().path, "/");
        assert_eq!(jar.get("c").unwrap().path, "/x");
    }

    /// Issue 14 item 5: a Domain that is not a host name is dropped even when it ends with a trusted suffix.
    #[test]
    fn domains_that_are_not_host_names_are_dropped() {
        for bad in [
            "evil.example/.bilibili.tv",
            "evil.example .bilibili.tv",
            "*.bilibili.tv",
            "evil.example:1.bilibili.tv",
            "evil..bilibili.tv",
            "bilibili.tv.",
            "évil.bilibili.tv",
        ] {
            let mut jar = CookieJar::default();
            jar.apply_set_cookie(&format!("a=1; Domain={bad}"), "127.0.0.1", NOW);
            assert!(jar.is_empty(), "{bad}");
            let w = jar.take_warnings();
            assert_eq!(
                w,
                ["1 cookie dropped: a Domain that is not a host name"],
                "{bad}"
            );
        }
        assert!(valid_domain("www.bilibili.tv") && valid_domain("127.0.0.1"));
    }

    /// Issue 14 decision: names and values a Cookie header cannot carry are dropped, from every source.
    #[test]
    fn names_and_values_follow_rfc_6265() {
        for (name, value, ok) in [
            ("SESSDATA", "9f3c%2C1%2A51", true),
            ("quoted", "\"q v\"", true),
            ("a", "", true),
            ("a", "x\r\nSet-Cookie: evil=1", false),
            ("a", "x\nb", false),
            ("a", "x\0", false),
            ("a", "x;y", false),
            ("a", "é", false),
            ("a b", "1", false),
            ("a;b", "1", false),
            ("a\r\n", "1", false),
            ("", "1", false),
            ("a=b", "1", false),
        ] {
            assert_eq!(
                valid_name(name) && valid_value(value),
                ok,
                "{name:?}={value:?}"
            );
            let mut jar = CookieJar::default();
            let info =
                json!({"cookies": [{"name": name, "value": value}], "domains": [".bilibili.tv"]});
            jar.apply_cookie_info(&info, "h", NOW);
            assert_eq!(jar.len(), usize::from(ok), "{name:?}={value:?}");
            if !ok {
                let w = jar.take_warnings();
                assert_eq!(w.len(), 1, "{w:?}");
                assert!(!w[0].contains("evil") && w[0].contains("dropped"), "{w:?}");
            }
        }
        assert!(!valid_value(&"x".repeat(10)) || valid_value("x"));
        let mut jar = CookieJar::default();
        jar.apply_set_cookie(&format!("big={}", "x".repeat(5000)), "h", NOW);
        assert!(jar.is_empty());
    }

    /// Issue 13 item 2: a proxy folded three Set-Cookie lines into one; `Expires` has its own comma.
    #[test]
    fn folded_set_cookie_lines_are_split_between_cookies_only() {
        let folded = "SESSDATA=a%2Cb; Path=/; Domain=bilibili.tv; Expires=Sun, 23 May 2027 10:00:00 GMT; HttpOnly; Secure, bili_jct=0123; Path=/; Expires=Sun, 23 May 2027 10:00:00 GMT,DedeUserID=7; Max-Age=100";
        assert_eq!(split_folded(folded).len(), 3);
        let mut jar = CookieJar::default();
        jar.apply_set_cookie(folded, "h", NOW);
        assert_eq!(names(&jar), ["SESSDATA", "bili_jct", "DedeUserID"]);
        assert_eq!(jar.get("SESSDATA").unwrap().expires, Some(1_811_066_400));
        assert!(jar.get("SESSDATA").unwrap().http_only);
        assert_eq!(jar.get("DedeUserID").unwrap().expires, Some(NOW + 100));
        assert!(jar.missing_required().is_empty());
        // A lone Expires comma is not a split.
        assert_eq!(
            split_folded("a=1; Expires=Sun, 23 May 2027 10:00:00 GMT").len(),
            1
        );
    }

    /// Issue 14 item 6: cookie_info's domains are all read; foreign ones are dropped, never relabelled.
    #[test]
    fn cookie_info_reads_every_domain_and_drops_foreign_ones() {
        let entry = json!([{"name": "SESSDATA", "value": "s", "http_only": 1, "expires": 2_000_000_000i64, "secure": true}]);
        let mut jar = CookieJar::default();
        jar.apply_cookie_info(
            &json!({"cookies": entry, "domains": [".evil.example"]}),
            "h",
            NOW,
        );
        assert!(jar.is_empty());
        let w = jar.take_warnings();
        assert!(w.iter().any(|w| w.contains("evil.example")), "{w:?}");
        let mut jar = CookieJar::default();
        jar.apply_cookie_info(
            &json!({"cookies": entry, "domains": [".evil.example", ".bilibili.tv", ".biliintl.com"]}),
            "h",
            NOW,
        );
        let domains: Vec<_> = jar.iter().map(|c| c.domain.clone()).collect();
        assert_eq!(
            domains,
            [Some("bilibili.tv".into()), Some("biliintl.com".into())]
        );
        let s = jar.get("SESSDATA").unwrap();
        assert!(s.http_only && s.secure && s.expires == Some(2_000_000_000));
        // No domains: host-only, as before.
        let mut jar = CookieJar::default();
        jar.apply_cookie_info(&json!({"cookies": entry}), "h", NOW);
        assert_eq!(jar.get("SESSDATA").unwrap().domain, None);
        // Odd shapes are warnings, not errors.
        let mut jar = CookieJar::default();
        jar.apply_cookie_info(
            &json!({"cookies": [1, {"name": 2}], "domains": 5}),
            "h",
            NOW,
        );
        assert!(jar.is_empty());
        assert_eq!(jar.take_warnings().len(), 2);
    }

    #[test]
    fn domain_matching() {
        assert!(domain_matches("bilibili.tv", "bilibili.tv"));
        assert!(domain_matches(".bilibili.tv", "bilibili.tv"));
        assert!(domain_matches("a.b.bilibili.tv", "bilibili.tv"));
        assert!(!domain_matches("xbilibili.tv", "bilibili.tv"));
        assert!(!domain_matches("tv", "bilibili.tv"));
        assert!(!domain_matches("é.bilibili.tv", "bilibili.tvx"));
        assert!(is_trusted("www.biliintl.com", "x"));
    }

    /// Issue 14 decision: merging is linear. 30,000 entries took 1.7 s (release) with the old
    /// find-by-name insert; the bound here is generous (debug build, busy machine).
    #[test]
    fn thirty_thousand_cookie_info_entries_merge_fast() {
        let cookies: Vec<Value> = (0..30_000)
            .map(|i| json!({"name": format!("c{i}"), "value": "v", "expires": 2_000_000_000i64}))
            .collect();
        let info = json!({"cookies": cookies, "domains": [".bilibili.tv"]});
        let t = std::time::Instant::now();
        let mut jar = CookieJar::default();
        jar.apply_cookie_info(&info, "h", NOW);
        let header = jar.cookie_header();
        let took = t.elapsed();
        assert_eq!(jar.len(), 30_000);
        assert!(header.starts_with("c0=v; c1=v"));
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    }
}
