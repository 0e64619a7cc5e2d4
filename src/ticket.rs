//! Tickets: extraction from a bare ticket or a URL, validation, and the shortened form used in messages.

use crate::error::{Error, Result};

/// The longest ticket accepted.
pub const MAX_TICKET_LEN: usize = 128;

/// Returns the ticket in `input`: the input itself, or the `ticket` query parameter of a URL.
///
/// A ticket is 1 to 128 characters of `A-Z a-z 0-9 - _ . ~`. Anything else is an argument error,
/// whose message never repeats more than 6 characters of the input.
pub fn extract(input: &str) -> Result<&str> {
    if input.is_empty() {
        return Err(Error::argument(
            "ticket is empty: pass the ticket from bili_qr_start, or its qr_url",
        ));
    }
    let candidate = if is_ticket(input) {
        input
    } else if let Some(query_start) = input.find('?') {
        let query = &input[query_start + 1..];
        let query = query.split('#').next().unwrap_or("");
        let found = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("ticket="))
            .ok_or_else(|| {
                Error::argument("ticket is a URL whose query has no ticket= parameter")
            })?;
        if !is_ticket(found) {
            return Err(Error::argument(format!(
                "the ticket= parameter of the URL is not a ticket: expected 1 to {MAX_TICKET_LEN} characters of A-Z a-z 0-9 - _ . ~"
            )));
        }
        found
    } else {
        return Err(Error::argument(format!(
            "ticket is malformed: expected 1 to {MAX_TICKET_LEN} characters of A-Z a-z 0-9 - _ . ~, or a URL with ticket="
        )));
    };
    Ok(candidate)
}

fn is_ticket(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_TICKET_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// The first 6 characters of a ticket followed by `…`: the only form a ticket may take in a message (the
/// rule lives with the scrub, `crate::redact`).
pub use crate::redact::shorten;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_url_forms() {
        assert_eq!(extract("4478b3e6").unwrap(), "4478b3e6");
        assert_eq!(
            extract("https://www.bilibili.tv/h5/en/qrcode/login?a=1&ticket=ab_c.d~e-f#x").unwrap(),
            "ab_c.d~e-f"
        );
        assert!(extract("").is_err());
        assert!(extract("a b").is_err());
        assert!(extract(&"a".repeat(129)).is_err());
        assert!(extract(&"a".repeat(128)).is_ok());
        assert!(extract("https://x/?ticket=").is_err());
        assert!(extract("https://x/?ticket=a%20b").is_err());
        assert!(extract("https://x/?other=1").is_err());
    }

    #[test]
    fn shortened() {
        assert_eq!(shorten("4478b3e64d05ce26"), "4478b3…");
    }
}
