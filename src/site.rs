//! The sites the library logs in to, and what differs between them: the default base URLs, the domains
//! whose hosts and cookies are trusted, the browser headers' Referer and Origin, and the site-only options
//! (`site`, `www_base_url`, `refresh_public_key`).
//!
//! - [`Site::Intl`], bilibili.tv (the default, and the behaviour of ABI 1 and 2): `crate::passport`,
//!   `crate::login`, `crate::session`.
//! - [`Site::Main`], bilibili.com (ABI 3): `crate::mainland`.
//!
//! A later site (an app/TV token flow, say) adds a variant here and a module beside `mainland`; the places
//! that dispatch on the site are `login::{start, poll_ticket}`, `session::{check, logout}` and
//! `mainland::refresh` (`bili_qr_refresh`).

use crate::error::{Error, Result};
use crate::options::Options;
use crate::url::parse_url_option;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A site of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Site {
    /// bilibili.tv, the international site (`"intl"`).
    #[default]
    Intl,
    /// bilibili.com, the mainland site (`"main"`).
    Main,
}

/// The domains of the mainland site: hosts under them may be followed and their cookies kept.
pub const MAIN_DOMAINS: [&str; 2] = ["bilibili.com", "biligame.com"];

pub const MAIN_BASE_URL: &str = "https://passport.bilibili.com";
pub const MAIN_API_BASE_URL: &str = "https://api.bilibili.com";
pub const MAIN_WWW_BASE_URL: &str = "https://www.bilibili.com";
/// The intl site's `www_base_url` (unused by its flows; the option is the same for both sites).
pub const INTL_WWW_BASE_URL: &str = "https://www.bilibili.tv";

pub const MAIN_REFERER: &str = "https://www.bilibili.com/";
pub const MAIN_ORIGIN: &str = "https://www.bilibili.com";

impl Site {
    /// `"intl"` or `"main"`.
    pub fn parse(s: &str) -> Option<Site> {
        match s {
            "intl" => Some(Site::Intl),
            "main" => Some(Site::Main),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Site::Intl => "intl",
            Site::Main => "main",
        }
    }

    /// The registrable domains whose hosts and cookies this site trusts.
    pub fn domains(self) -> &'static [&'static str] {
        match self {
            Site::Intl => &crate::cookies::TRUSTED_DOMAINS,
            Site::Main => &MAIN_DOMAINS,
        }
    }

    /// Whether `host` (lowercase, no brackets) is one of this site's domains or under one.
    pub fn is_site_host(self, host: &str) -> bool {
        self.domains().iter().any(|root| {
            host == *root
                || host
                    .strip_suffix(root)
                    .is_some_and(|head| head.ends_with('.') && head.len() > 1)
        })
    }

    /// The site whose domains hold `domain` (no leading dot), if any.
    pub fn of_domain(domain: &str) -> Option<Site> {
        let d = domain.trim_start_matches('.').to_ascii_lowercase();
        [Site::Intl, Site::Main]
            .into_iter()
            .find(|s| s.is_site_host(&d))
    }
}

/// Before the options are applied: a `site` key sets that site's default base URLs, which the caller's
/// `base_url`, `api_base_url` and `www_base_url` then override (whatever their order in the object).
pub(crate) fn apply_site_defaults(options: &mut Options, map: &Map<String, Value>) -> Result<()> {
    let Some(value) = map.get("site") else {
        return Ok(());
    };
    let site = value
        .as_str()
        .and_then(Site::parse)
        .ok_or_else(|| Error::argument("option site must be \"intl\" or \"main\""))?;
    options.site = site;
    if site == Site::Main {
        options.base_url = parse_url_option("base_url", MAIN_BASE_URL)?;
        options.api_base_url = parse_url_option("api_base_url", MAIN_API_BASE_URL)?;
        options.www_base_url = parse_url_option("www_base_url", MAIN_WWW_BASE_URL)?;
    }
    Ok(())
}

/// The rule of option `site` (abi/bili_qr.toml): `"intl"` or `"main"`. Its defaults were applied by
/// [`apply_site_defaults`] before the other keys.
pub(crate) fn rule_site(key: &str, value: &str) -> Result<Site> {
    Site::parse(value)
        .ok_or_else(|| Error::argument(format!("option {key} must be \"intl\" or \"main\"")))
}

/// The rule of option `refresh_public_key`: one PEM public key (SPKI or PKCS#1), at most 16 KiB.
pub(crate) fn rule_refresh_public_key(key: &str, pem: &str) -> Result<Option<String>> {
    if pem.len() > 16 * 1024 {
        return Err(Error::argument(format!(
            "option {key} is longer than 16 KiB: pass one PEM public key"
        )));
    }
    crate::mainland::rsa::PublicKey::from_pem(pem)?;
    Ok(Some(pem.to_owned()))
}

/// The options of a session call for a session of `site`: the caller's options when they are for that site;
/// else, when `options_json` does not name a site, the same options with that site's defaults. A session of
/// one site with options that name the other is an argument error.
pub(crate) fn options_for_site(
    json: Option<&str>,
    options: Arc<Options>,
    site: Site,
) -> Result<Arc<Options>> {
    if options.site == site {
        return Ok(options);
    }
    let mut map = match json.map(str::trim).filter(|t| !t.is_empty()) {
        None => Map::new(),
        Some(text) => crate::error::json_object(
            text,
            "options_json",
            "pass a JSON object such as {\"timeout_ms\":5000}",
            "options_json must be a JSON object, such as {\"timeout_ms\":5000}",
        )?,
    };
    if map.contains_key("site") {
        return Err(Error::argument(format!(
            "the session is a {} session, but option site is \"{}\": drop the site option or pass a session of that site",
            site_name(site),
            options.site.as_str()
        )));
    }
    map.insert("site".to_owned(), Value::String(site.as_str().to_owned()));
    let text = Value::Object(map).to_string();
    Options::cached(Some(&text))
}

fn site_name(site: Site) -> &'static str {
    match site {
        Site::Intl => "bilibili.tv (intl)",
        Site::Main => "bilibili.com (main)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_by_site() {
        assert!(Site::Main.is_site_host("passport.bilibili.com"));
        assert!(Site::Main.is_site_host("passport.biligame.com"));
        assert!(Site::Main.is_site_host("bilibili.com"));
        assert!(!Site::Main.is_site_host("evilbilibili.com"));
        assert!(!Site::Main.is_site_host(".bilibili.com"));
        assert!(!Site::Main.is_site_host("www.bilibili.tv"));
        assert!(Site::Intl.is_site_host("www.bilibili.tv"));
        assert!(!Site::Intl.is_site_host("www.bilibili.com"));
        assert_eq!(Site::of_domain(".bilibili.com"), Some(Site::Main));
        assert_eq!(Site::of_domain("BILIBILI.TV"), Some(Site::Intl));
        assert_eq!(Site::of_domain("example.com"), None);
    }

    #[test]
    fn site_defaults_and_overrides() {
        let o = Options::from_json(Some(r#"{"site":"main"}"#)).unwrap();
        assert_eq!(o.site, Site::Main);
        assert_eq!(o.base_url.as_str(), MAIN_BASE_URL);
        assert_eq!(o.api_base_url.as_str(), MAIN_API_BASE_URL);
        assert_eq!(o.www_base_url.as_str(), MAIN_WWW_BASE_URL);
        // Keys sort before "site" in the object and still win over its defaults.
        let o = Options::from_json(Some(
            r#"{"api_base_url":"http://127.0.0.1:9/a","base_url":"http://127.0.0.1:9","site":"main","www_base_url":"http://127.0.0.1:9/w"}"#,
        ))
        .unwrap();
        assert_eq!(o.base_url.as_str(), "http://127.0.0.1:9");
        assert_eq!(o.api_base_url.as_str(), "http://127.0.0.1:9/a");
        assert_eq!(o.www_base_url.as_str(), "http://127.0.0.1:9/w");
        let o = Options::from_json(Some(r#"{"site":"intl"}"#)).unwrap();
        assert_eq!(o, Options::default());
        for bad in [
            r#"{"site":"cn"}"#,
            r#"{"site":1}"#,
            r#"{"www_base_url":"http://example.com"}"#,
            r#"{"refresh_public_key":"not a key"}"#,
            r#"{"refresh_public_key":5}"#,
        ] {
            let e = Options::from_json(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Argument, "{bad}");
            let key = bad.split('"').nth(1).unwrap();
            assert!(e.message().contains(key), "{bad}: {}", e.message());
        }
    }

    #[test]
    fn session_options_follow_the_session_site() {
        let base = Options::cached(None).unwrap();
        let o = options_for_site(None, base, Site::Main).unwrap();
        assert_eq!(o.site, Site::Main);
        assert_eq!(o.base_url.as_str(), MAIN_BASE_URL);
        let json = r#"{"timeout_ms":5000}"#;
        let o =
            options_for_site(Some(json), Options::cached(Some(json)).unwrap(), Site::Main).unwrap();
        assert_eq!(o.timeout.as_millis(), 5000);
        assert_eq!(o.site, Site::Main);
        let json = r#"{"site":"intl"}"#;
        let e = options_for_site(Some(json), Options::cached(Some(json)).unwrap(), Site::Main)
            .unwrap_err();
        assert!(e.message().contains("site"));
    }
}
