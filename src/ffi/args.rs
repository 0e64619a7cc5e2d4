//! Argument checks at the C boundary (rustls-ffi style): the string arguments, the out-parameters, and the
//! strings handed out to the caller and released by `bili_qr_free`.

use crate::error::{Error, ErrorKind};
use std::ffi::{c_char, c_int, CStr, CString};

/// A required, NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid for `'a`.
pub(super) unsafe fn required_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::argument(format!("{name} is NULL")));
    }
    // SAFETY: not NULL, and NUL-terminated and alive for 'a by this function's contract.
    unsafe { CStr::from_ptr(ptr) }
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
        // SAFETY: this function's contract is required_str's.
        unsafe { required_str(ptr, name) }.map(Some)
    }
}

/// Checks an out-parameter and sets `*out = NULL`.
///
/// # Safety
/// `out` is NULL or valid for a pointer-sized write for `'a`.
pub(super) unsafe fn reset_out<'a>(
    out: *mut *mut c_char,
    name: &str,
) -> Result<&'a mut *mut c_char, Error> {
    if out.is_null() {
        return Err(Error::argument(format!(
            "{name} is NULL: pass the address of a char * variable"
        )));
    }
    // SAFETY: not NULL, and writable for 'a by this function's contract.
    unsafe {
        *out = std::ptr::null_mut();
        Ok(&mut *out)
    }
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

/// Overwrites a string handed out by [`hand_out`] (or an `out_error`) with zeros, then releases it.
///
/// # Safety
/// `ptr` came from `CString::into_raw` in this module and was not released before.
pub(super) unsafe fn zero_and_release(ptr: *mut c_char) {
    // SAFETY: by this function's contract, ptr is a CString's raw pointer, released once.
    let owned = unsafe { CString::from_raw(ptr) };
    let mut bytes = owned.into_bytes_with_nul();
    for b in bytes.iter_mut() {
        // SAFETY: b is a valid, aligned &mut u8 of the vector; volatile so the zeroing is not elided.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
    drop(bytes);
}

/// The frame of an export that hands out one string: checks `out` (named `out_name` in the message) and
/// sets it to NULL, then runs `call`, whose [`Answer`] text goes to `*out` and whose status is returned.
/// The other arguments are read inside `call`, after `out`, so that a NULL `out` is the error a caller
/// sees first.
///
/// # Safety
/// `out` is NULL or valid for a pointer-sized write.
pub(super) unsafe fn handing_out<R: Answer>(
    out: *mut *mut c_char,
    out_name: &str,
    call: impl FnOnce() -> Result<R, Error>,
) -> Result<c_int, Error> {
    // SAFETY: out is NULL or writable by this function's contract.
    let out = unsafe { reset_out(out, out_name) }?;
    let (text, status) = call()?.answer();
    hand_out(text, out)?;
    Ok(status)
}

/// What a call hands out: the text for the caller's out-parameter and the status the export returns.
pub(super) trait Answer {
    fn answer(self) -> (String, c_int);
}

/// A text handed out with `BILI_QR_OK` (render, session_convert, start).
impl Answer for String {
    fn answer(self) -> (String, c_int) {
        (self, super::BILI_QR_OK)
    }
}
