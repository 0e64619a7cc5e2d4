//! The `browser=` shapes (the last mile of behaving like a browser), byte by byte with the raw client.

use crate::common::*;

/// The confirmed fetch answer of `sc` (flow=c added), raw.
fn confirmed(base: &str, sc: &str) -> Response {
    let r = fetch(base, &format!("{sc},flow=c"), "tk");
    assert_eq!(r.status, 200);
    r
}

/// The value of `name` in a URL's query.
fn query_value<'a>(url: &'a str, name: &str) -> &'a str {
    url.split_once('?')
        .expect("a query")
        .1
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
        .expect("the key")
}

#[test]
fn cookies_at_other_paths_and_hosts() {
    let (_srv, base) = start();
    let r = confirmed(&base, "id=bp,browser=pathdelete");
    let lines = r.set_cookies();
    let sess = lines
        .iter()
        .position(|l| l.starts_with("SESSDATA=") && l.contains("Path=/;"))
        .expect("the session");
    let del = lines
        .iter()
        .position(|l| l.starts_with("SESSDATA=;"))
        .expect("a deletion");
    assert!(del > sess, "the deletion comes after: {lines:?}");
    assert_eq!(attr(&lines[del], "Path"), Some("/x/intl"));
    assert_eq!(attr(&lines[del], "Max-Age"), Some("0"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("bili_jct=deleted;") && attr(l, "Path") == Some("/intl/gateway")));

    let r = confirmed(&base, "id=bs,browser=shadow");
    let lines = r.set_cookies();
    let www: Vec<&String> = lines
        .iter()
        .filter(|l| attr(l, "Domain") == Some("www.bilibili.tv"))
        .collect();
    assert_eq!(www.len(), 2, "{lines:?}");
    let first = lines.iter().find(|l| l.starts_with("SESSDATA=")).unwrap();
    assert_eq!(attr(first, "Domain"), Some("bilibili.tv"));
    assert_ne!(pair(first).1, pair(www[0]).1, "another value");
}

#[test]
fn credentials_behind_a_cross_domain_url() {
    let (srv, base) = start();
    let sc = "id=bx,browser=crossdomain";
    let r = confirmed(&base, sc);
    assert!(r.set_cookies().is_empty());
    let go = r.json()["data"]["go_url"].as_str().unwrap().to_string();
    assert!(
        go.starts_with(
            "https://passport.biligame.com/x/passport-login/web/crossDomain?DedeUserID="
        ),
        "{go}"
    );
    let sess = query_value(&go, "SESSDATA").to_string();
    let rec = srv.log().pop().unwrap();
    assert!(rec.cookie_info.contains(&format!("SESSDATA={sess}")));
    // The query's SESSDATA is a session.
    let user = get_with_cookie(
        &base,
        "/intl/gateway/web/v2/user?s_locale=en_US&platform=web",
        &format!("SESSDATA={sess}"),
    );
    assert_eq!(user.json()["data"]["is_login"], true);

    // browser=location: go_url is hop1, which redirects there.
    let sc = "id=bl,browser=location";
    let r = confirmed(&base, sc);
    assert!(r.set_cookies().is_empty());
    let go = r.json()["data"]["go_url"].as_str().unwrap().to_string();
    let hop = get(&base, go.trim_start_matches(&base));
    assert_eq!(hop.status, 302);
    let to = hop.header("location").unwrap();
    assert!(to.starts_with("https://passport.biligame.com/"), "{to}");
    let rec = srv
        .log()
        .into_iter()
        .find(|r| r.path.contains("id=bl") && !r.cookie_info.is_empty())
        .unwrap();
    let sess = query_value(to, "SESSDATA");
    assert!(rec.cookie_info.contains(&format!("SESSDATA={sess}")));
}

#[test]
fn json_a_browser_reads() {
    let (_srv, base) = start();
    let r = confirmed(&base, "id=bb,browser=bom");
    assert!(r.body.starts_with(b"\xEF\xBB\xBF{\"code\":0,"));
    let waiting = fetch(&base, "id=bf,browser=floats,flow=wc", "tk");
    assert!(
        waiting.text().starts_with(r#"{"code":10018101e0,"#),
        "{}",
        waiting.text()
    );
    let r = fetch(&base, "id=bf,browser=floats,flow=wc", "tk");
    let text = r.text();
    assert!(text.starts_with(r#"{"code":0.0,"#), "{text}");
    assert!(text.contains(r#""mid":1709658507e0"#), "{text}");
    let r = confirmed(&base, "id=bsu,browser=surrogate");
    assert!(
        r.text().contains(r#""name":"\ud83dDemoUser\udc00""#),
        "{}",
        r.text()
    );
    let r = confirmed(&base, "id=bc,browser=cututf8");
    let at = r
        .body
        .windows(9)
        .position(|w| w == b"DemoUser\xE6")
        .expect("the cut sequence");
    assert_eq!(r.body.get(at + 9..at + 11), Some(&b"\x97\""[..]));
    assert!(std::str::from_utf8(&r.body).is_err());
}

#[test]
fn encoded_answers() {
    let (_srv, base) = start();
    let r = confirmed(&base, "id=bg,browser=gzip");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body.get(..4), Some(&[0x1f, 0x8b, 8, 0][..]));
    // Stored blocks: the JSON is there whole, between the headers and the 8-byte trailer.
    let inner = &r.body[15..r.body.len() - 8];
    assert!(inner.starts_with(b"{\"code\":0,") && inner.ends_with(b"}"));
    let size = u32::from_le_bytes(r.body[r.body.len() - 4..].try_into().unwrap());
    assert_eq!(size as usize, inner.len());
    let r = confirmed(&base, "id=bd,browser=deflate");
    assert_eq!(r.header("content-encoding"), Some("deflate"));
    assert_eq!(r.body.get(..3), Some(&[0x78, 0x01, 1][..]));
    let inner = &r.body[7..r.body.len() - 4];
    assert!(inner.starts_with(b"{\"code\":0,"));
    // The url endpoint too.
    let u = get(
        &base,
        "/s/id=bg2,browser=gzip/x/intl/passport-login/qrcode/auth/url?s_locale=en_US&platform=web",
    );
    assert_eq!(u.header("content-encoding"), Some("gzip"));
}
