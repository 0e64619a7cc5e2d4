//! The passport endpoints: request URLs, and parsing of their answers into typed results.
//!
//! One concept a file: [`envelope`] reads the root object every answer shares and turns unlisted codes into
//! errors; [`qr`] parses the two QR-code endpoints and builds a confirmed login; [`account`] covers the steps
//! after a confirmation (`web/sso/list`, the gateway's `v2/user`). This file holds the public types and the
//! request URLs.

use crate::options::Options;
use crate::url::{Url, UrlError};
use serde::Serialize;
use std::cell::RefCell;

pub mod account;
pub mod envelope;
pub mod qr;
#[cfg(test)]
mod tests;

#[cfg(test)]
use account::parse_gateway_user;
pub(crate) use account::{gateway_user, UserInfo};
pub use account::{gateway_user_endpoint, parse_sso_list, sso_list_endpoint};
pub use envelope::{api_error, captcha_demanded, parse_code, parse_envelope, Envelope};
#[cfg(test)]
pub(crate) use qr::confirmed_data;
pub use qr::{finish_login, parse_fetch, parse_qr_code, qr_url_allowed, Collected, ConfirmedData};

pub const URL_PATH: &str = "/x/intl/passport-login/qrcode/auth/url";
pub const FETCH_PATH: &str = "/x/intl/passport-login/qrcode/auth/fetch";

/// The poll's states (`code`).
pub const POLL_CODES: PollCodes = PollCodes {
    confirmed: 0,
    expired: 10018100,
    waiting: 10018101,
    scanned: 10018102,
};

/// The four states of a QR login's poll as one site's service codes them.
pub struct PollCodes {
    pub confirmed: i64,
    pub expired: i64,
    pub waiting: i64,
    pub scanned: i64,
}

impl PollCodes {
    /// The state `code` stands for; `None` for any other code.
    pub fn status(&self, code: i64) -> Option<PollStatus> {
        [
            (self.confirmed, PollStatus::Confirmed),
            (self.expired, PollStatus::Expired),
            (self.waiting, PollStatus::Waiting),
            (self.scanned, PollStatus::Scanned),
        ]
        .into_iter()
        .find_map(|(c, status)| (c == code).then_some(status))
    }
}

/// A new QR code. `Debug` shows the ticket by its first 6 characters and not the URL that holds it.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct QrCode {
    pub ticket: String,
    pub qr_url: String,
    pub qr_type: String,
    /// `"main"` for a mainland QR code (ABI 3); absent for bilibili.tv.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<&'static str>,
}

impl std::fmt::Debug for QrCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrCode")
            .field("ticket", &crate::redact::shorten(&self.ticket))
            .field("qr_url", &format_args!("…"))
            .field("qr_type", &self.qr_type)
            .field("site", &self.site)
            .finish()
    }
}

/// The state of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PollStatus {
    Waiting,
    Scanned,
    Expired,
    Confirmed,
}

/// `data.user_profile` of a confirmed answer; each field `None` (JSON `null`) when it lacks its documented type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    #[serde(rename = "is_userBlankProfile")]
    pub is_user_blank_profile: Option<bool>,
    pub name: Option<String>,
    pub face: Option<String>,
}

/// What a confirmed login adds to the poll object (docs/ABI.md, "The confirmed poll object in version 2").
/// The optional fields are `None` (JSON `null`) when the answer did not give them with their documented type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Login {
    /// `data.mid` (integer or numeric string), else the number in the `DedeUserID` cookie.
    pub mid: Option<i64>,
    pub is_new: Option<bool>,
    pub go_url: Option<String>,
    pub user_profile: Option<UserProfile>,
    pub cookies: Vec<crate::cookies::Cookie>,
    pub cookie_header: String,
    /// Short English notes on each optional step that failed and each odd field; never a secret.
    pub warnings: Vec<String>,
    /// The `base_url` host: the host that set the host-only cookies (`domain: null`).
    pub host: String,
    /// With `verify_login`: whether `v2/user` accepted the new session (`false`: it could not be asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// What a mainland login adds (ABI 3): `site` and `refresh_token`; absent for bilibili.tv.
    #[serde(flatten)]
    pub site_keys: Option<SiteKeys>,
    /// What a TV login adds (ABI 3, `flow: "tv"`): `site`, `flow` and the `token`; absent otherwise.
    #[serde(flatten)]
    pub tv: Option<crate::token::TvKeys>,
}

/// The keys a site other than bilibili.tv adds to the confirmed poll object. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct SiteKeys {
    /// `"main"`.
    pub site: &'static str,
    /// The session's refresh token (`data.refresh_token`; `null` when the answer had none): a secret like
    /// SESSDATA, needed by `bili_qr_refresh`.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for SiteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteKeys")
            .field("site", &self.site)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| format_args!("…")),
            )
            .finish()
    }
}

/// The poll object of the ABI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollResult {
    pub status: PollStatus,
    pub code: i64,
    pub message: String,
    #[serde(flatten)]
    pub login: Option<Login>,
}

impl PollResult {
    pub fn to_json(&self) -> String {
        if self.login.is_none() {
            return self.to_json_short();
        }
        // Serializing plain structs of strings, integers and booleans cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// The poll object without a login (waiting, scanned, expired: every poll but the last) as serde writes
    /// it, its three members written straight into one buffer instead of through serde's map of a flattened
    /// struct.
    fn to_json_short(&self) -> String {
        let status = match self.status {
            PollStatus::Waiting => "waiting",
            PollStatus::Scanned => "scanned",
            PollStatus::Expired => "expired",
            PollStatus::Confirmed => "confirmed",
        };
        let mut out = Vec::with_capacity(48 + self.message.len() + self.message.len() / 4);
        out.extend_from_slice(b"{\"status\":\"");
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\",\"code\":");
        let mut code = [0u8; 20];
        out.extend_from_slice(decimal(self.code, &mut code));
        out.extend_from_slice(b",\"message\":");
        // A string cannot fail to serialize, and the output of serde_json is UTF-8.
        if serde_json::to_writer(&mut out, &self.message).is_err() {
            return serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"));
        }
        out.push(b'}');
        String::from_utf8(out).unwrap_or_else(|_| String::from("{}"))
    }
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 1 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'-';
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// Appends `key=value` to a query, percent-encoding the value (RFC 3986 unreserved characters pass).
pub(crate) fn push_query(out: &mut String, key: &str, value: &str) {
    out.push(if out.contains('?') { '&' } else { '?' });
    out.push_str(key);
    out.push('=');
    push_encoded(out, value);
}

/// `value` percent-encoded onto `out` (RFC 3986 unreserved characters pass).
fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    if value.bytes().all(unreserved) {
        // The usual case (a ticket, a locale): nothing to encode.
        out.push_str(value);
        return;
    }
    for b in value.bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}

/// `{base}{path}?s_locale=…&platform=…`: the URL of a passport or gateway endpoint, with the options'
/// locale and platform, as every request of a login carries them.
pub(crate) fn endpoint(base: &str, path: &str, options: &Options) -> String {
    let mut url = format!("{base}{path}");
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    url
}

pub fn url_endpoint(options: &Options) -> String {
    endpoint(options.base_url.as_str(), URL_PATH, options)
}

/// The poll's URL as text, built whole: what [`fetch_url`] is tested against.
#[cfg(test)]
pub fn fetch_endpoint(options: &Options, ticket: &str) -> String {
    let mut url = endpoint(options.base_url.as_str(), FETCH_PATH, options);
    push_query(&mut url, "ticket", ticket);
    url
}

/// [`fetch_endpoint`] as a checked URL, for a poll: the part that depends on the options alone (`base_url`,
/// the path, `s_locale` and `platform`) is built and parsed once per options set on each thread and kept;
/// a poll appends its ticket (`crate::url::Url::with_query`) without parsing the base again.
pub fn fetch_url(options: &Options, ticket: &str) -> Result<Url, UrlError> {
    /// Distinct options remembered per thread (most recently used first), as the options cache does.
    const SLOTS: usize = 4;
    struct Prefix {
        base_url: String,
        locale: String,
        platform: String,
        url: Url,
    }
    thread_local! {
        static PREFIXES: RefCell<Vec<Prefix>> = const { RefCell::new(Vec::new()) };
    }
    let mut suffix = String::with_capacity(8 + 3 * ticket.len());
    suffix.push_str("&ticket=");
    push_encoded(&mut suffix, ticket);
    let base = options.base_url.as_str();
    let hit = PREFIXES
        .try_with(|p| {
            let p = p.borrow();
            p.iter()
                .find(|e| {
                    e.base_url == base
                        && e.locale == options.locale
                        && e.platform == options.platform
                })
                .map(|e| e.url.with_query(&suffix))
        })
        .ok()
        .flatten();
    if let Some(url) = hit {
        return url;
    }
    let url = Url::parse(&endpoint(base, FETCH_PATH, options))?;
    let _ = PREFIXES.try_with(|p| {
        let mut p = p.borrow_mut();
        p.truncate(SLOTS - 1);
        p.insert(
            0,
            Prefix {
                base_url: base.to_owned(),
                locale: options.locale.clone(),
                platform: options.platform.clone(),
                url: url.clone(),
            },
        );
    });
    url.with_query(&suffix)
}
