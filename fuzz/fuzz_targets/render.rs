//! `render` in all formats, through the Rust API and the C ABI: the first byte picks the format for the C
//! call, the rest is the text.
//!
//! Invariants: every text of 1 to 2048 bytes renders (version 40-M holds 2331 bytes), others are argument
//! errors; the matrix is square (N = 17 + 4v, 21..=177) of `0`/`1` lines with the three finder patterns;
//! the terminal drawing is the matrix with a 2-module quiet zone, two rows per line, and decodes back to it;
//! the SVG is one document; the C ABI draws the same, accepts it back in `bili_qr_free`, and resets `*out`
//! to NULL on an unknown format.
#![no_main]

mod common;

use bili_qr::ffi::{bili_qr_free, bili_qr_render, BILI_QR_ERR_ARGUMENT, BILI_QR_OK};
use bili_qr::{render, ErrorKind, Format};
use libfuzzer_sys::fuzz_target;
use std::ffi::{CStr, CString};

fuzz_target!(|data: &[u8]| {
    let Some((&name, rest)) = common::pick(data, &["matrix", "utf8", "svg"]) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let fits = (1..=2048).contains(&text.len());
    let matrix = match render(text, Format::Matrix) {
        Ok(m) => {
            assert!(fits, "rendered {} bytes", text.len());
            m
        }
        Err(e) => {
            assert!(
                !fits,
                "refused a text of {} bytes: {}",
                text.len(),
                e.message()
            );
            assert_eq!(e.kind(), ErrorKind::Argument);
            common::check_message(&e);
            assert!(render(text, Format::Utf8).is_err() && render(text, Format::Svg).is_err());
            return;
        }
    };
    let rows: Vec<&[u8]> = matrix.as_bytes().split(|&b| b == b'\n').collect();
    assert_eq!(
        rows.last(),
        Some(&&b""[..]),
        "matrix does not end with a newline"
    );
    let rows = &rows[..rows.len() - 1];
    let n = rows.len();
    assert!(
        (21..=177).contains(&n) && (n - 17) % 4 == 0,
        "matrix of {n} rows"
    );
    for r in rows {
        assert_eq!(r.len(), n, "matrix is not square");
        assert!(r.iter().all(|&b| b == b'0' || b == b'1'));
    }
    let dark = |x: usize, y: usize| rows[y][x] == b'1';
    for (ox, oy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
        for i in 0..7 {
            assert!(
                dark(ox + i, oy)
                    && dark(ox + i, oy + 6)
                    && dark(ox, oy + i)
                    && dark(ox + 6, oy + i)
            );
        }
        assert!(dark(ox + 3, oy + 3), "finder pattern centre");
    }

    // One other format per input (each drawing encodes the text again, and large texts are slow under
    // ASan): `name`, which the first byte picked, drawn through the C ABI, then checked against the Rust API.
    let Ok(c_text) = CString::new(text) else {
        // A text with a NUL cannot be passed in C: check the Rust API alone.
        check_utf8(
            &render(text, Format::Utf8).expect("utf8 refused a text matrix accepted"),
            n,
            &dark,
        );
        check_svg(&render(text, Format::Svg).expect("svg refused a text matrix accepted"));
        return;
    };
    let c_format = CString::new(name).expect("no NUL");
    let mut out = std::ptr::null_mut();
    let status = unsafe { bili_qr_render(c_text.as_ptr(), c_format.as_ptr(), &mut out) };
    assert_eq!(status, BILI_QR_OK);
    assert!(!out.is_null());
    let drawn = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("UTF-8 drawing")
        .to_owned();
    unsafe { bili_qr_free(out) };
    match name {
        "matrix" => assert_eq!(drawn, matrix, "the C ABI drew another matrix"),
        "utf8" => check_utf8(&drawn, n, &dark),
        _ => check_svg(&drawn),
    }
    let bad = CString::new(format!("{name}x")).expect("no NUL");
    let mut out = 0x10 as *mut std::ffi::c_char;
    let status = unsafe { bili_qr_render(c_text.as_ptr(), bad.as_ptr(), &mut out) };
    assert_eq!(status, BILI_QR_ERR_ARGUMENT);
    assert!(out.is_null(), "out not reset to NULL on an error");
});

/// The terminal drawing is the matrix with a 2-module quiet zone, two module rows per line.
fn check_utf8(utf8: &str, n: usize, dark: &dyn Fn(usize, usize) -> bool) {
    assert!(utf8.ends_with('\n'));
    let q = 2;
    let size = n + 2 * q;
    let lines: Vec<&str> = utf8.split_terminator('\n').collect();
    assert_eq!(lines.len(), size.div_ceil(2));
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<char> = line.chars().collect();
        assert_eq!(cells.len(), size, "utf8 line {i} has {} cells", cells.len());
        for (x, ch) in cells.iter().enumerate() {
            let (top, bottom) = common::half_block(*ch)
                .unwrap_or_else(|| panic!("unexpected character {ch:?} in the utf8 drawing"));
            let module = |y: usize| -> bool {
                y >= q && y < q + n && x >= q && x < q + n && dark(x - q, y - q)
            };
            assert_eq!(
                top,
                module(2 * i),
                "utf8 differs from the matrix at ({x}, {})",
                2 * i
            );
            assert_eq!(
                bottom,
                module(2 * i + 1),
                "utf8 differs from the matrix at ({x}, {})",
                2 * i + 1
            );
        }
    }
}

/// One standalone SVG document.
fn check_svg(svg: &str) {
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
}
