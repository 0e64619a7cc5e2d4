//! The options of the mainland's TV/app token flow (`flow`, `app_key`, `app_secret`): their types, the rules
//! abi/bili_qr.toml names for them, and the check of how they go together. The flow itself is `crate::tv`.

use crate::error::{Error, Result};
use crate::site::Site;
use zeroize::Zeroize;

use super::Options;

/// The login flow of the mainland site (option `flow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flow {
    /// The web QR login (`"web"`, the default): cookies and the web refresh token.
    #[default]
    Web,
    /// The TV QR login (`"tv"`): an access token and a refresh token, and the cookies.
    Tv,
}

/// A secret string (the app secret): compared and hashed like a string, never printed, zeroed on drop.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: &str) -> Self {
        Secret(s.to_owned())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The rule of option `flow` (abi/bili_qr.toml): `"web"` or `"tv"`.
pub(crate) fn rule_flow(key: &str, value: &str) -> Result<Flow> {
    match value {
        "web" => Ok(Flow::Web),
        "tv" => Ok(Flow::Tv),
        _ => Err(Error::argument(format!(
            "option {key} must be \"web\" or \"tv\""
        ))),
    }
}

/// An app key or secret: 1 to 64 characters of A-Z a-z 0-9 (the service's are 16 and 32 hex characters).
fn key_like(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The rule of option `app_key`.
pub(crate) fn rule_app_key(key: &str, value: &str) -> Result<Option<String>> {
    if !key_like(value) {
        return Err(Error::argument(format!(
            "option {key} must be 1 to 64 characters of A-Z a-z 0-9"
        )));
    }
    Ok(Some(value.to_owned()))
}

/// The rule of option `app_secret`; its value never appears in a message.
pub(crate) fn rule_app_secret(key: &str, value: &str) -> Result<Option<Secret>> {
    if !key_like(value) {
        return Err(Error::argument(format!(
            "option {key} must be 1 to 64 characters of A-Z a-z 0-9"
        )));
    }
    Ok(Some(Secret::new(value)))
}

/// After the options are applied: `flow` "tv" needs `site` "main", and `app_key` / `app_secret` go together.
pub(crate) fn validate(options: &Options) -> Result<()> {
    if options.flow == Flow::Tv && options.site != Site::Main {
        return Err(Error::argument(
            "option flow \"tv\" needs site \"main\": no TV/app token login is known for bilibili.tv (intl); add \"site\":\"main\"",
        ));
    }
    if options.app_key.is_some() != options.app_secret.is_some() {
        return Err(Error::argument(
            "options app_key and app_secret go together: pass both (the key pair that issued the token), or neither for the TV pair",
        ));
    }
    Ok(())
}
