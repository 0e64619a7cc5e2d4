//! Saved sessions: the `session` argument of the ABI's session functions (docs/ABI.md, "The session
//! argument"), read from any of its forms, written in any of the formats of `bili_qr_session_convert`, and
//! asked about (`bili_qr::check`) or ended (`bili_qr::logout`).
//!
//! A [`Session`] holds the service's cookies only: a cookie whose domain is neither under bilibili.tv /
//! biliintl.com nor a loopback host (the fake server of the tests) is dropped when a session is read, and so
//! is one whose name or value a `Cookie` header cannot carry. Cookies are unique by name (a later one
//! replaces an earlier one in place, as in the poll object). Nothing here ever puts a cookie value into a
//! message.

pub mod file;
mod format;
mod parse;
mod remote;

pub(crate) use format::to_json_with_status;
pub use format::SessionFormat;
pub(crate) use remote::{
    check_intl, check_result, logout_intl, merge_cookies, redact, service_header, session_scope,
    unix_now,
};
pub use remote::{CheckResult, CheckStatus, LogoutResult, LogoutStatus};

use crate::cookies::Cookie;
use crate::error::{Error, Result};

/// The longest session text read (1 MiB), as for the service's answers.
pub const MAX_SESSION: usize = 1 << 20;
/// The host of host-only cookies when the session does not say.
pub const DEFAULT_HOST: &str = "passport.bilibili.tv";

/// A saved login: its cookies, the account number and the host of its host-only cookies. `Debug` shows
/// no secret: cookie values and tokens are `…`.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The account (`mid`): from the session object or poll object, else the number in `DedeUserID`.
    pub mid: Option<i64>,
    /// The host that set the host-only cookies (`domain: None`), lowercase.
    pub host: String,
    /// In the order received, unique by name.
    pub cookies: Vec<Cookie>,
    /// The site the session says it is of (ABI 3): its `site` key, else the domain of its `SESSDATA`
    /// cookie; `None` when neither says (a Cookie header, host-only cookies): the options' `site` decides.
    pub site: Option<crate::site::Site>,
    /// The mainland refresh token (`refresh_token`; `ac_time_value` in a cookies.txt or Cookie header).
    /// A secret like SESSDATA; never part of a `Cookie` header the library sends or writes.
    pub refresh_token: Option<String>,
    /// After `bili_qr_refresh`, the old session's refresh token, which `bili_qr_refresh_confirm` retires.
    pub previous_refresh_token: Option<String>,
    /// A TV/app login's token (`token` in the session object; `crate::tv`): such a session is checked and
    /// renewed by its token. Carried by the JSON form only, never by a Cookie header or cookies.txt.
    pub token: Option<crate::token::AppToken>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |t: &Option<String>| t.as_ref().map(|_| format_args!("…"));
        f.debug_struct("Session")
            .field("mid", &self.mid)
            .field("host", &self.host)
            .field("cookies", &self.cookies)
            .field("site", &self.site)
            .field("refresh_token", &hidden(&self.refresh_token))
            .field(
                "previous_refresh_token",
                &hidden(&self.previous_refresh_token),
            )
            .field("token", &self.token)
            .finish()
    }
}

/// The names under which a cookies.txt (or a Cookie header) carries the refresh tokens: `ac_time_value`
/// as BBDownT (and the web's localStorage) names it, and the pending confirmation's old token.
pub const REFRESH_TOKEN_NAME: &str = "ac_time_value";
pub const PREVIOUS_REFRESH_TOKEN_NAME: &str = "bili_qr_previous_ac_time_value";
/// The mainland endpoint that takes [`REFRESH_TOKEN_NAME`] (the cookie refresh).
pub const COOKIE_REFRESH_PATH: &str = "/x/passport-login/web/cookie/refresh";
/// The mainland endpoint that takes [`PREVIOUS_REFRESH_TOKEN_NAME`] (the refresh's confirmation).
pub const CONFIRM_REFRESH_PATH: &str = "/x/passport-login/web/confirm/refresh";

impl Session {
    /// The site this session is of under `options`: its own, else the options'.
    pub fn site_or(&self, options: &crate::options::Options) -> crate::site::Site {
        self.site.unwrap_or(options.site)
    }

    /// Marks the session as the mainland site's (it says so, holds a TV/app token, or its site came from the
    /// options): a host still at the default, bilibili.tv's, becomes the mainland passport host.
    pub(crate) fn mark_main(&mut self) {
        self.site = Some(crate::site::Site::Main);
        if self.host == DEFAULT_HOST {
            crate::site::MAIN_BASE_URL
                .trim_start_matches("https://")
                .clone_into(&mut self.host);
        }
    }
}

impl Session {
    /// Reads a session in any form of the ABI: a confirmed poll object or a session object (JSON), the
    /// text of a Netscape cookies.txt, or a `Cookie` header value. Empty, over 1 MiB, broken JSON, or
    /// without a `SESSDATA` cookie: an argument error that quotes no cookie value.
    pub fn parse(text: &str) -> Result<Session> {
        parse::parse(text)
    }

    /// The cookie called `name`.
    pub fn get(&self, name: &str) -> Option<&Cookie> {
        self.cookies.iter().find(|c| c.name == name)
    }

    /// `name=value` pairs joined by `"; "`, in order (the `Cookie` header value).
    pub fn cookie_header(&self) -> String {
        crate::cookies::header_of(&self.cookies)
    }

    /// Writes the session in `format`.
    pub fn write(&self, format: SessionFormat) -> String {
        match format {
            SessionFormat::Json => format::to_json(self, None),
            SessionFormat::Header => self.cookie_header(),
            SessionFormat::Netscape => format::to_netscape(self),
        }
    }

    /// Replaces the cookie of the same name in place, or appends it.
    pub(crate) fn insert(&mut self, cookie: Cookie) {
        match self.cookies.iter_mut().find(|c| c.name == cookie.name) {
            Some(slot) => *slot = cookie,
            None => self.cookies.push(cookie),
        }
    }

    /// An error for a session that lacks `name`, naming what to pass instead.
    fn lacks(name: &str, dropped: usize) -> Error {
        let note = if dropped > 0 {
            format!(
                " ({dropped} cookie(s) were dropped: a name or value a Cookie header cannot carry, or a domain outside the service)"
            )
        } else {
            String::new()
        };
        Error::argument(format!(
            "session has no {name} cookie{note}: pass the confirmed poll object of a login, a session object, the text of a cookies.txt, or a Cookie header"
        ))
    }
}

/// Reads `text` as a session and writes it in `format` (`"json"`, `"header"` or `"netscape"`).
pub fn convert(text: &str, format: &str) -> Result<String> {
    let format = SessionFormat::parse(format)?;
    Ok(Session::parse(text)?.write(format))
}

/// Whether a cookie can be part of a session: a name and value a `Cookie` header can carry (the jar's
/// rules, `crate::cookies`), 4096 bytes at most for the pair.
pub(crate) fn valid_cookie(name: &str, value: &str) -> bool {
    crate::cookies::valid_name(name)
        && crate::cookies::valid_value(value)
        && name.len() + 1 + value.len() <= 4096
}

/// Whether cookies of `domain` (no leading dot, lowercase) belong in a session: the service's domains, or
/// a loopback host (a test server standing in for them).
pub(crate) fn service_domain(domain: &str) -> bool {
    crate::site::Site::Intl.is_site_host(domain)
        || crate::site::Site::Main.is_site_host(domain)
        || crate::options::is_loopback_host(domain)
}

#[cfg(test)]
mod tests;
