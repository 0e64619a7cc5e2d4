//! Session parsing (`Session::parse`, every form: JSON, Netscape cookies.txt, Cookie header) and the
//! writers of `bili_qr_session_convert`.
//!
//! Invariants: a refused input is an argument error in one bounded line that never repeats 7+ characters
//! of a cookie value of the input; an accepted session has a non-empty SESSDATA, unique cookie names, names
//! and values a Cookie header can carry, service (or loopback) domains; writing it as JSON or cookies.txt
//! and reading that back gives the same session, and the Cookie header gives the same header.
#![no_main]

mod common;

use bili_qr::session::{Session, SessionFormat};
use bili_qr::ErrorKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match Session::parse(input) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument, "{}", e.message());
            common::check_message(&e);
            // The messages are fixed text plus numbers: none repeats a run of the input (which could be a
            // cookie value) of 7+ characters, except the library's own words.
            let m = e.message();
            for piece in input.split(|c: char| c == ';' || c == '=' || c == '\t' || c == '\n' || c == '"') {
                let p = piece.trim();
                if p.len() >= 7 && p.bytes().any(|b| b.is_ascii_digit()) {
                    assert!(!m.contains(p), "message repeats input {p:?}: {m}");
                }
            }
        }
        Ok(s) => {
            let sess = s.get("SESSDATA").expect("an accepted session has SESSDATA");
            assert!(!sess.value.is_empty());
            let mut names: Vec<&str> = s.cookies.iter().map(|c| c.name.as_str()).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "duplicate cookie names");
            for c in &s.cookies {
                assert!(!c.name.is_empty());
                assert!(c.value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';'));
                assert!(c.name.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b'='));
                if let Some(d) = &c.domain {
                    assert!(!d.starts_with('.'), "domain with a dot: {d}");
                }
                assert!(c.path.starts_with('/'));
            }
            for format in [SessionFormat::Json, SessionFormat::Netscape] {
                let text = s.write(format);
                let back = Session::parse(&text).unwrap_or_else(|e| panic!("{format:?} does not read back: {}", e.message()));
                assert_eq!(back.cookie_header(), s.cookie_header(), "{format:?}");
                if format == SessionFormat::Json {
                    assert_eq!(back, s);
                } else {
                    // cookies.txt carries the account only as the DedeUserID cookie.
                    let dede = s
                        .get("DedeUserID")
                        .and_then(|c| c.value.parse::<i64>().ok())
                        .filter(|m| *m > 0);
                    assert_eq!(back.mid, dede, "{format:?}");
                }
            }
            let header = s.write(SessionFormat::Header);
            assert_eq!(header, s.cookie_header());
            let back = Session::parse(&header).expect("the header reads back");
            assert_eq!(back.cookie_header(), header);
        }
    }
});
