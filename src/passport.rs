//! The two passport endpoints: request URLs, and parsing of their answers into typed results.

use crate::cookies::CookieJar;
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::ticket;
use serde::Serialize;
use serde_json::{Map, Value};

pub const URL_PATH: &str = "/x/intl/passport-login/qrcode/auth/url";
pub const FETCH_PATH: &str = "/x/intl/passport-login/qrcode/auth/fetch";

pub const CODE_CONFIRMED: i64 = 0;
pub const CODE_EXPIRED: i64 = 10018100;
pub const CODE_WAITING: i64 = 10018101;
pub const CODE_SCANNED: i64 = 10018102;

/// A new QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrCode {
    pub ticket: String,
    pub qr_url: String,
    pub qr_type: String,
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

/// `data.user_profile` of a confirmed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserProfile {
    #[serde(rename = "is_userBlankProfile")]
    pub is_user_blank_profile: bool,
    pub name: String,
    pub face: String,
}

/// What a confirmed login adds to the poll object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Login {
    pub mid: i64,
    pub is_new: bool,
    pub go_url: String,
    pub user_profile: UserProfile,
    pub cookies: Vec<crate::cookies::Cookie>,
    pub cookie_header: String,
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
fn push_query(out: &mut String, key: &str, value: &str) {
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

pub fn url_endpoint(options: &Options) -> String {
    let mut url = format!("{}{URL_PATH}", options.base_url.as_str());
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    url
}

pub fn fetch_endpoint(options: &Options, ticket: &str) -> String {
    let mut url = format!("{}{FETCH_PATH}", options.base_url.as_str());
    push_query(&mut url, "s_locale", &options.locale);
    push_query(&mut url, "platform", &options.platform);
    push_query(&mut url, "ticket", ticket);
    url
}

/// The root object common to both answers: `code`, `message`, and `data`.
pub struct Envelope {
    pub code: i64,
    pub message: String,
    pub data: Value,
}

fn not_documented(endpoint: &str, what: &str) -> Error {
    Error::protocol(format!(
        "the {endpoint} answer is not the documented JSON ({what}); check base_url, or the service changed"
    ))
}

/// A server-provided text made safe for a one-line message: no control characters, at most 120 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}

pub fn parse_envelope(endpoint: &str, body: &[u8]) -> Result<Envelope> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        if e.is_eof() && body.iter().all(u8::is_ascii_whitespace) {
            not_documented(endpoint, "empty body")
        } else {
            not_documented(endpoint, "not JSON")
        }
    })?;
    let Value::Object(mut root) = value else {
        return Err(not_documented(endpoint, "not a JSON object"));
    };
    let code = root
        .get("code")
        .and_then(Value::as_i64)
        .ok_or_else(|| not_documented(endpoint, "code is missing or not an integer"))?;
    let message = match root.get("message") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(not_documented(
                endpoint,
                "message is missing or not a string",
            ))
        }
    };
    if root.get("ttl").is_some_and(|t| !t.is_number()) {
        return Err(not_documented(endpoint, "ttl is not a number"));
    }
    let data = root.remove("data").unwrap_or(Value::Null);
    Ok(Envelope {
        code,
        message,
        data,
    })
}

/// The error for a `code` the documentation does not list for this endpoint.
pub fn api_error(endpoint: &str, envelope: &Envelope) -> Error {
    let advice = match envelope.code {
        -412 | -352 => "the request was refused by risk control; slow down or change network",
        -799 => "too many requests; slow down and try again later",
        -400 => "the service called the request malformed; check the options",
        -404 => "the service does not know this endpoint; check base_url",
        10003003 => "the service is not available in this region",
        _ => "see the message; try again later",
    };
    Error::new(
        ErrorKind::Api,
        format!(
            "the {endpoint} endpoint answered code {} (\"{}\"): {advice}",
            envelope.code,
            printable(&envelope.message)
        ),
    )
}

pub fn parse_qr_code(body: &[u8]) -> Result<QrCode> {
    let envelope = parse_envelope("qrcode/auth/url", body)?;
    if envelope.code != 0 {
        return Err(api_error("qrcode/auth/url", &envelope));
    }
    let data = envelope
        .data
        .as_object()
        .ok_or_else(|| not_documented("qrcode/auth/url", "data is missing or not an object"))?;
    let field = |name: &str| {
        data.get(name).and_then(Value::as_str).ok_or_else(|| {
            not_documented(
                "qrcode/auth/url",
                &format!("data.{name} is missing or not a string"),
            )
        })
    };
    let qr_url = field("qr_url")?;
    let qr_type = field("qr_type")?;
    let ticket = ticket::extract(qr_url)
        .ok()
        .filter(|t| *t != qr_url)
        .ok_or_else(|| not_documented("qrcode/auth/url", "data.qr_url carries no valid ticket"))?;
    Ok(QrCode {
        ticket: ticket.to_owned(),
        qr_url: qr_url.to_owned(),
        qr_type: qr_type.to_owned(),
    })
}

/// The confirmed `data` object, before cookies are attached.
pub struct ConfirmedData {
    pub mid: i64,
    pub is_new: bool,
    pub go_url: String,
    pub user_profile: UserProfile,
    pub cookie_info: Option<Value>,
}

fn confirmed_data(data: &Value) -> Result<ConfirmedData> {
    const EP: &str = "qrcode/auth/fetch";
    let data: &Map<String, Value> = data
        .as_object()
        .ok_or_else(|| not_documented(EP, "the confirmed data is missing or not an object"))?;
    let mid = data
        .get("mid")
        .and_then(Value::as_i64)
        .ok_or_else(|| not_documented(EP, "data.mid is missing or not an integer"))?;
    let is_new = data
        .get("is_new")
        .and_then(Value::as_bool)
        .ok_or_else(|| not_documented(EP, "data.is_new is missing or not a boolean"))?;
    let go_url = data
        .get("go_url")
        .and_then(Value::as_str)
        .ok_or_else(|| not_documented(EP, "data.go_url is missing or not a string"))?;
    let profile = data
        .get("user_profile")
        .and_then(Value::as_object)
        .ok_or_else(|| not_documented(EP, "data.user_profile is missing or not an object"))?;
    let text = |name: &str| {
        profile
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                not_documented(
                    EP,
                    &format!("data.user_profile.{name} is missing or not a string"),
                )
            })
    };
    let user_profile = UserProfile {
        is_user_blank_profile: profile
            .get("is_userBlankProfile")
            .and_then(Value::as_bool)
            .ok_or_else(|| {
                not_documented(
                    EP,
                    "data.user_profile.is_userBlankProfile is missing or not a boolean",
                )
            })?,
        name: text("name")?,
        face: text("face")?,
    };
    Ok(ConfirmedData {
        mid,
        is_new,
        go_url: go_url.to_owned(),
        user_profile,
        cookie_info: data.get("cookie_info").filter(|v| !v.is_null()).cloned(),
    })
}

/// Parses a fetch answer. For a confirmed one, returns the data whose cookies the caller still collects.
pub fn parse_fetch(body: &[u8]) -> Result<(PollStatus, Envelope, Option<ConfirmedData>)> {
    let envelope = parse_envelope("qrcode/auth/fetch", body)?;
    let status = match envelope.code {
        CODE_CONFIRMED => PollStatus::Confirmed,
        CODE_EXPIRED => PollStatus::Expired,
        CODE_WAITING => PollStatus::Waiting,
        CODE_SCANNED => PollStatus::Scanned,
        _ => return Err(api_error("qrcode/auth/fetch", &envelope)),
    };
    let confirmed = if status == PollStatus::Confirmed {
        Some(confirmed_data(&envelope.data)?)
    } else {
        None
    };
    Ok((status, envelope, confirmed))
}

/// Builds the confirmed login from its data and collected cookies, checking the required cookies.
pub fn finish_login(
    data: ConfirmedData,
    jar: CookieJar,
    go_url_note: Option<&str>,
) -> Result<Login> {
    let missing = jar.missing_required();
    if !missing.is_empty() {
        let note = go_url_note.map(|n| format!(" ({n})")).unwrap_or_default();
        return Err(Error::protocol(format!(
            "the login was confirmed but the session lacks the {} cookie(s){note}; this login cannot be used: start a new one",
            missing.join(", ")
        )));
    }
    Ok(Login {
        mid: data.mid,
        is_new: data.is_new,
        go_url: data.go_url,
        user_profile: data.user_profile,
        cookie_header: jar.cookie_header(),
        cookies: jar.into_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_code() {
        let body = br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=4478b3e64d05ce26638f4d715ebe0a91","qr_type":"qrcode_login","extra":1}}"#;
        let qr = parse_qr_code(body).unwrap();
        assert_eq!(qr.ticket, "4478b3e64d05ce26638f4d715ebe0a91");
        let e = parse_qr_code(
            br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://x/","qr_type":"q"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = parse_qr_code(br#"{"code":-412,"message":"blocked","ttl":1}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert!(e.message().contains("-412"));
    }

    #[test]
    fn fetch_codes() {
        for (code, st) in [
            (10018100, PollStatus::Expired),
            (10018101, PollStatus::Waiting),
            (10018102, PollStatus::Scanned),
        ] {
            let body = format!(r#"{{"code":{code},"message":"m","ttl":1,"data":null}}"#);
            assert_eq!(parse_fetch(body.as_bytes()).unwrap().0, st);
        }
        assert_eq!(
            parse_fetch(br#"{"code":"0","message":"0"}"#)
                .err()
                .unwrap()
                .kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            parse_fetch(br#"{"code":0,"message":"0","data":{}}"#)
                .err()
                .unwrap()
                .kind(),
            ErrorKind::Protocol
        );
        assert_eq!(
            parse_fetch(b"<html>").err().unwrap().kind(),
            ErrorKind::Protocol
        );
        assert_eq!(parse_fetch(b"").err().unwrap().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn query_encoding() {
        let o = Options::default();
        assert!(fetch_endpoint(&o, "a~b").ends_with("?s_locale=en_US&platform=web&ticket=a~b"));
    }
}
