//! The passport endpoints: request URLs, and parsing of their answers into typed results.
//!
//! One concept a file: [`envelope`] reads the root object every answer shares and turns unlisted codes into
//! errors; [`qr`] parses the two QR-code endpoints and builds a confirmed login; [`account`] covers the steps
//! after a confirmation (`web/sso/list`, the gateway's `v2/user`). This file holds the public types and the
//! request URLs.

use crate::options::Options;
use serde::Serialize;

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

/// A new QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrCode {
    pub ticket: String,
    pub qr_url: String,
    pub qr_type: String,
    /// `"main"` for a mainland QR code (ABI 3); absent for bilibili.tv.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<&'static str>,
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
    pub tv: Option<crate::tv::session::TvKeys>,
}

/// The keys a site other than bilibili.tv adds to the confirmed poll object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteKeys {
    /// `"main"`.
    pub site: &'static str,
    /// The session's refresh token (`data.refresh_token`; `null` when the answer had none): a secret like
    /// SESSDATA, needed by `bili_qr_refresh`.
    pub refresh_token: Option<String>,
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
        // Serializing plain structs of strings, integers and booleans cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Appends `key=value` to a query, percent-encoding the value (RFC 3986 unreserved characters pass).
pub(crate) fn push_query(out: &mut String, key: &str, value: &str) {
    out.push(if out.contains('?') { '&' } else { '?' });
    out.push_str(key);
    out.push('=');
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
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

pub fn fetch_endpoint(options: &Options, ticket: &str) -> String {
    let mut url = endpoint(options.base_url.as_str(), FETCH_PATH, options);
    push_query(&mut url, "ticket", ticket);
    url
}
