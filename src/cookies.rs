//! Session cookies: `Set-Cookie` parsing (by the `cookie` crate, values kept exactly as sent), the domain
//! filter, deletions, and the merge rules of the ABI.

use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;

/// The cookies a confirmed login must carry.
pub const REQUIRED: [&str; 3] = ["SESSDATA", "bili_jct", "DedeUserID"];

/// The registrable domains whose cookies (and whose hosts, for `go_url`) are accepted, beside the
/// `base_url` host.
pub const TRUSTED_DOMAINS: [&str; 2] = ["bilibili.tv", "biliintl.com"];

/// One session cookie, as handed to callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// Without a leading dot; `None` when the header had no Domain attribute.
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
    domain.len() > root.len()
        && domain.as_bytes()[domain.len() - root.len() - 1] == b'.'
        && domain[domain.len() - root.len()..].eq_ignore_ascii_case(root)
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

/// The cookies of one login, in the order received; a later cookie of the same name replaces an earlier one
/// in place, and a deletion removes it.
#[derive(Debug, Default, Clone)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// Applies one `Set-Cookie` header value. Headers that do not parse, or whose Domain is foreign, are ignored.
    pub fn apply_set_cookie(&mut self, header: &str, base_host: &str, now: i64) {
        let Ok(parsed) = cookie::Cookie::parse(header) else {
            return;
        };
        // The cookie crate strips one leading dot; `Domain=..bilibili.tv` keeps another: drop them all.
        let domain = parsed
            .domain()
            .map(|d| d.trim_start_matches('.').to_ascii_lowercase());
        if let Some(d) = &domain {
            if !is_trusted(d, base_host) {
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
            self.remove(parsed.name());
            return;
        }
        self.insert(Cookie {
            name: parsed.name().to_owned(),
            value: parsed.value().to_owned(),
            domain,
            // An empty or relative Path attribute counts as absent (RFC 6265 5.2.4).
            path: parsed
                .path()
                .filter(|p| p.starts_with('/'))
                .unwrap_or("/")
                .to_owned(),
            expires,
            secure: parsed.secure().unwrap_or(false),
            http_only: parsed.http_only().unwrap_or(false),
        });
    }

    /// Applies `data.cookie_info` (`{"cookies":[{"name","value","http_only","expires","secure"}],"domains":[…]}`).
    pub fn apply_cookie_info(&mut self, info: &Value, base_host: &str, now: i64) -> Result<()> {
        let bad = |what: &str| {
            Error::protocol(format!(
                "the confirmed answer's data.cookie_info is not the expected shape ({what}): the service changed; please report it"
            ))
        };
        let cookies = info
            .get("cookies")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no cookies array"))?;
        let domain = info
            .get("domains")
            .and_then(Value::as_array)
            .and_then(|d| d.iter().find_map(Value::as_str))
            .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
            .filter(|d| is_trusted(d, base_host));
        for item in cookies {
            let name = item.get("name").and_then(Value::as_str);
            let value = item.get("value").and_then(Value::as_str);
            let (Some(name), Some(value)) = (name, value) else {
                return Err(bad("an entry without a string name and value"));
            };
            if name.is_empty() {
                return Err(bad("an entry with an empty name"));
            }
            let flag = |key: &str| match item.get(key) {
                Some(Value::Bool(b)) => *b,
                Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
                _ => false,
            };
            let expires = item
                .get("expires")
                .and_then(Value::as_i64)
                .filter(|&e| e != 0);
            if matches!(expires, Some(e) if e <= now) {
                self.remove(name);
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
        Ok(())
    }

    fn insert(&mut self, cookie: Cookie) {
        match self.cookies.iter_mut().find(|c| c.name == cookie.name) {
            Some(slot) => *slot = cookie,
            None => self.cookies.push(cookie),
        }
    }

    fn remove(&mut self, name: &str) {
        self.cookies.retain(|c| c.name != name);
    }

    pub fn get(&self, name: &str) -> Option<&Cookie> {
        self.cookies.iter().find(|c| c.name == name)
    }

    /// The names of the required cookies this jar lacks.
    pub fn missing_required(&self) -> Vec<&'static str> {
        REQUIRED
            .iter()
            .copied()
            .filter(|n| !self.get(n).is_some_and(|c| !c.value.is_empty()))
            .collect()
    }

    /// `name=value` pairs joined by `"; "`, in the order received.
    pub fn cookie_header(&self) -> String {
        let mut out = String::new();
        for c in &self.cookies {
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
        self.cookies
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

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
        let names: Vec<_> = jar.cookies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["SESSDATA", "bili_jct", "DedeUserID", "sid", "h"]);
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
        assert_eq!(jar.missing_required(), REQUIRED.to_vec());
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

    #[test]
    fn domain_matching() {
        assert!(domain_matches("bilibili.tv", "bilibili.tv"));
        assert!(domain_matches(".bilibili.tv", "bilibili.tv"));
        assert!(domain_matches("a.b.bilibili.tv", "bilibili.tv"));
        assert!(!domain_matches("xbilibili.tv", "bilibili.tv"));
        assert!(!domain_matches("tv", "bilibili.tv"));
        assert!(is_trusted("www.biliintl.com", "x"));
    }
}
