//! The internals the fuzz targets (fuzz/) drive directly: parsers and checks that take text from a server or a
//! caller. Not part of the API (hidden from the documentation, no compatibility promise); the one door to them,
//! so that the modules themselves stay private.

pub use crate::cookies::{
    is_trusted, split_folded, valid_domain, valid_name, valid_value, Cookie, CookieJar,
};
pub use crate::passport::{
    captcha_demanded, parse_envelope, parse_fetch, parse_qr_code, qr_url_allowed, PollStatus,
};
pub use crate::ticket::{extract, shorten, MAX_TICKET_LEN};
pub use crate::url::{check_proxy_authority, is_loopback_host, parse_base_url, Url};
