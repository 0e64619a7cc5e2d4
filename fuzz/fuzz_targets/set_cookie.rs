//! `Set-Cookie` parsing and the merge rules (`CookieJar::apply_set_cookie`), fed a sequence of headers: the
//! first byte picks the `base_url` host, the rest is split into header lines.
//!
//! Invariants, checked after every header: the jar never keeps a foreign-domain cookie, a deleted or
//! expired one, or two of the same name, domain and path; one header changes at most the cookie of its own name (added at the
//! end, replaced in place, or removed) and leaves the others and their order alone; a kept value is exactly
//! as sent (a substring of its header); `cookie_header` is the kept cookies in order.
#![no_main]

mod common;

use bili_qr::internals::{split_folded, Cookie, CookieJar};
use libfuzzer_sys::fuzz_target;

const HOSTS: [&str; 5] = [
    "127.0.0.1",
    "localhost",
    "passport.bilibili.tv",
    "example.com",
    "::1",
];

fuzz_target!(|data: &[u8]| {
    let Some((&base_host, rest)) = common::pick(data, &HOSTS) else {
        return;
    };
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

/// The difference between two successive jars: only cookies the header names changed (a proxy-folded line
/// may set several), each in the allowed way.
fn check_step(before: &[Cookie], after: &[Cookie], header: &str) {
    let key = |c: &Cookie| (c.name.clone(), c.domain.clone(), c.path.clone());
    let changed: Vec<(String, Option<String>, String)> = before
        .iter()
        .filter(|b| after.iter().find(|a| key(a) == key(b)) != Some(*b))
        .map(key)
        .chain(
            after
                .iter()
                .filter(|a| !before.iter().any(|b| key(b) == key(a)))
                .map(key),
        )
        .collect();
    for (name, _, _) in &changed {
        assert!(
            header.contains(name.as_str()),
            "cookie {name:?} changed by a header that does not name it: {header:?}"
        );
    }
    // The untouched cookies keep their relative order.
    let keep = |list: &[Cookie]| -> Vec<(String, Option<String>, String)> {
        list.iter()
            .map(key)
            .filter(|k| !changed.contains(k))
            .collect()
    };
    assert_eq!(
        keep(before),
        keep(after),
        "order of untouched cookies changed by {header:?}"
    );
    let untouched = keep(after).len();
    let single = split_folded(header).len() == 1;
    for k in &changed {
        let old = before.iter().position(|c| &key(c) == k);
        let new = after.iter().position(|c| &key(c) == k);
        match (old, new) {
            // One cookie per header: a replaced cookie keeps its place. (A folded line may delete a cookie
            // and set it again, which moves it to the end.)
            (Some(o), Some(n)) if single => assert_eq!(
                before[..o].iter().filter(|c| !changed.contains(&key(c))).count(),
                after[..n].iter().filter(|c| !changed.contains(&key(c))).count(),
                "a replaced cookie moved"
            ),
            (None, Some(n)) => assert!(n >= untouched, "a new cookie was not appended"),
            _ => {}
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
}
