//! The hostile shapes: hostile Locations, go_urls, header bombs, cookie domains, cookie_info and qr_url.

use std::time::{Duration, Instant};

use crate::common::*;
use serde_json::json;

/// One raw request on a fresh connection: the head as bytes (so non-ASCII survives as sent).
fn raw_head(base: &str, target: &str) -> Vec<u8> {
    let mut c = Conn::open(base);
    c.send_raw(format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes());
    let all = c.read_to_end();
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    all[..end].to_vec()
}

#[test]
fn hostile_locations() {
    let (_srv, base) = start();
    for (mode, want) in [
        ("location-nonascii", "/abcdef\u{e9}"),
        ("location-badhost", "http://\u{e9}/"),
        ("location-space", "/r/bad location"),
        ("location-badport", "http://127.0.0.1:99999/x"),
    ] {
        let head = raw_head(&base, &format!("/s/fault={mode}{URL}"));
        assert!(head.starts_with(b"HTTP/1.1 302 "), "{mode}");
        let needle = format!("\r\nLocation: {want}\r\n");
        let mut with_crlf = head.clone();
        with_crlf.extend_from_slice(b"\r\n");
        assert!(
            with_crlf
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "{mode}: {}",
            String::from_utf8_lossy(&head)
        );
    }
    // The non-ASCII one is raw UTF-8, not percent-encoded.
    let head = raw_head(&base, &format!("/s/fault=location-nonascii{URL}"));
    assert!(head.windows(2).any(|w| w == [0xc3, 0xa9]));
    // The ticket did not advance at the faulted request.
    let sc = "fault=location-badport,times=1,on=fetch,flow=wc,id=lb";
    assert_eq!(fetch(&base, sc, "t").status, 302);
    assert_eq!(fetch(&base, sc, "t").code(), 10018101);
}

#[test]
fn slow_redirect_chain() {
    let (_srv, base) = start();
    let sc = "fault=slowchain,delay=150,hops=3,on=fetch,flow=c,id=sc";
    let mut c = Conn::open(&base);
    let mut target = format!("/s/{sc}{FETCH}?ticket=tk&s_locale=en_US");
    let mut redirects = 0;
    let t0 = Instant::now();
    let r = loop {
        let hop = Instant::now();
        let r = c.get(&target);
        if r.status != 302 {
            break r;
        }
        assert!(
            hop.elapsed() >= Duration::from_millis(140),
            "hop {redirects} answered after {:?}",
            hop.elapsed()
        );
        redirects += 1;
        assert!(redirects <= 3, "more redirects than hops=3");
        let loc = r.header("location").expect("Location").to_string();
        target = loc
            .strip_prefix(&base)
            .expect("absolute, same origin")
            .to_string();
    };
    assert_eq!(redirects, 3);
    assert!(
        target.starts_with(&format!("/r/s/{sc}{FETCH}?ticket=tk")),
        "{target}"
    );
    assert_eq!(r.code(), 0, "the chain ends at the normal answer");
    assert!(t0.elapsed() >= Duration::from_millis(440));
    // Default: 6 redirects.
    let mut target = format!("/s/fault=slowchain,delay=1,id=sc6{URL}");
    let mut n = 0;
    loop {
        let r = c.get(&target);
        if r.status != 302 {
            assert_eq!(r.code(), 0);
            break;
        }
        n += 1;
        assert!(n <= 6);
        target = r
            .header("location")
            .expect("Location")
            .trim_start_matches(&base)
            .to_string();
    }
    assert_eq!(n, 6);
}

#[test]
fn hostile_go_urls() {
    let (_srv, base) = start();
    let go = |mode: &str| {
        let r = fetch(&base, &format!("gourl={mode},flow=c,id={mode}"), "tk");
        assert_eq!(
            r.set_cookies().len(),
            9,
            "{mode}: the full set comes with the answer"
        );
        (
            r.json()["data"]["go_url"]
                .as_str()
                .expect("go_url")
                .to_string(),
            r.set_cookies(),
        )
    };
    assert_eq!(go("nonascii").0, "/x/abcd\u{e9}?from=gourl");
    assert_eq!(go("badport").0, "http://127.0.0.1:99999/gourl/hop1");
    let (url, set) = go("secrethost");
    let sess = pair(&set[0]).1;
    assert_eq!(url, format!("https://{sess}.bilibili.tv/"));
    let (url, _) = go("slowchain");
    assert_eq!(
        url,
        format!("{base}/s/gourl=slowchain,flow=c,id=slowchain/gourl/slow/1")
    );

    // The slow go_url chain: `hops` pages, each after `delay`.
    let sc = "gourl=slowchain,delay=120,hops=3,flow=c,id=gs";
    let r = fetch(&base, sc, "tk");
    let mut target = r.json()["data"]["go_url"]
        .as_str()
        .expect("go_url")
        .trim_start_matches(&base)
        .to_string();
    let mut c = Conn::open(&base);
    let mut pages = 0;
    loop {
        let t0 = Instant::now();
        let r = c.get(&target);
        assert!(t0.elapsed() >= Duration::from_millis(110));
        pages += 1;
        if r.status == 200 {
            break;
        }
        assert_eq!(r.status, 302);
        target = r
            .header("location")
            .expect("Location")
            .trim_start_matches(&base)
            .to_string();
        assert!(pages < 3);
    }
    assert_eq!(pages, 3);
}

#[test]
fn header_bombs() {
    let (_srv, base) = start();
    let r = get(
        &base,
        &format!("/s/fault=manyheaders,flow=c{FETCH}?ticket=t"),
    );
    assert_eq!(r.code(), 0, "a valid, normal answer");
    assert_eq!(r.set_cookies().len(), 9);
    let fake: Vec<_> = r
        .headers
        .iter()
        .filter(|(n, _)| n.starts_with("X-Fake-"))
        .collect();
    assert_eq!(fake.len(), 200);
    assert_eq!(fake[199], &("X-Fake-200".to_string(), "200".to_string()));
    let r = get(&base, &format!("/s/fault=toomanyheaders{URL}"));
    assert_eq!(r.code(), 0);
    assert_eq!(
        r.headers
            .iter()
            .filter(|(n, _)| n.starts_with("X-Fake-"))
            .count(),
        1000
    );
    assert!(r.headers.len() > 1000);
    let r = get(&base, &format!("/s/fault=longheader{URL}"));
    assert_eq!(r.code(), 0);
    let long = r.header("x-long").expect("X-Long");
    assert_eq!(long.len(), 65_536);
    assert!(long.bytes().all(|b| b == b'a'));
}

#[test]
fn hostile_cookie_domains() {
    let (_srv, base) = start();
    let r = fetch(&base, "cookiedomain=hostile,flow=c", "tk");
    let set = r.set_cookies();
    assert_eq!(
        names(&set),
        kept_then(&["evil1", "evil2", "evil3", "evil4", "buvid3", "old_tracker"])
    );
    let domains: Vec<&str> = set[7..11]
        .iter()
        .filter_map(|c| attr(c, "Domain"))
        .collect();
    assert_eq!(
        domains,
        [
            "evil.example/.bilibili.tv",
            "evil.example .bilibili.tv",
            "*.bilibili.tv",
            "evil.example:1.bilibili.tv"
        ]
    );
}

#[test]
fn hostile_cookie_info() {
    let (srv, base) = start();
    let info = |mode: &str| {
        let r = fetch(&base, &format!("cookieinfo={mode},flow=c,id={mode}"), "tk");
        assert_eq!(names(&r.set_cookies()), ["SESSDATA"], "{mode}");
        (r.json()["data"]["cookie_info"].clone(), r.body.len())
    };
    let (ci, _) = info("foreign");
    assert_eq!(ci["domains"], json!([".evil.example"]));
    assert_eq!(ci["cookies"].as_array().map(Vec::len), Some(3));
    let (ci, _) = info("mixed");
    assert_eq!(ci["domains"], json!([".evil.example", ".bilibili.tv"]));
    let (ci, _) = info("hostile");
    let list = ci["cookies"].as_array().expect("cookies").clone();
    assert_eq!(list.len(), 9);
    let bad: Vec<String> = list[3..].iter().map(cookie_pair).collect();
    for b in &bad {
        assert!(
            b.contains('\r') || b.contains('\n') || b.contains('\0') || b.matches(';').count() > 0,
            "{b:?} is not hostile"
        );
    }
    assert!(bad.iter().any(|b| b.contains("\r\n")));
    assert!(bad.iter().any(|b| b.contains('\0')));
    assert!(bad.iter().any(|b| b.contains(';')));
    let (ci, len) = info("many");
    let list = ci["cookies"].as_array().expect("cookies");
    assert_eq!(list.len(), 30_000);
    assert_eq!(list[0]["name"], "bili_jct");
    assert_eq!(list[29_999]["name"], "c29997");
    assert!(len < 1 << 20, "body {len} bytes fits the 1 MiB limit");
    // The log lists only the three real cookies.
    let log = srv.log();
    assert_eq!(log.last().map(|r| r.cookie_info.len()), Some(3));
}

#[test]
fn hostile_qr_urls() {
    let (_srv, base) = start();
    // Each mode, then how its qr_url begins.
    for (mode, begins) in [
        ("javascript", "javascript:alert(1)//?ticket="),
        ("foreign", "https://evil.example/phish?ticket="),
    ] {
        let r = get(&base, &format!("/s/qrurl={mode},flow=c{URL}"));
        assert_eq!(r.code(), 0);
        let qr = qr_url_of(&r);
        let t = qr.strip_prefix(begins).unwrap_or_else(|| panic!("{qr}"));
        assert_eq!(t.len(), 32);
        // The ticket is real.
        assert_eq!(fetch(&base, &format!("qrurl={mode},flow=c"), t).code(), 0);
    }
}
