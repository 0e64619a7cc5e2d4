//! The one boundary every export runs in (the `ffi_boundary!` macro of `src/ffi/mod.rs`, or [`guard`]):
//! panics caught and kept quiet, the per-thread last error, and `out_error`.

use crate::error::{Error, ErrorKind};
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, CString};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use super::{
    BILI_QR_ERR_API, BILI_QR_ERR_ARGUMENT, BILI_QR_ERR_CANCELLED, BILI_QR_ERR_HTTP,
    BILI_QR_ERR_INTERNAL, BILI_QR_ERR_NETWORK, BILI_QR_ERR_PROTOCOL, BILI_QR_ERR_TIMEOUT,
};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// How many exports are running on this thread (a progress callback may call back into the library).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside the boundary happened (file:line of this library's source).
    static PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

const INTERNAL_MESSAGE: &str =
    "internal error: bili_qr caught a panic (a bug); please report it with the steps that led here";

pub(super) fn status_of(kind: ErrorKind) -> c_int {
    match kind {
        ErrorKind::Argument => BILI_QR_ERR_ARGUMENT,
        ErrorKind::Network => BILI_QR_ERR_NETWORK,
        ErrorKind::Timeout => BILI_QR_ERR_TIMEOUT,
        ErrorKind::Http => BILI_QR_ERR_HTTP,
        ErrorKind::Protocol => BILI_QR_ERR_PROTOCOL,
        ErrorKind::Api => BILI_QR_ERR_API,
        ErrorKind::Cancelled => BILI_QR_ERR_CANCELLED,
        ErrorKind::Internal => BILI_QR_ERR_INTERNAL,
    }
}

fn set_last_error(message: &str) {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // try_with: during thread teardown the slot may be gone; the message is then dropped.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// This thread's last error message; never NULL.
pub(super) fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|slot| slot.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Installs, once per process, a panic hook that keeps quiet about panics inside the boundary.
///
/// A panic's payload is arbitrary text (a bug could format a URL with a ticket into it), and the default
/// hook prints it on the host's stderr. The hook installed here wraps the one it finds (the default, or the
/// host's own): for a panic on a thread that is inside an export it records only the source location (for
/// the `BILI_QR_ERR_INTERNAL` message) and prints nothing; every other panic goes to the previous hook
/// unchanged, so a host program's own panics are reported as before. A host that installs its own hook
/// after its first call into the library replaces this one (its choice; the library never reinstalls).
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let inside = DEPTH.try_with(Cell::get).unwrap_or(0) > 0;
            if inside {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                let _ = PANIC_AT.try_with(|slot| *slot.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `body` with this thread marked as inside the library, catching any panic (its payload is dropped
/// unread). `Err` carries the panic's location when the hook saw it.
fn catch<T>(body: impl FnOnce() -> T) -> Result<T, Option<String>> {
    install_quiet_hook();
    let _ = DEPTH.try_with(|d| d.set(d.get().saturating_add(1)));
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    let _ = DEPTH.try_with(|d| d.set(d.get().saturating_sub(1)));
    result.map_err(|payload| {
        // Dropping the payload could itself panic (a payload with a panicking Drop); contain that too.
        let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(payload)));
        PANIC_AT
            .try_with(|slot| slot.borrow_mut().take())
            .ok()
            .flatten()
    })
}

/// The boundary of an export that returns a status: a panic becomes `BILI_QR_ERR_INTERNAL`, an error its
/// status; the last error is set to the message (or to "" when the status is >= 0); and when `out_error`
/// is not NULL it is set to NULL first and receives a copy of the message when the status is < 0.
///
/// # Safety
/// `out_error` is NULL or valid for a pointer-sized write.
pub(super) unsafe fn enter(
    out_error: *mut *mut c_char,
    body: impl FnOnce() -> Result<c_int, Error>,
) -> c_int {
    if !out_error.is_null() {
        // SAFETY: out_error is not NULL and, by this function's contract, writable.
        unsafe { *out_error = std::ptr::null_mut() };
    }
    let (status, message) = match catch(body) {
        Ok(Ok(status)) => (status, String::new()),
        Ok(Err(error)) => (status_of(error.kind()), error.message().to_owned()),
        Err(at) => (
            BILI_QR_ERR_INTERNAL,
            match at {
                Some(at) => format!("{INTERNAL_MESSAGE} (panic at {at})"),
                None => INTERNAL_MESSAGE.to_owned(),
            },
        ),
    };
    set_last_error(&message);
    if status < 0 && !out_error.is_null() {
        let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: as above; the string is released by bili_qr_free (zero_and_release).
        unsafe { *out_error = text.into_raw() };
    }
    status
}

/// The boundary of an export that neither fails nor touches the last error (abi_version, version,
/// status_str, last_error, free): a panic (a bug) gives `fallback`.
pub(super) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch(body).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::args::zero_and_release;
    use std::ffi::CStr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A panic inside the boundary is `BILI_QR_ERR_INTERNAL` with a message that names where, never what
    /// (the payload could hold a secret), and the host's panic hook does not see it; a panic of the host,
    /// outside the boundary, still reaches the host's hook. (The only test of this binary that touches the
    /// process-wide hook.)
    #[test]
    fn panics_inside_are_internal_errors_kept_quiet_and_the_hosts_hook_still_works() {
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        panic::set_hook(Box::new(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        let mut err: *mut c_char = std::ptr::null_mut();
        // SAFETY: err is a writable local.
        let status = unsafe {
            enter(&mut err, || -> Result<c_int, Error> {
                panic!("SESSDATA=9f3c1a2b%2C1811061062 ticket 4478b3e64d05ce26")
            })
        };
        assert_eq!(status, BILI_QR_ERR_INTERNAL);
        assert!(!err.is_null());
        // SAFETY: err was handed out by boundary.
        let message = unsafe { CStr::from_ptr(err) }.to_str().unwrap().to_owned();
        // SAFETY: released once.
        unsafe { zero_and_release(err) };
        assert!(message.starts_with("internal error"), "{message}");
        assert!(
            message.contains("boundary.rs:"),
            "the location helps a bug report: {message}"
        );
        assert!(
            !message.contains("SESSDATA") && !message.contains("4478b3"),
            "{message}"
        );
        // SAFETY: last_error_ptr is never NULL and NUL-terminated.
        let last = unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(last, message);
        assert_eq!(
            seen.load(Ordering::SeqCst),
            0,
            "the host's hook saw a panic of the library"
        );
        assert_eq!(guard(7, || -> i32 { panic!("quiet") }), 7);
        assert_eq!(seen.load(Ordering::SeqCst), 0);
        let host = panic::catch_unwind(|| panic!("the host's own panic"));
        assert!(host.is_err());
        assert_eq!(
            seen.load(Ordering::SeqCst),
            1,
            "the host's own panics reach its hook"
        );
        drop(panic::take_hook());
    }
}
