//! The cookie jar of one login: `Set-Cookie` headers and `data.cookie_info` applied under the rules of
//! the parent module, replacement in place by (name, domain), deletions, and the `Cookie` headers.

use super::{
    domain_matches, header_of, is_trusted, rank, split_folded, valid_domain, valid_name,
    valid_value, Cookie, MAX_PAIR, REQUIRED,
};
use crate::redact::{Secrets, Warnings};
use serde_json::Value;
use std::collections::HashMap;

/// The most warnings one jar reports; further ones are counted in a last line.
const MAX_WARNINGS: usize = 16;

/// The cookies of one login, in the order received; a later cookie of the same name and domain replaces an
/// earlier one in place, and a deletion removes it. Odd or refused input is dropped and counted in
/// [`CookieJar::take_warnings`].
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    /// In order of first receipt; `None` where a cookie was deleted.
    slots: Vec<Option<Cookie>>,
    /// (name, domain) → index in `slots`.
    index: HashMap<(String, Option<String>), usize>,
    warnings: Warnings,
    /// Dropped cookies by reason, reported as one warning each.
    dropped: Vec<(&'static str, usize)>,
    /// Every value this jar was handed, kept or not: its warnings are scrubbed of them (crate::redact).
    seen: Secrets,
}

impl CookieJar {
    /// Records a warning, at most `MAX_WARNINGS` distinct ones; it is scrubbed of every value seen (by this
    /// jar, and by the call) when pushed and when handed out.
    pub fn warn(&mut self, warning: impl AsRef<str>) {
        let warning = warning.as_ref();
        if !self.warnings.contains(warning) && self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        }
    }

    /// Records a value handed to the jar as a secret, for this jar's warnings and for the call's messages.
    fn see(&mut self, value: &str) {
        self.seen.add(value);
        crate::redact::see(value);
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
        out.finish(&self.seen)
    }

    /// Every value this jar was handed, kept or not.
    pub(crate) fn seen(&self) -> &Secrets {
        &self.seen
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
        self.see(value);
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
            let shown = if crate::redact::may_name_host(domain) {
                domain
            } else {
                "a long or numbered name"
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
        // Seen before any warning is built: a listed domain can be made of a value (found by fuzzing).
        for value in cookies
            .iter()
            .filter_map(|c| c.get("value").and_then(Value::as_str))
        {
            self.see(value);
        }
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
        header_of(chosen)
    }

    pub fn into_vec(self) -> Vec<Cookie> {
        self.slots.into_iter().flatten().collect()
    }
}
