//! The mainland site, bilibili.com (option `site: "main"`, ABI 3): its QR login ([`login`]), its session
//! check and logout ([`session`]), the cookie refresh ([`refresh`], with the RSA-OAEP of its `correspondPath` in `src/rsa.rs`),
//! and the device cookies ([`device`]). docs/UPSTREAM.md ("The mainland site") lists the endpoints and their
//! sources; docs/COOKIES.md says where a confirmed login's cookies come from.
//!
//! The login shares the intl flow's machinery (transport, cookie jar, ticket browser sessions, `wait`,
//! cancellation); only the endpoints, the answers and the cookie sources differ, and they live here.

pub mod device;
pub mod login;
pub mod refresh;

pub mod session;

use crate::cookies::CookieJar;
use crate::options::Options;
use crate::passport::PollCodes;
use crate::site::Site;

/// The base URL option that serves an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// `base_url` (passport.bilibili.com).
    Passport,
    /// `api_base_url` (api.bilibili.com).
    Api,
    /// `www_base_url` (www.bilibili.com).
    Www,
}

/// An endpoint of the mainland's service (and of its TV flow, `crate::tv`): the base URL option that serves
/// it, and its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub base: Base,
    pub path: &'static str,
}

impl Endpoint {
    pub const fn passport(path: &'static str) -> Endpoint {
        Endpoint {
            base: Base::Passport,
            path,
        }
    }

    pub const fn api(path: &'static str) -> Endpoint {
        Endpoint {
            base: Base::Api,
            path,
        }
    }

    pub const fn www(path: &'static str) -> Endpoint {
        Endpoint {
            base: Base::Www,
            path,
        }
    }

    /// `{base}{path}` with the base URL of `options`, and `key=value` query pairs, values percent-encoded.
    pub(crate) fn url(self, options: &Options, query: &[(&str, &str)]) -> String {
        let base = match self.base {
            Base::Passport => &options.base_url,
            Base::Api => &options.api_base_url,
            Base::Www => &options.www_base_url,
        };
        let mut out = format!("{}{}", base.as_str(), self.path);
        for (k, v) in query {
            crate::passport::push_query(&mut out, k, v);
        }
        out
    }
}

/// The endpoints of the mainland site (docs/UPSTREAM.md, "The mainland site").
pub const GENERATE: Endpoint = Endpoint::passport("/x/passport-login/web/qrcode/generate");
pub const POLL: Endpoint = Endpoint::passport("/x/passport-login/web/qrcode/poll");
pub const NAV: Endpoint = Endpoint::api("/x/web-interface/nav");
pub const COOKIE_INFO: Endpoint = Endpoint::passport("/x/passport-login/web/cookie/info");
/// The correspond page; the caller appends the RSA-OAEP path.
pub const CORRESPOND: Endpoint = Endpoint::www("/correspond/1/");
/// The refresh paths are named by the session too (its cookies.txt lines scope each token to one).
pub const COOKIE_REFRESH: Endpoint = Endpoint::passport(crate::session::COOKIE_REFRESH_PATH);
pub const CONFIRM_REFRESH: Endpoint = Endpoint::passport(crate::session::CONFIRM_REFRESH_PATH);
pub const EXIT: Endpoint = Endpoint::passport("/login/exit/v2");
pub const SPI: Endpoint = Endpoint::api("/x/frontend/finger/spi");

/// The poll's states (`data.code`).
pub const POLL_CODES: PollCodes = PollCodes {
    confirmed: 0,
    expired: 86038,
    waiting: 86101,
    scanned: 86090,
};

/// An `application/x-www-form-urlencoded` body of `key=value` pairs.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    let mut q = String::new();
    for (k, v) in pairs {
        crate::passport::push_query(&mut q, k, v);
    }
    q.trim_start_matches('?').to_owned()
}

/// The current Unix time in seconds (the session module's clock).
pub(crate) use crate::session::unix_now;

/// A cookie jar with the mainland's rules: the domains of bilibili.com, and the configured base hosts.
pub(crate) fn jar(options: &Options) -> CookieJar {
    CookieJar::for_site(
        Site::Main.domains(),
        options.base_url.host(),
        options.api_base_url.host(),
    )
}

/// A server-provided text made safe for a message: no control characters, at most 120 characters.
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}
