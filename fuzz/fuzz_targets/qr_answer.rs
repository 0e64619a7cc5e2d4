//! The `qrcode/auth/url` answer parser (`passport::parse_qr_code`), fed arbitrary bodies.
//!
//! Invariants: an accepted answer is a code-0 envelope whose ticket is a valid ticket taken verbatim from the
//! `ticket=` parameter of `qr_url` (a substring of the body's qr_url, never the whole URL); a rejected one is a
//! protocol error, or an API error exactly when the envelope parses with a code other than 0; a qr_url handed
//! out is https on the service's domains; every message is one bounded line.
#![no_main]

mod common;

use bili_qr::internals::{parse_envelope, parse_qr_code, qr_url_allowed};
use bili_qr::Options;
use bili_qr::internals::{extract, MAX_TICKET_LEN};
use bili_qr::ErrorKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let envelope = parse_envelope("qrcode/auth/url", data);
    let options = Options::default();
    match parse_qr_code(data, &options) {
        Ok(qr) => {
            assert!(qr_url_allowed(&qr.qr_url, &options), "qr_url handed out unchecked");
            // The scheme is case-insensitive (RFC 3986 3.1): "HTTPS://" is https.
            assert!(
                qr.qr_url
                    .get(..8)
                    .is_some_and(|s| s.eq_ignore_ascii_case("https://")),
                "{:?}",
                qr.qr_url
            );
            let env = envelope.expect("parse_qr_code accepted a body parse_envelope refuses");
            assert_eq!(env.code, 0, "accepted a non-zero code");
            let data_obj = env
                .data
                .as_object()
                .expect("accepted without a data object");
            assert_eq!(
                data_obj.get("qr_url").and_then(|v| v.as_str()),
                Some(qr.qr_url.as_str())
            );
            assert_eq!(
                data_obj.get("qr_type").and_then(|v| v.as_str()),
                Some(qr.qr_type.as_str())
            );
            let t = &qr.ticket;
            assert!(
                !t.is_empty() && t.len() <= MAX_TICKET_LEN,
                "ticket length {}",
                t.len()
            );
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)),
                "bad ticket {t:?}"
            );
            assert_ne!(t, &qr.qr_url, "the whole qr_url taken as a ticket");
            assert!(
                qr.qr_url.contains(&format!("ticket={t}")),
                "ticket not from ticket=: {t:?}"
            );
            assert_eq!(extract(&qr.qr_url).ok(), Some(t.as_str()));
        }
        Err(e) => {
            common::check_message(&e);
            match &envelope {
                Ok(env) if env.code != 0 => {
                    assert_eq!(e.kind(), ErrorKind::Api);
                    assert!(
                        e.message().contains(&env.code.to_string()),
                        "API message lacks the code"
                    );
                }
                _ => assert_eq!(e.kind(), ErrorKind::Protocol, "{}", e.message()),
            }
        }
    }
});
