//! The login: `bili_qr_start`, `bili_qr_poll`, `bili_qr_wait`, `bili_qr_cancel`.

use super::args::{handing_out, optional_str, required_str};
use super::{bili_qr_progress_fn, BILI_QR_EXPIRED, BILI_QR_OK, BILI_QR_SCANNED, BILI_QR_WAITING};
use crate::error::Error;
use crate::options::Options;
use crate::passport::{PollResult, PollStatus};
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

/// The options of a call that names a ticket. An options error never repeats the ticket, even when the
/// caller put it in the options (as an unknown key, say).
fn options_for_ticket(json: Option<&str>, ticket: &str) -> Result<Arc<Options>, Error> {
    Options::cached(json).map_err(|e| match crate::ticket::extract(ticket) {
        Ok(bare) => e.redact_ticket(bare),
        // A mainland QR URL names its key qrcode_key=.
        Err(_) => match crate::mainland::login::extract_key(ticket) {
            Ok(key) => e.redact_ticket(key),
            Err(_) => e,
        },
    })
}

/// The status of a poll object (the export's return value, and the progress callback's `status`).
fn status_of_poll(status: PollStatus) -> c_int {
    match status {
        PollStatus::Confirmed => BILI_QR_OK,
        PollStatus::Waiting => BILI_QR_WAITING,
        PollStatus::Scanned => BILI_QR_SCANNED,
        PollStatus::Expired => BILI_QR_EXPIRED,
    }
}

answer!(PollResult, status => status_of_poll(status));

/// The frame of the calls on a ticket (poll, wait), in [`handing_out`]: `ticket` (required) and
/// `options_json` (optional) read, then `call`, whose poll object goes to `*out_json`.
///
/// # Safety
/// `ticket` and `options_json` are NULL or NUL-terminated and outlive the call; `out_json` is NULL or
/// writable.
unsafe fn ticket_call(
    ticket: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    call: impl FnOnce(&str, &Options) -> Result<PollResult, Error>,
) -> Result<c_int, Error> {
    let read = || {
        // SAFETY: ticket and options_json are NULL or NUL-terminated and outlive the call (`# Safety`).
        let ticket = unsafe { required_str(ticket, "ticket") }?;
        // SAFETY: as for ticket.
        let options = options_for_ticket(
            unsafe { optional_str(options_json, "options_json") }?,
            ticket,
        )?;
        call(ticket, &options)
    };
    // SAFETY: out_json is NULL or writable (`# Safety`).
    unsafe { handing_out(out_json, "out_json", read) }
}

/// Asks the service for a new QR code.
///
/// - `options_json`: NULL, `""`, or a JSON object of options (see the top of this header); borrowed.
/// - `out_json`: must not be NULL. Set to NULL first; on `BILI_QR_OK` it receives
///   `{"ticket":"...","qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=...","qr_type":"qrcode_login"}`,
///   owned by the caller and released with `bili_qr_free`. On an error it stays NULL.
///
/// Returns `BILI_QR_OK` or an error status (< 0; see `bili_qr_last_error`). Blocks for at most `timeout_ms`
/// (plus redirects). Thread-safe: calls with the same options share keep-alive connections, and a host
/// name's addresses are reused for 60 seconds (like libcurl's DNS cache; failed lookups are not remembered).
/// The ticket is a bearer credential until it is spent: do not log it.
///
/// With `"site":"main"` (ABI 3): `GET {base_url}/x/passport-login/web/qrcode/generate?source=main-fe-header`,
/// and `{"ticket":"<qrcode_key>","qr_url":"https://passport.bilibili.com/h5-app/passport/login/scan?...",
/// "qr_type":"main_web","site":"main"}`.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_start(
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_start_ex(options_json, out_json, std::ptr::null_mut()) }
}

/// `bili_qr_start` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_start`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_start_ex(
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        let start = || {
            // SAFETY: options_json is NULL or NUL-terminated and outlives the call (`# Safety`).
            let options = Options::cached(unsafe { optional_str(options_json, "options_json") }?)?;
            let qr = crate::api::start(&options)?;
            Ok(serde_json::to_string(&qr).unwrap_or_default())
        };
        // SAFETY: out_json is NULL or writable (`# Safety`).
        unsafe { handing_out(out_json, "out_json", start) }
    })
}

/// Asks once for the state of a ticket.
///
/// - `ticket`: the bare ticket, or any URL whose query has `ticket=` (so a `qr_url` works); 1 to 128 of
///   `A-Z a-z 0-9 - _ . ~`, else `BILI_QR_ERR_ARGUMENT` and nothing is sent. Borrowed.
/// - `options_json`: as for `bili_qr_start`.
/// - `out_json`: must not be NULL; set to NULL first. For every status >= 0 it receives the poll object
///   `{"status":"waiting"|"scanned"|"expired"|"confirmed","code":...,"message":"..."}`; a confirmed one adds
///   `mid`, `is_new`, `go_url`, `user_profile`, `cookies` (name, value, domain, path, expires, secure,
///   http_only), `cookie_header`, `warnings` (an array of strings, empty when all went well: show them and
///   go on), `host` (the base_url host), and `verified` (with `verify_login` only). **May be null**: `mid`,
///   `is_new`, `go_url`, `user_profile` and each field of `user_profile` (when the service did not send
///   them with their type), and a cookie's `domain` (host-only) and `expires` (a session cookie). Owned by
///   the caller, released with `bili_qr_free` (which zeroes it: it holds session cookies). On an error it
///   stays NULL.
///
/// Returns `BILI_QR_OK` (confirmed), `BILI_QR_WAITING`, `BILI_QR_SCANNED`, `BILI_QR_EXPIRED`, or an error.
/// Blocks for at most `timeout_ms` per request (a confirmed answer may follow `go_url` and the sso step,
/// and with `verify_login` ask `v2/user`: docs/COOKIES.md). Thread-safe.
///
/// With `"site":"main"` (ABI 3): `ticket` is the `qrcode_key` (or the `qr_url`); the state is the answer's
/// `data.code` (86101 waiting, 86090 scanned, 86038 expired, 0 confirmed), which is the object's `code`.
/// The confirmed object adds `"site":"main"` and `refresh_token` (a secret like SESSDATA); its cookies
/// come from the poll answer, the credentials in `data.url`'s query and the crossDomain page at `data.url`,
/// plus `buvid3`/`buvid4` (docs/COOKIES.md); `verify_login` asks `nav`.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_poll(
    ticket: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_poll_ex(ticket, options_json, out_json, std::ptr::null_mut()) }
}

/// `bili_qr_poll` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_poll`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_poll_ex(
    ticket: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        // SAFETY: the arguments are as this function's `# Safety` says.
        unsafe { ticket_call(ticket, options_json, out_json, crate::api::poll) }
    })
}

/// Polls a ticket every `poll_interval_ms` until the login ends, on the calling thread.
///
/// - `ticket`, `options_json`: as for `bili_qr_poll` (`poll_interval_ms`, `wait_timeout_ms` and
///   `max_retries` apply here).
/// - `on_progress`: may be NULL. Otherwise called on this thread after every poll that answers WAITING or
///   SCANNED, with that poll object (borrowed for the call alone); returning non-zero cancels the wait.
/// - `user_data`: passed to `on_progress` untouched; may be NULL.
/// - `out_json`: must not be NULL; set to NULL first. On `BILI_QR_OK` it receives the confirmed poll object,
///   on `BILI_QR_EXPIRED` the expired one; owned by the caller, released with `bili_qr_free`. On an error it
///   stays NULL.
///
/// Returns `BILI_QR_OK`, `BILI_QR_EXPIRED`, `BILI_QR_ERR_TIMEOUT` after `wait_timeout_ms`,
/// `BILI_QR_ERR_CANCELLED` (callback or `bili_qr_cancel`), or the error that ended it. Network errors,
/// per-request timeouts, HTTP 5xx and 429 are retried with a growing pause (`poll_interval_ms` x 2, x 4, ...,
/// at most 60 s; never sooner than a `Retry-After`), up to `max_retries` in a row; other HTTP 4xx, API,
/// protocol and argument errors end the wait at once. Blocks: call it off any UI thread. Several waits may
/// run at once on different threads. A login confirmed by the poll that races with a cancel is still
/// returned (its ticket is spent).
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable; `on_progress`, if not NULL,
/// is a valid function that does not unwind.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_wait(
    ticket: *const c_char,
    options_json: *const c_char,
    on_progress: bili_qr_progress_fn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe {
        bili_qr_wait_ex(
            ticket,
            options_json,
            on_progress,
            user_data,
            out_json,
            std::ptr::null_mut(),
        )
    }
}

/// `bili_qr_wait` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_wait`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_wait_ex(
    ticket: *const c_char,
    options_json: *const c_char,
    on_progress: bili_qr_progress_fn,
    user_data: *mut c_void,
    out_json: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        let mut progress = |result: &PollResult| -> bool {
            let Some(callback) = on_progress else {
                return true;
            };
            let Ok(event) = CString::new(result.to_json()) else {
                return true;
            };
            // SAFETY: the caller passes a valid callback that does not unwind (`# Safety`); event outlives
            // the call, and user_data is the caller's, passed back untouched.
            unsafe { callback(status_of_poll(result.status), event.as_ptr(), user_data) == 0 }
        };
        let wait =
            |ticket: &str, options: &Options| crate::api::wait(ticket, options, &mut progress);
        // SAFETY: the arguments are as this function's `# Safety` says.
        unsafe { ticket_call(ticket, options_json, out_json, wait) }
    })
}

/// Ends every `bili_qr_wait` now running on this ticket in this process, from any thread.
///
/// `ticket`: the bare ticket or a URL with `ticket=`, as for `bili_qr_poll`; borrowed. Each such wait
/// returns `BILI_QR_ERR_CANCELLED` within 100 ms while it sleeps between polls, or as soon as its request in
/// flight ends.
///
/// A cancel that finds no wait running on the ticket is not lost (ABI 3): it is kept for 30 seconds, and the
/// next `bili_qr_wait` on that ticket that starts within that time takes it and returns
/// `BILI_QR_ERR_CANCELLED` at once, without polling (only that one wait: later ones are not affected). So
/// a cancel from one thread while another is still starting the wait always ends that wait; no retry loop
/// is needed. At most 1,024 such cancels are kept (beyond, the oldest is forgotten). A cancel that found a
/// running wait leaves nothing behind: waits started after it are not affected.
///
/// Returns how many running waits it signalled (>= 0; 0 when the cancel was kept for a wait to come), or
/// `BILI_QR_ERR_ARGUMENT`. Thread-safe; never blocks on the
/// network. (No `_ex` twin: its only error is a bad ticket argument, known to the caller.)
///
/// # Safety
/// `ticket` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_cancel(ticket: *const c_char) -> c_int {
    ffi_boundary!(std::ptr::null_mut(), {
        // SAFETY: ticket is NULL or NUL-terminated and outlives the call (`# Safety`).
        let ticket = unsafe { required_str(ticket, "ticket") }?;
        let signalled = crate::api::cancel(ticket)?;
        Ok(c_int::try_from(signalled).unwrap_or(c_int::MAX))
    })
}
