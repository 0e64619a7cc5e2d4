//! Hand-made answers from a canned server: unknown fields, cookie rules, the 1 MiB limit, redirects,
//! missing fields, go_url hops.

use crate::common::canned::{answer, Canned};
use crate::common::*;
use bili_qr::ffi::*;
use serde_json::json;
use std::sync::Arc;

const CONFIRMED_BODY: &str = r#"{"code":0,"message":"0","ttl":1,"future":{"a":[1,2,3]},"data":{"mid":7,"is_new":true,"go_url":"","user_profile":{"is_userBlankProfile":true,"name":"N","face":"https://i0.hdslb.com/x.png","vip":1},"unknown":null}}"#;

#[test]
fn unknown_fields_are_ignored_and_any_2xx_is_accepted() {
    let srv = Canned::start(|target, _| {
        if target.contains("/qrcode/auth/url") {
            answer(
                "201 Created",
                &[],
                br#"{"code":0,"message":"0","ttl":1,"extra":{"x":[1,2]},"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?lang=en&ticket=abcDEF123-_.~&x=1","qr_type":"qrcode_login","new_field":true}}"#,
            )
        } else {
            answer(
                "200 OK",
                &[
                    "Set-Cookie: SESSDATA=s1",
                    "Set-Cookie: bili_jct=j1",
                    "Set-Cookie: DedeUserID=7",
                ],
                CONFIRMED_BODY.as_bytes(),
            )
        }
    });
    let opts = srv.opts("");
    let v = start(Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["ticket"], "abcDEF123-_.~");
    let v = poll("abcDEF123-_.~", Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["mid"], 7);
    assert_eq!(v["is_new"], true);
    assert_eq!(
        v["user_profile"],
        json!({"is_userBlankProfile": true, "name": "N", "face": "https://i0.hdslb.com/x.png"})
    );
    assert_eq!(v["cookie_header"], "SESSDATA=s1; bili_jct=j1; DedeUserID=7");
    // The raw request target: the query carries s_locale, platform and the ticket (whose characters are
    // all unreserved, so percent-encoding leaves them as they are).
    let hits = srv.targets();
    assert!(
        hits[0].starts_with("/x/intl/passport-login/qrcode/auth/url?"),
        "{hits:?}"
    );
    assert!(
        hits[1].starts_with("/x/intl/passport-login/qrcode/auth/fetch?"),
        "{hits:?}"
    );
    let query: Vec<&str> = hits[1].split_once('?').unwrap().1.split('&').collect();
    let mut sorted = query.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["platform=web", "s_locale=en_US", "ticket=abcDEF123-_.~"]
    );
}

#[test]
fn cookie_rules_on_hand_made_headers() {
    let srv = Canned::start(|_, _| {
        answer(
            "200 OK",
            &[
                "Set-Cookie: SESSDATA=first; Path=/",
                "set-cookie: bili_jct=j1; Domain=.www.bilibili.tv; Max-Age=100; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
                "SET-COOKIE: DedeUserID=7; Domain=127.0.0.1",
                "Set-Cookie: tmp=gone; Path=/",
                "sEt-CoOkIe: tmp=; Max-Age=0",
                "Set-Cookie: SESSDATA=second%2Cx; Path=/x; Secure",
                "Set-Cookie: evil1=a; Domain=notbilibili.tv",
                "Set-Cookie: evil2=b; Domain=bilibili.tv.evil.com",
                "Set-Cookie: evil3=c; Domain=biliintl.com.evil",
                "Set-Cookie: keep2=d; Domain=m.biliintl.com; Expires=Thu, 01 Jan 2037 00:00:00 GMT",
                "Set-Cookie: quoted=\"q v\"",
            ],
            CONFIRMED_BODY.as_bytes(),
        )
    });
    let t0 = now_unix();
    let v = poll("handmade1234", Some(&srv.opts("")))
        .expect(BILI_QR_OK)
        .json();
    let t1 = now_unix();
    let cookies = v["cookies"].as_array().unwrap();
    // A cookie is its name, domain and path (RFC 6265 section 5.3): the SESSDATA of Path=/x is another
    // cookie than the one of Path=/; the others in the order received.
    assert_eq!(
        cookie_names(&v),
        [
            "SESSDATA",
            "bili_jct",
            "DedeUserID",
            "SESSDATA",
            "keep2",
            "quoted"
        ]
    );
    let by = |n: &str| cookies.iter().find(|c| c["name"] == n).unwrap().clone();
    let sess = by("SESSDATA");
    assert_eq!(
        (&sess["value"], &sess["path"]),
        (&json!("first"), &json!("/"))
    );
    let sess_x = cookies.iter().rfind(|c| c["name"] == "SESSDATA").unwrap();
    assert_eq!(sess_x["value"], "second%2Cx");
    assert_eq!(sess_x["path"], "/x");
    assert_eq!(sess_x["secure"], true);
    let jct = by("bili_jct");
    assert_eq!(jct["domain"], "www.bilibili.tv");
    let e = jct["expires"].as_i64().unwrap();
    assert!(
        (t0 + 99..=t1 + 101).contains(&e),
        "Max-Age wins over Expires: {e}"
    );
    assert_eq!(by("DedeUserID")["domain"], "127.0.0.1", "the base_url host");
    assert_eq!(by("keep2")["expires"], 2114380800);
    assert_eq!(
        by("quoted")["value"],
        "\"q v\"",
        "values stay exactly as sent"
    );
    // cookie_header: one per name, what the API host receives at `/` (the Path=/x SESSDATA is not sent there).
    let header: Vec<String> = cookies
        .iter()
        .filter(|c| c["path"] == "/")
        .map(|c| {
            format!(
                "{}={}",
                c["name"].as_str().unwrap(),
                c["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(v["cookie_header"], header.join("; "));
}

#[test]
fn a_body_of_exactly_1_mib_is_read_and_one_byte_more_is_protocol() {
    fn padded(len: usize) -> Vec<u8> {
        let json = br#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=mib0123456789","qr_type":"qrcode_login"}}"#;
        let mut v = json.to_vec();
        v.resize(len, b' ');
        v
    }
    let srv = Canned::start(|target, _| {
        if target.starts_with("/exact/") {
            answer("200 OK", &[], &padded(1 << 20))
        } else {
            answer("200 OK", &[], &padded((1 << 20) + 1))
        }
    });
    let v = start(Some(&srv.opts("/exact"))).expect(BILI_QR_OK).json();
    assert_eq!(v["ticket"], "mib0123456789");
    start(Some(&srv.opts("/over"))).expect(BILI_QR_ERR_PROTOCOL);
}

#[test]
fn exactly_5_redirects_are_followed_and_a_sixth_is_not() {
    const QR: &str = r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=hops012345","qr_type":"qrcode_login"}}"#;
    let srv = Canned::start(|target, _| {
        // /{n}/x/intl/.../url -> /hop/{n}/1 -> ... -> /hop/{n}/{n} -> 200: n redirects.
        let parts: Vec<&str> = target.split('/').collect();
        if parts.get(1) == Some(&"hop") {
            let n: u32 = parts[2].parse().unwrap();
            let k: u32 = parts[3].parse().unwrap();
            if k < n {
                let loc = format!("Location: /hop/{n}/{}", k + 1);
                answer("302 Found", &[&loc], b"")
            } else {
                answer("200 OK", &[], QR.as_bytes())
            }
        } else {
            let loc = format!("Location: /hop/{}/1", parts[1]);
            answer("302 Found", &[&loc], b"")
        }
    });
    let v = start(Some(&srv.opts("/5"))).expect(BILI_QR_OK).json();
    assert_eq!(v["ticket"], "hops012345");
    assert_eq!(srv.targets().len(), 6, "the request and 5 redirects");
    start(Some(&srv.opts("/6"))).expect(BILI_QR_ERR_NETWORK);
    assert_eq!(
        srv.targets().len(),
        12,
        "the request and 5 redirects, not a 6th"
    );
}

#[test]
fn missing_or_mistyped_documented_fields_are_protocol_errors() {
    let bodies: Vec<(&str, &str)> = vec![
        ("fetch", r#"{"code":10018101,"ttl":1,"data":null}"#),
        (
            "fetch",
            r#"{"code":10018101,"message":5,"ttl":1,"data":null}"#,
        ),
        ("fetch", r#"{"message":"0","ttl":1,"data":null}"#),
        ("fetch", r#"{"code":0.5,"message":"0","ttl":1,"data":null}"#),
        // Confirmed answers with odd data but the three cookies are logins now (tests/flows/fidelity/).
        ("fetch", r#"[1,2,3]"#),
        (
            "url",
            r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":5,"qr_type":"qrcode_login"}}"#,
        ),
        (
            "url",
            r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=bad%20one","qr_type":"qrcode_login"}}"#,
        ),
        (
            "url",
            r#"{"code":0,"message":"0","ttl":1,"data":{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=ok123456"}}"#,
        ),
        ("url", r#"{"code":0,"message":"0","ttl":1}"#),
    ];
    let bodies = Arc::new(bodies);
    let b2 = bodies.clone();
    let srv = Canned::start(move |target, _| {
        // /{index}/x/intl/...
        let i: usize = target.split('/').nth(1).unwrap().parse().unwrap();
        answer(
            "200 OK",
            &[
                "Set-Cookie: SESSDATA=s1",
                "Set-Cookie: bili_jct=j1",
                "Set-Cookie: DedeUserID=7",
            ],
            b2[i].1.as_bytes(),
        )
    });
    for (i, (endpoint, body)) in bodies.iter().enumerate() {
        let opts = srv.opts(&format!("/{i}"));
        let r = if *endpoint == "fetch" {
            poll("mistyped0001", Some(&opts))
        } else {
            start(Some(&opts))
        };
        assert_eq!(r.status, BILI_QR_ERR_PROTOCOL, "{body}: {}", r.error);
    }
}

/// A confirmed answer whose go_url is `/g/0` on the same server: `/g/k` sets `hk=v{k}` and redirects to
/// `/g/{k+1}` up to `/g/{last}`, which answers 200. `extra` headers go on `/g/1`.
fn go_url_server(last: u32, extra: &'static [&'static str]) -> Canned {
    let port = Arc::new(std::sync::OnceLock::<u16>::new());
    let p2 = port.clone();
    let srv = Canned::start(move |target, _| {
        let port = *p2.get().unwrap();
        if target.contains("/qrcode/auth/fetch") {
            let body = format!(
                r#"{{"code":0,"message":"0","ttl":1,"data":{{"mid":7,"is_new":false,"go_url":"http://127.0.0.1:{port}/g/0","user_profile":{{"is_userBlankProfile":false,"name":"","face":""}}}}}}"#
            );
            return answer(
                "200 OK",
                &[
                    "Set-Cookie: SESSDATA=s1",
                    "Set-Cookie: bili_jct=j1",
                    "Set-Cookie: DedeUserID=7",
                ],
                body.as_bytes(),
            );
        }
        let k: u32 = target.trim_start_matches("/g/").parse().unwrap();
        let cookie = format!("Set-Cookie: h{k}=v{k}; Path=/");
        let mut headers = vec![cookie];
        if k == 1 {
            headers.extend(extra.iter().map(|s| s.to_string()));
        }
        if k < last {
            headers.push(format!("Location: /g/{}", k + 1));
        }
        let refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        answer(
            if k < last { "302 Found" } else { "200 OK" },
            &refs,
            b"<html></html>",
        )
    });
    port.set(srv.port).unwrap();
    srv
}

#[test]
fn go_url_hops_are_followed_up_to_5_redirects() {
    let srv = go_url_server(7, &[]);
    let v = poll("gohops000001", Some(&srv.opts("")))
        .expect(BILI_QR_OK)
        .json();
    assert_eq!(
        v["cookie_header"],
        "SESSDATA=s1; bili_jct=j1; DedeUserID=7; h0=v0; h1=v1; h2=v2; h3=v3; h4=v4; h5=v5"
    );
    let hops: Vec<String> = srv
        .targets()
        .into_iter()
        .filter(|t| t.starts_with("/g/"))
        .collect();
    assert_eq!(hops, ["/g/0", "/g/1", "/g/2", "/g/3", "/g/4", "/g/5"]);
}

#[test]
fn go_url_hops_can_replace_delete_and_not_add_foreign_cookies() {
    static EXTRA: [&str; 3] = [
        "Set-Cookie: bili_jct=j2; Domain=bilibili.tv",
        "Set-Cookie: h0=; Max-Age=0",
        "Set-Cookie: far=1; Domain=example.com",
    ];
    let srv = go_url_server(2, &EXTRA);
    let v = poll("gohops000002", Some(&srv.opts("")))
        .expect(BILI_QR_OK)
        .json();
    let cookies = v["cookies"].as_array().unwrap();
    let names = cookie_names(&v);
    let mut sorted = names.clone();
    sorted.sort();
    // A cookie is replaced by one of the same name and domain: bili_jct for bilibili.tv is another cookie
    // than the host-only one (version 2, docs/COOKIES.md), and the Cookie header carries the later value.
    assert_eq!(
        sorted,
        ["DedeUserID", "SESSDATA", "bili_jct", "bili_jct", "h1", "h2"],
        "{names:?}"
    );
    let jct = cookies
        .iter()
        .find(|c| c["name"] == "bili_jct" && c["domain"] == "bilibili.tv")
        .unwrap();
    assert_eq!(jct["value"], "j2");
    assert!(
        v["cookie_header"].as_str().unwrap().contains("bili_jct=j2")
            && !v["cookie_header"].as_str().unwrap().contains("bili_jct=j1"),
        "{}",
        v["cookie_header"]
    );
    // A hop that deletes a required cookie leaves a login that cannot be used.
    static DELETE: [&str; 1] = ["Set-Cookie: SESSDATA=; Expires=Thu, 01 Jan 1970 00:00:01 GMT"];
    let srv = go_url_server(2, &DELETE);
    poll("gohops000003", Some(&srv.opts(""))).expect_err(BILI_QR_ERR_PROTOCOL, &["SESSDATA"]);
}
