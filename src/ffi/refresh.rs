//! The session refresh (ABI 3): `bili_qr_refresh`, `bili_qr_refresh_confirm`.

use super::session::session_call;
use super::{BILI_QR_EXPIRED, BILI_QR_OK};
use crate::{RefreshResult, RefreshStatus};
use std::ffi::{c_char, c_int};

answer!(RefreshResult,
    RefreshStatus::Refreshed | RefreshStatus::Confirmed => BILI_QR_OK,
    RefreshStatus::Expired => BILI_QR_EXPIRED);

/// Renews a saved mainland (bilibili.com) session's cookies (ABI 3). The old session is NOT retired:
/// save the new one, then call `bili_qr_refresh_confirm` with it.
///
/// - `session`: as for `bili_qr_check`, of the mainland site, with its `refresh_token` (a session object
///   or confirmed poll object: the `refresh_token` key; a cookies.txt or Cookie header: `ac_time_value`)
///   and `bili_jct`; at most 1 MiB; borrowed. A bilibili.tv session: `BILI_QR_ERR_ARGUMENT` (no refresh
///   flow is known for bilibili.tv), and nothing is sent. A session from a refresh not yet confirmed
///   (with `previous_refresh_token`): `BILI_QR_ERR_ARGUMENT`. A TV/app token session (a `token` object)
///   is renewed by its token instead: `POST {base_url}/x/passport-login/oauth2/refresh_token` (signed with
///   `app_key`/`app_secret`), `"status":"refreshed"` with the new `token` and cookies, and no
///   confirmation step (docs/ABI.md, "bili_qr_refresh on a token session").
/// - `options_json`: as for `bili_qr_start`; `base_url`, `www_base_url` (the correspond page) and
///   `refresh_public_key` apply. A session of the mainland gets the mainland's defaults unless
///   `options_json` names another site (then `BILI_QR_ERR_ARGUMENT`).
/// - `out_json`: must not be NULL; set to NULL first. On `BILI_QR_OK` it receives the new session object
///   with `"status":"refreshed"`: `site`, `mid`, `host`, the new `cookies` and `cookie_header`, the new
///   `refresh_token`, `previous_refresh_token` (the old one, for the confirmation) and `warnings`. On
///   `BILI_QR_EXPIRED` (code -101: the session has ended) the session as given with
///   `"status":"expired"`. Owned by the caller, released with `bili_qr_free` (it holds secrets).
///
/// Sends `GET {base_url}/x/passport-login/web/cookie/info`, `GET {www_base_url}/correspond/1/<path>`
/// (RSA-OAEP of the server's timestamp), `POST {base_url}/x/passport-login/web/cookie/refresh`. HTTP 404
/// from the correspond page (a stale or wrong path), code -111 (csrf) and 86095 (refresh token or
/// refresh_csrf wrong) are errors whose message says so; the old session then still works. Blocks for at
/// most `timeout_ms` per request. Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_refresh(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_refresh_ex(session, options_json, out_json, std::ptr::null_mut()) }
}

/// `bili_qr_refresh` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_refresh`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_refresh_ex(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        // SAFETY: the arguments are as this function's `# Safety` says.
        unsafe { session_call(session, options_json, out_json, crate::refresh) }
    })
}

/// Retires the session a `bili_qr_refresh` replaced (ABI 3). Call it only after the refreshed session
/// is saved: from then on only the new session works.
///
/// - `session`: the session object `bili_qr_refresh` handed out (or its cookies.txt), with
///   `previous_refresh_token` and the new `bili_jct`; without `previous_refresh_token`:
///   `BILI_QR_ERR_ARGUMENT`, and nothing is sent. Borrowed.
/// - `options_json`: as for `bili_qr_refresh`.
/// - `out_json`: must not be NULL; set to NULL first. On `BILI_QR_OK` it receives the session object with
///   `"status":"confirmed"` and without `previous_refresh_token`: save it in place of the refreshed one.
///   On `BILI_QR_EXPIRED` (code -101) the session with `"status":"expired"`.
///
/// Sends `POST {base_url}/x/passport-login/web/confirm/refresh` with the form `csrf=<new bili_jct>` and
/// `refresh_token=<previous_refresh_token>`. Code -111 is `BILI_QR_ERR_API` with a message that says so.
/// Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_refresh_confirm(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_refresh_confirm_ex(session, options_json, out_json, std::ptr::null_mut()) }
}

/// `bili_qr_refresh_confirm` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_refresh_confirm`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_refresh_confirm_ex(
    session: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        // SAFETY: the arguments are as this function's `# Safety` says.
        unsafe { session_call(session, options_json, out_json, crate::refresh_confirm) }
    })
}
