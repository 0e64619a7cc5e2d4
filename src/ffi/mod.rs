//! The C ABI (shared/ABI.md, version 1), also callable from Rust (the integration tests do): thin `extern "C"` functions over the Rust core. Each one checks
//! its arguments, runs inside the panic boundary, converts, and hands out strings the caller frees with
//! `bili_qr_free`.

mod checked;

use self::checked::{boundary, hand_out, optional_str, required_str, reset_out};
use crate::error::Error;
use crate::options::Options;
use crate::passport::PollStatus;
use crate::render::Format;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

/// The contract version this library implements; compare with `bili_qr_abi_version()` at load time.
pub const BILI_QR_ABI_VERSION: c_int = 1;

/// Success. From poll/wait: the login is confirmed (API code 0).
pub const BILI_QR_OK: c_int = 0;
/// Not scanned yet (API code 10018101).
pub const BILI_QR_WAITING: c_int = 1;
/// Scanned; waiting for the user to confirm in the app (API code 10018102).
pub const BILI_QR_SCANNED: c_int = 2;
/// The ticket is dead (API code 10018100): start a new one.
pub const BILI_QR_EXPIRED: c_int = 3;
/// NULL where a pointer is required, text that is not UTF-8, a malformed ticket, bad options JSON.
pub const BILI_QR_ERR_ARGUMENT: c_int = -1;
/// DNS, connect, TLS (including an untrusted certificate), reset, proxy failure, refused or too many redirects.
pub const BILI_QR_ERR_NETWORK: c_int = -2;
/// One request ran past `timeout_ms`, or a wait ran past `wait_timeout_ms`.
pub const BILI_QR_ERR_TIMEOUT: c_int = -3;
/// An HTTP status other than 2xx (e.g. a 412 risk-control page); the message names the status.
pub const BILI_QR_ERR_HTTP: c_int = -4;
/// A 2xx answer that is not the documented JSON (or over 1 MiB), or a confirmed login without SESSDATA,
/// bili_jct and DedeUserID.
pub const BILI_QR_ERR_PROTOCOL: c_int = -5;
/// Documented JSON whose `code` the docs don't list (e.g. -400, -412, -352); the message has code and message.
pub const BILI_QR_ERR_API: c_int = -6;
/// A wait was cancelled by its callback or by `bili_qr_cancel`.
pub const BILI_QR_ERR_CANCELLED: c_int = -7;
/// A bug: a panic was caught inside the library.
pub const BILI_QR_ERR_INTERNAL: c_int = -8;

/// Called by `bili_qr_wait` on the waiting thread after every poll that answers WAITING or SCANNED.
///
/// - `status`: `BILI_QR_WAITING` or `BILI_QR_SCANNED`.
/// - `event_json`: that poll object, e.g. `{"status":"scanned","code":10018102,"message":"..."}`; borrowed
///   for the duration of the call only (copy it to keep it; never free it).
/// - `user_data`: the pointer given to `bili_qr_wait`, untouched.
///
/// Return 0 to keep waiting, non-zero to cancel the wait (it then returns `BILI_QR_ERR_CANCELLED`).
/// The callback must not unwind (C++ exceptions, longjmp) through the library: catch them, return non-zero,
/// and rethrow after `bili_qr_wait` returns.
#[allow(non_camel_case_types)]
pub type bili_qr_progress_fn = Option<
    unsafe extern "C" fn(status: c_int, event_json: *const c_char, user_data: *mut c_void) -> c_int,
>;

/// The options of a call that names a ticket. An options error never repeats the ticket, even when the
/// caller put it in the options (as an unknown key, say).
fn options_for_ticket(json: Option<&str>, ticket: &str) -> Result<Arc<Options>, Error> {
    Options::cached(json).map_err(|e| match crate::ticket::extract(ticket) {
        Ok(bare) => e.redact(bare),
        Err(_) => e,
    })
}

fn status_of_poll(status: PollStatus) -> c_int {
    match status {
        PollStatus::Confirmed => BILI_QR_OK,
        PollStatus::Waiting => BILI_QR_WAITING,
        PollStatus::Scanned => BILI_QR_SCANNED,
        PollStatus::Expired => BILI_QR_EXPIRED,
    }
}

/// The ABI version of the library actually loaded (`BILI_QR_ABI_VERSION` of the header it was built with).
///
/// Bindings compare it with the version they were written for and refuse to load on a mismatch, so that a
/// stale library in a plugins folder fails loudly. Thread-safe; does not touch the last error.
#[no_mangle]
pub extern "C" fn bili_qr_abi_version() -> c_int {
    BILI_QR_ABI_VERSION
}

/// The library's version, e.g. `"0.1.0"` (the `BILI_QR_VERSION_*` macros of the header it was built with).
///
/// Returns a static string: never NULL, never freed, valid for the life of the process. Thread-safe; does
/// not touch the last error.
#[no_mangle]
pub extern "C" fn bili_qr_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A short English phrase for a status code, e.g. `"waiting for the scan"` for `BILI_QR_WAITING`;
/// `"unknown status"` for any other value.
///
/// Returns a static string: never NULL, never freed. Thread-safe; does not touch the last error.
#[no_mangle]
pub extern "C" fn bili_qr_status_str(status: c_int) -> *const c_char {
    let text: &'static std::ffi::CStr = match status {
        BILI_QR_OK => c"ok: login confirmed",
        BILI_QR_WAITING => c"waiting for the scan",
        BILI_QR_SCANNED => c"scanned, waiting for confirmation in the app",
        BILI_QR_EXPIRED => c"the QR code expired",
        BILI_QR_ERR_ARGUMENT => c"invalid argument",
        BILI_QR_ERR_NETWORK => c"network error",
        BILI_QR_ERR_TIMEOUT => c"timed out",
        BILI_QR_ERR_HTTP => c"HTTP error status",
        BILI_QR_ERR_PROTOCOL => c"unexpected answer from the service",
        BILI_QR_ERR_API => c"the service answered an error code",
        BILI_QR_ERR_CANCELLED => c"cancelled",
        BILI_QR_ERR_INTERNAL => c"internal error",
        _ => c"unknown status",
    };
    text.as_ptr()
}

/// This thread's message for the most recent start, poll, wait, cancel or render that returned < 0: one line
/// of English naming what failed and what to do. `""` after one that returned >= 0.
///
/// Never NULL. The string belongs to the library: do not free it; it stays valid until the next start, poll,
/// wait, cancel or render on the same thread (copy it to keep it). Messages never hold a cookie value nor more
/// than the first 6 characters of a ticket. abi_version, version, status_str, last_error and free leave it
/// alone.
#[no_mangle]
pub extern "C" fn bili_qr_last_error() -> *const c_char {
    checked::last_error_ptr()
}

/// Asks the service for a new QR code.
///
/// - `options_json`: NULL, `""`, or a JSON object of options (see the README); borrowed.
/// - `out_json`: must not be NULL. Set to NULL first; on `BILI_QR_OK` it receives
///   `{"ticket":"...","qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket=...","qr_type":"qrcode_login"}`,
///   owned by the caller and released with `bili_qr_free`. On an error it stays NULL.
///
/// Returns `BILI_QR_OK` or an error status (< 0; see `bili_qr_last_error`). Blocks for at most `timeout_ms`
/// (plus redirects). Thread-safe: calls with the same options share keep-alive connections, and a host name's
/// addresses are reused for 60 seconds (like libcurl's DNS cache; failed lookups are not remembered).
/// The ticket is a bearer credential until it is spent: do not log it.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_start(
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    boundary(|| {
        let out = reset_out(out_json, "out_json")?;
        let options = Options::cached(optional_str(options_json, "options_json")?)?;
        let qr = crate::login::start(&options)?;
        let json = serde_json::to_string(&qr).unwrap_or_default();
        hand_out(json, out)?;
        Ok(BILI_QR_OK)
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
///   http_only) and `cookie_header`. Owned by the caller, released with `bili_qr_free` (which zeroes it: it
///   holds session cookies). On an error it stays NULL.
///
/// Returns `BILI_QR_OK` (confirmed), `BILI_QR_WAITING`, `BILI_QR_SCANNED`, `BILI_QR_EXPIRED`, or an error.
/// Blocks for at most `timeout_ms` per request (a confirmed answer may follow `go_url`). Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_poll(
    ticket: *const c_char,
    options_json: *const c_char,
    out_json: *mut *mut c_char,
) -> c_int {
    boundary(|| {
        let out = reset_out(out_json, "out_json")?;
        let ticket = required_str(ticket, "ticket")?;
        let options = options_for_ticket(optional_str(options_json, "options_json")?, ticket)?;
        let result = crate::login::poll(ticket, &options)?;
        hand_out(result.to_json(), out)?;
        Ok(status_of_poll(result.status))
    })
}

/// Releases a string handed out by this library (`out_json` of start, poll and wait; `out` of render).
///
/// Accepts NULL. Overwrites the bytes with zeros before releasing them, since they may hold session cookies.
/// Never pass a pointer from anywhere else (no `free()`, no other allocator), nor the same pointer twice.
/// Thread-safe; does not touch the last error.
///
/// # Safety
/// `s` is NULL or a string returned by this library and not yet released.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| checked::zero_and_release(s));
}

/// Polls a ticket every `poll_interval_ms` until the login ends, on the calling thread.
///
/// - `ticket`, `options_json`: as for `bili_qr_poll` (`poll_interval_ms`, `wait_timeout_ms` and `max_retries`
///   apply here).
/// - `on_progress`: may be NULL. Otherwise called on this thread after every poll that answers WAITING or
///   SCANNED, with that poll object (borrowed for the call alone); returning non-zero cancels the wait.
/// - `user_data`: passed to `on_progress` untouched; may be NULL.
/// - `out_json`: must not be NULL; set to NULL first. On `BILI_QR_OK` it receives the confirmed poll object,
///   on `BILI_QR_EXPIRED` the expired one; owned by the caller, released with `bili_qr_free`. On an error it
///   stays NULL.
///
/// Returns `BILI_QR_OK`, `BILI_QR_EXPIRED`, `BILI_QR_ERR_TIMEOUT` after `wait_timeout_ms`,
/// `BILI_QR_ERR_CANCELLED` (callback or `bili_qr_cancel`), or the error that ended it. Network errors,
/// per-request timeouts and HTTP 5xx are retried with a growing pause (`poll_interval_ms` x 2, x 4, ..., at most
/// 60 s), up to `max_retries` in a row; HTTP 4xx, API, protocol and argument errors end the wait at once.
/// Blocks: call it off any UI thread. Several waits may run at once on different threads. A login confirmed
/// by the poll that races with a cancel is still returned (its ticket is spent).
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
    boundary(|| {
        let out = reset_out(out_json, "out_json")?;
        let ticket = required_str(ticket, "ticket")?;
        let options = options_for_ticket(optional_str(options_json, "options_json")?, ticket)?;
        let mut progress = |result: &crate::PollResult| -> bool {
            let Some(callback) = on_progress else {
                return true;
            };
            let Ok(event) = CString::new(result.to_json()) else {
                return true;
            };
            callback(status_of_poll(result.status), event.as_ptr(), user_data) == 0
        };
        let result = crate::login::wait(ticket, &options, &mut progress)?;
        hand_out(result.to_json(), out)?;
        Ok(status_of_poll(result.status))
    })
}

/// Ends every `bili_qr_wait` now running on this ticket in this process, from any thread.
///
/// `ticket`: the bare ticket or a URL with `ticket=`, as for `bili_qr_poll`; borrowed. Each such wait returns
/// `BILI_QR_ERR_CANCELLED` within 100 ms while it sleeps between polls, or as soon as its request in flight
/// ends. Waits started later are not affected.
///
/// Returns how many waits it signalled (>= 0), or `BILI_QR_ERR_ARGUMENT`. Thread-safe; never blocks on the
/// network.
///
/// # Safety
/// `ticket` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_cancel(ticket: *const c_char) -> c_int {
    boundary(|| {
        let ticket = required_str(ticket, "ticket")?;
        let signalled = crate::login::cancel(ticket)?;
        Ok(c_int::try_from(signalled).unwrap_or(c_int::MAX))
    })
}

/// Draws `text` (1 to 2048 bytes of UTF-8) as a QR code, error correction M.
///
/// `format`:
/// - `"utf8"`: terminal text, two module rows per line drawn with the block characters U+2580 (upper half), U+2584 (lower
///   half), U+2588 (full) and spaces (dark modules drawn), a
///   quiet zone of 2 modules, every line ending in `\n`;
/// - `"svg"`: a standalone SVG document with a 4-module quiet zone;
/// - `"matrix"`: N lines of N characters, `1` dark and `0` light, each ending in `\n`, no quiet zone.
///
/// Other formats: `BILI_QR_ERR_ARGUMENT`. `out` must not be NULL; set to NULL first; on `BILI_QR_OK` it
/// receives the drawing, owned by the caller and released with `bili_qr_free`. No network. Thread-safe.
///
/// # Safety
/// String arguments are NULL or NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_render(
    text: *const c_char,
    format: *const c_char,
    out: *mut *mut c_char,
) -> c_int {
    boundary(|| {
        let out = reset_out(out, "out")?;
        let text = required_str(text, "text")?;
        let format = Format::parse(required_str(format, "format")?)?;
        hand_out(crate::render::render(text, format)?, out)?;
        Ok(BILI_QR_OK)
    })
}
