//! The session functions (ABI 2): `bili_qr_check`, `bili_qr_logout`, `bili_qr_session_convert`.

use super::args::{handing_out, optional_str, required_str, Answer};
use super::{BILI_QR_EXPIRED, BILI_QR_OK};
use crate::error::Error;
use crate::options::Options;
use crate::session::SessionFormat;
use crate::session::{self, CheckResult, CheckStatus, LogoutResult, LogoutStatus, Session};
use std::ffi::{c_char, c_int};
use std::sync::Arc;

/// The options of a session call. An options error never repeats a cookie value of the session (a caller
/// could have put one in the options by mistake).
pub(super) fn options_for_session(
    json: Option<&str>,
    session: &Session,
) -> Result<Arc<Options>, Error> {
    let options = Options::cached(json).and_then(|o| match session.site {
        Some(site) => crate::options::options_for_site(json, o, site),
        None => Ok(o),
    });
    options.map_err(|e| session::redact(e, session))
}

/// The frame of the calls on a saved session (check, logout, refresh, refresh_confirm), in
/// [`handing_out`]: `session` (required) parsed, `options_json` (optional) read for the session's site,
/// then `call`, whose answer goes to `*out_json`.
///
/// # Safety
/// `session` and `options_json` are NULL or NUL-terminated and outlive the call; `out_json` is NULL or
/// writable.
pub(super) unsafe fn session_call<R: Answer>(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    call: impl FnOnce(&Session, &Options) -> Result<R, Error>,
) -> Result<c_int, Error> {
    let read = || {
        // SAFETY: session and options_json are NULL or NUL-terminated and outlive the call (`# Safety`).
        let (session, options) = unsafe {
            (
                required_str(session, "session")?,
                optional_str(options_json, "options_json")?,
            )
        };
        let session = Session::parse(session)?;
        let options = options_for_session(options, &session)?;
        call(&session, &options)
    };
    // SAFETY: out_json is NULL or writable (`# Safety`).
    unsafe { handing_out(out_json, "out_json", read) }
}

answer!(CheckResult, CheckStatus::Valid => BILI_QR_OK, CheckStatus::Expired => BILI_QR_EXPIRED);
answer!(LogoutResult,
    LogoutStatus::LoggedOut => BILI_QR_OK, LogoutStatus::Expired => BILI_QR_EXPIRED);

/// Asks the service whether a saved session is still logged in (ABI 2).
///
/// - `session`: a confirmed poll object, a session object, the text of a Netscape cookies.txt, or a
///   `Cookie` header (see `bili_qr_session_convert`); at most 1 MiB. Without a `SESSDATA` cookie, or
///   not readable: `BILI_QR_ERR_ARGUMENT`, and nothing is sent (a token session, ABI 3, needs no
///   `SESSDATA`: it is checked by its token with oauth2/info, docs/ABI.md). Borrowed.
/// - `options_json`: as for `bili_qr_start`; `api_base_url` says where to ask.
/// - `out_json`: must not be NULL; set to NULL first. On `BILI_QR_OK` and `BILI_QR_EXPIRED` it receives
///   the session object with `"status":"valid"` or `"expired"`, `mid`, `name`, `face`, `renewed`,
///   `host`, `cookies` and `cookie_header`. Cookies that the answer set (a renewed SESSDATA) are merged in:
///   when `renewed` is true, save this object (or its `bili_qr_session_convert`) from now on.
///
/// Sends `GET {api_base_url}/intl/gateway/web/v2/user?s_locale=...&platform=...` with the session's
/// cookies of the service only (bilibili.tv, biliintl.com, host-only ones, and the base hosts), and the
/// login's browser headers. Returns `BILI_QR_OK` (valid), `BILI_QR_EXPIRED` (`is_login` false or code
/// -101), or the errors of poll. Blocks for at most `timeout_ms`. Thread-safe.
///
/// A mainland session (ABI 3: its `"site":"main"`, else a SESSDATA of `.bilibili.com`, else the options'
/// `site`) is asked `GET {api_base_url}/x/web-interface/nav` instead (`name` from `uname`; -101 is
/// `BILI_QR_EXPIRED`; on -352 without `buvid3` the device cookies are fetched, added, and nav asked once
/// more), then `cookie/info`: the object adds `site`, `refresh_needed` (true, false, or null when it could
/// not be asked) and the session's `refresh_token`.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_check(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_check_ex(session, options_json, out_json, std::ptr::null_mut()) }
}

/// `bili_qr_check` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_check`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_check_ex(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        // SAFETY: the arguments are as this function's `# Safety` says.
        unsafe { session_call(session, options_json, out_json, crate::api::check) }
    })
}

/// Ends a saved session at the service (ABI 2).
///
/// - `session`: as for `bili_qr_check`; it must hold `bili_jct` (the csrf token), else
///   `BILI_QR_ERR_ARGUMENT` and nothing is sent.
/// - `options_json`: as for `bili_qr_start` (`base_url` says where).
/// - `out_json`: must not be NULL; set to NULL first. On `BILI_QR_OK` it receives
///   `{"status":"logged_out","code":0,"message":"..."}`, on `BILI_QR_EXPIRED` (already logged out, code
///   -101) `{"status":"expired","code":-101,"message":"..."}`.
///
/// Sends `POST {base_url}/x/intl/passport-login/web/login/exit?csrf=<bili_jct>` with the form body
/// `csrf=<bili_jct>` and the session's cookies. Code -111 (the csrf token did not match) is
/// `BILI_QR_ERR_API` with a message that says so; other answers: the errors of poll. Thread-safe.
///
/// A mainland session (ABI 3) is ended with `POST {base_url}/login/exit/v2` and the form
/// `biliCSRF=<bili_jct>`: code 0 is `BILI_QR_OK`; -101 or an HTML page (an already-dead session) is
/// `BILI_QR_EXPIRED`; 2202 (bad csrf) is `BILI_QR_ERR_API`.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_logout(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_logout_ex(session, options_json, out_json, std::ptr::null_mut()) }
}

/// `bili_qr_logout` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_logout`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_logout_ex(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        // SAFETY: the arguments are as this function's `# Safety` says.
        unsafe { session_call(session, options_json, out_json, crate::api::logout) }
    })
}

/// Reads a session in any form and writes it in `format` (ABI 2). No network.
///
/// - `session`: a confirmed poll object or a session object (JSON; its `cookies` are read, and `mid`
///   and `host` when present), the text of a Netscape cookies.txt (`#HttpOnly_` understood; comments,
///   blank and malformed lines skipped), or a `Cookie` header value (`SESSDATA=...; bili_jct=...`, a
///   leading `Cookie:` allowed); a leading UTF-8 byte order mark is ignored. At most 1 MiB. Empty, not
///   UTF-8, too long, broken JSON, garbage, or no `SESSDATA`: `BILI_QR_ERR_ARGUMENT`. Cookies whose name
///   or value a Cookie header cannot carry, or whose domain is not the service's, are dropped. Messages
///   never quote a cookie value.
/// - `format`: `"json"` (the session object `{"mid":...,"host":"...","cookies":[...],"cookie_header":"..."}`),
///   `"header"` (the Cookie header value alone) or `"netscape"` (cookies.txt: `.domain TRUE` for a cookie
///   with a domain, `host FALSE` for a host-only one, `#HttpOnly_` before an http-only one's domain,
///   expiry 0 for a session cookie). Anything else: `BILI_QR_ERR_ARGUMENT`.
/// - `out`: must not be NULL; set to NULL first; on `BILI_QR_OK` it receives the text, owned by the
///   caller and released with `bili_qr_free` (it holds the session's cookies: keep it private).
///
/// A mainland session (ABI 3) keeps its `site` and refresh tokens: `"json"` adds `"site":"main"`,
/// `refresh_token` and (between a refresh and its confirmation) `previous_refresh_token`; `"netscape"`
/// writes them as `ac_time_value` and `bili_qr_previous_ac_time_value`, host-only lines of the session's
/// host on the paths `/x/passport-login/web/cookie/refresh` and `/x/passport-login/web/confirm/refresh`
/// (so that no program sending the file's cookies sends a token anywhere else); `"header"` has no token.
/// Reading takes those names, in any form, as the tokens: they are never cookies.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_session_convert(
    session: *const c_char,
    format: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_session_convert_ex(session, format, out, std::ptr::null_mut()) }
}

/// `bili_qr_session_convert` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_session_convert`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_session_convert_ex(
    session: *const c_char,
    format: *const c_char,
    out: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        let convert = || {
            // SAFETY: session and format are NULL or NUL-terminated and outlive the call (`# Safety`).
            let (session, format) = unsafe {
                (
                    required_str(session, "session")?,
                    required_str(format, "format")?,
                )
            };
            let format = SessionFormat::parse(format)?;
            Ok(Session::parse(session)?.write(format))
        };
        // SAFETY: out is NULL or writable (`# Safety`).
        unsafe { handing_out(out, "out", convert) }
    })
}
