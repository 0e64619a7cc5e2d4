//! The token a TV/app session carries: `{"access_token","refresh_token","expires_at"}` in the poll object
//! and the session object (`token` key), and what a confirmed TV login adds to the poll object.

use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroize;

/// An app token pair. Both tokens are secrets like SESSDATA: `Debug` shows neither, and they are zeroed
/// when dropped.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AppToken {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token expires (Unix seconds): the answer's `expires_in` added to the local time at
    /// which it arrived; `null` when the answer did not say.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for AppToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Drop for AppToken {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

/// A token as a session may hold it: 1 to 4096 bytes a form field and a JSON string carry unchanged
/// (printable ASCII, no space, `;` or `,`).
pub(crate) fn token_text(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 4096
        && s.bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b';' | b',' | b'"' | b'\\'))
}

impl AppToken {
    /// Reads the `token` object of a session or poll object.
    pub(crate) fn from_json(value: &Value) -> Result<AppToken> {
        const RULE: &str = "session's token must be an object with access_token and refresh_token strings (as the TV login handed it out) and an optional expires_at (Unix seconds)";
        let text = |k: &str| {
            value
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| token_text(s))
                .map(str::to_owned)
        };
        let (Some(access_token), Some(refresh_token)) =
            (text("access_token"), text("refresh_token"))
        else {
            return Err(Error::argument(RULE));
        };
        let expires_at = match value.get("expires_at") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(|| Error::argument(RULE))?),
            Some(_) => return Err(Error::argument(RULE)),
        };
        Ok(AppToken {
            access_token,
            refresh_token,
            expires_at,
        })
    }

    /// Records the tokens as secrets of the call (crate::redact), so that no message of it can hold one.
    pub(crate) fn see_secrets(&self) {
        crate::redact::see(&self.access_token);
        crate::redact::see(&self.refresh_token);
    }

    /// Replaces every occurrence of the tokens in an error's message.
    pub(crate) fn redact(&self, error: Error) -> Error {
        error.redact(&self.access_token).redact(&self.refresh_token)
    }
}

/// What a confirmed TV login adds to the poll object (flattened into it): `site` `"main"`, `flow` `"tv"`,
/// the `token` and the trusted domains the cookies were issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TvKeys {
    pub site: &'static str,
    pub flow: &'static str,
    pub token: AppToken,
    /// The domains of `cookie_info.domains` that are the mainland site's (`bilibili.com`, `biligame.com`),
    /// without the leading dot: the service hands out the same cookies for each. The `cookies` are
    /// written for `bilibili.com`.
    pub cookie_domains: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_objects() {
        let v: Value = serde_json::from_str(
            r#"{"access_token":"aaaaaaaaaaaaaaaa","refresh_token":"rrrrrrrrrrrrrrrr","expires_at":1800000000}"#,
        )
        .unwrap();
        let t = AppToken::from_json(&v).unwrap();
        assert_eq!(t.expires_at, Some(1_800_000_000));
        assert!(!format!("{t:?}").contains("aaaaaaa"));
        assert!(!format!("{t:?}").contains("rrrrrrr"));
        for bad in [
            r#"{"access_token":"a"}"#,
            r#"{"access_token":"a b","refresh_token":"r"}"#,
            r#"{"access_token":"a","refresh_token":"r","expires_at":"x"}"#,
            r#"[]"#,
        ] {
            let v: Value = serde_json::from_str(bad).unwrap();
            assert!(AppToken::from_json(&v).is_err(), "{bad}");
        }
        let e = t.redact(Error::protocol("x aaaaaaaaaaaaaaaa y rrrrrrrrrrrrrrrr"));
        assert!(!e.message().contains("aaaaaaa") && !e.message().contains("rrrrrrr"));
    }
}
