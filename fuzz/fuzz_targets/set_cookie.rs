//! `Set-Cookie` parsing and the merge rules (`CookieJar::apply_set_cookie`), fed a sequence of headers: the
//! first byte picks the `base_url` host, the rest is split into header lines.
//!
//! Invariants, checked after every header: the jar never keeps a foreign-domain cookie, a deleted or
//! expired one, or two of the same name; one header changes at most the cookie of its own name (added at the
//! end, replaced in place, or removed) and leaves the others and their order alone; a kept value is exactly
//! as sent (a substring of its header); `cookie_header` is the kept cookies in order.
#![no_main]

mod common;

use bili_qr::cookies::{Cookie, CookieJar};
use libfuzzer_sys::fuzz_target;

const HOSTS: [&str; 5] = [
    "127.0.0.1",
    "localhost",
    "passport.bilibili.tv",
    "example.com",
    "::1",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let base_host = HOSTS[selector as usize % HOSTS.len()];
    let text = String::from_utf8_lossy(rest);
    let mut jar = CookieJar::default();
    let mut before: Vec<Cookie> = Vec::new();
    for header in text.split('\n') {
        jar.apply_set_cookie(header, base_host, common::NOW);
        let after = jar.clone().into_vec();
        common::check_cookies(&after, base_host, common::NOW);
        common::check_header(&jar.cookie_header(), &after);
        check_step(&before, &after, header);
        before = after;
    }
});

/// The difference between two successive jars is at most one name, changed in the allowed way.
fn check_step(before: &[Cookie], after: &[Cookie], header: &str) {
    let changed: Vec<&str> = before
        .iter()
        .filter(|b| after.iter().find(|a| a.name == b.name) != Some(*b))
        .map(|b| b.name.as_str())
        .chain(
            after
                .iter()
                .filter(|a| !before.iter().any(|b| b.name == a.name))
                .map(|a| a.name.as_str()),
        )
        .collect();
    assert!(
        changed.len() <= 1,
        "one header {header:?} changed several cookies: {changed:?}"
    );
    // The untouched cookies keep their relative order.
    let keep = |list: &[Cookie]| -> Vec<String> {
        list.iter()
            .filter(|c| !changed.contains(&c.name.as_str()))
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(
        keep(before),
        keep(after),
        "order of untouched cookies changed by {header:?}"
    );
    let Some(&name) = changed.first() else {
        return;
    };
    assert!(
        header.contains(name),
        "cookie {name:?} changed by a header that does not name it: {header:?}"
    );
    let old = before.iter().position(|c| c.name == name);
    let new = after.iter().position(|c| c.name == name);
    match (old, new) {
        (Some(o), Some(n)) => assert_eq!(o, n, "a replaced cookie moved"),
        (None, Some(n)) => assert_eq!(n, after.len() - 1, "a new cookie was not appended"),
        (Some(_), None) | (None, None) => {}
    }
    if let Some(n) = new {
        let c = &after[n];
        assert!(
            header.contains(&c.value),
            "value {:?} not as sent in {header:?}",
            c.value
        );
        if let Some(e) = c.expires {
            assert!(e > common::NOW);
        }
    }
}
