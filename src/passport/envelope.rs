//! The root object every passport and gateway answer shares (`code`, `message`, `data`, `ttl`), and the
//! error for a code an endpoint does not document.

use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;

/// The root object common to every answer: `code`, `message`, and `data`.
pub struct Envelope {
    pub code: i64,
    pub message: String,
    pub data: Value,
    /// Set when a `code` 0 answer's `message` was missing or not a string (taken as "").
    pub message_missing: bool,
}

pub(super) fn not_documented(endpoint: &str, what: &str) -> Error {
    Error::protocol(format!(
        "the {endpoint} answer is not the documented JSON ({what}); check base_url, or the service changed"
    ))
}

/// A server-provided text made safe for a one-line message: no control characters, at most 120 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}

/// A `code`: a JSON integer, or a string holding one (`"0"`, `"-101"`: other clients accept it).
pub fn parse_code(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            s.parse().ok()
        }
        _ => None,
    }
}

/// Parses the root object. `code` decides everything and must be an integer (or an integer-valued string).
/// For `code` 0 nothing else is required here (a missing `message` is taken as ""); for other codes
/// `message` must be a string and `ttl`, when present, a number.
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
        .and_then(parse_code)
        .ok_or_else(|| not_documented(endpoint, "code is missing or not an integer"))?;
    let (message, message_missing) = match root.get("message") {
        Some(Value::String(s)) => (s.clone(), false),
        _ if code == 0 => (String::new(), true),
        _ => {
            return Err(not_documented(
                endpoint,
                "message is missing or not a string",
            ))
        }
    };
    if code != 0 && root.get("ttl").is_some_and(|t| !t.is_number()) {
        return Err(not_documented(endpoint, "ttl is not a number"));
    }
    let data = root.remove("data").unwrap_or(Value::Null);
    Ok(Envelope {
        code,
        message,
        data,
        message_missing,
    })
}

/// Whether `data` carries a human-verification demand (mainland risk control: `ga_data`, `v_voucher`).
pub fn captcha_demanded(data: &Value) -> bool {
    data.as_object().is_some_and(|d| {
        ["ga_data", "v_voucher"]
            .iter()
            .any(|k| d.get(*k).is_some_and(|v| !v.is_null()))
    })
}

/// The error for a `code` the documentation does not list for this endpoint (or any code with a captcha
/// demand in its `data`).
pub fn api_error(endpoint: &str, envelope: &Envelope) -> Error {
    let advice = if captcha_demanded(&envelope.data) {
        "the service demands a human verification (captcha) for this network: log in once from a web browser on this network, poll less often, or change network"
    } else {
        match envelope.code {
            -412 | -352 => "the request was refused by risk control; slow down or change network",
            -799 => "too many requests; slow down and try again later",
            -400 => "the service called the request malformed; check the options",
            -404 => "the service does not know this endpoint; check base_url",
            -101 => "the service says the session is not logged in",
            10003003 => "the service is not available in this region",
            _ => "see the message; try again later",
        }
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

/// Parses an answer that must carry `code` 0: any other code is the endpoint's [`api_error`].
pub(super) fn parse_ok(endpoint: &str, body: &[u8]) -> Result<Envelope> {
    let envelope = parse_envelope(endpoint, body)?;
    if envelope.code != 0 {
        return Err(api_error(endpoint, &envelope));
    }
    Ok(envelope)
}
