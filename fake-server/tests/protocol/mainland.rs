//! The mainland site's routes (web QR login, crossDomain, nav, finger/spi, cookie refresh, logout), with real
//! HTTP requests from the raw client, asserting the shapes of PROTOCOL.md's "Mainland" section.

use crate::common::*;
use bili_qr_fake_server::{refresh_public_key_pem, State};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};
use sha2::Sha256;

const GENERATE: &str = "/x/passport-login/web/qrcode/generate?source=main-fe-header";
const POLL: &str = "/x/passport-login/web/qrcode/poll";
const NAV: &str = "/x/web-interface/nav";
const INFO: &str = "/x/passport-login/web/cookie/info";
const REFRESH: &str = "/x/passport-login/web/cookie/refresh";
const CONFIRM: &str = "/x/passport-login/web/confirm/refresh";
const EXIT: &str = "/login/exit/v2";
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const WEB: [&str; 5] = [
    "SESSDATA",
    "bili_jct",
    "DedeUserID",
    "DedeUserID__ckMd5",
    "sid",
];

fn browser(base: &str, method: &str, target: &str, cookie: &str, body: &str) -> Response {
    let mut h = vec![("User-Agent", UA), ("Referer", "https://www.bilibili.com/")];
    if !cookie.is_empty() {
        h.push(("Cookie", cookie));
    }
    if method == "POST" {
        h.push(("Content-Type", "application/x-www-form-urlencoded"));
    }
    Conn::open(base).request(method, target, &h, body.as_bytes())
}

/// Issues a qrcode_key under `sc`, checking the generate answer's shape.
fn generate(base: &str, sc: &str) -> String {
    let r = browser(base, "GET", &format!("{}{GENERATE}", prefix(sc)), "", "");
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (j["code"].as_i64(), j["message"].as_str(), j["ttl"].as_i64()),
        (Some(0), Some("0"), Some(1))
    );
    let key = j["data"]["qrcode_key"]
        .as_str()
        .expect("qrcode_key")
        .to_string();
    assert_eq!(key.len(), 32);
    assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
    assert_eq!(
        j["data"]["url"],
        format!("https://passport.bilibili.com/h5-app/passport/login/scan?navhide=1&qrcode_key={key}&from=")
    );
    key
}

fn poll(base: &str, sc: &str, key: &str) -> Response {
    let r = browser(
        base,
        "GET",
        &format!("{}{POLL}?qrcode_key={key}", prefix(sc)),
        "",
        "",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.code(), 0, "outer code is always 0: {}", r.text());
    r
}

/// data.code of a poll answer that is not a confirmation, checking the shape such an answer has: no url, no
/// refresh_token, timestamp 0.
fn poll_state(base: &str, sc: &str, key: &str) -> i64 {
    let j = poll(base, sc, key).json();
    assert_eq!(j["data"]["url"], "", "{j}");
    assert_eq!(j["data"]["refresh_token"], "", "{j}");
    assert_eq!(j["data"]["timestamp"], 0, "{j}");
    j["data"]["code"].as_i64().expect("data.code")
}

/// `name=value; …` of the Set-Cookie lines (the values as sent).
fn cookie_header(set: &[String]) -> String {
    set.iter()
        .map(|c| {
            let (n, v) = pair(c);
            format!("{n}={v}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn value(set: &[String], name: &str) -> String {
    set.iter()
        .map(|c| pair(c))
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {set:?}"))
        .1
}

/// A confirmed login under `sc` (`flow=c` added): the poll answer.
fn login(base: &str, sc: &str) -> Response {
    let sc = format!("{sc},flow=c");
    let key = generate(base, &sc);
    poll(base, &sc, &key)
}

fn nav(base: &str, sc: &str, cookie: &str) -> serde_json::Value {
    let r = browser(base, "GET", &format!("{}{NAV}", prefix(sc)), cookie, "");
    assert_eq!(r.status, 200);
    r.json()
}

fn logged_in(base: &str, cookie: &str) -> bool {
    let j = nav(base, "", cookie);
    match j["code"].as_i64() {
        Some(0) => {
            assert_eq!(j["data"]["isLogin"], true);
            true
        }
        Some(-101) => {
            assert_eq!(j["data"]["isLogin"], false);
            assert!(j["data"]["wbi_img"]["img_url"].is_string(), "{j}");
            false
        }
        other => panic!("nav code {other:?}: {j}"),
    }
}

#[test]
fn web_qr_flow_and_both_channels() {
    let (srv, base) = start();
    let key = generate(&base, "id=flow");
    let states: Vec<i64> = (0..2).map(|_| poll_state(&base, "id=flow", &key)).collect();
    assert_eq!(states, [86101, 86090]);
    let r = poll(&base, "id=flow", &key);
    let j = r.json();
    assert_eq!(j["data"]["code"], 0);
    let rt = j["data"]["refresh_token"].as_str().expect("refresh_token");
    assert!(
        rt.len() == 32 && rt.bytes().all(|b| b.is_ascii_hexdigit()),
        "{rt}"
    );
    assert!(j["data"]["timestamp"].as_u64().expect("ms") > 1_600_000_000_000);
    let set = r.set_cookies();
    assert_eq!(names(&set), WEB);
    for c in &set {
        assert_eq!(attr(c, "Domain"), Some(".bilibili.com"), "{c}");
    }
    assert_eq!(attr(&set[0], "HttpOnly"), Some(""));
    assert_eq!(value(&set, "DedeUserID"), "1709658507");
    // The key is spent.
    assert_eq!(poll_state(&base, "id=flow", &key), 86038);
    // data.url: the crossDomain hop on this server, which sets the same cookies and 302s to the site.
    let url = j["data"]["url"].as_str().expect("url");
    let path = url.strip_prefix(&base).expect("on this server");
    assert!(
        path.starts_with("/s/id=flow/x/passport-login/web/crossDomain?ticket="),
        "{url}"
    );
    assert!(
        path.ends_with("&gourl=https%3A%2F%2Fwww.bilibili.com&first_domain=.bilibili.com"),
        "{url}"
    );
    let hop = browser(&base, "GET", path, "", "");
    assert_eq!(hop.status, 302);
    assert_eq!(hop.header("location"), Some("https://www.bilibili.com"));
    assert_eq!(cookie_header(&hop.set_cookies()), cookie_header(&set));
    // nav: logged in with the cookies, not without.
    let who = nav(&base, "", &cookie_header(&set));
    assert_eq!(who["code"], 0, "{who}");
    assert_eq!(who["data"]["isLogin"], true);
    assert_eq!(who["data"]["mid"], 1709658507);
    assert_eq!(who["data"]["uname"], "DemoUser");
    assert_eq!(who["data"]["vipStatus"], 0);
    assert!(who["data"]["wbi_img"]["sub_url"].is_string());
    assert!(!logged_in(&base, ""));
    assert!(!logged_in(&base, "SESSDATA=nope"));
    assert_eq!(srv.sessions(), 1);
    srv.end_sessions();
    assert!(!logged_in(&base, &cookie_header(&set)));
}

#[test]
fn generate_wants_a_user_agent_and_needua_1_a_browser() {
    let (_srv, base) = start();
    let plain = |sc: &str, h: &[(&str, &str)]| {
        Conn::open(&base).request("GET", &format!("{}{GENERATE}", prefix(sc)), h, b"")
    };
    let r = plain("", &[]);
    assert_eq!(r.status, 412);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(r.text().contains("风控"), "{}", r.text());
    assert_eq!(plain("", &[("User-Agent", "curl/8.5")]).status, 200);
    assert_eq!(plain("needua=0", &[]).status, 200);
    assert_eq!(plain("needua=1", &[("User-Agent", "curl/8.5")]).status, 412);
    assert_eq!(plain("needua=1", &[("User-Agent", UA)]).status, 412);
    assert_eq!(
        plain(
            "needua=1",
            &[("User-Agent", UA), ("Referer", "https://www.bilibili.com/")]
        )
        .status,
        200
    );
    assert_eq!(plain("needua=2", &[]).status, 400);
}

#[test]
fn mcookies_shapes() {
    let (_srv, base) = start();
    let hop_of = |r: &Response| {
        let url = r.json()["data"]["url"].as_str().expect("url").to_string();
        browser(&base, "GET", url.strip_prefix(&base).expect("here"), "", "")
    };

    // setcookie: only the poll answer.
    let r = login(&base, "mcookies=setcookie,id=sc");
    assert_eq!(names(&r.set_cookies()), WEB);
    let hop = hop_of(&r);
    assert_eq!(hop.status, 302);
    assert!(hop.set_cookies().is_empty());
    assert!(logged_in(&base, &cookie_header(&r.set_cookies())));

    // crossdomain: only behind the hop.
    let r = login(&base, "mcookies=crossdomain,id=cd");
    assert!(r.set_cookies().is_empty());
    let hop = hop_of(&r);
    assert_eq!(hop.status, 302);
    assert_eq!(names(&hop.set_cookies()), WEB);
    assert!(logged_in(&base, &cookie_header(&hop.set_cookies())));

    // query: the credentials in data.url, nothing in headers.
    let r = login(&base, "mcookies=query,id=q,mid=77");
    assert!(r.set_cookies().is_empty());
    let url = r.json()["data"]["url"].as_str().expect("url").to_string();
    let q = url
        .strip_prefix(&format!(
            "{base}/s/mcookies=query,id=q,mid=77,flow=c/crossDomain?"
        ))
        .expect("the old crossDomain URL on this server");
    let fields: Vec<(&str, &str)> = q.split('&').filter_map(|p| p.split_once('=')).collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, QUERY_CREDENTIALS);
    assert_eq!(fields[0].1, "77");
    let sess = fields[3].1;
    assert!(sess.contains("%2C"), "{sess}");
    assert!(logged_in(&base, &format!("SESSDATA={sess}")));
    let page = hop_of(&r);
    assert_eq!(page.status, 302);
    assert!(page.set_cookies().is_empty());

    // foreign=1 adds a cookie for evil.example.com (here and in the intl answer).
    let r = login(&base, "foreign=1,id=f");
    assert_eq!(
        names(&r.set_cookies()).last().map(String::as_str),
        Some("ad_track")
    );
    let intl = fetch(
        &base,
        "foreign=1,flow=c,id=fi",
        &issue(&base, "foreign=1,flow=c,id=fi"),
    );
    assert!(names(&intl.set_cookies()).contains(&"ad_track".to_string()));
    let intl = fetch(&base, "flow=c,id=nf", &issue(&base, "flow=c,id=nf"));
    assert!(!names(&intl.set_cookies()).contains(&"ad_track".to_string()));
}

#[test]
fn control_faults_and_demo_timers_apply() {
    let (srv, base) = start();
    let key = generate(&base, "id=ctl");
    srv.set_state("id=ctl", &key, State::Scanned);
    assert_eq!(poll_state(&base, "id=ctl", &key), 86090);
    let forced = Conn::open(&base).request(
        "POST",
        &format!("/__state?scenario=id%3Dctl&ticket={key}&state=confirmed"),
        &[],
        b"",
    );
    assert_eq!(forced.status, 200);
    let r = poll(&base, "id=ctl", &key);
    assert_eq!(r.json()["data"]["code"], 0);
    assert_eq!(names(&r.set_cookies()), WEB);
    // The simulated phone: confirmed from the first poll with a zero delay; `expire=0`: expired at once.
    let key = generate(&base, "phone=0:0,id=ph");
    assert_eq!(
        poll(&base, "phone=0:0,id=ph", &key).json()["data"]["code"],
        0
    );
    let key = generate(&base, "expire=0,id=ex");
    assert_eq!(poll_state(&base, "expire=0,id=ex", &key), 86038);
    // Faults of the intl url/fetch endpoints apply to generate/poll.
    let r = browser(
        &base,
        "GET",
        &format!("/s/fault=412,on=url{GENERATE}"),
        "",
        "",
    );
    assert_eq!(r.status, 412);
    let r = login(&base, "fault=nocookies,id=nc");
    assert!(r.set_cookies().is_empty());
    let hop = browser(
        &base,
        "GET",
        r.json()["data"]["url"]
            .as_str()
            .expect("url")
            .strip_prefix(&base)
            .expect("here"),
        "",
        "",
    );
    assert!(hop.set_cookies().is_empty());
    // A poll without a key.
    let r = browser(&base, "GET", POLL, "", "");
    assert_eq!(r.code(), -400);
}

#[test]
fn nav_needbuvid_and_finger_spi() {
    let (_srv, base) = start();
    let r = login(&base, "id=nb");
    let cookie = cookie_header(&r.set_cookies());
    let j = nav(&base, "needbuvid=1", &cookie);
    assert_eq!(j["code"], -352, "{j}");
    assert!(j["data"]["v_voucher"]
        .as_str()
        .is_some_and(|v| v.starts_with("voucher_")));
    let spi = browser(&base, "GET", "/x/frontend/finger/spi", "", "").json();
    assert_eq!(spi["code"], 0);
    let b3 = spi["data"]["b_3"].as_str().expect("b_3");
    assert!(b3.ends_with("infoc") && b3.len() == 36 + 5 + 5, "{b3}");
    assert!(spi["data"]["b_4"].is_string());
    let j = nav(&base, "needbuvid=1", &format!("{cookie}; buvid3={b3}"));
    assert_eq!(j["code"], 0, "{j}");
    assert_eq!(
        nav(&base, "needbuvid=1", &format!("buvid3={b3}"))["code"],
        -101
    );
}

/// `correspondPath` for `refresh_{ts}` with the server's public key.
fn correspond_path(ts: u64) -> String {
    let key = RsaPublicKey::from_public_key_pem(refresh_public_key_pem()).expect("SPKI PEM");
    let ct = key
        .encrypt(
            &mut rand_core::OsRng,
            Oaep::new::<Sha256>(),
            format!("refresh_{ts}").as_bytes(),
        )
        .expect("encrypt");
    ct.iter().map(|b| format!("{b:02x}")).collect()
}

/// `cookie/info` → its timestamp (and `refresh`).
fn cookie_info(base: &str, sc: &str, cookie: &str, jct: &str) -> (u64, bool) {
    let j = browser(
        base,
        "GET",
        &format!("{}{INFO}?csrf={jct}", prefix(sc)),
        cookie,
        "",
    )
    .json();
    assert_eq!(j["code"], 0, "{j}");
    (
        j["data"]["timestamp"].as_u64().expect("timestamp"),
        j["data"]["refresh"].as_bool().expect("refresh"),
    )
}

fn refresh_csrf(base: &str, sc: &str, cookie: &str, ts: u64) -> Response {
    browser(
        base,
        "GET",
        &format!("{}/correspond/1/{}", prefix(sc), correspond_path(ts)),
        cookie,
        "",
    )
}

fn csrf_of(page: &Response) -> String {
    assert_eq!(page.status, 200);
    let t = page.text();
    let at = t.find("<div id=\"1-name\">").expect("the 1-name div") + "<div id=\"1-name\">".len();
    let csrf = t[at..].split('<').next().expect("text").to_string();
    assert!(
        csrf.len() == 32 && csrf.bytes().all(|b| b.is_ascii_hexdigit()),
        "{csrf}"
    );
    csrf
}

/// A web session as a client keeps it, from its login or refresh answer: the Set-Cookie lines, the Cookie
/// header they make, its csrf (`bili_jct`) and its refresh_token.
struct Session {
    set: Vec<String>,
    cookie: String,
    jct: String,
    token: String,
}

impl Session {
    fn of(answer: &Response) -> Session {
        let set = answer.set_cookies();
        let token = answer.json()["data"]["refresh_token"]
            .as_str()
            .expect("refresh_token")
            .to_string();
        Session {
            cookie: cookie_header(&set),
            jct: value(&set, "bili_jct"),
            token,
            set,
        }
    }
}

/// The body of a `cookie/refresh` POST.
fn refresh_form(jct: &str, refresh_csrf: &str, token: &str) -> String {
    format!("csrf={jct}&refresh_csrf={refresh_csrf}&source=main_web&refresh_token={token}")
}

/// The body of a `confirm/refresh` POST: the new session's csrf and the old session's refresh_token.
fn confirm_form(jct: &str, old_token: &str) -> String {
    format!("csrf={jct}&refresh_token={old_token}")
}

/// A whole refresh of `s` as a client makes it: cookie/info's timestamp, the correspond page's
/// refresh_csrf, then the POST to cookie/refresh.
fn refresh(base: &str, s: &Session) -> Response {
    let (ts, _) = cookie_info(base, "", &s.cookie, &s.jct);
    let csrf = csrf_of(&refresh_csrf(base, "", &s.cookie, ts));
    browser(
        base,
        "POST",
        REFRESH,
        &s.cookie,
        &refresh_form(&s.jct, &csrf, &s.token),
    )
}

#[test]
fn cookie_refresh_then_confirm_retires_the_old_session() {
    let (_srv, base) = start();
    assert!(refresh_public_key_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
    let old = Session::of(&login(&base, "id=rf"));

    let (ts, need) = cookie_info(&base, "", &old.cookie, &old.jct);
    assert!(!need);
    assert!(cookie_info(&base, "refresh=1", &old.cookie, &old.jct).1);
    let j = browser(&base, "GET", &format!("{INFO}?csrf=x"), "", "").json();
    assert_eq!(j["code"], -101);

    // correspond: a timestamp never issued, a bad path, no session, correspond=404 → 404.
    assert_eq!(
        refresh_csrf(&base, "", &old.cookie, ts - 86_400_000).status,
        404
    );
    assert_eq!(
        browser(&base, "GET", "/correspond/1/abcd", &old.cookie, "").status,
        404
    );
    assert_eq!(refresh_csrf(&base, "", "", ts).status, 404);
    assert_eq!(
        refresh_csrf(&base, "correspond=404", &old.cookie, ts).status,
        404
    );
    let csrf = csrf_of(&refresh_csrf(&base, "", &old.cookie, ts));

    let post =
        |target: &str, cookie: &str, body: &str| browser(&base, "POST", target, cookie, body);
    let good = refresh_form(&old.jct, &csrf, &old.token);
    assert_eq!(post(REFRESH, "", &good).code(), -101);
    assert_eq!(
        post(
            REFRESH,
            &old.cookie,
            &refresh_form("bad", &csrf, &old.token)
        )
        .code(),
        -111
    );
    assert_eq!(
        post(
            REFRESH,
            &old.cookie,
            &refresh_form(&old.jct, "bad", &old.token)
        )
        .code(),
        86095
    );
    assert_eq!(
        post(REFRESH, &old.cookie, &refresh_form(&old.jct, &csrf, "bad")).code(),
        86095
    );
    assert_eq!(
        post(&format!("/s/refresh86095=1{REFRESH}"), &old.cookie, &good).code(),
        86095
    );
    assert_eq!(browser(&base, "GET", REFRESH, &old.cookie, "").status, 405);

    let r = post(REFRESH, &old.cookie, &good);
    let j = r.json();
    assert_eq!(j["code"], 0, "{j}");
    assert_eq!(j["data"]["status"], 0);
    let new = Session::of(&r);
    assert_ne!(new.token, old.token);
    assert_eq!(names(&new.set), WEB);
    assert_ne!(value(&new.set, "SESSDATA"), value(&old.set, "SESSDATA"));
    // Before confirm both sessions work (a client that crashed here still has its old one).
    assert!(logged_in(&base, &old.cookie));
    assert!(logged_in(&base, &new.cookie));
    // The page's refresh_csrf was good for one refresh.
    assert_eq!(post(REFRESH, &old.cookie, &good).code(), 86095);

    // confirm: csrf of the NEW session, the OLD token.
    assert_eq!(
        post(CONFIRM, &new.cookie, &confirm_form(&old.jct, &old.token)).code(),
        -111
    );
    assert_eq!(
        post(CONFIRM, &new.cookie, &confirm_form(&new.jct, &new.token)).code(),
        -400
    );
    assert_eq!(
        post(CONFIRM, "", &confirm_form(&new.jct, &old.token)).code(),
        -101
    );
    assert!(logged_in(&base, &old.cookie));
    assert_eq!(
        post(CONFIRM, &new.cookie, &confirm_form(&new.jct, &old.token)).code(),
        0
    );
    assert!(!logged_in(&base, &old.cookie));
    assert!(logged_in(&base, &new.cookie));

    // The new session refreshes in turn with its own token.
    assert_eq!(refresh(&base, &new).code(), 0);
}

#[test]
fn a_crash_between_refresh_and_confirm_keeps_the_old_session_refreshable() {
    let (_srv, base) = start();
    let old = Session::of(&login(&base, "id=crash"));
    // The first answer is "lost"; the old session still works and refreshes again.
    assert_eq!(refresh(&base, &old).code(), 0);
    assert!(logged_in(&base, &old.cookie));
    let again = refresh(&base, &old);
    assert_eq!(again.code(), 0);
    let new = Session::of(&again);
    let c = browser(
        &base,
        "POST",
        CONFIRM,
        &new.cookie,
        &confirm_form(&new.jct, &old.token),
    );
    assert_eq!(c.code(), 0);
    assert!(!logged_in(&base, &old.cookie));
    assert!(logged_in(&base, &new.cookie));
}

#[test]
fn logout_v2() {
    let (_srv, base) = start();
    let Session { cookie, jct, .. } = Session::of(&login(&base, "id=lo"));
    let r = browser(&base, "POST", EXIT, &cookie, "biliCSRF=wrong");
    assert_eq!(r.code(), 2202);
    assert_eq!(r.json()["status"], false);
    assert!(logged_in(&base, &cookie));
    let r = browser(
        &base,
        "POST",
        EXIT,
        &cookie,
        &format!("biliCSRF={jct}&gourl=https%3A%2F%2Fwww.bilibili.com"),
    );
    let j = r.json();
    assert_eq!(j["code"], 0, "{j}");
    assert_eq!(j["status"], true);
    assert_eq!(j["data"]["redirectUrl"], "https://www.bilibili.com");
    assert!(!logged_in(&base, &cookie));
    // An already-dead session: the HTML login page, HTTP 200.
    let r = browser(&base, "POST", EXIT, &cookie, &format!("biliCSRF={jct}"));
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html")));
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
}

#[test]
fn the_binary_writes_the_refresh_public_key() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("fake-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("refresh.pem");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bili-qr-fake-server"))
        .args(["--quiet", "--watch-stdin", "--refresh-public-key-out"])
        .arg(&file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    assert!(line.starts_with("listening http://127.0.0.1:"), "{line}");
    // Written before the `listening` line.
    let pem = std::fs::read_to_string(&file).expect("the key file");
    assert_eq!(pem, refresh_public_key_pem());
    RsaPublicKey::from_public_key_pem(&pem).expect("SPKI");
    drop(child.stdin.take());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_bili-qr-fake-server"))
        .arg("--refresh-public-key-out")
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}
