//! The session file (ABI 3): `bili_qr_session_save`, the one atomic 0600 writer that the CLI and every binding
//! use.

use super::args::required_str;
use super::BILI_QR_OK;
use crate::session::file;
use std::ffi::{c_char, c_int};
use std::path::Path;

/// Saves a session to a file, atomically and readable by its owner only (ABI 3). No network.
///
/// - `path`: the file to write (UTF-8; relative to the current directory, or absolute); its directory must
///   exist. An existing file (or a link, which is replaced, not followed) is replaced; a directory, a device
///   such as `/dev/null`, a pipe or a socket (or a link to one) is not. Borrowed.
/// - `session`: a session in any form `bili_qr_session_convert` reads (the session object or confirmed poll
///   object in JSON, a Netscape cookies.txt, a `Cookie` header), at most 1 MiB. It is checked first: a
///   text that is not a session the library reads (empty, broken JSON, no `SESSDATA`, ...) is
///   `BILI_QR_ERR_ARGUMENT` and nothing is written. It is then written exactly as given, byte for byte
///   (to save another form, convert it first with `bili_qr_session_convert`). Borrowed; the library keeps
///   no copy.
///
/// The text goes to a new temporary file in the same directory, created exclusively with mode 0600 on Unix
/// (never readable by others, whatever the umask), written, flushed to disk, then renamed over `path` (the
/// directory is synced after the rename on Unix; on Windows the rename is `MoveFileExW` with
/// `MOVEFILE_REPLACE_EXISTING`, and the file takes the access list of its folder). A reader sees the old file
/// or the new one, never a mix; on any error the old file is untouched and no temporary file is left.
///
/// Returns `BILI_QR_OK`, or `BILI_QR_ERR_ARGUMENT`: NULL or non-UTF-8 arguments, a text that is not a
/// session, an empty path, a path that is a directory, a device, pipe or socket, a missing directory, or a
/// file that cannot be written (permission denied, disk full, ...); the message names the path and the
/// system's reason, never the session. Thread-safe (two saves to the same path at once: the last rename wins, each file whole).
///
/// # Safety
/// `path` and `session` are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_session_save(
    path: *const c_char,
    session: *const c_char,
) -> c_int {
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_session_save_ex(path, session, std::ptr::null_mut()) }
}

/// `bili_qr_session_save` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_session_save`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_session_save_ex(
    path: *const c_char,
    session: *const c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        // SAFETY: path and session are NULL or NUL-terminated and outlive the call (`# Safety`).
        let (path, session) = unsafe {
            (
                required_str(path, "path")?,
                required_str(session, "session")?,
            )
        };
        file::save(Path::new(path), session)?;
        Ok(BILI_QR_OK)
    })
}
