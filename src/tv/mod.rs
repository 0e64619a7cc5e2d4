//! The TV/app token login of the mainland site (option `flow: "tv"` with `site: "main"`, ABI 3): a QR login
//! that hands out an `access_token` and a `refresh_token` (the credential of upload tools, recorders and
//! launchers) together with the web cookies, and the token's check (`oauth2/info`) and renewal
//! (`oauth2/refresh_token`). Every request is signed with an app key pair ([`sign`]).
//!
//! - [`login`]: `passport-tv-login/qrcode/auth_code` and `…/qrcode/poll` (the state is the outer `code`).
//! - [`token`]: `oauth2/info` (`bili_qr_check` on a token session) and `oauth2/refresh_token`
//!   (`bili_qr_refresh` on a token session).
//!
//! docs/UPSTREAM.md ("The TV/app token login") lists the endpoints and their public sources. The tokens
//! and `app_secret` are secrets like SESSDATA: never in a message, a warning or a panic, zeroed on drop.

pub mod login;
pub mod sign;
pub mod token;

/// The option types of this flow live with the options (`crate::options::flow`).
pub use crate::options::{Flow, Secret};
/// The token object a session carries lives below the flows (`crate::token`), read by sessions too.
pub use crate::token::{AppToken, TvKeys};

use crate::error::Error;
use crate::mainland::Endpoint;
use crate::options::Options;
use crate::passport::PollCodes;
use crate::site::Site;

/// The endpoints of the TV/app token login (docs/UPSTREAM.md, "The TV/app token login"), on `base_url`.
pub const AUTH_CODE: Endpoint = Endpoint::passport("/x/passport-tv-login/qrcode/auth_code");
pub const POLL: Endpoint = Endpoint::passport("/x/passport-tv-login/qrcode/poll");
pub const INFO: Endpoint = Endpoint::passport("/x/passport-login/oauth2/info");
pub const REFRESH: Endpoint = Endpoint::passport("/x/passport-login/oauth2/refresh_token");

/// The TV key pair (public clients: biliup, BBDown).
pub const TV_APP_KEY: &str = "4409e2ce8ffd12b8";
pub const TV_APP_SECRET: &str = "59b43e04ad6965f34319062b478f83dd";

/// The poll's states (the outer `code`): the mainland passport's codes, but for "not scanned yet".
pub const POLL_CODES: PollCodes = PollCodes {
    waiting: 86039,
    ..crate::mainland::POLL_CODES
};
/// A request whose signature the service refused.
pub const CODE_BAD_SIGN: i64 = -3;
/// A token used with another key pair than the one that issued it.
pub const CODE_OTHER_PAIR: i64 = -663;
/// Not logged in: an unknown, expired or retired token.
pub use crate::passport::envelope::CODE_NOT_LOGGED_IN;

/// The app key of these options: `app_key`, else the TV pair's.
pub(crate) fn app_key(options: &Options) -> &str {
    options.app_key.as_deref().unwrap_or(TV_APP_KEY)
}

/// The app secret of these options: `app_secret`, else the TV pair's.
pub(crate) fn app_secret(options: &Options) -> &str {
    options
        .app_secret
        .as_ref()
        .map_or(TV_APP_SECRET, |s| s.expose())
}

/// Whether a login with these options is the TV flow.
pub(crate) fn is_tv(options: &Options) -> bool {
    options.site == Site::Main && options.flow == Flow::Tv
}

/// The local Unix time in seconds: the `ts` field of a signed request. This is the only place the token
/// flow reads the local clock for the service (a `ts` far off makes the service refuse the request).
pub(crate) fn ts_now() -> String {
    crate::mainland::unix_now().to_string()
}

/// The message of a token endpoint's error code (the generic one for codes without a special meaning).
pub(crate) fn api_error(endpoint: &str, envelope: &crate::passport::Envelope) -> Error {
    let advice = match envelope.code {
        CODE_BAD_SIGN => Some(
            "the service refused the request's signature (app_key/app_secret do not form a key pair it knows, or the request was altered)",
        ),
        CODE_OTHER_PAIR => Some(
            "the token was issued to another app key pair: pass the app_key and app_secret of the pair that issued it",
        ),
        _ => None,
    };
    match advice {
        Some(advice) => Error::new(
            crate::ErrorKind::Api,
            format!(
                "the {endpoint} endpoint answered code {}: {advice}",
                envelope.code
            ),
        ),
        None => crate::passport::api_error(endpoint, envelope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_rules() {
        let o = Options::from_json(Some(r#"{"site":"main","flow":"tv"}"#)).unwrap();
        assert!(is_tv(&o));
        assert_eq!(app_key(&o), TV_APP_KEY);
        let o = Options::from_json(Some(r#"{"site":"main"}"#)).unwrap();
        assert!(!is_tv(&o));
        for bad in [
            r#"{"flow":"tv"}"#,
            r#"{"site":"intl","flow":"tv"}"#,
            r#"{"site":"main","flow":"app"}"#,
            r#"{"site":"main","flow":1}"#,
            r#"{"site":"main","app_key":"abc"}"#,
            r#"{"site":"main","app_key":"a-b","app_secret":"c"}"#,
        ] {
            let e = Options::from_json(Some(bad)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Argument, "{bad}");
        }
        let secret = "0123456789abcdef0123456789abcdeX";
        let o = Options::from_json(Some(&format!(
            r#"{{"site":"main","flow":"tv","app_key":"k1","app_secret":"{secret}"}}"#
        )))
        .unwrap();
        assert_eq!(app_secret(&o), secret);
        assert!(!format!("{o:?}").contains(secret));
        // A wrong secret's error never quotes it.
        let e = Options::from_json(Some(
            r#"{"site":"main","app_key":"k1","app_secret":"sec-ret_with_bad_chars"}"#,
        ))
        .unwrap_err();
        assert!(!e.message().contains("sec-ret"), "{}", e.message());
    }
}
