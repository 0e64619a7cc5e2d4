//! The fault modes of the first protocol version (`fault=`, `on`, `times`) and the `gourl=1` /
//! `cookieinfo=1` channels, checked byte by byte with the raw client.

use std::time::{Duration, Instant};

use crate::common::*;

#[test]
fn http_status_faults() {
    let (_srv, base) = start();
    for code in [412u16, 500, 502, 503, 404] {
        for ep in [URL, FETCH] {
            let r = get(&base, &format!("/s/fault={code}{ep}?ticket=abc"));
            assert_eq!(r.status, code);
            assert!(r
                .header("content-type")
                .is_some_and(|c| c.starts_with("text/html")));
            assert!(
                r.text().starts_with("<") && r.text().contains("</html>"),
                "{}",
                r.text()
            );
            assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
        }
    }
    let r = get(&base, &format!("/s/fault=412{URL}"));
    assert!(r.text().contains("412"));
}

#[test]
fn api_code_faults() {
    let (_srv, base) = start();
    for code in [412i64, 352, 400, 799] {
        let r = get(&base, &format!("/s/fault=api-{code}{FETCH}?ticket=abc"));
        assert_eq!(r.status, 200);
        let j = r.json();
        assert_eq!(j["code"], -code);
        assert!(j["data"].is_null());
        assert!(!j["message"].as_str().unwrap_or("").is_empty());
    }
    let r = get(&base, &format!("/s/fault=api-412{URL}"));
    assert_eq!(
        r.text(),
        r#"{"code":-412,"message":"请求被拦截","ttl":1,"data":null}"#
    );
}

#[test]
fn on_and_times_limit_faults() {
    let (srv, base) = start();
    // `times`: transient.
    let sc = "fault=503,times=2,id=tr";
    let statuses: Vec<u16> = (0..4)
        .map(|_| get(&base, &format!("/s/{sc}{URL}")).status)
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    // `on=fetch`: url is normal.
    let sc = "fault=500,on=fetch,id=on";
    let t = issue(&base, sc);
    assert_eq!(fetch(&base, sc, &t).status, 500);
    // `on=url`: fetch is normal.
    let sc = "fault=api-799,on=url,id=on2";
    assert_eq!(get(&base, &format!("/s/{sc}{URL}")).code(), -799);
    assert_eq!(fetch(&base, sc, "tt").code(), 10018101);
    // Reset clears the fault counters too.
    let sc = "fault=503,times=1,id=tr2";
    assert_eq!(get(&base, &format!("/s/{sc}{URL}")).status, 503);
    assert_eq!(get(&base, &format!("/s/{sc}{URL}")).status, 200);
    srv.reset();
    assert_eq!(get(&base, &format!("/s/{sc}{URL}")).status, 503);
}

#[test]
fn slow_fault_waits() {
    let (_srv, base) = start();
    let t0 = Instant::now();
    let r = get(
        &base,
        &format!("/s/fault=slow,delay=300,flow=c{FETCH}?ticket=z"),
    );
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.code(), 0, "answers normally after the wait");
    // on=fetch: the URL endpoint answers without the 30 s wait (10 s is far from it).
    let t0 = Instant::now();
    let r = get(&base, &format!("/s/fault=slow,delay=30000,on=fetch{URL}"));
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(r.code(), 0);
}

#[test]
fn truncated_fault_lies_about_length_and_closes() {
    let (_srv, base) = start();
    for ep in [URL, FETCH] {
        let raw = raw_exchange(&base, &format!("/s/fault=truncated{ep}?ticket=a"));
        let (head, body) = split_head(&raw);
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        let cl: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|v| v.parse().ok())
            .expect("Content-Length");
        assert!(!body.is_empty());
        assert_eq!(cl, body.len() + 200);
    }
}

#[test]
fn huge_faults() {
    let (_srv, base) = start();
    let r = get(&base, &format!("/s/fault=huge{URL}"));
    assert_eq!(r.header("content-length"), Some("2097152"));
    assert_eq!(r.body.len(), 2 * 1024 * 1024);
    assert!(r.json().is_object());
    let mut c = Conn::open(&base);
    let r = c.get(&format!("/s/fault=huge-chunked{FETCH}?ticket=x"));
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body.len(), 2 * 1024 * 1024);
    assert!(r.json().is_object());
    // The connection stays usable after a well-formed chunked answer.
    assert_eq!(c.get(URL).code(), 0);
}

#[test]
fn body_shape_faults() {
    let (_srv, base) = start();
    for ep in [URL, FETCH] {
        let r = get(&base, &format!("/s/fault=notjson{ep}?ticket=a"));
        assert_eq!(r.status, 200);
        assert!(r
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html")));
        assert!(r.text().starts_with("<html>") && r.text().ends_with("</html>"));

        let r = get(&base, &format!("/s/fault=empty{ep}?ticket=a"));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some("0"));
        assert!(r.body.is_empty());

        let r = get(&base, &format!("/s/fault=badtypes{ep}?ticket=a"));
        assert_eq!(r.json()["code"], "0");

        let r = get(&base, &format!("/s/fault=missing{ep}?ticket=a"));
        assert_eq!(r.text(), r#"{"code":0,"message":"0","ttl":1,"data":{}}"#);
    }
    // noticket: only the url endpoint.
    let r = get(&base, &format!("/s/fault=noticket{URL}"));
    assert_eq!(r.code(), 0);
    let qr = qr_url_of(&r);
    assert!(
        qr.starts_with("https://www.bilibili.tv/h5/en/qrcode/login") && !qr.contains("ticket=")
    );
    assert_eq!(
        get(&base, &format!("/s/fault=noticket{FETCH}?ticket=q")).code(),
        10018101
    );
}

#[test]
fn cookie_faults() {
    let (_srv, base) = start();
    let r = fetch(&base, "fault=nocookies,flow=c", "a");
    assert_eq!(r.code(), 0);
    assert_eq!(r.json()["data"]["mid"], 1709658507u64);
    assert!(r.set_cookies().is_empty());
    let r = fetch(&base, "fault=partialcookies,flow=c", "a");
    assert_eq!(r.code(), 0);
    assert_eq!(names(&r.set_cookies()), ["SESSDATA"]);
    // times counts confirmed answers only: the waiting answer does not use it up.
    let sc = "fault=nocookies,times=1,flow=wc,id=ct";
    assert_eq!(fetch(&base, sc, "t1").code(), 10018101);
    assert!(fetch(&base, sc, "t1").set_cookies().is_empty());
    let r = fetch(&base, sc, "t2");
    assert_eq!(r.code(), 10018101);
    let r = fetch(&base, sc, "t2");
    assert_eq!(r.set_cookies().len(), 9);
}

#[test]
fn redirect_faults() {
    let (_srv, base) = start();
    let sc = "fault=redirect,flow=wc,id=rd";
    let target = format!("/s/{sc}{FETCH}?ticket=tk&s_locale=en_US");
    let r = get(&base, &target);
    assert_eq!(r.status, 302);
    let loc = r.header("location").expect("Location").to_string();
    assert_eq!(loc, format!("{base}/r{target}"));
    // The target answers normally, with the normal state machine.
    let next = loc.trim_start_matches(&base).to_string();
    assert_eq!(get(&base, &next).code(), 10018101);
    assert_eq!(get(&base, &next).code(), 0);
    assert_eq!(get(&base, &next).code(), 10018100);
    // url endpoint too.
    let r = get(&base, &format!("/s/{sc}{URL}"));
    assert_eq!(r.status, 302);
    let next = r
        .header("location")
        .expect("Location")
        .trim_start_matches(&base)
        .to_string();
    assert_eq!(get(&base, &next).code(), 0);
    // Loop: the same URL again and again.
    let target = format!("/s/fault=redirect-loop{FETCH}?ticket=x");
    for _ in 0..3 {
        let r = get(&base, &target);
        assert_eq!(r.status, 302);
        assert_eq!(
            r.header("location"),
            Some(format!("{base}{target}").as_str())
        );
    }
    let r = get(&base, &format!("/s/fault=redirect-foreign{URL}"));
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("http://example.com/x"));
}

#[test]
fn reset_fault_closes_without_answer() {
    let (srv, base) = start();
    for ep in [URL, FETCH] {
        let raw = raw_exchange(&base, &format!("/s/fault=reset{ep}?ticket=a"));
        assert!(raw.is_empty(), "{:?}", String::from_utf8_lossy(&raw));
    }
    let log = srv.log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, 0);
    // Transient: times=1 then normal.
    let mut c = Conn::open(&base);
    c.send_raw(
        format!("GET /s/fault=reset,times=1,id=r1{URL} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    );
    assert!(c.read_response().is_none());
    assert_eq!(
        get(&base, &format!("/s/fault=reset,times=1,id=r1{URL}")).code(),
        0
    );
}

#[test]
fn gourl_hops() {
    let (srv, base) = start();
    let sc = "gourl=1,flow=c,id=go";
    let (_, hop1) = hop_login(&base, sc);
    let mut c = Conn::open(&base);
    let r1 = c.get(&hop1);
    assert_eq!(r1.status, 302);
    assert_eq!(
        r1.header("location"),
        Some(format!("/s/{sc}/gourl/hop2").as_str())
    );
    let c1 = r1.set_cookies();
    assert_eq!(names(&c1), ["bili_jct", "joy_jct"]);
    assert_eq!(pair(&c1[0]).1, pair(&c1[1]).1);
    let r2 = c.get(&format!("/s/{sc}/gourl/hop2"));
    assert_eq!(r2.status, 200);
    assert!(r2
        .header("content-type")
        .is_some_and(|v| v.starts_with("text/html")));
    let c2 = r2.set_cookies();
    assert_eq!(names(&c2), ["DedeUserID", "DedeUserID__ckMd5"]);
    assert_eq!(pair(&c2[0]).1, "1709658507");
    // The log records the hops' cookies.
    let log = srv.log();
    assert_eq!(log[1].set_cookies, c1);
    assert_eq!(log[2].set_cookies, c2);

    let r = fetch(&base, "gourl=foreign,flow=c", "tk");
    assert_eq!(r.json()["data"]["go_url"], "https://evil.example.com/steal");
    assert_eq!(r.set_cookies().len(), 9);
}

#[test]
fn cookie_info_body() {
    let (srv, base) = start();
    let r = fetch(&base, "cookieinfo=1,flow=c,mid=77", "tk");
    assert_eq!(names(&r.set_cookies()), ["SESSDATA"]);
    let j = r.json();
    let ci = &j["data"]["cookie_info"];
    assert_eq!(ci["domains"], serde_json::json!([".bilibili.tv"]));
    let list = ci["cookies"].as_array().expect("cookies array");
    let got: Vec<String> = list.iter().map(cookie_pair).collect();
    assert_eq!(got.len(), 3);
    assert!(got[0].starts_with("bili_jct="));
    assert_eq!(got[1], "DedeUserID=77");
    assert!(got[2].starts_with("DedeUserID__ckMd5="));
    for c in list {
        assert_eq!(c["http_only"], 0);
        assert_eq!(c["secure"], 0);
        assert!(c["expires"].as_u64().is_some_and(|e| e > 1_700_000_000));
    }
    assert_eq!(srv.log()[0].cookie_info, got);
}
