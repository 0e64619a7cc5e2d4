//! The browser the library presents itself as, in one place. Update all of it together (and the date).
//!
//! Desktop Chrome 144 on Windows (stable since 2026-01-13). `sec-ch-ua` is what that Chrome sends: the
//! brand list with its "GREASE" brand, whose spelling and order Chromium derives from the major version
//! (`components/embedder_support/user_agent_utils.cc`: for 144, `Not(A:Brand` / `8`, order 0 1 2).
//! A caller's `user_agent` option replaces the User-Agent and drops the three `sec-ch-ua*` hints, which
//! would contradict it.

/// When this identity was current.
#[allow(dead_code)] // documentation, checked by a test
pub const AS_OF: &str = "2026-01";

use crate::options::Options;
use once_cell::sync::Lazy;
use std::cell::RefCell;
use ureq::http::header::{self, HeaderMap, HeaderName, HeaderValue};
/// The default `User-Agent`, when the `user_agent` option is not set.
pub const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/144.0.0.0 Safari/537.36";
pub const SEC_CH_UA: &str =
    "\"Not(A:Brand\";v=\"8\", \"Chromium\";v=\"144\", \"Google Chrome\";v=\"144\"";
/// The client hints of [`USER_AGENT`] (name, value), as that Chrome sends them.
pub const HINTS: [(&str, &str); 3] = [
    ("sec-ch-ua", SEC_CH_UA),
    ("sec-ch-ua-mobile", "?0"),
    ("sec-ch-ua-platform", "\"Windows\""),
];
pub const ACCEPT: &str = "application/json, text/plain, */*";
pub const REFERER: &str = "https://www.bilibili.tv/";
pub const ORIGIN: &str = "https://www.bilibili.tv";
/// What Chrome sends (name, value) for a `fetch()` that a page of www.bilibili.tv makes to another host of
/// bilibili.tv (passport.bilibili.tv, api.bilibili.tv): a CORS request of the same site, for no element, at
/// fetch's default priority.
pub const FETCH_METADATA: [(&str, &str); 3] = [
    ("sec-fetch-site", "same-site"),
    ("sec-fetch-mode", "cors"),
    ("sec-fetch-dest", "empty"),
];
pub const PRIORITY: &str = "u=1, i";
/// Only the codings the library decodes (Chrome also sends `br, zstd`; see `decode.rs` and BENCHMARKS.md).
pub const ACCEPT_ENCODING: &str = super::decode::ACCEPT_ENCODING;

/// `Accept-Language` for a `locale` option (`A-Za-z0-9_-`, 1 to 16): `en_US` → `en-US,en;q=0.9`,
/// `th_TH` → `th-TH,th;q=0.9`, `en` → `en`.
pub fn accept_language(locale: &str) -> String {
    let tag = locale.replace('_', "-");
    match tag.split_once('-') {
        Some((lang, rest)) if !lang.is_empty() && !rest.is_empty() => {
            format!("{tag},{lang};q=0.9")
        }
        _ => tag.trim_matches('-').to_owned(),
    }
}

/// The fixed header values, validated once.
struct Fixed {
    user_agent: HeaderValue,
    hints: [(HeaderName, HeaderValue); 3],
    accept: HeaderValue,
    referer: HeaderValue,
    origin: HeaderValue,
    fetch: [(HeaderName, HeaderValue); 3],
    accept_encoding: HeaderValue,
    priority: HeaderValue,
}

/// A fixed header of a table above, as a name and value (the tables hold valid ones).
fn fixed_header((name, value): (&'static str, &'static str)) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

static FIXED: Lazy<Fixed> = Lazy::new(|| Fixed {
    user_agent: HeaderValue::from_static(USER_AGENT),
    hints: HINTS.map(fixed_header),
    accept: HeaderValue::from_static(ACCEPT),
    referer: HeaderValue::from_static(REFERER),
    origin: HeaderValue::from_static(ORIGIN),
    fetch: FETCH_METADATA.map(fixed_header),
    accept_encoding: HeaderValue::from_static(ACCEPT_ENCODING),
    priority: HeaderValue::from_static(PRIORITY),
});

/// The headers of every request, the user agent first; `accept_language` from [`accept_language`]
/// (omitted when empty). A value a header cannot carry (the options refuse those) is left out. After the
/// identity: `Sec-Fetch-Site`/`-Mode`/`-Dest`, `Accept-Encoding` and `priority`, as Chrome sends them.
pub fn headers(user_agent: &str, accept_language: &str) -> Vec<(HeaderName, HeaderValue)> {
    let fixed = &*FIXED;
    let mut h = Vec::with_capacity(14);
    if user_agent == USER_AGENT {
        h.push((header::USER_AGENT, fixed.user_agent.clone()));
        h.extend(fixed.hints.iter().cloned());
    } else if let Ok(v) = HeaderValue::from_str(user_agent) {
        h.push((header::USER_AGENT, v));
    }
    h.push((header::ACCEPT, fixed.accept.clone()));
    if let Ok(v) = HeaderValue::from_str(accept_language) {
        if !accept_language.is_empty() {
            h.push((header::ACCEPT_LANGUAGE, v));
        }
    }
    h.push((header::REFERER, fixed.referer.clone()));
    h.push((header::ORIGIN, fixed.origin.clone()));
    h.extend(fixed.fetch.iter().cloned());
    h.push((header::ACCEPT_ENCODING, fixed.accept_encoding.clone()));
    h.push((HeaderName::from_static("priority"), fixed.priority.clone()));
    h
}

/// What the headers of a request depend on: the user agent, the locale and the site.
struct MapKey {
    user_agent: Option<String>,
    locale: String,
    site: crate::site::Site,
}

/// The headers of every request made with `options` ([`headers`], with the site's Referer and Origin), as a
/// ready map: built once per user agent, locale and site on each thread, and cloned for each request (two
/// small copies, no header name or value parsed or validated again).
pub(crate) fn header_map(options: &Options) -> HeaderMap {
    /// Distinct identities remembered per thread (most recently used first), as the options cache does.
    const SLOTS: usize = 4;
    thread_local! {
        static MAPS: RefCell<Vec<(MapKey, HeaderMap)>> = const { RefCell::new(Vec::new()) };
    }
    let matches = |k: &MapKey| {
        k.site == options.site && k.locale == options.locale && k.user_agent == options.user_agent
    };
    let hit = MAPS
        .try_with(|maps| {
            let maps = maps.borrow();
            maps.iter()
                .find(|(k, _)| matches(k))
                .map(|(_, m)| m.clone())
        })
        .ok()
        .flatten();
    if let Some(map) = hit {
        return map;
    }
    let language = accept_language(&options.locale);
    let user_agent = options.user_agent.as_deref().unwrap_or(USER_AGENT);
    let mut fixed = headers(user_agent, &language);
    options.site.browser_headers(&mut fixed);
    let mut map = HeaderMap::with_capacity(fixed.len());
    for (name, value) in fixed {
        map.append(name, value);
    }
    let _ = MAPS.try_with(|maps| {
        let mut maps = maps.borrow_mut();
        maps.truncate(SLOTS - 1);
        let key = MapKey {
            user_agent: options.user_agent.clone(),
            locale: options.locale.clone(),
            site: options.site,
        };
        maps.insert(0, (key, map.clone()));
    });
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_a_2026_chrome_and_consistent() {
        let major: u32 = USER_AGENT
            .split("Chrome/")
            .nth(1)
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .unwrap();
        assert!(major >= 140);
        assert!(SEC_CH_UA.contains(&format!("\"Google Chrome\";v=\"{major}\"")));
        assert!(SEC_CH_UA.contains(&format!("\"Chromium\";v=\"{major}\"")));
        assert!(AS_OF.starts_with("2026"));
    }

    #[test]
    fn languages() {
        assert_eq!(accept_language("en_US"), "en-US,en;q=0.9");
        assert_eq!(accept_language("th_TH"), "th-TH,th;q=0.9");
        assert_eq!(accept_language("zh-Hant"), "zh-Hant,zh;q=0.9");
        assert_eq!(accept_language("en"), "en");
        assert_eq!(accept_language("_x"), "x");
    }

    #[test]
    fn a_custom_user_agent_drops_the_hints() {
        let text = |h: Vec<(HeaderName, HeaderValue)>| {
            h.iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        };
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let h = text(headers("curl/8", "en-US,en;q=0.9"));
        assert!(h.iter().all(|(n, _)| !n.starts_with("sec-ch-ua")));
        assert_eq!(h[0], pair("user-agent", "curl/8"));
        assert!(h.contains(&pair("accept-language", "en-US,en;q=0.9")));
        let h = text(headers(USER_AGENT, ""));
        assert!(h.iter().all(|(n, _)| n != "accept-language"));
        assert_eq!(
            h.iter().filter(|(n, _)| n.starts_with("sec-ch-ua")).count(),
            3
        );
        assert!(h.contains(&pair("sec-ch-ua", SEC_CH_UA)));
    }

    #[test]
    fn fetch_metadata_and_encodings_as_chrome_sends_them() {
        for ua in [USER_AGENT, "curl/8"] {
            let h: Vec<(String, String)> = headers(ua, "en")
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            let get = |name: &str| h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert_eq!(get("sec-fetch-site"), Some("same-site"));
            assert_eq!(get("sec-fetch-mode"), Some("cors"));
            assert_eq!(get("sec-fetch-dest"), Some("empty"));
            assert_eq!(get("priority"), Some("u=1, i"));
            assert_eq!(get("accept-encoding"), Some("gzip, deflate"));
        }
    }

    #[test]
    fn the_cached_map_is_the_identity_of_its_options() {
        let text = |m: HeaderMap| {
            m.iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        };
        for json in [
            r#"{"locale":"th_TH"}"#,
            r#"{"user_agent":"curl/8","locale":"en"}"#,
            r#"{"site":"main"}"#,
            "{}",
        ] {
            let o = Options::from_json(Some(json)).unwrap();
            let mut want = headers(pool_user_agent(&o), &accept_language(&o.locale));
            o.site.browser_headers(&mut want);
            let want: Vec<_> = want
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            // Built, then from the cache: the same headers in the same order.
            assert_eq!(text(header_map(&o)), want, "{json}");
            assert_eq!(text(header_map(&o)), want, "{json}");
        }
    }

    fn pool_user_agent(o: &Options) -> &str {
        o.user_agent.as_deref().unwrap_or(USER_AGENT)
    }
}
