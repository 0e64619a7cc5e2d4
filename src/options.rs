//! Options: the `options_json` object of the ABI, parsed and range-checked up front (libcurl style).

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://passport.bilibili.tv";
pub const DEFAULT_API_BASE_URL: &str = "https://api.bilibili.tv";
pub const DEFAULT_USER_AGENT: &str = crate::transport::identity::USER_AGENT;

/// Where requests go through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProxySetting {
    /// The standard proxy environment variables (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
    /// Never used for a loopback `base_url`.
    FromEnvironment,
    /// No proxy at all (`"proxy": ""`).
    Direct,
    /// This proxy URL (`http://`, `https://` or `socks5://`).
    Url(String),
}

/// A validated `base_url`: scheme and authority plus an optional path prefix, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    url: String,
    host: String,
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
}

/// Every option of the ABI, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Options {
    pub base_url: BaseUrl,
    pub locale: String,
    pub platform: String,
    pub timeout: Duration,
    pub user_agent: String,
    pub proxy: ProxySetting,
    pub poll_interval: Duration,
    pub wait_timeout: Duration,
    pub max_retries: u32,
    /// Where `bili_qr_check` and `verify_login` ask (`api_base_url`): same rules as `base_url`.
    pub api_base_url: BaseUrl,
    /// Check a confirmed login with the gateway's `v2/user` before handing it out (`verify_login`).
    pub verify_login: bool,
    /// A PEM file whose certificates are trusted in addition to the system's roots (`ca_file`).
    pub ca_file: Option<String>,
    /// The site (`site`, ABI 3): its defaults are applied before the other keys (`crate::site`).
    pub site: crate::site::Site,
    /// Where the mainland refresh's correspond page is asked (`www_base_url`, ABI 3): same rules as `base_url`.
    pub www_base_url: BaseUrl,
    /// The PEM public key of the mainland cookie refresh (`refresh_public_key`, ABI 3); `None`: the published key.
    pub refresh_public_key: Option<String>,
    /// The TV/app token flow's options (`flow`, `app_key`, `app_secret`; `crate::tv`, ABI 3).
    pub tv: crate::tv::TvOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            base_url: parse_base_url(DEFAULT_BASE_URL).expect("the default base_url is valid"),
            locale: "en_US".into(),
            platform: "web".into(),
            timeout: Duration::from_millis(10_000),
            user_agent: DEFAULT_USER_AGENT.into(),
            proxy: ProxySetting::FromEnvironment,
            poll_interval: Duration::from_millis(2_000),
            wait_timeout: Duration::from_millis(300_000),
            max_retries: 3,
            api_base_url: parse_base_url(DEFAULT_API_BASE_URL)
                .expect("the default api_base_url is valid"),
            verify_login: false,
            ca_file: None,
            site: crate::site::Site::Intl,
            www_base_url: parse_base_url(crate::site::INTL_WWW_BASE_URL)
                .expect("the default www_base_url is valid"),
            refresh_public_key: None,
            tv: crate::tv::TvOptions::default(),
        }
    }
}

const KEYS: &str = "base_url, locale, platform, timeout_ms, user_agent, proxy, poll_interval_ms, wait_timeout_ms, max_retries, api_base_url, verify_login, ca_file";
/// The whole list an unknown key's error names: [`KEYS`], then the site options (`crate::site`).
fn all_keys() -> String {
    format!(
        "{KEYS}, {}, {}",
        crate::site::OPTION_KEYS,
        crate::tv::OPTION_KEYS
    )
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
        crate::site::apply_site_defaults(&mut options, &map)?;
        options.apply(&map)?;
        crate::tv::validate(&options)?;
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
            match key.as_str() {
                "base_url" => self.base_url = parse_base_url(string(key, value)?)?,
                "locale" => self.locale = token(key, value)?,
                "platform" => self.platform = token(key, value)?,
                "timeout_ms" => self.timeout = millis(key, value, 1, 600_000)?,
                "user_agent" => {
                    let ua = string(key, value)?;
                    if ua.is_empty()
                        || ua.len() > 512
                        || !ua.bytes().all(|b| (0x20..0x7f).contains(&b))
                    {
                        return Err(Error::argument(
                            "option user_agent must be 1 to 512 printable ASCII characters",
                        ));
                    }
                    self.user_agent = ua.to_owned();
                }
                "proxy" => self.proxy = parse_proxy(string(key, value)?)?,
                "poll_interval_ms" => self.poll_interval = millis(key, value, 100, 60_000)?,
                "wait_timeout_ms" => self.wait_timeout = millis(key, value, 1_000, 3_600_000)?,
                "max_retries" => self.max_retries = integer(key, value, 0, 100)? as u32,
                "api_base_url" => self.api_base_url = parse_url_option(key, string(key, value)?)?,
                "verify_login" => {
                    self.verify_login = value.as_bool().ok_or_else(|| {
                        Error::argument(format!("option {key} must be true or false"))
                    })?
                }
                "ca_file" => {
                    let path = string(key, value)?;
                    if path.is_empty() || path.len() > 4096 || path.contains('\0') {
                        return Err(Error::argument(
                            "option ca_file must be the path of a PEM file (1 to 4096 bytes)",
                        ));
                    }
                    self.ca_file = Some(path.to_owned());
                }
                "site" | "www_base_url" | "refresh_public_key" => {
                    crate::site::apply_option(self, key, value)?
                }
                "flow" | "app_key" | "app_secret" => crate::tv::apply_option(self, key, value)?,
                _ => {
                    let shown: String = key.chars().take(40).filter(|c| !c.is_control()).collect();
                    return Err(Error::argument(format!(
                        "unknown option \"{shown}\": the options are {}",
                        all_keys()
                    )));
                }
            }
        }
        Ok(())
    }
}

fn string<'a>(key: &str, value: &'a Value) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| Error::argument(format!("option {key} must be a string")))
}

fn integer(key: &str, value: &Value, min: u64, max: u64) -> Result<u64> {
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

fn millis(key: &str, value: &Value, min: u64, max: u64) -> Result<Duration> {
    integer(key, value, min, max).map(Duration::from_millis)
}

fn token(key: &str, value: &Value) -> Result<String> {
    let s = string(key, value)?;
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
pub fn parse_base_url(s: &str) -> Result<BaseUrl> {
    parse_url_option("base_url", s)
}

/// [`parse_base_url`] for an option named `key` (`base_url`, `api_base_url`): errors name that key.
pub fn parse_url_option(key: &str, s: &str) -> Result<BaseUrl> {
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
    let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, &s[s.len() - rest.len()..])
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, &s[s.len() - rest.len()..])
    } else {
        return Err(bad("has another scheme than https:// or http://"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad("has user info"));
    }
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    let uri: ureq::http::Uri = s.parse().map_err(|_| bad("is not a valid URL"))?;
    // Host and port as every request URL is checked (a port out of 1..65535 is refused, not defaulted).
    crate::url::Url::parse(s).map_err(|e| bad(&format!("is refused ({})", e.reason())))?;
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
    Ok(BaseUrl {
        url: format!("{scheme}://{}{path}", authority.to_ascii_lowercase()),
        host,
        loopback,
    })
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
