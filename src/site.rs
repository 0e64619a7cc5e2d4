//! The sites the library logs in to, and what differs between them: the default base URLs, the domains
//! whose hosts and cookies are trusted, the browser headers' Referer and Origin, and the site-only options
//! (`site`, `www_base_url`, `refresh_public_key`).
//!
//! - [`Site::Intl`], bilibili.tv (the default, and the behaviour of ABI 1 and 2): `crate::passport`,
//!   `crate::login`, `crate::session`.
//! - [`Site::Main`], bilibili.com (ABI 3): `crate::mainland`.
//!
//! A later site adds a variant here and a module beside `mainland`; the one place that dispatches on the
//! site (and the mainland's TV flow, `crate::tv`) is `crate::api`. This module uses no other that knows a
//! site's flow: options, transport, cookies and sessions read the site from here.

use crate::error::{Error, Result};
use ureq::http::header::{self, HeaderName, HeaderValue};

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

/// Hosts of the mainland site that messages may name.
pub const MAIN_KNOWN_HOSTS: [&str; 5] = [
    "passport.bilibili.com",
    "api.bilibili.com",
    "www.bilibili.com",
    "bilibili.com",
    "passport.biligame.com",
];

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

    /// The site's Referer and Origin in place of bilibili.tv's in the browser headers (without them the
    /// mainland's `qrcode/generate` can answer HTTP 412). Nothing changes for bilibili.tv.
    pub(crate) fn browser_headers(self, headers: &mut [(HeaderName, HeaderValue)]) {
        if self != Site::Main {
            return;
        }
        for (name, value) in headers.iter_mut() {
            if *name == header::REFERER {
                *value = HeaderValue::from_static(MAIN_REFERER);
            } else if *name == header::ORIGIN {
                *value = HeaderValue::from_static(MAIN_ORIGIN);
            }
        }
    }

    /// Whether a followed chain may also reach the configured `www_base_url` (beside `base_url` and
    /// `api_base_url`): the mainland's pages are there.
    pub(crate) fn follows_www(self) -> bool {
        self == Site::Main
    }

    /// Whether messages may name `host`: for the mainland, the `www_base_url` host (`www_host`) and
    /// [`MAIN_KNOWN_HOSTS`].
    pub(crate) fn names_host(self, www_host: &str, host: &str) -> bool {
        self == Site::Main && (host == www_host || MAIN_KNOWN_HOSTS.contains(&host))
    }
}

/// The rule of option `site` (abi/bili_qr.toml): `"intl"` or `"main"`. Its defaults were applied by
/// `options::per_site::apply_site_defaults` before the other keys.
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
    crate::rsa::PublicKey::from_pem(pem)?;
    Ok(Some(pem.to_owned()))
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
        assert!(Site::Intl.is_site_host("bilibili.tv"));
        assert!(Site::Intl.is_site_host("a.b.biliintl.com"));
        assert!(!Site::Intl.is_site_host("notbilibili.tv"));
        assert!(!Site::Intl.is_site_host(".bilibili.tv"));
        assert!(!Site::Intl.is_site_host("bilibili.tv.evil.com"));
        assert_eq!(Site::of_domain(".bilibili.com"), Some(Site::Main));
        assert_eq!(Site::of_domain("BILIBILI.TV"), Some(Site::Intl));
        assert_eq!(Site::of_domain("example.com"), None);
    }
}
