//! What the service sets, as the library's tests and the fake server's tests both check it (the fake server's
//! `tests/common` includes this file): the session cookies of a confirmed login, in the order the service sets
//! them (docs/COOKIES.md). Test code only: the fake server's own source shares nothing with the library. (The
//! endpoints' paths are the fake server's `URL_PATH`, `FETCH_PATH`, ….)

/// The cookies of a confirmed bilibili.tv login that the library keeps, in the order the service sets them.
pub const KEPT: [&str; 7] = [
    "SESSDATA",
    "bili_jct",
    "DedeUserID",
    "DedeUserID__ckMd5",
    "joy_jct",
    "mid",
    "sid",
];

/// The cookies of a TV/app login (its `cookie_info`, for bilibili.com), in the order the service sends them.
pub const TV_COOKIES: [&str; 5] = [
    "SESSDATA",
    "bili_jct",
    "DedeUserID",
    "DedeUserID__ckMd5",
    "sid",
];

/// [`KEPT`] followed by `more` (cookies a test server sets after them, which the library drops).
pub fn kept_then(more: &[&'static str]) -> Vec<&'static str> {
    [KEPT.as_slice(), more].concat()
}
