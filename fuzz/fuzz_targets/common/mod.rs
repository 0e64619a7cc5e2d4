//! Invariants shared by the fuzz targets.
#![allow(dead_code)]

/// How the root crate's tests read the terminal drawing back (`half_block`).
#[path = "../../../tests/common/drawing.rs"]
mod drawing;
#[allow(unused_imports)] // only the render target reads a drawing
pub use drawing::half_block;

use bili_qr::internals::{is_trusted, valid_domain, valid_name, valid_value, Cookie};
use bili_qr::Error;

/// The clock every cookie target uses (deletions and Max-Age are relative to it).
pub const NOW: i64 = 1_700_000_000;

/// Splits an input at its first byte, which picks one of `choices` (modulo their number): the choice and the
/// rest of the input; `None` for an empty input.
pub fn pick<'a, 'c, T>(data: &'a [u8], choices: &'c [T]) -> Option<(&'c T, &'a [u8])> {
    let (&selector, rest) = data.split_first()?;
    Some((&choices[usize::from(selector) % choices.len()], rest))
}

/// An error message is one non-empty line of bounded length without control characters, so a server or a
/// caller cannot smuggle text (or a whole body) into it.
pub fn check_message(e: &Error) {
    let m = e.message();
    assert!(!m.is_empty(), "empty error message for {:?}", e.kind());
    assert!(m.len() <= 600, "error message of {} bytes: {m:?}", m.len());
    assert!(
        !m.chars().any(char::is_control),
        "control character in message: {m:?}"
    );
}

/// Whether `needle` (at least 7 bytes) from the input occurs in `message` although it is not part of the
/// library's own fixed wording (`known`).
pub fn leaks(message: &str, input: &str, known: &[String], window: usize) -> Option<String> {
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    if chars.len() < window {
        return None;
    }
    for i in 0..=chars.len() - window {
        let start = chars[i].0;
        let end = chars.get(i + window).map_or(input.len(), |c| c.0);
        let piece = &input[start..end];
        if message.contains(piece) && !known.iter().any(|k| k.contains(piece)) {
            return Some(piece.to_owned());
        }
    }
    None
}

/// Every kept cookie obeys the jar's rules: a trusted or absent domain that is a host name (stored without a
/// leading dot, lower case), a valid name and value (RFC 6265, nothing a Cookie header cannot carry), one
/// cookie per name and domain, not already expired, a path.
pub fn check_cookies(cookies: &[Cookie], base_host: &str, now: i64) {
    for (i, c) in cookies.iter().enumerate() {
        assert!(valid_name(&c.name), "invalid cookie name kept: {:?}", c.name);
        assert!(valid_value(&c.value), "invalid cookie value kept for {:?}", c.name);
        assert!(
            !c.value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0 || b == b';'),
            "CR, LF, NUL or ; in a kept value"
        );
        if let Some(d) = &c.domain {
            assert!(
                is_trusted(d, base_host),
                "foreign-domain cookie kept: {d:?} (base host {base_host:?})"
            );
            assert!(
                valid_domain(d) || d.eq_ignore_ascii_case(base_host),
                "a domain that is not a host name kept: {d:?}"
            );
            assert!(
                !d.starts_with('.'),
                "domain kept with its leading dot: {d:?}"
            );
            assert_eq!(d, &d.to_ascii_lowercase(), "domain not lowercased");
        }
        if let Some(e) = c.expires {
            assert!(
                e > now,
                "an expired cookie ({e} <= {now}) was kept: {}",
                c.name
            );
        }
        assert!(c.path.starts_with('/'), "path {:?} kept (\"/\" when absent, empty or relative)", c.path);
        assert!(
            cookies[..i]
                .iter()
                .all(|o| o.name != c.name || o.domain != c.domain || o.path != c.path),
            "two cookies named {:?} for one domain and path",
            c.name
        );
    }
}

/// `cookie_header` is `name=value` joined by `"; "`, one per name, in the order names first appear among the
/// kept cookies, each value that of a kept cookie of that name.
pub fn check_header(header: &str, cookies: &[Cookie]) {
    let mut names: Vec<&str> = Vec::new();
    for c in cookies {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    if names.is_empty() {
        assert_eq!(header, "");
        return;
    }
    let pairs: Vec<&str> = header.split("; ").collect();
    assert_eq!(pairs.len(), names.len(), "one pair per name: {header:?}");
    for (pair, name) in pairs.iter().zip(&names) {
        let (n, v) = pair.split_once('=').expect("name=value");
        assert_eq!(n, *name, "header order");
        assert!(
            cookies.iter().any(|c| c.name == n && c.value == v),
            "header value of {n:?} is no kept cookie's"
        );
    }
}
