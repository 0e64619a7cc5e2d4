//! The root object every passport and gateway answer shares (`code`, `message`, `data`, `ttl`), and the
//! error for a code an endpoint does not document.

use crate::error::{Error, ErrorKind, Result};
use serde_json::{Number, Value};

/// The service's code for "not logged in" (a session that has ended), on every site.
pub const CODE_NOT_LOGGED_IN: i64 = -101;

/// The root object common to every answer: `code`, `message`, and `data`.
pub struct Envelope {
    pub code: i64,
    pub message: String,
    pub data: Value,
    /// Set when a `code` 0 answer's `message` was missing or not a string (taken as "").
    pub message_missing: bool,
}

impl Envelope {
    /// The string `data.{name}` of the `endpoint` answer; a missing or non-string one is not the
    /// documented JSON.
    pub(crate) fn data_str(&self, endpoint: &str, name: &str) -> Result<&str> {
        self.data.get(name).and_then(Value::as_str).ok_or_else(|| {
            not_documented(endpoint, &format!("data.{name} is missing or not a string"))
        })
    }
}

/// The error for a QR URL (`data.{field}` of the `endpoint` answer) that is not on `sites`: it is not
/// handed out, since a hostile server could send the user anywhere.
pub(crate) fn qr_url_refused(endpoint: &str, field: &str, sites: &str) -> Error {
    Error::protocol(format!(
        "the {endpoint} answer's data.{field} is not an https URL on {sites}; it was not handed out (check base_url: the server may be hostile)"
    ))
}

pub(crate) fn not_documented(endpoint: &str, what: &str) -> Error {
    Error::protocol(format!(
        "the {endpoint} answer is not the documented JSON ({what}); check base_url, or the service changed"
    ))
}

/// A server-provided text made safe for a one-line message: no control characters, at most 120 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(120).collect()
}

/// A JSON number as the integer JavaScript sees: `0.0`, `1e0` and `-0` are integers there (a number is a
/// double), so the web client reads `{"code":0.0}` as code 0. Fractions, and magnitudes beyond 2^53 (where
/// a double no longer holds every integer), are not integers.
pub fn json_integer(n: &Number) -> Option<i64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
            .map(|f| f as i64)
    })
}

/// Reads a body as a browser's `response.json()` does: UTF-8 decoded first (a leading byte order mark
/// dropped, an invalid or cut sequence replaced by U+FFFD), then parsed. `JSON.parse` keeps an escaped
/// lone surrogate (`"\ud800"`) in the string; a Rust string cannot hold one, so it becomes U+FFFD. Only a
/// body serde_json refuses goes through the lenient path.
pub fn parse_json(body: &[u8]) -> serde_json::Result<Value> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let first = match serde_json::from_slice(body) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let text = String::from_utf8_lossy(body);
    let fixed = replace_lone_surrogates(&text);
    serde_json::from_str(&fixed).map_err(|_| first)
}

/// Four hex digits at `at` in `text`, as a number.
fn hex4(text: &str, at: usize) -> Option<u16> {
    let digits = text.get(at..at.checked_add(4)?)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

/// `text` with every `\uXXXX` escape of a lone surrogate, inside a JSON string, replaced by `\uFFFD`
/// (a high surrogate followed by an escaped low one is a pair, and stays).
fn replace_lone_surrogates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied, mut in_string) = (0usize, 0usize, false);
    while let Some(&b) = bytes.get(i) {
        if !in_string {
            in_string = b == b'"';
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = false;
                i += 1;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'u') => match hex4(text, i + 2) {
                Some(0xD800..=0xDBFF)
                    if bytes.get(i + 6) == Some(&b'\\')
                        && bytes.get(i + 7) == Some(&b'u')
                        && matches!(hex4(text, i + 8), Some(0xDC00..=0xDFFF)) =>
                {
                    i += 12;
                }
                Some(0xD800..=0xDFFF) => {
                    out.push_str(text.get(copied..i).unwrap_or(""));
                    out.push_str("\\uFFFD");
                    i += 6;
                    copied = i;
                }
                _ => i += 2,
            },
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or(""));
    out
}

/// A `code`: a JSON integer (or an integral number: `0.0`, `1e0`), or a string holding an integer (`"0"`,
/// `"-101"`: other clients accept it).
pub fn parse_code(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => json_integer(n),
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
    match fast_envelope(body) {
        Some(root) => check_envelope(endpoint, root),
        None => general_envelope(endpoint, body),
    }
}

/// [`parse_envelope`] through a [`Value`] of the whole answer: any JSON, repaired as [`parse_json`] does.
fn general_envelope(endpoint: &str, body: &[u8]) -> Result<Envelope> {
    let value: Value = parse_json(body).map_err(|e| {
        if e.is_eof() && body.iter().all(u8::is_ascii_whitespace) {
            not_documented(endpoint, "empty body")
        } else {
            not_documented(endpoint, "not JSON")
        }
    })?;
    let Value::Object(mut root) = value else {
        return Err(not_documented(endpoint, "not a JSON object"));
    };
    check_envelope(
        endpoint,
        Root {
            code: root.remove("code"),
            message_value: root.remove("message"),
            ttl: root.remove("ttl"),
            data: root.remove("data").unwrap_or(Value::Null),
        },
    )
}

/// The members of the root object an envelope is made of: `None` when absent (a JSON `null` is
/// `Some(Value::Null)`), `data` `null` when absent.
#[derive(serde::Deserialize)]
struct Root {
    #[serde(default, deserialize_with = "present")]
    code: Option<Value>,
    /// The `message` member as sent (a JSON value, not yet the envelope's text).
    #[serde(default, deserialize_with = "present", rename = "message")]
    message_value: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    ttl: Option<Value>,
    #[serde(default)]
    data: Value,
}

/// A member that is present, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// The root object read straight into its four members, without building a map of every member: for an
/// answer that is a JSON object with each member at most once and nothing [`parse_json`] would have to
/// repair. Anything else (`None`) goes the general way, which gives the same envelope or the error.
fn fast_envelope(body: &[u8]) -> Option<Root> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // Only an object: serde would also read a struct from a JSON array.
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    // A member given twice is an error here (the general way keeps the last one, as JSON.parse does).
    serde_json::from_slice(body).ok()
}

/// The envelope of the root's members; see [`parse_envelope`].
fn check_envelope(endpoint: &str, root: Root) -> Result<Envelope> {
    let code = root
        .code
        .as_ref()
        .and_then(parse_code)
        .ok_or_else(|| not_documented(endpoint, "code is missing or not an integer"))?;
    let (message, message_missing) = match root.message_value {
        Some(Value::String(s)) => (s, false),
        _ if code == 0 => (String::new(), true),
        _ => {
            return Err(not_documented(
                endpoint,
                "message is missing or not a string",
            ))
        }
    };
    if code != 0 && root.ttl.is_some_and(|t| !t.is_number()) {
        return Err(not_documented(endpoint, "ttl is not a number"));
    }
    Ok(Envelope {
        code,
        message,
        data: root.data,
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

/// What a session step's `code` says: `Ok(true)` for 0, `Ok(false)` for -101 (the session has ended), the
/// API error with its message for a code `refusals` names, else the endpoint's API error.
pub(crate) fn accepted(
    endpoint: &str,
    envelope: &Envelope,
    refusals: &[(i64, &str)],
) -> Result<bool> {
    match envelope.code {
        0 => Ok(true),
        CODE_NOT_LOGGED_IN => Ok(false),
        code => Err(match refusals.iter().find(|(c, _)| *c == code) {
            Some((_, message)) => Error::new(ErrorKind::Api, message),
            None => api_error(endpoint, envelope),
        }),
    }
}

/// Parses an answer that must carry `code` 0: any other code is the endpoint's [`api_error`].
pub(crate) fn parse_ok(endpoint: &str, body: &[u8]) -> Result<Envelope> {
    let envelope = parse_envelope(endpoint, body)?;
    if envelope.code != 0 {
        return Err(api_error(endpoint, &envelope));
    }
    Ok(envelope)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct read of the root's members gives what the general way gives, for every answer it takes;
    /// the answers it leaves (a repeated member, an array, text to repair) go the general way.
    #[test]
    fn the_direct_read_is_the_general_one() {
        let bodies: [&[u8]; 22] = [
            br#"{"code":0,"message":"0","ttl":1,"data":{"url":"u","ticket":"t"}}"#,
            br#"{"code":86039,"message":"\u4e8c\u7ef4\u7801","ttl":1,"data":null}"#,
            br#"{"code":-101,"message":"x","ttl":"1"}"#,
            br#"{"code":-101,"message":"x","ttl":null}"#,
            br#"{"code":-101,"message":null}"#,
            br#"{"code":0,"message":null}"#,
            br#"{"code":0}"#,
            br#"{"code":"0","message":"ok","extra":[1,{"a":"\ud800"}]}"#,
            br#"{"code":0.0,"message":"m","data":[1,2]}"#,
            br#"{"code":1e0,"message":"m"}"#,
            br#"{"code":0.5,"message":"m"}"#,
            br#"{"code":null,"message":"m"}"#,
            br#"{"message":"m"}"#,
            b"\xEF\xBB\xBF {\"code\":0,\"message\":\"bom\"}",
            br#"{"code":0,"code":-1,"message":"twice"}"#,
            br#"{"code":0,"message":"lone \ud800","data":{}}"#,
            br#"[0,"0",1,null]"#,
            br#"{"code":0,"message":"cut"#,
            b"",
            b"  ",
            b"{\"code\":0,\"message\":\"not utf-8 \xff\"}",
            br#"{"\u0063ode":-2,"message":"escaped key"}"#,
        ];
        let shown = |r: Result<Envelope>| match r {
            Ok(e) => format!(
                "{} {:?} {} {}",
                e.code, e.message, e.data, e.message_missing
            ),
            Err(e) => format!("error {:?} {}", e.kind(), e.message()),
        };
        let mut direct = 0;
        for body in bodies {
            let general = shown(general_envelope("e", body));
            assert_eq!(shown(parse_envelope("e", body)), general, "{body:?}");
            if let Some(root) = fast_envelope(body) {
                direct += 1;
                assert_eq!(shown(check_envelope("e", root)), general, "{body:?}");
            }
        }
        assert!(direct >= 12, "{direct} read directly");
    }
}
