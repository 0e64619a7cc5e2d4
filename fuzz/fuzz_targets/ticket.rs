//! Ticket extraction (`ticket::extract`) and `cancel`, which takes the same argument without any network.
//!
//! Invariants: an accepted ticket is a substring of the input (a borrow into it), 1 to 128 of
//! A-Z a-z 0-9 - _ . ~, and the input itself when the input is a valid ticket, else the value of a
//! `ticket=` query parameter; a refused input is an argument error whose message never repeats more than
//! 6 consecutive characters of the input; `cancel` succeeds exactly when extraction does (with 0 waits).
#![no_main]

mod common;

use bili_qr::internals::{extract, shorten, MAX_TICKET_LEN};
use bili_qr::ErrorKind;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn valid(s: &str) -> bool {
    (1..=MAX_TICKET_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// The library's own wording for refused tickets (what a message may contain besides the input).
fn wording() -> &'static [String] {
    static W: OnceLock<Vec<String>> = OnceLock::new();
    W.get_or_init(|| {
        ["", "%%%%", "x?y=1", "x?ticket=%"]
            .iter()
            .map(|i| extract(i).expect_err("refused").message().to_owned())
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let result = extract(input);
    match result {
        Ok(t) => {
            let range = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
            assert!(
                range.contains(&(t.as_ptr() as usize))
                    && t.as_ptr() as usize + t.len() <= range.end,
                "the ticket is not a substring of the input"
            );
            assert!(valid(t), "invalid ticket {t:?}");
            if valid(input) {
                assert_eq!(t, input);
            } else {
                let query = &input[input.find('?').expect("a URL ticket without a query") + 1..];
                assert!(
                    query.contains(&format!("ticket={t}")),
                    "ticket {t:?} not from ticket= in {input:?}"
                );
            }
            let short = shorten(t);
            assert!(short.chars().count() <= 7 && t.starts_with(short.trim_end_matches('…')));
            assert_eq!(
                bili_qr::cancel(input).expect("cancel refused a valid ticket"),
                0
            );
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument);
            common::check_message(&e);
            if let Some(piece) = common::leaks(e.message(), input, wording(), 7) {
                panic!("message repeats {piece:?} of the input: {:?}", e.message());
            }
            let c = bili_qr::cancel(input).expect_err("cancel accepted what extract refused");
            assert_eq!(c.kind(), ErrorKind::Argument);
        }
    }
});
