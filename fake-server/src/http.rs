//! Minimal HTTP/1.1 request-head parsing (deliberately hand-written: the server must also be able to
//! speak broken HTTP on purpose).

use std::collections::BTreeMap;

/// Largest request head accepted (request line + headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Largest request body accepted (bodies are read and discarded).
pub const MAX_BODY: usize = 1024 * 1024;

pub struct Head {
    pub method: String,
    /// The raw request target, e.g. `/s/id=a/x/…/fetch?ticket=…`.
    pub target: String,
    pub http10: bool,
    pub headers: BTreeMap<String, String>,
    pub content_length: usize,
    pub chunked: bool,
    pub close: bool,
}

/// Where the head ends (index just past the blank line), searching from `from`.
pub fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    let mut i = start;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// Parses a complete head (including the blank line). Errors are answered with 400.
pub fn parse_head(raw: &[u8]) -> Result<Head, &'static str> {
    let text = String::from_utf8_lossy(raw);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().ok_or("empty request")?;
    let mut parts = request_line.split(' ').filter(|p| !p.is_empty());
    let method = parts.next().ok_or("no method")?;
    let target = parts.next().ok_or("no request target")?;
    let version = parts.next().ok_or("no HTTP version")?;
    if parts.next().is_some() {
        return Err("malformed request line");
    }
    if !method.bytes().all(|b| b.is_ascii_alphabetic()) || method.len() > 16 {
        return Err("bad method");
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err("unsupported HTTP version"),
    };
    if !target.starts_with('/') {
        return Err("request target must be origin-form");
    }
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or("header line without colon")?;
        if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err("bad header name");
        }
        let name = name.to_ascii_lowercase();
        let value = value.trim();
        match headers.get_mut(&name) {
            Some(old) => {
                // Several Cookie lines are one list of pairs.
                old.push_str(if name == "cookie" { "; " } else { ", " });
                old.push_str(value);
            }
            None => {
                headers.insert(name, value.to_string());
            }
        }
    }
    let content_length = match headers.get("content-length") {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| "bad Content-Length")?,
        None => 0,
    };
    let chunked = headers.contains_key("transfer-encoding");
    let conn = headers
        .get("connection")
        .map(|v| v.to_ascii_lowercase())
        .unwrap_or_default();
    let close = if http10 {
        !conn.contains("keep-alive")
    } else {
        conn.contains("close")
    };
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        http10,
        headers,
        content_length,
        chunked,
        close,
    })
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s` (`+` becomes a space when `plus` is set); invalid escapes are kept literally,
/// invalid UTF-8 is replaced.
pub fn percent_decode(s: &str, plus: bool) -> String {
    if !s.bytes().any(|b| b == b'%' || (plus && b == b'+')) {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a query string into decoded key/value pairs (later duplicates win).
pub fn parse_query(q: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for pair in q.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.insert(percent_decode(k, true), percent_decode(v, true));
    }
    m
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a%2Cb%2", false), "a,b%2");
        assert_eq!(percent_decode("a+b%", true), "a b%");
        assert_eq!(percent_decode("%zz%41", false), "%zzA");
        assert_eq!(percent_decode("%E5%BC%A0", false), "张");
        let q = parse_query("ticket=ab%63&s_locale=en_US&&flag");
        assert_eq!(q.get("ticket").map(String::as_str), Some("abc"));
        assert_eq!(q.get("flag").map(String::as_str), Some(""));
    }

    #[test]
    fn heads() {
        let raw =
            b"GET /x?a=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nConnection: Close\r\n\r\n";
        assert_eq!(find_head_end(raw, 0), Some(raw.len()));
        let h = parse_head(raw).expect("valid");
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/x?a=1");
        assert!(h.close);
        assert_eq!(h.headers.get("x-a").map(String::as_str), Some("1, 2"));
        assert!(parse_head(b"GARBAGE\r\n\r\n").is_err());
        assert!(parse_head(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(parse_head(b"\xff\xfe / HTTP/1.1\r\n\r\n").is_err());
        let h10 = parse_head(b"GET / HTTP/1.0\r\n\r\n").expect("valid");
        assert!(h10.close);
    }
}
