//! The last mile of behaving like a browser, each shape served by the fake server (`browser=…`): cookie
//! identity by path, which value of a name the API host receives, credentials in a query on any host,
//! JSON read as `response.json()` reads it, and encoded answers. Every one keeps the confirmed login.

use super::*;

/// The value of `name` in a `Cookie` header.
fn header_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split("; ")
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

/// The values the scenario's confirmed fetch answer set, by name, first of each (the session's).
fn confirmed_values(srv: &FakeServer, id: &str) -> Vec<(String, String)> {
    let rec = srv
        .log()
        .into_iter()
        .rfind(|r| {
            r.path.contains(id) && r.path.ends_with("/auth/fetch") && !r.set_cookies.is_empty()
        })
        .expect("the confirmed fetch answer");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in &rec.set_cookies {
        let pair = line.split(';').next().unwrap_or("");
        if let Some((n, v)) = pair.split_once('=') {
            if !out.iter().any(|(m, _)| m == n) {
                out.push((n.to_owned(), v.to_owned()));
            }
        }
    }
    out
}

fn verified(srv: &FakeServer, sc: &str) -> bili_qr::Login {
    let login = fake_login(
        srv,
        sc,
        json!({"verify_login": true, "api_base_url": srv.url(sc)}),
    )
    .unwrap_or_else(|e| panic!("{sc}: {e}"));
    assert_usable(&login, sc);
    assert_eq!(login.verified, Some(true), "{sc}: the service accepts it");
    login
}

#[test]
fn a_deletion_at_another_path_deletes_nothing() {
    let srv = FakeServer::start();
    let sc = "id=fid-bpath,flow=c,browser=pathdelete";
    let login = verified(&srv, sc);
    for (n, v) in confirmed_values(&srv, "fid-bpath") {
        if n == "SESSDATA" || n == "bili_jct" {
            assert_eq!(
                header_value(&login.cookie_header, &n),
                Some(v.as_str()),
                "{n}"
            );
        }
    }
}

#[test]
fn a_www_cookie_never_shadows_the_sessions_for_the_api_host() {
    let srv = FakeServer::start();
    let sc = "id=fid-bshadow,flow=c,browser=shadow";
    let login = verified(&srv, sc);
    let values = confirmed_values(&srv, "fid-bshadow");
    for n in ["SESSDATA", "bili_jct"] {
        let (_, want) = values.iter().find(|(m, _)| m == n).unwrap();
        assert_eq!(
            header_value(&login.cookie_header, n),
            Some(want.as_str()),
            "{n}"
        );
        let www = login
            .cookies
            .iter()
            .find(|c| c.name == n && c.domain.as_deref() == Some("www.bilibili.tv"))
            .expect("the www.bilibili.tv cookie is kept in `cookies`");
        assert_ne!(&www.value, want);
    }
}

#[test]
fn credentials_in_a_query_are_read_on_any_host() {
    let srv = FakeServer::start();
    // go_url on passport.biligame.com (never requested), the credentials in its query.
    let sc = "id=fid-bxd,flow=c,browser=crossdomain";
    let login = verified(&srv, sc);
    let fetch = srv
        .log()
        .into_iter()
        .find(|r| r.path.contains("fid-bxd") && !r.cookie_info.is_empty())
        .unwrap();
    for pair in &fetch.cookie_info {
        assert!(login.cookie_header.contains(pair.as_str()), "{pair}");
    }
    assert!(
        login
            .go_url
            .as_deref()
            .is_some_and(|g| g.starts_with("https://passport.biligame.com/")),
        "{:?}",
        login.go_url
    );
    // A redirect's Location to that URL.
    let sc = "id=fid-bloc,flow=c,browser=location";
    let login = verified(&srv, sc);
    let log = srv.log();
    assert!(log
        .iter()
        .any(|r| r.path.ends_with("/gourl/hop1") && r.path.contains("fid-bloc")));
    let fetch = log
        .iter()
        .find(|r| r.path.contains("fid-bloc") && !r.cookie_info.is_empty())
        .unwrap();
    for pair in &fetch.cookie_info {
        assert!(login.cookie_header.contains(pair.as_str()), "{pair}");
    }
}

#[test]
fn json_is_read_as_a_browser_reads_it() {
    let srv = FakeServer::start();
    for shape in ["bom", "floats", "surrogate", "cututf8"] {
        let sc = format!("id=fid-b{shape},flow=wsc,browser={shape}");
        let login = verified(&srv, &sc);
        assert_eq!(login.mid, Some(1_709_658_507), "{shape}");
        let name = login.user_profile.and_then(|p| p.name);
        let want = match shape {
            "surrogate" => "\u{fffd}DemoUser\u{fffd}",
            "cututf8" => "DemoUser\u{fffd}",
            _ => "DemoUser",
        };
        assert_eq!(name.as_deref(), Some(want), "{shape}");
    }
}

#[test]
fn encoded_answers_are_decoded_and_the_headers_are_chromes() {
    let srv = FakeServer::start();
    for coding in ["gzip", "deflate"] {
        let sc = format!("id=fid-b{coding},flow=wsc,browser={coding}");
        let login = verified(&srv, &sc);
        assert_eq!(login.mid, Some(1_709_658_507), "{coding}");
    }
    let fetch = srv
        .log()
        .into_iter()
        .rfind(|r| r.path.ends_with("/auth/fetch"))
        .unwrap();
    for (name, value) in [
        ("accept-encoding", "gzip, deflate"),
        ("sec-fetch-site", "same-site"),
        ("sec-fetch-mode", "cors"),
        ("sec-fetch-dest", "empty"),
        ("priority", "u=1, i"),
    ] {
        assert_eq!(
            fetch.headers.get(name).map(String::as_str),
            Some(value),
            "{name}"
        );
    }
}
