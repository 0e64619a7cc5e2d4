//! `bili_qr_render`: a QR code as terminal text, SVG or a matrix.

use super::args::{handing_out, required_str};
use crate::render::Format;
use std::ffi::{c_char, c_int};

/// Draws `text` (1 to 2048 bytes of UTF-8) as a QR code, error correction M.
///
/// `format`:
/// - `"utf8"`: terminal text, two module rows per line drawn with the block characters U+2580 (upper
///   half), U+2584 (lower half), U+2588 (full) and spaces (dark modules drawn), a quiet zone of 2 modules,
///   every line ending in `\n`;
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
    // SAFETY: the caller upholds this function's `# Safety`, which is the twin's; out_error is NULL.
    unsafe { bili_qr_render_ex(text, format, out, std::ptr::null_mut()) }
}

/// `bili_qr_render` with `out_error`: the rule of "Errors with the result" at the top of this header.
///
/// # Safety
/// As `bili_qr_render`; `out_error` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn bili_qr_render_ex(
    text: *const c_char,
    format: *const c_char,
    out: *mut *mut c_char,
    out_error: *mut *mut c_char,
) -> c_int {
    ffi_boundary!(out_error, {
        let render = || {
            // SAFETY: text and format are NULL or NUL-terminated and outlive the call (`# Safety`).
            let (text, format) =
                unsafe { (required_str(text, "text")?, required_str(format, "format")?) };
            crate::render::render(text, Format::parse(format)?)
        };
        // SAFETY: out is NULL or writable (`# Safety`).
        unsafe { handing_out(out, "out", render) }
    })
}
