//! Unit tests of the passport answers' parsing.

use super::*;
use crate::cookies::CookieJar;
use crate::error::ErrorKind;
use serde_json::{json, Value};

fn loopback() -> Options {
    Options::from_json(Some(r#"{"base_url":"http://127.0.0.1:9"}"#)).unwrap()
}

#[test]
fn qr_code() {
    let o = Options::default();
    let body = br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=4478b3e64d05ce26638f4d715ebe0a91","qr_type":"qrcode_login","extra":1}}"#;
    let qr = parse_qr_code(body, &o).unwrap();
    assert_eq!(qr.ticket, "4478b3e64d05ce26638f4d715ebe0a91");
    let e = parse_qr_code(
        br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://x/","qr_type":"q"}}"#,
        &o,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    let e = parse_qr_code(br#"{"code":-412,"message":"blocked","ttl":1}"#, &o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert!(e.message().contains("-412"));
    // A string code is accepted.
    let body = br#"{"code":"0","message":"0","data":{"qr_url":"https://www.biliintl.com/q?ticket=abcdef12","qr_type":"qrcode_login"}}"#;
    assert_eq!(parse_qr_code(body, &o).unwrap().ticket, "abcdef12");
}

/// `qr_url` is handed out only when it is https on the service's domains.
#[test]
fn qr_url_must_be_https_on_the_service() {
    let o = Options::default();
    let l = loopback();
    // Allowed with the default base_url and with a loopback one.
    let service = [
        "https://www.bilibili.tv/h5/en/qrcode/login?ticket=abc",
        "https://m.biliintl.com/x?ticket=abc",
        "https://bilibili.tv:443/x?ticket=abc",
    ];
    // Allowed only on the loopback base_url's own host.
    let loopback_only = ["http://127.0.0.1:9/x?ticket=abc"];
    // Never allowed.
    let refused = [
        "javascript:alert(1)//?ticket=abc",
        "https://evil.example/phish?ticket=abc",
        "http://www.bilibili.tv/x?ticket=abc",
        "https://evilbilibili.tv/x?ticket=abc",
        "https://www.bilibili.tv@evil.example/x?ticket=abc",
        "https://user@www.bilibili.tv/x?ticket=abc",
        "https://www.bilibili.tv.evil.example/x?ticket=abc",
        "http://127.0.0.2:9/x?ticket=abc",
        "data:text/html,x?ticket=abc",
    ];
    let cases = (service.iter().map(|u| (u, true, true)))
        .chain(loopback_only.iter().map(|u| (u, false, true)))
        .chain(refused.iter().map(|u| (u, false, false)));
    for (url, default_ok, loopback_ok) in cases {
        assert_eq!(qr_url_allowed(url, &o), default_ok, "{url}");
        assert_eq!(qr_url_allowed(url, &l), loopback_ok, "{url} (loopback)");
    }
    let body = br#"{"code":0,"message":"0","data":{"qr_url":"javascript:alert(1)//?ticket=abcdef12","qr_type":"q"}}"#;
    assert_eq!(
        parse_qr_code(body, &o).unwrap_err().kind(),
        ErrorKind::Protocol
    );
}

#[test]
fn fetch_codes() {
    for (code, st) in [
        (10018100, PollStatus::Expired),
        (10018101, PollStatus::Waiting),
        (10018102, PollStatus::Scanned),
    ] {
        let body = format!(r#"{{"code":{code},"message":"m","ttl":1,"data":null}}"#);
        assert_eq!(parse_fetch(body.as_bytes()).unwrap().0, st);
        let body = format!(r#"{{"code":"{code}","message":"m","ttl":1,"data":null}}"#);
        assert_eq!(parse_fetch(body.as_bytes()).unwrap().0, st, "string code");
    }
    for bad in [
        &br#"{"code":"0x0","message":"0"}"#[..],
        br#"{"code":0.5,"message":"0"}"#,
        br#"{"code":" 0","message":"0"}"#,
        br#"{"code":"","message":"0"}"#,
        br#"{"code":null,"message":"0"}"#,
        br#"{"message":"0"}"#,
        b"<html>",
        b"",
    ] {
        assert_eq!(
            parse_fetch(bad).err().unwrap().kind(),
            ErrorKind::Protocol,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// A confirmed answer is decided by code alone; its data is read leniently.
#[test]
fn confirmed_data_is_lenient() {
    let (st, _, d) = parse_fetch(br#"{"code":"0"}"#).unwrap();
    assert_eq!(st, PollStatus::Confirmed);
    let d = d.unwrap();
    assert_eq!(d.mid, None);
    assert_eq!(
        d.warnings.iter().next().map(String::as_str),
        Some("message is missing or not a string")
    );
    assert!(d.warnings.contains("data is missing or not an object"));
    let (_, _, d) = parse_fetch(br#"{"code":0,"message":"0","data":{}}"#).unwrap();
    let d = d.unwrap();
    assert_eq!(
        (d.mid, d.is_new, d.go_url, d.user_profile),
        (None, None, None, None)
    );
    assert_eq!(d.warnings.len(), 4, "{:?}", d.warnings);
    let (_, _, d) = parse_fetch(
        br#"{"code":0,"message":"0","data":{"mid":"42","is_new":null,"go_url":null,"user_profile":{"name":5,"face":"f","is_userBlankProfile":true}}}"#,
    )
    .unwrap();
    let d = d.unwrap();
    assert_eq!(d.mid, Some(42));
    assert_eq!(d.is_new, None);
    assert_eq!(
        d.user_profile,
        Some(UserProfile {
            is_user_blank_profile: Some(true),
            name: None,
            face: Some("f".into())
        })
    );
    let (_, _, d) = parse_fetch(br#"{"code":0,"message":"0","data":{"mid":-5}}"#).unwrap();
    assert_eq!(d.unwrap().mid, None);
}

fn jar_with(headers: &[&str]) -> CookieJar {
    let mut jar = CookieJar::default();
    for h in headers {
        jar.apply_set_cookie(h, "h", 1_700_000_000);
    }
    jar
}

#[test]
fn finish_login_requires_the_three_cookies_and_takes_mid_from_dedeuserid() {
    let d = confirmed_data(&json!({}));
    let jar = jar_with(&["SESSDATA=s", "bili_jct=j", "DedeUserID=77"]);
    let login = finish_login(d, jar, "h", Default::default(), &Collected::default()).unwrap();
    assert_eq!(login.mid, Some(77));
    assert_eq!(login.host, "h");
    assert_eq!(login.warnings.len(), 4);
    let v: Value = serde_json::from_str(
        &PollResult {
            status: PollStatus::Confirmed,
            code: 0,
            message: String::new(),
            login: Some(login),
        }
        .to_json(),
    )
    .unwrap();
    assert_eq!(v["is_new"], Value::Null);
    assert_eq!(v["user_profile"], Value::Null);
    assert_eq!(v["go_url"], Value::Null);
    assert!(v.get("verified").is_none());
    assert_eq!(v["mid"], 77);

    let jar = jar_with(&["SESSDATA=secretvalue1", "DedeUserID=77"]);
    let collected = Collected {
        tried: vec!["the fetch answer's Set-Cookie".into(), "go_url".into()],
        refused: vec!["evil.example".into()],
    };
    let e = finish_login(
        confirmed_data(&json!({})),
        jar,
        "h",
        Default::default(),
        &collected,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(e.message().contains("bili_jct") && e.message().contains("evil.example"));
    assert!(e.message().contains("go_url") && !e.message().contains("secretvalue1"));
}

/// A captcha demand is named as such, whatever the code.
#[test]
fn a_captcha_demand_is_an_api_error_that_says_so() {
    for body in [
        &br#"{"code":-401,"message":"x","data":{"ga_data":{"decisions":["verify_captcha_level2"]}}}"#[..],
        br#"{"code":-401,"message":"x","data":{"v_voucher":"voucher_1"}}"#,
        br#"{"code":10018101,"message":"x","data":{"v_voucher":"voucher_1"}}"#,
    ] {
        let e = parse_fetch(body).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert!(e.message().contains("captcha") && e.message().contains("browser"), "{}", e.message());
        assert!(!e.message().contains("voucher_1"));
    }
    let e = parse_fetch(br#"{"code":-401,"message":"x","data":{"ga_data":null}}"#)
        .err()
        .unwrap();
    assert!(!e.message().contains("captcha"));
}

/// Code 0 is a login whatever its `data` holds: a captcha field beside it does not undo it.
#[test]
fn a_confirmed_answer_with_a_captcha_field_is_still_confirmed() {
    let (status, _, data) =
        parse_fetch(br#"{"code":0,"message":"0","data":{"mid":42,"v_voucher":"voucher_1"}}"#)
            .unwrap();
    assert_eq!(status, PollStatus::Confirmed);
    assert!(data.is_some());
}

#[test]
fn sso_list_and_gateway_user() {
    let urls = parse_sso_list(
        br#"{"code":0,"message":"0","data":{"sso":["https://www.biliintl.com/x",{"url":"https://a.bilibili.tv/y"},5]}}"#,
    )
    .unwrap();
    assert_eq!(
        urls,
        ["https://www.biliintl.com/x", "https://a.bilibili.tv/y"]
    );
    assert_eq!(
        parse_sso_list(br#"{"code":-101,"message":"no"}"#)
            .unwrap_err()
            .kind(),
        ErrorKind::Api
    );
    let u = parse_gateway_user(
        br#"{"code":0,"message":"0","data":{"is_login":true,"mid":"5","name":"N"}}"#,
        vec![],
    )
    .unwrap();
    assert!(u.is_login && u.mid == Some(5) && u.name.as_deref() == Some("N") && u.face.is_none());
    let u = parse_gateway_user(br#"{"code":-101,"message":"not logged in"}"#, vec![]).unwrap();
    assert!(!u.is_login && u.code == -101);
    let u = parse_gateway_user(br#"{"code":0,"data":{"is_login":false}}"#, vec![]).unwrap();
    assert!(!u.is_login);
    assert_eq!(
        parse_gateway_user(br#"{"code":0,"data":{}}"#, vec![])
            .unwrap_err()
            .kind(),
        ErrorKind::Protocol
    );
}

#[test]
fn query_encoding() {
    let o = Options::default();
    assert!(fetch_endpoint(&o, "a~b").ends_with("?s_locale=en_US&platform=web&ticket=a~b"));
    // The poll's URL (its base kept per options) is the endpoint parsed whole, for each ticket.
    for t in ["a~b", "73ec406ce8609662a9a8f00d11223344", "x/y z%", "é"] {
        assert_eq!(
            fetch_url(&o, t).unwrap(),
            crate::url::Url::parse(&fetch_endpoint(&o, t)).unwrap(),
            "{t}"
        );
    }
    assert_eq!(
        gateway_user_endpoint(&o),
        "https://api.bilibili.tv/intl/gateway/web/v2/user?s_locale=en_US&platform=web"
    );
}

/// A body is read as a browser's `response.json()` reads it: none of these may lose a confirmed login.
#[test]
fn json_is_read_as_a_browser_reads_it() {
    let confirmed = |body: &[u8]| {
        let (status, envelope, data) = parse_fetch(body).unwrap();
        assert_eq!(
            status,
            PollStatus::Confirmed,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(envelope.code, 0);
        data.unwrap()
    };
    // A UTF-8 byte order mark.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(br#"{"code":0,"message":"0","data":{"mid":7}}"#);
    assert_eq!(confirmed(&bom).mid, Some(7));
    // A code written 0.0, 0e0 or -0; a mid written 7.0 or 7e0.
    for code in ["0.0", "0e0", "-0", "0E+2", "-0.0"] {
        let body = format!(r#"{{"code":{code},"message":"0","data":{{"mid":7.0}}}}"#);
        assert_eq!(confirmed(body.as_bytes()).mid, Some(7), "{code}");
    }
    let body = br#"{"code":1.0018101e7,"message":"0","data":{}}"#;
    assert_eq!(parse_fetch(body).unwrap().0, PollStatus::Waiting);
    // A fraction is not an integer.
    assert!(parse_fetch(br#"{"code":0.5,"message":"0","data":{}}"#).is_err());
    assert_eq!(parse_code(&json!(1e0)), Some(1));
    assert_eq!(parse_code(&json!(1e300)), None);
    // A lone surrogate in the profile name (JSON.parse keeps it; here U+FFFD), a pair stays a pair.
    let body = br#"{"code":0,"message":"0","data":{"mid":7,"user_profile":{"name":"a\ud800b\udc00\"\\ud800\ud83d\ude00","face":"f","is_userBlankProfile":false}}}"#;
    let name = confirmed(body).user_profile.unwrap().name.unwrap();
    assert_eq!(name, "a\u{fffd}b\u{fffd}\"\\ud800\u{1f600}");
    // A cut UTF-8 sequence in the profile name.
    let mut body =
        br#"{"code":0,"message":"0","data":{"mid":7,"user_profile":{"name":"ab"#.to_vec();
    body.extend_from_slice(b"\xE6\x97");
    body.extend_from_slice(br#"","face":"f","is_userBlankProfile":false}}}"#);
    let name = confirmed(&body).user_profile.unwrap().name.unwrap();
    assert_eq!(name, "ab\u{fffd}");
    // Not JSON stays not JSON.
    let e = parse_fetch(b"\xEF\xBB\xBF<html>").err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert!(parse_fetch(b"\xEF\xBB\xBF").is_err());
}

/// The poll object of every poll but the last is written directly: byte for byte what serde writes.
#[test]
fn the_short_poll_object_is_what_serde_writes() {
    let statuses = [
        PollStatus::Waiting,
        PollStatus::Scanned,
        PollStatus::Expired,
        PollStatus::Confirmed,
    ];
    let codes = [0, 86039, -101, i64::MIN, i64::MAX, 10, 9, -1];
    let messages = [
        "",
        "Not scanned",
        "二维码尚未确认",
        "q\"\\\n\u{1}\u{7f}/é\u{2028}",
    ];
    for status in statuses {
        for code in codes {
            for message in messages {
                let r = PollResult {
                    status,
                    code,
                    message: message.to_owned(),
                    login: None,
                };
                assert_eq!(r.to_json(), serde_json::to_string(&r).unwrap());
            }
        }
    }
}
