//! The device cookies `buvid3` and `buvid4` (`GET {api_base_url}/x/frontend/finger/spi`): without them later
//! API calls can answer -352 (risk control). Best effort: a failure here is a warning, never a lost login.

use crate::cookies::{Cookie, CookieJar};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::passport::envelope::parse_ok;
use crate::transport::{Call, Request};
use serde_json::Value;

/// How long the device cookies are kept (a browser keeps buvid3 about a year).
const LIFETIME: i64 = 365 * 24 * 3600;

/// `(buvid3, buvid4)` from `finger/spi` (`buvid4` may be absent).
pub(crate) fn fetch(options: &Options, call: &Call<'_>) -> Result<(String, Option<String>)> {
    const EP: &str = "finger/spi";
    let url = super::SPI.url(options, &[]);
    let answer = Request::get(&url).send(options, call)?;
    let envelope = parse_ok(EP, &answer.body)?;
    let text = |k: &str| {
        let v = envelope.data.get(k).and_then(Value::as_str)?;
        (!v.is_empty() && crate::cookies::valid_value(v) && v.len() <= 256).then(|| v.to_owned())
    };
    let b3 = text("b_3").ok_or_else(|| {
        Error::protocol("the finger/spi answer has no data.b_3 (buvid3); check api_base_url")
    })?;
    Ok((b3, text("b_4")))
}

/// The device cookies as cookies of `.bilibili.com`.
pub(crate) fn cookies(b3: String, b4: Option<String>, now: i64) -> Vec<Cookie> {
    let make = |name: &str, value: String| Cookie {
        name: name.to_owned(),
        value,
        domain: Some("bilibili.com".to_owned()),
        path: "/".to_owned(),
        expires: Some(now.saturating_add(LIFETIME)),
        secure: false,
        http_only: false,
    };
    let mut out = vec![make("buvid3", b3)];
    if let Some(b4) = b4 {
        out.push(make("buvid4", b4));
    }
    out
}

/// Adds `buvid3`/`buvid4` to a new login's jar when it has no `buvid3` yet; a failure is a warning.
pub(crate) fn ensure(
    jar: &mut CookieJar,
    options: &Options,
    call: &Call<'_>,
    warnings: &mut crate::redact::Warnings,
) {
    if jar.get("buvid3").is_some() {
        return;
    }
    match fetch(options, call) {
        Ok((b3, b4)) => {
            for c in cookies(b3, b4, super::unix_now()) {
                jar.add(c, options.base_url.host());
            }
        }
        Err(e) => warnings.push(format!(
            "the device cookies (buvid3, buvid4) could not be fetched: {}; later API calls may answer -352",
            e.message()
        )),
    }
}
