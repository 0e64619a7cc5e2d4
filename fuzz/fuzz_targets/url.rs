//! URL resolution (`bili_qr::url`): a base_url (as the options accept it), a redirect `Location` or `go_url`
//! resolved against an endpoint under it, and a proxy URL, all from arbitrary text.
//!
//! Invariants: nothing panics; an accepted URL is http(s), has a valid ASCII host (an IPv6 literal, or
//! letters, digits, `-`, `_`, `.`), a port from 1 to 65535, no user info, no fragment, no space, control or
//! non-ASCII byte; its text parses again to the same URL (normalization is idempotent); plain http only
//! where the host is what the text said; a base_url the options accept always parses here, with the same
//! host; a refusal reason is a fixed phrase that never repeats the input.
#![no_main]

use bili_qr::internals::parse_base_url;
use bili_qr::internals::{check_proxy_authority, Url};
use libfuzzer_sys::fuzz_target;

fn check(u: &Url) {
    let s = u.as_str();
    assert!(s.starts_with("https://") || s.starts_with("http://"), "{s:?}");
    assert!(
        s.bytes().all(|b| b.is_ascii_graphic()) && !s.contains('#'),
        "{s:?}"
    );
    assert!(!u.host().is_empty());
    assert!(u.port() >= 1);
    let authority = s.split("://").nth(1).unwrap().split(['/', '?']).next().unwrap();
    assert!(!authority.contains('@'), "{s:?}");
    assert!(
        u.host().parse::<std::net::Ipv6Addr>().is_ok()
            || u.host()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)),
        "{s:?}"
    );
    let again = Url::parse(s).expect("a normalized URL parses again");
    assert_eq!(&again, u, "normalization is idempotent");
    assert_eq!(u.uri().host().map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()), Some(u.host().to_owned()));
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `base|reference|proxy`; missing parts are empty.
    let mut parts = text.splitn(3, '|');
    let base = parts.next().unwrap_or("");
    let reference = parts.next().unwrap_or("");
    let proxy = parts.next().unwrap_or("");

    for candidate in [base, reference, proxy] {
        match Url::parse(candidate) {
            Ok(u) => check(&u),
            Err(e) => assert!(!e.reason().is_empty()),
        }
    }
    if let Ok(b) = parse_base_url(base) {
        let endpoint = format!("{}/x/intl/passport-login/qrcode/auth/fetch?ticket=T", b.as_str());
        let u = Url::parse(&endpoint).expect("an accepted base_url builds a valid endpoint");
        assert_eq!(u.host(), b.host());
        check(&u);
        match u.join(reference) {
            Ok(next) => {
                check(&next);
                // A reference without a scheme or `//` stays on the same origin.
                let t = reference.trim_matches([' ', '\t']);
                if !t.contains(':') && !t.starts_with("//") && !t.starts_with("\\") {
                    assert!(next.same_origin(&u), "{reference:?} -> {}", next.as_str());
                }
            }
            Err(e) => assert!(!e.reason().is_empty()),
        }
    }
    if let Ok((host, port)) = check_proxy_authority(proxy) {
        assert!(!host.is_empty());
        assert!(port.is_none_or(|p| p >= 1));
    }
});
