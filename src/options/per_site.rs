//! The options of a site: a `site` key's default base URLs, and the options of a session call made for the
//! site of the session it is given. The sites themselves (domains, hosts, headers) are `crate::site`.

use crate::error::{Error, Result};
use crate::site::{Site, MAIN_API_BASE_URL, MAIN_BASE_URL, MAIN_WWW_BASE_URL};
use crate::url::parse_url_option;
use serde_json::{Map, Value};
use std::sync::Arc;

use super::Options;

/// Before the options are applied: a `site` key sets that site's default base URLs, which the caller's
/// `base_url`, `api_base_url` and `www_base_url` then override (whatever their order in the object).
pub(crate) fn apply_site_defaults(options: &mut Options, map: &Map<String, Value>) -> Result<()> {
    let Some(value) = map.get("site") else {
        return Ok(());
    };
    let site = value
        .as_str()
        .and_then(Site::parse)
        .ok_or_else(|| Error::argument("option site must be \"intl\" or \"main\""))?;
    options.site = site;
    if site == Site::Main {
        options.base_url = parse_url_option("base_url", MAIN_BASE_URL)?;
        options.api_base_url = parse_url_option("api_base_url", MAIN_API_BASE_URL)?;
        options.www_base_url = parse_url_option("www_base_url", MAIN_WWW_BASE_URL)?;
    }
    Ok(())
}

/// The options of a session call for a session of `site`: the caller's options when they are for that site;
/// else, when `options_json` does not name a site, the same options with that site's defaults. A session of
/// one site with options that name the other is an argument error.
pub(crate) fn options_for_site(
    json: Option<&str>,
    options: Arc<Options>,
    site: Site,
) -> Result<Arc<Options>> {
    if options.site == site {
        return Ok(options);
    }
    let mut map = match json.map(str::trim).filter(|t| !t.is_empty()) {
        None => Map::new(),
        Some(text) => crate::error::json_object(
            text,
            "options_json",
            "pass a JSON object such as {\"timeout_ms\":5000}",
            "options_json must be a JSON object, such as {\"timeout_ms\":5000}",
        )?,
    };
    if map.contains_key("site") {
        return Err(Error::argument(format!(
            "the session is a {} session, but option site is \"{}\": drop the site option or pass a session of that site",
            site_name(site),
            options.site.as_str()
        )));
    }
    map.insert("site".to_owned(), Value::String(site.as_str().to_owned()));
    let text = Value::Object(map).to_string();
    Options::cached(Some(&text))
}

fn site_name(site: Site) -> &'static str {
    match site {
        Site::Intl => "bilibili.tv (intl)",
        Site::Main => "bilibili.com (main)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_defaults_and_overrides() {
        let o = Options::from_json(Some(r#"{"site":"main"}"#)).unwrap();
        assert_eq!(o.site, Site::Main);
        assert_eq!(o.base_url.as_str(), MAIN_BASE_URL);
        assert_eq!(o.api_base_url.as_str(), MAIN_API_BASE_URL);
        assert_eq!(o.www_base_url.as_str(), MAIN_WWW_BASE_URL);
        // Keys sort before "site" in the object and still win over its defaults.
        let o = Options::from_json(Some(
            r#"{"api_base_url":"http://127.0.0.1:9/a","base_url":"http://127.0.0.1:9","site":"main","www_base_url":"http://127.0.0.1:9/w"}"#,
        ))
        .unwrap();
        assert_eq!(o.base_url.as_str(), "http://127.0.0.1:9");
        assert_eq!(o.api_base_url.as_str(), "http://127.0.0.1:9/a");
        assert_eq!(o.www_base_url.as_str(), "http://127.0.0.1:9/w");
        let o = Options::from_json(Some(r#"{"site":"intl"}"#)).unwrap();
        assert_eq!(o, Options::default());
        for bad in [
            r#"{"site":"cn"}"#,
            r#"{"site":1}"#,
            r#"{"www_base_url":"http://example.com"}"#,
            r#"{"refresh_public_key":"not a key"}"#,
            r#"{"refresh_public_key":5}"#,
        ] {
            let e = Options::from_json(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Argument, "{bad}");
            let key = bad.split('"').nth(1).unwrap();
            assert!(e.message().contains(key), "{bad}: {}", e.message());
        }
    }

    #[test]
    fn session_options_follow_the_session_site() {
        let base = Options::cached(None).unwrap();
        let o = options_for_site(None, base, Site::Main).unwrap();
        assert_eq!(o.site, Site::Main);
        assert_eq!(o.base_url.as_str(), MAIN_BASE_URL);
        let json = r#"{"timeout_ms":5000}"#;
        let o =
            options_for_site(Some(json), Options::cached(Some(json)).unwrap(), Site::Main).unwrap();
        assert_eq!(o.timeout.as_millis(), 5000);
        assert_eq!(o.site, Site::Main);
        let json = r#"{"site":"intl"}"#;
        let e = options_for_site(Some(json), Options::cached(Some(json)).unwrap(), Site::Main)
            .unwrap_err();
        assert!(e.message().contains("site"));
    }
}
