//! The fake server's documented behaviour, checked byte by byte with a raw TCP client.

use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::common::*;
use bili_qr_fake_server::{RequestRecord, State};

fn assert_hex(s: &str, len: usize) {
    assert_eq!(s.len(), len, "{s}");
    assert!(
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{s}"
    );
}

fn check_full_cookie_set(r: &Response, mid: u64) {
    let sc = r.set_cookies();
    assert_eq!(names(&sc), full_cookie_set());
    // Header names in mixed case, each cookie its own header line.
    let header_names: Vec<&str> = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(n, _)| n.as_str())
        .collect();
    for casing in ["Set-Cookie", "set-cookie", "SET-COOKIE"] {
        assert!(header_names.contains(&casing), "{header_names:?}");
    }
    // SESSDATA=<8 hex>%2C<unix expiry>%2C<5 hex>%2A<2 chars>
    let sess = pair(&sc[0]).1;
    let parts: Vec<&str> = sess.split("%2C").collect();
    assert_eq!(parts.len(), 3, "{sess}");
    assert_hex(parts[0], 8);
    let expiry: u64 = parts[1].parse().expect("unix expiry");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(expiry > now + 179 * 86400 && expiry < now + 181 * 86400);
    let (five, two) = parts[2].split_once("%2A").expect("%2A");
    assert_hex(five, 5);
    assert_eq!(two.len(), 2);
    assert_eq!(attr(&sc[0], "Domain"), Some("bilibili.tv"));
    assert!(attr(&sc[0], "HttpOnly").is_some() && attr(&sc[0], "Secure").is_some());
    let exp =
        httpdate::parse_http_date(attr(&sc[0], "Expires").expect("Expires")).expect("IMF-fixdate");
    let secs = exp
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after epoch")
        .as_secs();
    assert!(secs > now + 179 * 86400 && secs < now + 181 * 86400);
    let jct = pair(&sc[1]).1;
    assert_hex(&jct, 32);
    assert_eq!(attr(&sc[1], "Domain"), Some(".bilibili.tv"));
    assert_eq!(pair(&sc[4]).1, jct, "joy_jct = bili_jct");
    assert_eq!(pair(&sc[2]).1, mid.to_string());
    assert_eq!(attr(&sc[2], "Max-Age"), Some("15552000"));
    assert_hex(&pair(&sc[3]).1, 16);
    assert_eq!(pair(&sc[5]).1, mid.to_string());
    assert_eq!(attr(&sc[5], "Domain"), Some("biliintl.com"));
    assert_eq!(sc[6].split(';').count(), 1, "sid has no attributes");
    assert_eq!(pair(&sc[6]).1.len(), 8);
    assert_eq!(attr(&sc[7], "Max-Age"), Some("0"));
    assert_eq!(
        attr(&sc[8], "Expires"),
        Some("Thu, 01 Jan 1970 00:00:01 GMT")
    );
    assert_eq!(sc.len(), 9, "no foreign cookie unless foreign=1");
}

#[test]
fn url_then_fetch_follows_default_flow() {
    let (srv, base) = start();
    let t = issue(&base, "id=flow1");
    let r = fetch(&base, "id=flow1", &t);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.text(),
        r#"{"code":10018101,"message":"Not scanned","ttl":1,"data":null}"#
    );
    assert!(r.set_cookies().is_empty());
    let r = fetch(&base, "id=flow1", &t);
    assert_eq!(r.code(), 10018102);
    assert_eq!(r.json()["message"], "Scanned, waiting for confirmation");
    assert!(r.json()["data"].is_null());
    let r = fetch(&base, "id=flow1", &t);
    let j = r.json();
    assert_eq!(j["code"], 0);
    assert_eq!(j["message"], "0");
    assert_eq!(j["data"]["mid"], 1709658507u64);
    assert_eq!(j["data"]["is_new"], false);
    assert_eq!(j["data"]["go_url"], "");
    assert_eq!(j["data"]["user_profile"]["name"], "DemoUser");
    assert_eq!(j["data"]["user_profile"]["is_userBlankProfile"], false);
    check_full_cookie_set(&r, 1709658507);
    // Spent.
    for _ in 0..2 {
        let r = fetch(&base, "id=flow1", &t);
        assert_eq!(r.code(), 10018100);
        assert_eq!(r.json()["message"], "QR code expired");
    }
    // The log holds exactly what was sent.
    let log = srv.log();
    assert_eq!(log.len(), 6);
    assert_eq!(log[3].set_cookies, r_cookies_of(&log, 3));
    assert_eq!(log[3].query.get("ticket"), Some(&t));
    assert_eq!(log[3].set_cookies.len(), 9);
    assert!(log[4].set_cookies.is_empty());
    // Other tickets and other scenarios are independent.
    let t2 = issue(&base, "id=flow1");
    assert_ne!(t, t2);
    assert_eq!(fetch(&base, "id=flow1", &t2).code(), 10018101);
    assert_eq!(fetch(&base, "id=flow2", &t).code(), 10018101);
}

fn r_cookies_of(log: &[RequestRecord], i: usize) -> Vec<String> {
    log[i].set_cookies.clone()
}

#[test]
fn confirmed_cookie_values_match_the_log() {
    let (srv, base) = start();
    let t = issue(&base, "flow=c,id=v,mid=42,name=Zo%C3%AB");
    let r = fetch(&base, "flow=c,id=v,mid=42,name=Zo%C3%AB", &t);
    check_full_cookie_set(&r, 42);
    assert_eq!(r.json()["data"]["user_profile"]["name"], "Zoë");
    let log = srv.log();
    assert_eq!(
        log.last().map(|l| l.set_cookies.clone()),
        Some(r.set_cookies())
    );
}

#[test]
fn flow_letters_and_first_seen_tickets() {
    let (_srv, base) = start();
    // A ticket never issued is accepted from its first fetch.
    let codes: Vec<i64> = (0..5)
        .map(|_| fetch(&base, "flow=wwsec,id=f", "abc").code())
        .collect();
    assert_eq!(codes, [10018101, 10018101, 10018102, 10018100, 0]);
    assert_eq!(fetch(&base, "flow=wwsec,id=f", "abc").code(), 10018100);
    // The last letter repeats.
    let codes: Vec<i64> = (0..4)
        .map(|_| fetch(&base, "flow=ws,id=g", "t").code())
        .collect();
    assert_eq!(codes, [10018101, 10018102, 10018102, 10018102]);
    // Default scenario (no prefix).
    let t = issue(&base, "");
    let codes: Vec<i64> = (0..4).map(|_| fetch(&base, "", &t).code()).collect();
    assert_eq!(codes, [10018101, 10018102, 0, 10018100]);
}

#[test]
fn missing_or_empty_ticket_is_a_request_error() {
    let (_srv, base) = start();
    for target in [
        FETCH.to_string(),
        format!("{FETCH}?ticket="),
        format!("/s/id=m{FETCH}?x=1"),
    ] {
        let r = get(&base, &target);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.text(),
            r#"{"code":-400,"message":"Request error","ttl":1}"#
        );
    }
}

#[test]
fn locale_picks_the_qr_url_language() {
    let (_srv, base) = start();
    for (loc, lang) in [("th_TH", "th"), ("vi_VN", "vi"), ("en_US", "en")] {
        let r = get(&base, &format!("{URL}?s_locale={loc}&platform=web"));
        let qr = qr_url_of(&r);
        assert!(
            qr.starts_with(&format!(
                "https://www.bilibili.tv/h5/{lang}/qrcode/login?ticket="
            )),
            "{qr}"
        );
        assert_eq!(r.json()["data"]["qr_type"], "qrcode_login");
    }
    assert!(qr_url_of(&get(&base, URL)).contains("/h5/en/"));
}

#[test]
fn forced_state_via_api_and_control_endpoint() {
    let (srv, base) = start();
    let sc = "flow=w,id=st";
    let t = issue(&base, sc);
    assert_eq!(fetch(&base, sc, &t).code(), 10018101);
    srv.set_state(sc, &t, State::Scanned);
    assert_eq!(fetch(&base, sc, &t).code(), 10018102);
    assert_eq!(fetch(&base, sc, &t).code(), 10018102);
    // Through the control endpoint (scenario percent-encoded).
    let mut c = Conn::open(&base);
    let r = c.post(&format!(
        "/__state?scenario=flow%3Dw%2Cid%3Dst&ticket={t}&state=confirmed"
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ok"], true);
    let r = fetch(&base, sc, &t);
    assert_eq!(r.code(), 0);
    assert_eq!(r.set_cookies().len(), 9);
    assert_eq!(
        fetch(&base, sc, &t).code(),
        10018100,
        "spent after confirmation"
    );
    // Default scenario with an empty `scenario`.
    let t2 = issue(&base, "");
    let r = c.post(&format!("/__state?scenario=&ticket={t2}&state=expired"));
    assert_eq!(r.status, 200);
    assert_eq!(fetch(&base, "", &t2).code(), 10018100);
    // Bad requests.
    for bad in [
        "/__state?scenario=&ticket=x&state=bogus",
        "/__state?scenario=&state=waiting",
    ] {
        let r = c.post(bad);
        assert_eq!(r.status, 400, "{bad}");
    }
    // Control calls are neither logged nor counted.
    assert_eq!(srv.requests(), 8);
    assert!(srv.log().iter().all(|l| !l.path.starts_with("/__")));
}

#[test]
fn phone_timing() {
    // Robust under load: each answer is checked against the window its request could have been
    // served in (the ticket was born between s0 and s1; the request was served between tb and ta).
    let (_srv, base) = start();
    let sc = "phone=300:900,id=ph";
    let s0 = Instant::now();
    let t = issue(&base, sc);
    let s1 = s0.elapsed().as_millis();
    let mut seen = Vec::new();
    while s0.elapsed() < Duration::from_secs(5) {
        let tb = s0.elapsed().as_millis();
        let code = fetch(&base, sc, &t).code();
        let ta = s0.elapsed().as_millis();
        seen.push((tb, ta, code));
        let (lo, hi) = (tb.saturating_sub(s1), ta);
        let expected: &[i64] = if hi < 300 {
            &[10018101]
        } else if lo >= 300 && hi < 900 {
            &[10018102]
        } else if lo >= 900 {
            &[0]
        } else if hi < 900 {
            &[10018101, 10018102]
        } else {
            &[10018102, 0]
        };
        assert!(expected.contains(&code), "{seen:?}");
        if code == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(25));
    }
    assert!(seen.iter().any(|s| s.2 == 10018101), "{seen:?}");
    assert!(seen.iter().any(|s| s.2 == 10018102), "{seen:?}");
    assert!(seen.iter().any(|s| s.2 == 0), "{seen:?}");
    assert_eq!(fetch(&base, sc, &t).code(), 10018100);
}

#[test]
fn expire_wins_over_flow() {
    let (_srv, base) = start();
    let sc = "expire=200,flow=w,id=ex";
    // Measured from first fetch for an unknown ticket.
    assert_eq!(fetch(&base, sc, "t1").code(), 10018101);
    thread::sleep(Duration::from_millis(250));
    assert_eq!(fetch(&base, sc, "t1").code(), 10018100);
    let t = issue(&base, sc);
    thread::sleep(Duration::from_millis(250));
    assert_eq!(fetch(&base, sc, &t).code(), 10018100, "from issue time");
}

#[test]
fn bad_scenario_and_unknown_path() {
    let (srv, base) = start();
    let r = get(&base, &format!("/s/flow=xyz{URL}"));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("flow"), "{}", r.text());
    let r = get(&base, &format!("/s/bogus=1{URL}"));
    assert_eq!(r.status, 400);
    let r = get(&base, "/nope");
    assert_eq!(r.status, 404);
    assert_eq!(srv.requests(), 3);
}
