//! The transport against the repo's fake server (a dev-dependency): redirect chains, per-hop cookies kept
//! on failure, the call deadline and cancel across hops, Cookie header, form POST, Retry-After, header limits.

use super::*;
use bili_qr_fake_server::FakeServer;
use std::sync::Arc;

fn options(base: &str, extra: &str) -> Options {
    let base = serde_json::to_string(base).unwrap();
    Options::from_json(Some(&format!(r#"{{"base_url":{base}{extra}}}"#))).unwrap()
}

const FETCH: &str = "/x/intl/passport-login/qrcode/auth/fetch?ticket=T0123456789";

#[test]
fn go_url_hop_cookies_survive_a_later_404_and_an_untrusted_hop() {
    let srv = FakeServer::start();
    for (mode, expect_err) in [("hop404", false), ("hopforeign", true)] {
        let base = srv.url(&format!("id=h-{mode},gourl={mode}"));
        let o = options(&base, "");
        let url = format!("{base}/gourl/hop1");
        let sent = Request::get(&url)
            .mode(Mode::Follow)
            .label("the go_url host")
            .send(&o, &Call::default());
        let hops = match sent {
            Ok(a) => {
                assert!(!expect_err, "{mode}");
                assert_eq!(a.status, 404, "{mode}");
                a.hops
            }
            Err(f) => {
                assert!(expect_err, "{mode}: {}", f.error.message());
                assert!(
                    f.error
                        .message()
                        .contains("refused to request a redirect target"),
                    "{}",
                    f.error.message()
                );
                assert!(!f.error.message().contains("evil"), "{}", f.error.message());
                f.hops
            }
        };
        let first = &hops[0];
        assert_eq!((first.host.as_str(), first.status), ("127.0.0.1", 302));
        let names: Vec<&str> = first
            .set_cookies
            .iter()
            .filter_map(|c| c.split('=').next())
            .collect();
        assert!(
            names.contains(&"bili_jct") && names.contains(&"DedeUserID"),
            "{names:?}"
        );
    }
    // evil.example.com was never asked (the fake server would have logged nothing for it anyway: check
    // that only the two hops of hop404 and the one of hopforeign reached it).
    assert_eq!(srv.requests(), 3);
}

#[test]
fn a_deadline_bounds_a_slow_redirect_chain_and_a_cancel_is_seen_between_hops() {
    let srv = FakeServer::start();
    let base = srv.url("id=slow,fault=slowchain,delay=400,hops=6");
    let o = options(&base, r#","timeout_ms":10000"#);
    let url = format!("{base}{FETCH}");
    let t0 = Instant::now();
    let call = Call {
        deadline: Some(t0 + Duration::from_millis(1000)),
        cancel: None,
    };
    let f = Request::get(&url).send(&o, &call).unwrap_err();
    let took = t0.elapsed();
    assert_eq!(f.error.kind(), ErrorKind::Timeout, "{}", f.error.message());
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(
        !f.hops.is_empty(),
        "the hops answered before the deadline are kept"
    );

    let signal = Arc::new(Signal::default());
    let s2 = Arc::clone(&signal);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        s2.cancel();
        Instant::now()
    });
    let call = Call {
        deadline: None,
        cancel: Some(&signal),
    };
    let f = Request::get(&url).send(&o, &call).unwrap_err();
    let cancelled_at = canceller.join().unwrap();
    let after = cancelled_at.elapsed();
    assert_eq!(
        f.error.kind(),
        ErrorKind::Cancelled,
        "{}",
        f.error.message()
    );
    assert!(after < Duration::from_millis(900), "{after:?}");
}

#[test]
fn a_long_request_line_and_a_long_cookie_line_are_sent_whole() {
    // The head guard's output starts smaller than the longest header line it must carry, and its first
    // size holds the longest request line (a URL of url::MAX_URL_LEN): both go out whole, GET and POST.
    let srv = FakeServer::start();
    let base = srv.url("id=long");
    let o = options(&base, "");
    let long_value = "v".repeat(40 * 1024);
    let cookie = format!("SESSDATA=s1; big={long_value}; bili_jct=abc");
    let path = "/x/intl/passport-login/web/login/exit?csrf=abc&pad=";
    let pad = "p".repeat(crate::url::MAX_URL_LEN - base.len() - path.len());
    let url = format!("{base}{path}{pad}");
    assert_eq!(url.len(), crate::url::MAX_URL_LEN);
    for post in [false, true] {
        let request = if post {
            Request::post_form(&url, "csrf=abc")
        } else {
            Request::get(&url)
        };
        let _ = request.cookie(Some(&cookie)).send(&o, &Call::default());
        let rec = srv.log().pop().unwrap();
        assert_eq!(rec.method, if post { "POST" } else { "GET" });
        assert_eq!(rec.query.get("pad"), Some(&pad), "the whole URL arrived");
        assert_eq!(
            rec.cookies,
            ["SESSDATA=s1", &format!("big={long_value}"), "bili_jct=abc"]
        );
    }
    // Then an ordinary request on the same connection.
    let _ = Request::get(&format!("{base}{FETCH}")).send(&o, &Call::default());
    let rec = srv.log().pop().unwrap();
    assert_eq!(
        rec.query.get("ticket").map(String::as_str),
        Some("T0123456789")
    );
}

#[test]
fn cookie_header_and_form_post_are_sent_and_retry_after_is_read() {
    let srv = FakeServer::start();
    let base = srv.url("id=post");
    let o = options(&base, "");
    let url = format!("{base}/x/intl/passport-login/web/login/exit?csrf=abc");
    let _ = Request::post_form(&url, "csrf=abc&x=%20y")
        .cookie(Some("SESSDATA=s1; bili_jct=abc"))
        .send(&o, &Call::default());
    let rec = srv.log().pop().unwrap();
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.cookies, ["SESSDATA=s1", "bili_jct=abc"]);
    assert_eq!(rec.form.get("csrf").map(String::as_str), Some("abc"));
    assert_eq!(rec.form.get("x").map(String::as_str), Some(" y"));
    assert_eq!(
        rec.headers.get("content-type").map(String::as_str),
        Some("application/x-www-form-urlencoded")
    );
    // A Cookie value a header cannot carry is refused before anything is sent.
    let before = srv.requests();
    let f = Request::get(&url)
        .cookie(Some("a=1\r\nX-Injected: 1"))
        .send(&o, &Call::default())
        .unwrap_err();
    assert_eq!(f.error.kind(), ErrorKind::Argument);
    assert_eq!(srv.requests(), before);

    for (scenario, secs) in [("fault=429,retry=7", 7), ("fault=503,retry=3", 3)] {
        let base = srv.url(&format!("id=ra,{scenario}"));
        let url = format!("{base}{FETCH}");
        let e = Error::from(
            Request::get(&url)
                .send(&options(&base, ""), &Call::default())
                .unwrap_err(),
        );
        assert_eq!(e.kind(), ErrorKind::Http);
        assert_eq!(
            e.retry_after(),
            Some(Duration::from_secs(secs)),
            "{}",
            e.message()
        );
        assert!(e.message().contains("Retry-After"), "{}", e.message());
    }
    let base = srv.url("id=rd,fault=429,retrydate=1,retry=5");
    let url = format!("{base}{FETCH}");
    let e = Error::from(
        Request::get(&url)
            .send(&options(&base, ""), &Call::default())
            .unwrap_err(),
    );
    let ra = e.retry_after().expect("an HTTP-date Retry-After is read");
    assert!((3..=6).contains(&ra.as_secs()), "{ra:?}");
}

#[test]
fn hostile_locations_are_refused_or_followed_without_panic() {
    let srv = FakeServer::start();
    for (fault, ok_status) in [
        ("location-nonascii", Some(404)),
        ("location-space", Some(404)),
        ("location-badhost", None),
        ("location-badport", None),
    ] {
        let base = srv.url(&format!("id=loc-{fault},fault={fault}"));
        let url = format!("{base}{FETCH}");
        let sent = Request::get(&url).send(&options(&base, ""), &Call::default());
        match (sent, ok_status) {
            (Err(f), Some(status)) => {
                assert_eq!(
                    f.error.http_status(),
                    Some(status),
                    "{fault}: {}",
                    f.error.message()
                );
                assert_eq!(f.hops.len(), 2, "{fault}: followed once");
            }
            (Err(f), None) => {
                let m = f.error.message();
                assert_eq!(f.error.kind(), ErrorKind::Network, "{fault}: {m}");
                assert!(m.contains("invalid Location"), "{fault}: {m}");
                assert!(!m.contains("check the network"), "{fault}: {m}");
                assert_eq!(f.hops.len(), 1, "{fault}: not followed");
            }
            (Ok(a), _) => panic!("{fault}: answered {}", a.status),
        }
    }
    // The non-ASCII and space Locations were sent percent-encoded.
    let paths: Vec<String> = srv.log().iter().map(|r| r.path.clone()).collect();
    assert!(paths.iter().any(|p| p == "/abcdef%C3%A9"), "{paths:?}");
    assert!(paths.iter().any(|p| p == "/r/bad%20location"), "{paths:?}");
    assert!(!paths.iter().any(|p| p == "/x"), "{paths:?}");
}

#[test]
fn header_limits_fail_at_once_and_many_headers_pass() {
    let srv = FakeServer::start();
    let o = |base: &str| options(base, r#","timeout_ms":5000"#);
    let base = srv.url("id=many,fault=manyheaders,flow=w");
    let url = format!("{base}{FETCH}");
    let a = Request::get(&url)
        .send(&o(&base), &Call::default())
        .unwrap();
    assert_eq!(a.status, 200);
    assert!(a.body.starts_with(b"{"));
    for (fault, limit) in [
        ("toomanyheaders", "header count limit"),
        ("longheader", "header line limit"),
    ] {
        let base = srv.url(&format!("id={fault},fault={fault}"));
        let url = format!("{base}{FETCH}");
        let t0 = Instant::now();
        let e = Error::from(
            Request::get(&url)
                .send(&o(&base), &Call::default())
                .unwrap_err(),
        );
        let took = t0.elapsed();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{fault}: {}", e.message());
        assert!(e.message().contains(limit), "{fault}: {}", e.message());
        assert!(took < Duration::from_secs(2), "{fault}: {took:?}");
    }
}

#[test]
fn a_refused_proxy_is_named() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // An IP literal needs no lookup, so every kind of proxy is asked (and refuses).
    for (scheme, base) in [
        ("http", "https://passport.bilibili.tv"),
        ("socks5h", "https://passport.bilibili.tv"),
        ("socks5", "https://192.0.2.1"),
    ] {
        let o = options(
            base,
            &format!(r#","proxy":"{scheme}://127.0.0.1:{port}","timeout_ms":3000"#),
        );
        let url = format!("{base}{FETCH}");
        let e = Error::from(Request::get(&url).send(&o, &Call::default()).unwrap_err());
        assert_eq!(e.kind(), ErrorKind::Network, "{scheme}: {}", e.message());
        assert!(
            e.message().contains(&format!(
                "the proxy 127.0.0.1:{port} refused the connection"
            )),
            "{scheme}: {}",
            e.message()
        );
        assert!(!e.message().contains("check base_url"), "{}", e.message());
    }
    // socks5:// resolves names here (this test machine resolves none): said so, with the way out.
    let o = options(
        "https://passport.bilibili.tv",
        &format!(r#","proxy":"socks5://127.0.0.1:{port}","timeout_ms":3000"#),
    );
    let url = format!("https://passport.bilibili.tv{FETCH}");
    let e = Error::from(Request::get(&url).send(&o, &Call::default()).unwrap_err());
    // (On a machine that does resolve names, the proxy is asked and refuses.)
    assert!(
        e.message().contains("socks5h://")
            || e.message()
                .contains(&format!("the proxy 127.0.0.1:{port} refused")),
        "{}",
        e.message()
    );
}

/// A one-shot HTTP server on 127.0.0.1 that answers every connection with `answer` (then keeps the
/// connection open for a while, so that only a limit, not a closed socket, can end the request).
fn raw_server(answer: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(&answer);
            std::thread::sleep(Duration::from_secs(3));
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn too_many_bytes_of_kept_headers_fail_at_once() {
    let mut answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n".to_vec();
    for i in 0..70 {
        answer.extend_from_slice(format!("Set-Cookie: c{i}={}\r\n", "v".repeat(1000)).as_bytes());
    }
    answer.extend_from_slice(b"\r\n{}");
    let base = raw_server(answer);
    let o = options(&base, r#","timeout_ms":5000"#);
    let t0 = Instant::now();
    let e = Error::from(
        Request::get(&format!("{base}/x"))
            .send(&o, &Call::default())
            .unwrap_err(),
    );
    assert_eq!(e.kind(), ErrorKind::Protocol, "{}", e.message());
    assert!(e.message().contains("header size limit"), "{}", e.message());
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
}
