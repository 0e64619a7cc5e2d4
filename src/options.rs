//! Options: the `options_json` object of the ABI, parsed and range-checked up front (libcurl style).
//!
//! The table of options (the `Options` struct, its defaults, each key's JSON type, range and rule) is
//! generated from abi/bili_qr.toml into `options/table.rs`; this file holds the parsing and the rules the
//! table names (`rules::*`; the URL rules are in crate::url).

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::sync::Arc;

mod flow;
mod per_site;
mod table;

pub(crate) use self::flow::{rule_app_key, rule_app_secret, rule_flow};
pub use self::flow::{Flow, Secret};
pub(crate) use self::per_site::options_for_site;

pub use self::table::Options;
pub use crate::url::{is_loopback_host, parse_base_url, BaseUrl};

pub const DEFAULT_BASE_URL: &str = "https://passport.bilibili.tv";
pub const DEFAULT_API_BASE_URL: &str = "https://api.bilibili.tv";

/// Where requests go through. `Debug` shows a proxy URL without its user info (the proxy's login).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum ProxySetting {
    /// The standard proxy environment variables (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
    /// Never used for a loopback `base_url`.
    FromEnvironment,
    /// No proxy at all (`"proxy": ""`).
    Direct,
    /// This proxy URL (`http://`, `https://` or `socks5://`).
    Url(String),
}

impl std::fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxySetting::FromEnvironment => f.write_str("FromEnvironment"),
            ProxySetting::Direct => f.write_str("Direct"),
            ProxySetting::Url(url) => f
                .debug_tuple("Url")
                .field(&crate::url::without_user_info(url))
                .finish(),
        }
    }
}

impl Options {
    /// Parses `options_json`: `None`, `""` and `"{}"` give the defaults. An unknown key, a wrong type or an
    /// out-of-range value is an argument error naming the key.
    pub fn from_json(json: Option<&str>) -> Result<Options> {
        let mut options = Options::default();
        let text = match json {
            None => return Ok(options),
            Some(t) if t.trim().is_empty() => return Ok(options),
            Some(t) => t,
        };
        let map = crate::error::json_object(
            text,
            "options_json",
            "pass a JSON object such as {\"timeout_ms\":5000}",
            "options_json must be a JSON object, such as {\"timeout_ms\":5000}",
        )?;
        per_site::apply_site_defaults(&mut options, &map)?;
        options.apply(&map)?;
        flow::validate(&options)?;
        Ok(options)
    }

    /// [`Options::from_json`] behind a small per-thread cache keyed by the exact text: a program polling
    /// every few seconds passes the same options string each time, and parsing it (JSON, then the base URL)
    /// cost about a sixth of a loopback poll. Only valid options are cached; an error is computed afresh.
    pub fn cached(json: Option<&str>) -> Result<Arc<Options>> {
        /// Distinct options strings remembered per thread (most recently used first).
        const SLOTS: usize = 4;
        static DEFAULT: once_cell::sync::Lazy<Arc<Options>> =
            once_cell::sync::Lazy::new(|| Arc::new(Options::default()));
        thread_local! {
            static CACHE: RefCell<Vec<(Box<str>, Arc<Options>)>> = const { RefCell::new(Vec::new()) };
        }
        let text = match json {
            None => return Ok(DEFAULT.clone()),
            Some(t) if t.trim().is_empty() => return Ok(DEFAULT.clone()),
            Some(t) => t,
        };
        let hit = CACHE
            .try_with(|cache| {
                let mut cache = cache.borrow_mut();
                let i = cache.iter().position(|(key, _)| &**key == text)?;
                let entry = cache.remove(i);
                let options = entry.1.clone();
                cache.insert(0, entry);
                Some(options)
            })
            .ok()
            .flatten();
        if let Some(options) = hit {
            return Ok(options);
        }
        let options = Arc::new(Options::from_json(Some(text))?);
        let _ = CACHE.try_with(|cache| {
            let mut cache = cache.borrow_mut();
            cache.truncate(SLOTS - 1);
            cache.insert(0, (text.into(), options.clone()));
        });
        Ok(options)
    }

    fn apply(&mut self, map: &Map<String, Value>) -> Result<()> {
        for (key, value) in map {
            if !self.set(key, value)? {
                let shown: String = key.chars().take(40).filter(|c| !c.is_control()).collect();
                return Err(Error::argument(format!(
                    "unknown option \"{shown}\": the options are {}",
                    table::KEYS
                )));
            }
        }
        Ok(())
    }
}
/// The checks the option table names: the JSON type and range of a value (`string`, `integer`, `boolean`),
/// then the rule of each option (`rust.rule` in abi/bili_qr.toml), which checks the value and makes the field.
/// A rule takes the key (for its message) and the value already of the table's type.
pub(crate) mod rules {
    use super::ProxySetting;
    use crate::error::{Error, Result};
    use serde_json::Value;
    use std::time::Duration;

    pub(crate) fn string<'a>(key: &str, value: &'a Value) -> Result<&'a str> {
        value
            .as_str()
            .ok_or_else(|| Error::argument(format!("option {key} must be a string")))
    }

    pub(crate) fn integer(key: &str, value: &Value, min: u64, max: u64) -> Result<u64> {
        let n = value.as_u64().filter(|n| (min..=max).contains(n));
        n.ok_or_else(|| {
            if value.is_number() {
                Error::argument(format!(
                    "option {key} must be an integer from {min} to {max}"
                ))
            } else {
                Error::argument(format!(
                    "option {key} must be an integer (from {min} to {max})"
                ))
            }
        })
    }

    pub(crate) fn boolean(key: &str, value: &Value) -> Result<bool> {
        value
            .as_bool()
            .ok_or_else(|| Error::argument(format!("option {key} must be true or false")))
    }

    /// Milliseconds (the range is the table's).
    pub(crate) fn millis(_key: &str, ms: u64) -> Result<Duration> {
        Ok(Duration::from_millis(ms))
    }

    /// A count (the range is the table's, within u32).
    pub(crate) fn count(key: &str, n: u64) -> Result<u32> {
        u32::try_from(n).map_err(|_| Error::argument(format!("option {key} is too large")))
    }

    pub(crate) fn flag(_key: &str, on: bool) -> Result<bool> {
        Ok(on)
    }

    /// 1 to 16 characters of `A-Z a-z 0-9 _ -` (locale, platform).
    pub(crate) fn token(key: &str, s: &str) -> Result<String> {
        if s.is_empty()
            || s.len() > 16
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::argument(format!(
                "option {key} must be 1 to 16 characters of A-Z a-z 0-9 _ -"
            )));
        }
        Ok(s.to_owned())
    }

    /// 1 to 512 printable ASCII characters (`None`, the default, is the browser identity of the transport).
    pub(crate) fn user_agent(key: &str, ua: &str) -> Result<Option<String>> {
        if ua.is_empty() || ua.len() > 512 || !ua.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(Error::argument(format!(
                "option {key} must be 1 to 512 printable ASCII characters"
            )));
        }
        Ok(Some(ua.to_owned()))
    }

    /// A file path: 1 to 4096 bytes without NUL (whether it can be read is checked where it is used).
    pub(crate) fn path(key: &str, path: &str) -> Result<Option<String>> {
        if path.is_empty() || path.len() > 4096 || path.contains('\0') {
            return Err(Error::argument(format!(
                "option {key} must be the path of a PEM file (1 to 4096 bytes)"
            )));
        }
        Ok(Some(path.to_owned()))
    }

    /// A proxy URL, or `""` for none.
    pub(crate) fn proxy(_key: &str, s: &str) -> Result<ProxySetting> {
        super::parse_proxy(s)
    }
}

fn parse_proxy(s: &str) -> Result<ProxySetting> {
    if s.is_empty() {
        return Ok(ProxySetting::Direct);
    }
    let lower = s.to_ascii_lowercase();
    let scheme_ok = ["http://", "https://", "socks5://", "socks5h://"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len());
    if !scheme_ok || s.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(Error::argument(
            "option proxy must be an http://, https://, socks5:// or socks5h:// URL, or \"\" for no proxy",
        ));
    }
    crate::url::check_proxy_authority(s).map_err(|e| {
        Error::argument(format!(
            "option proxy is not a valid proxy URL: {}",
            e.reason()
        ))
    })?;
    ureq::Proxy::new(s).map_err(|_| Error::argument("option proxy is not a valid proxy URL"))?;
    Ok(ProxySetting::Url(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let o = Options::from_json(None).unwrap();
        assert_eq!(o, Options::from_json(Some("{}")).unwrap());
        assert_eq!(o, Options::from_json(Some("")).unwrap());
        assert_eq!(o.base_url.as_str(), "https://passport.bilibili.tv");
        assert_eq!(o.max_retries, 3);
    }

    #[test]
    fn debug_hides_the_proxy_login() {
        for (proxy, shown) in [
            (
                "http://user:hunter2pass@127.0.0.1:8080",
                "http://…@127.0.0.1:8080",
            ),
            (
                "socks5h://user:hunter2pass@proxy.example:1080/",
                "socks5h://…@proxy.example:1080/",
            ),
            (
                "http://user:hunter2@pass@127.0.0.1:8080",
                "http://…@127.0.0.1:8080",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("user:hunter2pass@127.0.0.1:8080", "…@127.0.0.1:8080"),
        ] {
            let text = format!("{:?}", ProxySetting::Url(proxy.into()));
            assert_eq!(text, format!("Url({shown:?})"));
        }
        let o = Options::from_json(Some(
            r#"{"proxy":"http://user:hunter2pass@127.0.0.1:8080"}"#,
        ))
        .unwrap();
        let text = format!("{o:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("user:"),
            "{text}"
        );
        assert!(
            text.contains("proxy: Url(\"http://…@127.0.0.1:8080\")"),
            "{text}"
        );
    }

    #[test]
    fn cached_matches_from_json() {
        let texts = [
            None,
            Some(""),
            Some(r#"{"timeout_ms":5000}"#),
            Some(r#"{"locale":"th_TH"}"#),
            Some(r#"{"platform":"android"}"#),
            Some(r#"{"max_retries":7}"#),
            Some(r#"{"base_url":"http://127.0.0.1:9/x/"}"#),
        ];
        // Twice round, with more distinct strings than slots: hits, misses and evictions all agree.
        for _ in 0..2 {
            for text in texts {
                let cached = Options::cached(text).unwrap();
                assert_eq!(*cached, Options::from_json(text).unwrap(), "{text:?}");
            }
        }
        for _ in 0..2 {
            let e = Options::cached(Some(r#"{"timeout_ms":0}"#)).unwrap_err();
            assert!(e.message().contains("timeout_ms"));
        }
    }

    #[test]
    fn base_urls() {
        let b = parse_base_url("http://127.0.0.1:8080/s/x/").unwrap();
        assert_eq!(b.as_str(), "http://127.0.0.1:8080/s/x");
        assert!(b.is_loopback());
        assert!(parse_base_url("http://[::1]:80").unwrap().is_loopback());
        assert!(parse_base_url("http://LOCALHOST:1").is_ok());
        assert!(parse_base_url("http://example.com").is_err());
        assert!(parse_base_url("https://example.com/?a").is_err());
        assert!(parse_base_url("https://example.com/#a").is_err());
        assert!(parse_base_url("https://u:p@example.com/").is_err());
        assert!(parse_base_url("ftp://example.com/").is_err());
        assert!(parse_base_url("https://").is_err());
        assert!(parse_base_url("http://127.1.2.3").is_ok());
        assert!(parse_base_url("http://128.0.0.1").is_err());
        for port in [":99999", ":65616", ":-1", ":0"] {
            let e = parse_base_url(&format!("http://127.0.0.1{port}")).unwrap_err();
            assert!(e.message().contains("port"), "{port}: {}", e.message());
        }
    }

    #[test]
    fn ranges_name_the_key() {
        for (json, key) in [
            (r#"{"timeout_ms":0}"#, "timeout_ms"),
            (r#"{"timeout_ms":600001}"#, "timeout_ms"),
            (r#"{"timeout_ms":1.5}"#, "timeout_ms"),
            (r#"{"poll_interval_ms":99}"#, "poll_interval_ms"),
            (r#"{"wait_timeout_ms":999}"#, "wait_timeout_ms"),
            (r#"{"max_retries":101}"#, "max_retries"),
            (r#"{"max_retries":-1}"#, "max_retries"),
            (r#"{"locale":"en US"}"#, "locale"),
            (r#"{"platform":""}"#, "platform"),
            (r#"{"user_agent":"é"}"#, "user_agent"),
            (r#"{"proxy":"ftp://x"}"#, "proxy"),
            (r#"{"proxy":"socks5h://127.0.0.1:99999"}"#, "proxy"),
            (
                r#"{"api_base_url":"http://127.0.0.1:65616"}"#,
                "api_base_url",
            ),
            (r#"{"base_url":5}"#, "base_url"),
            (r#"{"bogus":1}"#, "bogus"),
            (r#"{"api_base_url":"http://example.com"}"#, "api_base_url"),
            (r#"{"verify_login":1}"#, "verify_login"),
            (r#"{"ca_file":""}"#, "ca_file"),
        ] {
            let e = Options::from_json(Some(json)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Argument);
            assert!(e.message().contains(key), "{json}: {}", e.message());
        }
        assert!(Options::from_json(Some("[1]")).is_err());
        assert!(Options::from_json(Some("{")).is_err());
    }
}
