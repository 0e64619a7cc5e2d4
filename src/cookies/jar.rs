//! The cookie jar of one login: `Set-Cookie` headers and `data.cookie_info` applied under the rules of
//! the parent module, replacement in place by (name, domain, path) (RFC 6265 section 5.3), deletions, and
//! the `Cookie` headers in a browser's order (section 5.4).

use super::{
    domain_matches, header_of, is_trusted, path_matches, rank, split_folded, valid_domain,
    valid_name, valid_value, Cookie, MAX_PAIR, REQUIRED, SERVICE_API_HOST, SERVICE_PASSPORT_HOST,
};
use crate::redact::{Secrets, Warnings};
use serde_json::Value;
use std::collections::HashMap;

/// The most warnings one jar reports; further ones are counted in a last line.
const MAX_WARNINGS: usize = 16;

/// The cookies of one login, in the order received; a later cookie of the same name, domain and path
/// replaces an earlier one in place (keeping its creation order, as RFC 6265 section 5.3 keeps its
/// creation time), and a deletion removes it (a deletion at another path removes nothing). Odd or refused input is dropped and counted in
/// [`CookieJar::take_warnings`].
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    /// In order of first receipt; `None` where a cookie was deleted.
    slots: Vec<Option<Cookie>>,
    /// (name, domain, path) → index in `slots`.
    index: HashMap<(String, Option<String>, String), usize>,
    /// The `base_url` host and the `api_base_url` host: `cookie_header` is what a browser sends to the
    /// latter. Empty: the service's defaults (passport.bilibili.tv, api.bilibili.tv).
    base_host: String,
    api_host: String,
    warnings: Warnings,
    /// Dropped cookies by reason, reported as one warning each.
    dropped: Vec<(&'static str, usize)>,
    /// Every value this jar was handed, kept or not: its warnings are scrubbed of them (crate::redact).
    seen: Secrets,
    /// The trusted registrable domains; `None`: [`super::TRUSTED_DOMAINS`] (bilibili.tv's).
    roots: Option<&'static [&'static str]>,
}

impl CookieJar {
    /// An empty jar that trusts cookies under `roots` (a site's domains, `crate::site`) and the `base_url`
    /// host, instead of bilibili.tv's.
    pub fn for_domains(roots: &'static [&'static str]) -> CookieJar {
        CookieJar {
            roots: Some(roots),
            ..CookieJar::default()
        }
    }

    /// A jar of a site whose trusted domains are `roots`, with `cookie_header` what a browser sends to
    /// `api_host` (see [`CookieJar::for_service`]).
    pub fn for_site(roots: &'static [&'static str], base_host: &str, api_host: &str) -> CookieJar {
        CookieJar {
            roots: Some(roots),
            ..CookieJar::for_service(base_host, api_host)
        }
    }

    /// A jar whose `cookie_header` is what a browser sends to `api_host` (the `api_base_url` host), host-only
    /// cookies being `base_host`'s (the `base_url` host).
    pub fn for_service(base_host: &str, api_host: &str) -> CookieJar {
        CookieJar {
            base_host: base_host.to_ascii_lowercase(),
            api_host: api_host.to_ascii_lowercase(),
            ..CookieJar::default()
        }
    }

    fn trusted(&self, domain: &str, base_host: &str) -> bool {
        match self.roots {
            None => is_trusted(domain, base_host),
            Some(roots) => {
                roots.iter().any(|root| domain_matches(domain, root))
                    || domain
                        .trim_start_matches('.')
                        .eq_ignore_ascii_case(base_host)
            }
        }
    }

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
        // An empty or relative Path attribute counts as absent (RFC 6265 5.2.4): the default path is `/`
        // (the service's endpoints sit one or more levels down, and it always sets `/`).
        let path = parsed
            .path()
            .filter(|p| p.starts_with('/') && valid_value(p))
            .unwrap_or("/")
            .to_owned();
        if deleted {
            self.remove(name, domain.as_deref(), &path);
            return;
        }
        self.insert(Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            domain,
            path,
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
        if !self.trusted(domain, base_host) {
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
                    self.remove(name, domain.as_deref(), "/");
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
        let key = (
            cookie.name.clone(),
            cookie.domain.clone(),
            cookie.path.clone(),
        );
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

    fn remove(&mut self, name: &str, domain: Option<&str>, path: &str) {
        let key = (name.to_owned(), domain.map(str::to_owned), path.to_owned());
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
        self.header_cookies().into_iter().find(|c| c.name == name)
    }

    /// The names of the required cookies this jar lacks (absent, or with an empty value).
    pub fn missing_required(&self) -> Vec<&'static str> {
        let chosen = self.header_cookies();
        REQUIRED
            .iter()
            .copied()
            .filter(|n| !chosen.iter().any(|c| c.name == *n && !c.value.is_empty()))
            .collect()
    }

    /// `name=value` pairs joined by `"; "`, one per name, the names in the order first received. Of a name's
    /// cookies, the one a browser sends first to the service's API host (the `api_base_url` host) at `/`
    /// (RFC 6265 section 5.4: the domain and path match; the longer path, then the earlier creation), so a
    /// `www.bilibili.tv` cookie never shadows the `bilibili.tv` one. A name that host would not receive (a
    /// host-only cookie of the passport host, a `biliintl.com` one): its cookie for `/` preferred, then a
    /// host-only or `bilibili.tv` one over another domain's, and among equals the one set last.
    pub fn cookie_header(&self) -> String {
        header_of(self.header_cookies())
    }

    /// The cookies of [`CookieJar::cookie_header`], in its order.
    fn header_cookies(&self) -> Vec<&Cookie> {
        let (base_host, api_host) = self.service_hosts();
        let to_api = |c: &Cookie| self.sends(c, api_host, "/", base_host);
        // What the API host gets beats what it does not; among what it gets, the browser's order; among the
        // rest, a cookie for `/`, then a host-only or bilibili.tv one, then the one set last.
        self.pick(
            |_| true,
            |c, best| match (to_api(c), to_api(best)) {
                (true, true) => self.api_key(c, base_host) > self.api_key(best, base_host),
                (false, false) => {
                    let key = |c: &Cookie| (c.path == "/", std::cmp::Reverse(rank(c)));
                    key(c) >= key(best)
                }
                (sent, _) => sent,
            },
        )
    }

    /// The `base_url` and `api_base_url` hosts `cookie_header` is built for.
    fn service_hosts(&self) -> (&str, &str) {
        let base = if self.base_host.is_empty() {
            SERVICE_PASSPORT_HOST
        } else {
            self.base_host.as_str()
        };
        let api = if self.api_host.is_empty() {
            SERVICE_API_HOST
        } else {
            self.api_host.as_str()
        };
        (base, api)
    }

    /// The `Cookie` header a browser would send to `host` at `path` (see [`CookieJar::chosen_for`]).
    pub fn header_for(&self, host: &str, path: &str, base_host: &str) -> String {
        header_of(self.chosen_for(host, path, base_host))
    }

    /// The cookies a browser would send to `https://{host}{path}`, one per name: host-only cookies when
    /// `host` is the `base_url` host, cookies whose domain `host` domain-matches, each only where its path
    /// path-matches `path`. Of a name's cookies, the one a browser sends first (RFC 6265 section 5.4: the
    /// longest path, then the earliest creation), which is the one a server reads; the names in the order
    /// they were first received (the order across names means nothing to a server, and a sort would cost
    /// 8 KB of the library). A loopback `base_url` host stands in for the service's hosts (tests): it gets
    /// every cookie whose path matches, and of a name's cookies of equal path those a browser would send to
    /// api.bilibili.tv come first, so the choice is the one the real hosts would see.
    fn chosen_for(&self, host: &str, path: &str, base_host: &str) -> Vec<&Cookie> {
        self.pick(
            |c| self.sends(c, host, path, base_host),
            |c, best| self.api_key(c, base_host) > self.api_key(best, base_host),
        )
    }

    /// Whether a browser sends `c` to `https://{host}{path}` (a loopback `base_url` host gets every cookie
    /// whose path matches).
    fn sends(&self, c: &Cookie, host: &str, path: &str, base_host: &str) -> bool {
        let to_base = host.eq_ignore_ascii_case(base_host);
        path_matches(path, &c.path)
            && ((to_base && crate::options::is_loopback_host(base_host))
                || match &c.domain {
                    None => to_base,
                    Some(d) => domain_matches(host, d),
                })
    }

    /// The order of a browser among cookies of one name it sends (higher first, then the earlier created):
    /// the longer path; where a loopback `base_url` host stands in for the service, a cookie api.bilibili.tv
    /// would receive before one it would not.
    fn api_key(&self, c: &Cookie, base_host: &str) -> (usize, bool) {
        let stand_in = crate::options::is_loopback_host(base_host);
        let preferred = match &c.domain {
            None => true,
            Some(d) => !stand_in || domain_matches(SERVICE_API_HOST, d),
        };
        (c.path.len(), preferred)
    }

    /// One cookie per name among those `include` takes, the names in the order first received: a later
    /// cookie of a name replaces the chosen one when `better(later, chosen)`.
    fn pick(
        &self,
        include: impl Fn(&Cookie) -> bool,
        better: impl Fn(&Cookie, &Cookie) -> bool,
    ) -> Vec<&Cookie> {
        let mut chosen: Vec<&Cookie> = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for c in self.iter().filter(|c| include(c)) {
            match by_name.get(c.name.as_str()) {
                Some(&i) => {
                    if let Some(best) = chosen.get_mut(i) {
                        if better(c, best) {
                            *best = c;
                        }
                    }
                }
                None => {
                    by_name.insert(&c.name, chosen.len());
                    chosen.push(c);
                }
            }
        }
        chosen
    }

    pub fn into_vec(self) -> Vec<Cookie> {
        self.slots.into_iter().flatten().collect()
    }
}
