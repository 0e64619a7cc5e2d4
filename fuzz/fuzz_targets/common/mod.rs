//! Invariants shared by the fuzz targets.
#![allow(dead_code)]

use bili_qr::cookies::{is_trusted, Cookie};
use bili_qr::Error;

/// The clock every cookie target uses (deletions and Max-Age are relative to it).
pub const NOW: i64 = 1_700_000_000;

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

/// Every kept cookie obeys the jar's rules: a trusted or absent domain (stored without a leading dot, lower
/// case), a unique non-empty name, not already expired, a path.
pub fn check_cookies(cookies: &[Cookie], base_host: &str, now: i64) {
    for (i, c) in cookies.iter().enumerate() {
        assert!(!c.name.is_empty(), "cookie with an empty name kept");
        if let Some(d) = &c.domain {
            assert!(
                is_trusted(d, base_host),
                "foreign-domain cookie kept: {d:?} (base host {base_host:?})"
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
            cookies[..i].iter().all(|o| o.name != c.name),
            "two cookies named {:?}",
            c.name
        );
    }
}

/// `cookie_header` is the kept cookies as `name=value` joined by `"; "`, in order.
pub fn check_header(header: &str, cookies: &[Cookie]) {
    let expected: Vec<String> = cookies
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    assert_eq!(header, expected.join("; "));
}
