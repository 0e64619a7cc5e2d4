//! Options: every bad value is an argument error naming the key (nothing sent); boundary and good values
//! are accepted and sent; proxy; defaults.

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::{json, Value};

/// (options JSON, key the message must name). Every key: wrong type, below/above range, bad values.
fn bad_options(port: u16) -> Vec<(String, &'static str)> {
    let base = format!("http://127.0.0.1:{port}/s/id=badopts");
    let long = |n: usize| "a".repeat(n);
    let mut v: Vec<(Value, &'static str)> = vec![
        // base_url
        (json!({"base_url": 5}), "base_url"),
        (json!({"base_url": null}), "base_url"),
        (json!({"base_url": ""}), "base_url"),
        (
            json!({"base_url": "ftp://passport.bilibili.tv"}),
            "base_url",
        ),
        (json!({"base_url": "passport.bilibili.tv"}), "base_url"),
        (
            json!({"base_url": "http://passport.bilibili.tv"}),
            "base_url",
        ),
        (json!({"base_url": "http://10.0.0.1:80"}), "base_url"),
        (
            json!({"base_url": "https://passport.bilibili.tv/?a=1"}),
            "base_url",
        ),
        (
            json!({"base_url": "https://passport.bilibili.tv/#frag"}),
            "base_url",
        ),
        (
            json!({"base_url": "https://user:pw@passport.bilibili.tv/"}),
            "base_url",
        ),
        (json!({"base_url": format!("{base}?x=1")}), "base_url"),
        (json!({"base_url": "https://"}), "base_url"),
        (
            json!({"base_url": "https://pass port.bilibili.tv"}),
            "base_url",
        ),
        // locale / platform
        (json!({"locale": 1}), "locale"),
        (json!({"locale": ""}), "locale"),
        (json!({"locale": long(17)}), "locale"),
        (json!({"locale": "en US"}), "locale"),
        (json!({"locale": "en.US"}), "locale"),
        (json!({"locale": "ü"}), "locale"),
        (json!({"platform": true}), "platform"),
        (json!({"platform": ""}), "platform"),
        (json!({"platform": long(17)}), "platform"),
        (json!({"platform": "web&x=1"}), "platform"),
        // timeout_ms
        (json!({"timeout_ms": "5000"}), "timeout_ms"),
        (json!({"timeout_ms": 0}), "timeout_ms"),
        (json!({"timeout_ms": -1}), "timeout_ms"),
        (json!({"timeout_ms": 600001}), "timeout_ms"),
        (json!({"timeout_ms": 1.5}), "timeout_ms"),
        (json!({"timeout_ms": null}), "timeout_ms"),
        // user_agent
        (json!({"user_agent": 7}), "user_agent"),
        (json!({"user_agent": ""}), "user_agent"),
        (json!({"user_agent": long(513)}), "user_agent"),
        (json!({"user_agent": "Mozilla/5.0 é"}), "user_agent"),
        (json!({"user_agent": "Mozilla\r\nX-Evil: 1"}), "user_agent"),
        (json!({"user_agent": "tab\there"}), "user_agent"),
        // proxy
        (json!({"proxy": 8080}), "proxy"),
        (json!({"proxy": "ftp://127.0.0.1:21"}), "proxy"),
        (json!({"proxy": "127.0.0.1:3128"}), "proxy"),
        (json!({"proxy": "http://"}), "proxy"),
        (json!({"proxy": "http://127.0.0.1:3128 x"}), "proxy"),
        // poll_interval_ms
        (json!({"poll_interval_ms": "100"}), "poll_interval_ms"),
        (json!({"poll_interval_ms": 99}), "poll_interval_ms"),
        (json!({"poll_interval_ms": 60001}), "poll_interval_ms"),
        (json!({"poll_interval_ms": 150.5}), "poll_interval_ms"),
        // wait_timeout_ms
        (json!({"wait_timeout_ms": [1000]}), "wait_timeout_ms"),
        (json!({"wait_timeout_ms": 999}), "wait_timeout_ms"),
        (json!({"wait_timeout_ms": 3600001}), "wait_timeout_ms"),
        (json!({"wait_timeout_ms": -5000}), "wait_timeout_ms"),
        // max_retries
        (json!({"max_retries": "3"}), "max_retries"),
        (json!({"max_retries": -1}), "max_retries"),
        (json!({"max_retries": 101}), "max_retries"),
        (json!({"max_retries": 2.5}), "max_retries"),
        (json!({"max_retries": false}), "max_retries"),
        // unknown keys
        (json!({"bogus": 1}), "bogus"),
        (json!({"Timeout_ms": 1000}), "Timeout_ms"),
        (json!({"timeout": 1000}), "timeout"),
    ];
    // Keep the valid base_url next to each bad value, so the only fault is the named key.
    for (v, key) in v.iter_mut() {
        if *key != "base_url" {
            v["base_url"] = json!(base);
        }
    }
    let mut out: Vec<(String, &'static str)> =
        v.into_iter().map(|(v, k)| (v.to_string(), k)).collect();
    for text in [
        "{",
        "not json",
        "[1,2]",
        "[]",
        "5",
        "\"x\"",
        "null",
        "{\"a\":1,}",
    ] {
        out.push((text.to_owned(), "options_json"));
    }
    out
}

#[test]
fn every_bad_option_is_an_argument_error_naming_the_key_and_nothing_is_sent() {
    let env = Env::new("id=badopts,flow=w");
    for (json, key) in bad_options(env.srv.port()) {
        let r = start(Some(&json)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains(key), "start {json}: {}", r.error);
        let r = poll("badoptsticket", Some(&json)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains(key), "poll {json}: {}", r.error);
        let r = wait("badoptsticket", Some(&json)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains(key), "wait {json}: {}", r.error);
    }
    env.assert_nothing_sent("bad options must send nothing");
}

#[test]
fn boundary_and_good_option_values_are_accepted_and_sent() {
    let env = Env::new("id=goodopts,flow=w");
    let ua = format!("UA {}", "x".repeat(509));
    assert_eq!(ua.len(), 512);
    let cases = [
        json!({"locale": "a", "platform": "b"}),
        json!({"locale": "Abcdefgh_1234-xy", "platform": "Abcdefgh_1234-xy"}),
        json!({"timeout_ms": 600000}),
        json!({"user_agent": ua}),
        json!({"user_agent": "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"}),
        json!({"poll_interval_ms": 100, "wait_timeout_ms": 1000, "max_retries": 0}),
        json!({"poll_interval_ms": 60000, "wait_timeout_ms": 3600000, "max_retries": 100}),
        json!({"proxy": ""}),
        json!({"base_url": format!("{}/", env.base())}),
        json!({"base_url": env.base().replace("127.0.0.1", "localhost")}),
        json!({"base_url": env.base().replace("http://", "HTTP://")}),
    ];
    for extra in cases {
        let opts = env.opts(extra.clone());
        let r = poll("goodoptsticket", Some(&opts)).expect(BILI_QR_WAITING);
        assert_eq!(r.json()["status"], "waiting", "{extra}");
    }
    let log = env.fetches();
    assert_eq!(log.len(), 11);
    assert_eq!(log[0].query["s_locale"], "a");
    assert_eq!(log[0].query["platform"], "b");
    assert_eq!(log[1].query["s_locale"], "Abcdefgh_1234-xy");
    assert_eq!(log[1].query["platform"], "Abcdefgh_1234-xy");
    assert_eq!(log[3].headers["user-agent"], ua);
    // A trailing slash is ignored: the same path as without it.
    assert_eq!(log[8].path, log[0].path);
    assert_eq!(
        log[0].path,
        "/s/id=goodopts,flow=w/x/intl/passport-login/qrcode/auth/fetch"
    );
    // A timeout of 1 ms is a valid value (the request may then time out, but it is no argument error).
    let opts = env.opts(json!({"timeout_ms": 1}));
    let r = poll("goodoptsticket", Some(&opts));
    assert!(
        [BILI_QR_WAITING, BILI_QR_ERR_TIMEOUT].contains(&r.status),
        "{r:?}"
    );
    // Any socks5:// / https:// proxy URL is a valid value.
    for proxy in [
        "socks5://127.0.0.1:1",
        "https://127.0.0.1:1",
        "http://127.0.0.1:1",
    ] {
        let opts = env.opts(json!({"proxy": proxy}));
        let r = poll("goodoptsticket", Some(&opts));
        assert_ne!(r.status, BILI_QR_ERR_ARGUMENT, "{proxy}: {}", r.error);
    }
}

#[test]
fn an_explicit_proxy_option_is_used() {
    let env = Env::new("id=proxyopt,flow=w");
    let proxy = FakeProxy::start();
    let opts = env.opts(json!({"proxy": format!("http://127.0.0.1:{}", proxy.port)}));
    let r = poll("proxyoptticket", Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert!(!r.error.is_empty());
    assert!(
        env.log().is_empty(),
        "the request must go through the proxy only"
    );
    let lines = proxy.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains(&format!("127.0.0.1:{}", env.srv.port())),
        "the proxy is asked for the server: {lines:?}"
    );
}

#[test]
fn options_with_only_a_base_url_take_every_other_default() {
    // NULL, "" and "{}" (no base_url at all) are proven by tests/abi_defaults.rs.
    let env = Env::new("id=onlybase,flow=w");
    for json in [
        format!("{{\"base_url\":\"{}\"}}", env.base()),
        format!(" {{ \"base_url\" : \"{}\" }} ", env.base()),
    ] {
        let r = poll("onlybaseticket", Some(&json)).expect(BILI_QR_WAITING);
        assert_eq!(r.json()["status"], "waiting");
    }
    for rec in env.fetches() {
        assert_eq!(rec.query["s_locale"], "en_US", "default locale");
        assert_eq!(rec.query["platform"], "web", "default platform");
        let ua = &rec.headers["user-agent"];
        assert!(
            ua.starts_with("Mozilla/5.0 ("),
            "a browser-like default User-Agent: {ua}"
        );
    }
}
