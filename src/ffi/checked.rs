//! Checked conversions at the C boundary (rustls-ffi style), the per-thread last error, and the panic
//! boundary every export goes through.

use crate::error::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};

use super::{
    BILI_QR_ERR_API, BILI_QR_ERR_ARGUMENT, BILI_QR_ERR_CANCELLED, BILI_QR_ERR_HTTP,
    BILI_QR_ERR_INTERNAL, BILI_QR_ERR_NETWORK, BILI_QR_ERR_PROTOCOL, BILI_QR_ERR_TIMEOUT,
};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
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

/// Runs an export's body: a panic becomes `BILI_QR_ERR_INTERNAL`, an error its status, and the last error
/// is set to the message (or to "" when the status is ≥ 0).
pub(super) fn boundary(body: impl FnOnce() -> Result<c_int, Error>) -> c_int {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(status)) => {
            set_last_error("");
            status
        }
        Ok(Err(error)) => {
            set_last_error(error.message());
            status_of(error.kind())
        }
        Err(_) => {
            set_last_error(INTERNAL_MESSAGE);
            BILI_QR_ERR_INTERNAL
        }
    }
}

/// A required, NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(super) unsafe fn required_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::argument(format!("{name} is NULL")));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|_| Error::argument(format!("{name} is not valid UTF-8")))
}

/// An optional string argument (NULL allowed).
///
/// # Safety
/// As [`required_str`].
pub(super) unsafe fn optional_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        Ok(None)
    } else {
        required_str(ptr, name).map(Some)
    }
}

/// Checks an out-parameter and sets `*out = NULL`.
///
/// # Safety
/// `out` is NULL or valid for a pointer-sized write.
pub(super) unsafe fn reset_out<'a>(
    out: *mut *mut c_char,
    name: &str,
) -> Result<&'a mut *mut c_char, Error> {
    if out.is_null() {
        return Err(Error::argument(format!(
            "{name} is NULL: pass the address of a char * variable"
        )));
    }
    *out = std::ptr::null_mut();
    Ok(&mut *out)
}

/// Hands a string to the caller, who releases it with `bili_qr_free`.
pub(super) fn hand_out(text: String, out: &mut *mut c_char) -> Result<(), Error> {
    let owned = CString::new(text).map_err(|_| {
        Error::new(
            ErrorKind::Internal,
            "internal error: an output held a NUL byte; please report it",
        )
    })?;
    *out = owned.into_raw();
    Ok(())
}

/// Overwrites a string handed out by [`hand_out`] with zeros, then releases it.
///
/// # Safety
/// `ptr` came from [`hand_out`] and was not released before.
pub(super) unsafe fn zero_and_release(ptr: *mut c_char) {
    let owned = CString::from_raw(ptr);
    let mut bytes = owned.into_bytes_with_nul();
    for b in bytes.iter_mut() {
        std::ptr::write_volatile(b, 0);
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    drop(bytes);
}
