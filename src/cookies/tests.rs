//! Unit tests of the cookie jar and the cookie rules.

use super::*;
use serde_json::{json, Value};

const NOW: i64 = 1_700_000_000;

fn names(jar: &CookieJar) -> Vec<&str> {
    jar.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn attributes_and_filters() {
    let mut jar = CookieJar::default();
    for h in [
        "SESSDATA=9f3c1a2b%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly; Secure",
        "bili_jct=abc; Domain=.bilibili.tv; Max-Age=100",
        "DedeUserID=1; Domain=www.BILIBILI.tv",
        "x=1; Domain=evil.example.com",
        "y=2; Domain=notbilibili.tv",
        "buvid3=deleted; Max-Age=0",
        "old=1; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
        "sid=s1",
        "not a cookie",
        "h=1; Domain=127.0.0.1",
    ] {
        jar.apply_set_cookie(h, "127.0.0.1", NOW);
    }
    assert_eq!(
        names(&jar),
        ["SESSDATA", "bili_jct", "DedeUserID", "sid", "h"]
    );
    let s = jar.get("SESSDATA").unwrap();
    assert_eq!(s.value, "9f3c1a2b%2C1811061062%2C5e7d1%2A51");
    assert_eq!(s.domain.as_deref(), Some("bilibili.tv"));
    assert_eq!(s.expires, Some(2139722880));
    assert!(s.secure && s.http_only);
    let j = jar.get("bili_jct").unwrap();
    assert_eq!(
        (j.domain.as_deref(), j.expires),
        (Some("bilibili.tv"), Some(NOW + 100))
    );
    let sid = jar.get("sid").unwrap();
    assert_eq!(
        (sid.domain.as_deref(), sid.path.as_str(), sid.expires),
        (None, "/", None)
    );
    assert!(jar.missing_required().is_empty());
    assert!(jar
        .cookie_header()
        .starts_with("SESSDATA=9f3c1a2b%2C1811061062%2C5e7d1%2A51; bili_jct=abc; "));
    let w = jar.take_warnings();
    assert!(
        w.iter().any(|w| w.contains("evil.example.com")),
        "foreign domains are reported: {w:?}"
    );
}

/// A jar that received the `Set-Cookie` lines `lines` from `host`, in order.
fn jar_from(host: &str, lines: &[&str]) -> CookieJar {
    let mut jar = CookieJar::default();
    for line in lines {
        jar.apply_set_cookie(line, host, NOW);
    }
    jar
}

#[test]
fn replace_in_place_and_delete() {
    let mut jar = jar_from("h", &["a=1", "b=1", "a=2"]);
    assert_eq!(jar.cookie_header(), "a=2; b=1");
    jar.apply_set_cookie("a=; Max-Age=-1", "h", NOW);
    assert_eq!(jar.cookie_header(), "b=1");
    jar.apply_set_cookie("a=3", "h", NOW);
    assert_eq!(
        jar.cookie_header(),
        "b=1; a=3",
        "re-set after deletion: last"
    );
    assert_eq!(jar.missing_required(), REQUIRED.to_vec());
}

#[test]
fn same_name_other_domain_is_another_cookie() {
    let jar = jar_from(
        "h",
        &[
            "SESSDATA=intl; Domain=biliintl.com",
            "SESSDATA=tv; Domain=bilibili.tv",
            "SESSDATA=intl2; Domain=.biliintl.com",
        ],
    );
    assert_eq!(jar.len(), 2);
    let values: Vec<_> = jar.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["intl2", "tv"]);
    assert_eq!(jar.cookie_header(), "SESSDATA=tv", "bilibili.tv preferred");
    assert_eq!(
        jar.header_for("www.biliintl.com", "/", "h"),
        "SESSDATA=intl2"
    );
    assert_eq!(
        jar.header_for("passport.bilibili.tv", "/", "h"),
        "SESSDATA=tv"
    );
    assert_eq!(jar.header_for("example.com", "/", "h"), "");
}

#[test]
fn host_only_cookies_of_another_host_keep_that_host() {
    let mut jar = CookieJar::default();
    jar.apply_set_cookie_from("a=1", "www.biliintl.com", "passport.bilibili.tv", NOW);
    jar.apply_set_cookie_from("b=1", "passport.bilibili.tv", "passport.bilibili.tv", NOW);
    jar.apply_set_cookie_from("c=1", "evil.example", "passport.bilibili.tv", NOW);
    let domains: Vec<_> = jar.iter().map(|c| c.domain.as_deref()).collect();
    assert_eq!(domains, [Some("www.biliintl.com"), None]);
}

#[test]
fn header_for_a_loopback_stand_in_carries_every_cookie() {
    let jar = jar_from("127.0.0.1", &["a=1; Domain=bilibili.tv", "b=2"]);
    assert_eq!(jar.header_for("127.0.0.1", "/", "127.0.0.1"), "a=1; b=2");
    let jar = jar_from("passport.bilibili.tv", &["a=1; Domain=bilibili.tv", "b=2"]);
    assert_eq!(
        jar.header_for("www.bilibili.tv", "/", "passport.bilibili.tv"),
        "a=1"
    );
}

/// Regression (fuzz target set_cookie): `Domain=..bilibili.tv` was kept as ".bilibili.tv", but the ABI
/// hands out `domain` without a leading dot.
#[test]
fn domain_is_kept_without_any_leading_dot() {
    let jar = jar_from(
        "127.0.0.1",
        &[
            "z=1; Domain=..BiliBili.tv",
            "y=1; Domain=...evil.example.com",
        ],
    );
    let z = jar.get("z").expect("a bilibili.tv cookie is kept");
    assert_eq!(z.domain.as_deref(), Some("bilibili.tv"));
    assert!(jar.get("y").is_none());
}

/// Regression (fuzz target set_cookie): `Path=` (empty) was kept as an empty path; the ABI's `path` is
/// "/" when absent, and an empty or relative Path counts as absent.
#[test]
fn an_empty_or_relative_path_is_the_default_path() {
    let jar = jar_from("h", &["a=1; Path=", "b=1; Path=x/y", "c=1; Path=/x"]);
    assert_eq!(jar.get("a").unwrap().path, "/");
    assert_eq!(jar.get("b").unwrap().path, "/");
    assert_eq!(jar.get("c").unwrap().path, "/x");
}

/// A Domain that is not a host name is dropped even when it ends with a trusted suffix.
#[test]
fn domains_that_are_not_host_names_are_dropped() {
    for bad in [
        "evil.example/.bilibili.tv",
        "evil.example .bilibili.tv",
        "*.bilibili.tv",
        "evil.example:1.bilibili.tv",
        "evil..bilibili.tv",
        "bilibili.tv.",
        "évil.bilibili.tv",
    ] {
        let mut jar = CookieJar::default();
        jar.apply_set_cookie(&format!("a=1; Domain={bad}"), "127.0.0.1", NOW);
        assert!(jar.is_empty(), "{bad}");
        let w = jar.take_warnings();
        assert_eq!(
            w,
            ["1 cookie dropped: a Domain that is not a host name"],
            "{bad}"
        );
    }
    assert!(valid_domain("www.bilibili.tv") && valid_domain("127.0.0.1"));
}

/// Names and values a Cookie header cannot carry are dropped, from every source.
#[test]
fn names_and_values_follow_rfc_6265() {
    let good = [
        ("SESSDATA", "9f3c%2C1%2A51"),
        ("quoted", "\"q v\""),
        ("a", ""),
    ];
    // Each with the name "a".
    let bad_values = ["x\r\nSet-Cookie: evil=1", "x\nb", "x\0", "x;y", "é"];
    // Each with the value "1".
    let bad_names = ["a b", "a;b", "a\r\n", "", "a=b"];
    let cases = (good.iter().map(|&(name, value)| (name, value, true)))
        .chain(bad_values.iter().map(|&value| ("a", value, false)))
        .chain(bad_names.iter().map(|&name| (name, "1", false)));
    for (name, value, ok) in cases {
        assert_eq!(
            valid_name(name) && valid_value(value),
            ok,
            "{name:?}={value:?}"
        );
        let mut jar = CookieJar::default();
        let info =
            json!({"cookies": [{"name": name, "value": value}], "domains": [".bilibili.tv"]});
        jar.apply_cookie_info(&info, "h", NOW);
        assert_eq!(jar.len(), usize::from(ok), "{name:?}={value:?}");
        if !ok {
            let w = jar.take_warnings();
            assert_eq!(w.len(), 1, "{w:?}");
            assert!(!w[0].contains("evil") && w[0].contains("dropped"), "{w:?}");
        }
    }
    assert!(!valid_value(&"x".repeat(10)) || valid_value("x"));
    let mut jar = CookieJar::default();
    jar.apply_set_cookie(&format!("big={}", "x".repeat(5000)), "h", NOW);
    assert!(jar.is_empty());
}

/// A proxy folded three Set-Cookie lines into one; `Expires` has its own comma.
#[test]
fn folded_set_cookie_lines_are_split_between_cookies_only() {
    let folded = "SESSDATA=a%2Cb; Path=/; Domain=bilibili.tv; Expires=Sun, 23 May 2027 10:00:00 GMT; HttpOnly; Secure, bili_jct=0123; Path=/; Expires=Sun, 23 May 2027 10:00:00 GMT,DedeUserID=7; Max-Age=100";
    assert_eq!(split_folded(folded).len(), 3);
    let mut jar = CookieJar::default();
    jar.apply_set_cookie(folded, "h", NOW);
    assert_eq!(names(&jar), ["SESSDATA", "bili_jct", "DedeUserID"]);
    assert_eq!(jar.get("SESSDATA").unwrap().expires, Some(1_811_066_400));
    assert!(jar.get("SESSDATA").unwrap().http_only);
    assert_eq!(jar.get("DedeUserID").unwrap().expires, Some(NOW + 100));
    assert!(jar.missing_required().is_empty());
    // A lone Expires comma is not a split.
    assert_eq!(
        split_folded("a=1; Expires=Sun, 23 May 2027 10:00:00 GMT").len(),
        1
    );
}

/// `cookie_info`'s domains are all read; foreign ones are dropped, never relabelled.
#[test]
fn cookie_info_reads_every_domain_and_drops_foreign_ones() {
    let entry = json!([{"name": "SESSDATA", "value": "s", "http_only": 1, "expires": 2_000_000_000i64, "secure": true}]);
    let mut jar = CookieJar::default();
    jar.apply_cookie_info(
        &json!({"cookies": entry, "domains": [".evil.example"]}),
        "h",
        NOW,
    );
    assert!(jar.is_empty());
    let w = jar.take_warnings();
    assert!(w.iter().any(|w| w.contains("evil.example")), "{w:?}");
    let mut jar = CookieJar::default();
    jar.apply_cookie_info(
        &json!({"cookies": entry, "domains": [".evil.example", ".bilibili.tv", ".biliintl.com"]}),
        "h",
        NOW,
    );
    let domains: Vec<_> = jar.iter().map(|c| c.domain.clone()).collect();
    assert_eq!(
        domains,
        [Some("bilibili.tv".into()), Some("biliintl.com".into())]
    );
    let s = jar.get("SESSDATA").unwrap();
    assert!(s.http_only && s.secure && s.expires == Some(2_000_000_000));
    // No domains: host-only, as before.
    let mut jar = CookieJar::default();
    jar.apply_cookie_info(&json!({"cookies": entry}), "h", NOW);
    assert_eq!(jar.get("SESSDATA").unwrap().domain, None);
    // Odd shapes are warnings, not errors.
    let mut jar = CookieJar::default();
    jar.apply_cookie_info(
        &json!({"cookies": [1, {"name": 2}], "domains": 5}),
        "h",
        NOW,
    );
    assert!(jar.is_empty());
    assert_eq!(jar.take_warnings().len(), 2);
}

#[test]
fn domain_matching() {
    assert!(domain_matches("bilibili.tv", "bilibili.tv"));
    assert!(domain_matches(".bilibili.tv", "bilibili.tv"));
    assert!(domain_matches("a.b.bilibili.tv", "bilibili.tv"));
    assert!(!domain_matches("xbilibili.tv", "bilibili.tv"));
    assert!(!domain_matches("tv", "bilibili.tv"));
    assert!(!domain_matches("é.bilibili.tv", "bilibili.tvx"));
    assert!(is_trusted("www.biliintl.com", "x"));
}

/// 30,000 entries merge into 30,000 cookies in order (the old find-by-name insert took 1.7 s in release;
/// the time is not asserted here: a test's pass/fail never depends on the machine's speed).
#[test]
fn thirty_thousand_cookie_info_entries_merge() {
    let cookies: Vec<Value> = (0..30_000)
        .map(|i| json!({"name": format!("c{i}"), "value": "v", "expires": 2_000_000_000i64}))
        .collect();
    let info = json!({"cookies": cookies, "domains": [".bilibili.tv"]});
    let mut jar = CookieJar::default();
    jar.apply_cookie_info(&info, "h", NOW);
    let header = jar.cookie_header();
    assert_eq!(jar.len(), 30_000);
    assert!(header.starts_with("c0=v; c1=v"));
}

/// RFC 6265 section 5.3: a cookie is identified by name, domain and path. A deletion at another path
/// deletes nothing; one at the same path deletes only that cookie.
#[test]
fn identity_is_name_domain_and_path() {
    let mut jar = CookieJar::for_service("passport.bilibili.tv", "api.bilibili.tv");
    let base = "passport.bilibili.tv";
    jar.apply_set_cookie("SESSDATA=root; Domain=bilibili.tv; Path=/", base, NOW);
    jar.apply_set_cookie("SESSDATA=x; Domain=bilibili.tv; Path=/x", base, NOW);
    assert_eq!(jar.len(), 2);
    jar.apply_set_cookie(
        "SESSDATA=; Domain=bilibili.tv; Path=/other; Max-Age=0",
        base,
        NOW,
    );
    assert_eq!(jar.len(), 2, "a deletion at another path deletes nothing");
    jar.apply_set_cookie(
        "SESSDATA=; Domain=bilibili.tv; Path=/x; Max-Age=0",
        base,
        NOW,
    );
    assert_eq!(jar.len(), 1);
    assert_eq!(jar.get("SESSDATA").unwrap().value, "root");
    // Replacement is per path too, and keeps the place.
    jar.apply_set_cookie("a=1; Domain=bilibili.tv", base, NOW);
    jar.apply_set_cookie("SESSDATA=root2; Domain=bilibili.tv; Path=/", base, NOW);
    assert_eq!(jar.cookie_header(), "SESSDATA=root2; a=1");
}

/// RFC 6265 section 5.4: `cookie_header` is what a browser sends to the API host: a www.bilibili.tv cookie
/// is not sent there, so it never shadows the bilibili.tv one, whichever came last.
#[test]
fn cookie_header_is_what_the_api_host_receives() {
    let base = "passport.bilibili.tv";
    let mut jar = CookieJar::for_service(base, "api.bilibili.tv");
    jar.apply_set_cookie("SESSDATA=good; Domain=.bilibili.tv", base, NOW);
    jar.apply_set_cookie("bili_jct=j; Domain=.bilibili.tv", base, NOW);
    jar.apply_set_cookie("DedeUserID=1; Domain=.bilibili.tv", base, NOW);
    jar.apply_set_cookie_from("SESSDATA=www", "www.bilibili.tv", base, NOW);
    jar.apply_set_cookie("SESSDATA=www2; Domain=www.bilibili.tv", base, NOW);
    assert_eq!(jar.len(), 4);
    assert_eq!(jar.get("SESSDATA").unwrap().value, "good");
    assert_eq!(
        jar.cookie_header(),
        "SESSDATA=good; bili_jct=j; DedeUserID=1"
    );
    // www.bilibili.tv itself receives both: the longer path first, then the earlier creation.
    assert_eq!(
        jar.header_for("www.bilibili.tv", "/", base),
        "SESSDATA=good; bili_jct=j; DedeUserID=1"
    );
    jar.apply_set_cookie("SESSDATA=deep; Domain=bilibili.tv; Path=/x", base, NOW);
    assert_eq!(
        jar.header_for("api.bilibili.tv", "/x/y", base),
        "SESSDATA=deep; bili_jct=j; DedeUserID=1"
    );
    assert_eq!(
        jar.header_for("api.bilibili.tv", "/xy", base),
        "SESSDATA=good; bili_jct=j; DedeUserID=1"
    );
    assert_eq!(
        jar.get("SESSDATA").unwrap().value,
        "good",
        "cookie_header is for /"
    );
    // A loopback test server stands in for the service: the cookie api.bilibili.tv would get wins.
    let mut jar = CookieJar::for_service("127.0.0.1", "127.0.0.1");
    jar.apply_set_cookie("SESSDATA=www; Domain=www.bilibili.tv", "127.0.0.1", NOW);
    jar.apply_set_cookie("SESSDATA=good; Domain=bilibili.tv", "127.0.0.1", NOW);
    assert_eq!(jar.cookie_header(), "SESSDATA=good");
    assert_eq!(
        jar.header_for("127.0.0.1", "/", "127.0.0.1"),
        "SESSDATA=good"
    );
    // A name the API host would not receive still appears (a passport host-only cookie).
    let mut jar = CookieJar::for_service(base, "api.bilibili.tv");
    jar.apply_set_cookie("sid=1", base, NOW);
    jar.apply_set_cookie("SESSDATA=s; Domain=bilibili.tv", base, NOW);
    assert_eq!(
        jar.cookie_header(),
        "sid=1; SESSDATA=s",
        "names in the order received"
    );
}

#[test]
fn path_matching() {
    assert!(path_matches("/", "/"));
    assert!(path_matches("/x/y", "/"));
    assert!(path_matches("/x/y", "/x"));
    assert!(path_matches("/x/y", "/x/"));
    assert!(path_matches("/x", "/x"));
    assert!(!path_matches("/xy", "/x"));
    assert!(!path_matches("/", "/x"));
}
