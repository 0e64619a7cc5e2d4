//! The two QR-code endpoints (`qrcode/auth/url`, `qrcode/auth/fetch`): their answers parsed, a confirmed
//! answer's `data` read leniently, and the confirmed login built from it and the collected cookies.

use super::envelope::{
    api_error, captcha_demanded, not_documented, parse_envelope, parse_ok, qr_url_refused, Envelope,
};
use super::{Login, PollStatus, QrCode, UserProfile, POLL_CODES};
use crate::cookies::CookieJar;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::redact::{Secrets, Warnings};
use crate::ticket;
use serde_json::Value;

/// Whether `qr_url` may be handed out: https on a host under bilibili.tv or biliintl.com (any port, no user
/// info), or, in tests, a URL on the loopback `base_url` host. Not `javascript:`, not a phishing host.
pub fn qr_url_allowed(qr_url: &str, options: &Options) -> bool {
    let Ok(uri) = qr_url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let https = scheme.eq_ignore_ascii_case("https");
    let http = scheme.eq_ignore_ascii_case("http");
    let trusted_root = crate::cookies::TRUSTED_DOMAINS
        .iter()
        .any(|root| crate::cookies::domain_matches(host, root));
    (https && trusted_root && crate::cookies::valid_domain(host))
        || ((https || http)
            && options.base_url.is_loopback()
            && host.eq_ignore_ascii_case(options.base_url.host()))
}

/// Parses an `auth/url` answer; `qr_url` must carry a ticket and pass [`qr_url_allowed`].
pub fn parse_qr_code(body: &[u8], options: &Options) -> Result<QrCode> {
    const EP: &str = "qrcode/auth/url";
    let envelope = parse_ok(EP, body)?;
    if !envelope.data.is_object() {
        return Err(not_documented(EP, "data is missing or not an object"));
    }
    let qr_url = envelope.data_str(EP, "qr_url")?;
    let qr_type = envelope.data_str(EP, "qr_type")?;
    let ticket = ticket::extract(qr_url)
        .ok()
        .filter(|t| *t != qr_url)
        .ok_or_else(|| not_documented(EP, "data.qr_url carries no valid ticket"))?;
    if !qr_url_allowed(qr_url, options) {
        return Err(qr_url_refused(EP, "qr_url", "bilibili.tv or biliintl.com"));
    }
    Ok(QrCode {
        ticket: ticket.to_owned(),
        qr_url: qr_url.to_owned(),
        qr_type: qr_type.to_owned(),
        site: None,
    })
}

/// The confirmed `data` object, read leniently, before cookies are attached.
#[derive(Debug, Default)]
pub struct ConfirmedData {
    pub mid: Option<i64>,
    pub is_new: Option<bool>,
    pub go_url: Option<String>,
    pub user_profile: Option<UserProfile>,
    pub cookie_info: Option<Value>,
    /// One note per odd field (missing or mistyped), for the poll object's `warnings`.
    pub warnings: Warnings,
}

/// Reads a confirmed answer's `data`: every field is optional, taken only with its documented type.
pub fn confirmed_data(data: &Value) -> ConfirmedData {
    let mut out = ConfirmedData::default();
    let Some(data) = data.as_object() else {
        out.warnings.push("data is missing or not an object");
        return out;
    };
    let mut warnings = Warnings::default();
    let mut odd = |what: &str| warnings.push(what);
    out.mid = match data.get("mid") {
        Some(Value::Number(n)) => super::envelope::json_integer(n).filter(|m| *m > 0),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok().filter(|m: &i64| *m > 0)
        }
        _ => None,
    };
    if out.mid.is_none() {
        odd("data.mid is missing or not a positive integer");
    }
    out.is_new = data.get("is_new").and_then(Value::as_bool);
    if out.is_new.is_none() {
        odd("data.is_new is missing or not a boolean");
    }
    out.go_url = data
        .get("go_url")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if out.go_url.is_none() {
        odd("data.go_url is missing or not a string");
    }
    out.user_profile = match data.get("user_profile") {
        Some(Value::Object(p)) => {
            let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
            let profile = UserProfile {
                is_user_blank_profile: p.get("is_userBlankProfile").and_then(Value::as_bool),
                name: text("name"),
                face: text("face"),
            };
            if profile.is_user_blank_profile.is_none() {
                odd("data.user_profile.is_userBlankProfile is missing or not a boolean");
            }
            if profile.name.is_none() {
                odd("data.user_profile.name is missing or not a string");
            }
            if profile.face.is_none() {
                odd("data.user_profile.face is missing or not a string");
            }
            Some(profile)
        }
        _ => {
            odd("data.user_profile is missing or not an object");
            None
        }
    };
    out.cookie_info = data.get("cookie_info").filter(|v| !v.is_null()).cloned();
    out.warnings = warnings;
    out
}

/// Parses a fetch answer. For a confirmed one, returns the data whose cookies the caller still collects.
pub fn parse_fetch(body: &[u8]) -> Result<(PollStatus, Envelope, Option<ConfirmedData>)> {
    const EP: &str = "qrcode/auth/fetch";
    let envelope = parse_envelope(EP, body)?;
    if envelope.code != POLL_CODES.confirmed && captcha_demanded(&envelope.data) {
        return Err(api_error(EP, &envelope));
    }
    let Some(status) = POLL_CODES.status(envelope.code) else {
        return Err(api_error(EP, &envelope));
    };
    let confirmed = if status == PollStatus::Confirmed {
        let mut data = confirmed_data(&envelope.data);
        if envelope.message_missing {
            data.warnings
                .push_first("message is missing or not a string");
        }
        Some(data)
    } else {
        None
    };
    Ok((status, envelope, confirmed))
}

/// What was tried to collect a confirmed login's cookies, for the error when the required ones are missing.
#[derive(Debug, Default, Clone)]
pub struct Collected {
    /// The sources read, in order ("the fetch answer's Set-Cookie", "go_url (2 hops)", …).
    pub tried: Vec<String>,
    /// Hosts that were not requested because they are not trusted.
    pub refused: Vec<String>,
}

/// Builds the confirmed login from its data and collected cookies, checking the required cookies.
/// `warnings` come first (steps), then the odd fields, then the jar's.
pub fn finish_login(
    data: ConfirmedData,
    mut jar: CookieJar,
    host: &str,
    mut steps: Warnings,
    collected: &Collected,
) -> Result<Login> {
    let missing = jar.missing_required();
    steps.append(data.warnings);
    // Every value the jar was handed (kept, refused or dropped) is scrubbed from the warnings and from the
    // error below, beside what the call has seen (crate::redact): a server can put one into a host name that
    // a step's message names, or into a cookie_info domain.
    let seen: Secrets = jar.seen().clone();
    let mut warnings = steps;
    for w in jar.take_warnings() {
        warnings.push(w);
    }
    if !missing.is_empty() {
        let mut detail = format!("tried: {}", collected.tried.join(", "));
        if !collected.refused.is_empty() {
            detail.push_str(&format!(
                "; untrusted hosts not requested: {}",
                collected.refused.join(", ")
            ));
        }
        for w in &warnings {
            detail.push_str("; ");
            detail.push_str(w);
        }
        return Err(Error::protocol(format!(
            "the login was confirmed but the session lacks the {} cookie(s) ({detail}); this login cannot be used: start a new one",
            missing.join(", ")
        ))
        .rescrub(&seen));
    }
    let from_cookie = jar
        .get("DedeUserID")
        .and_then(|c| c.value.parse::<i64>().ok())
        .filter(|m| *m > 0);
    let mid = data.mid.or(from_cookie);
    if let (Some(a), Some(b)) = (data.mid, from_cookie) {
        if a != b {
            warnings.push("data.mid differs from the DedeUserID cookie; data.mid kept");
        }
    }
    Ok(Login {
        mid,
        is_new: data.is_new,
        go_url: data.go_url,
        user_profile: data.user_profile,
        cookie_header: jar.cookie_header(),
        cookies: jar.into_vec(),
        warnings: warnings.finish(&seen),
        host: host.to_owned(),
        verified: None,
        site_keys: None,
        tv: None,
    })
}
