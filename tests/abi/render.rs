//! bili_qr_render: matrix, utf8 and svg are the QR code of the text (finders, EC level M or better, quiet
//! zones); bad text and formats are argument errors.

use crate::common::drawing::half_block;
use crate::common::*;
use bili_qr::ffi::*;

const QR_TEXT: &str =
    "https://www.bilibili.tv/h5/en/qrcode/login?ticket=4478b3e64d05ce26638f4d715ebe0a91";

fn matrix_of(text: &str) -> Vec<Vec<bool>> {
    let r = render(text, "matrix").expect(BILI_QR_OK);
    let m = r.text();
    assert!(m.ends_with('\n'), "matrix lines end in \\n");
    let rows: Vec<Vec<bool>> = m
        .split_terminator('\n')
        .map(|l| {
            l.chars()
                .map(|ch| match ch {
                    '1' => true,
                    '0' => false,
                    other => panic!("matrix has {other:?}"),
                })
                .collect()
        })
        .collect();
    let n = rows.len();
    assert!(n >= 21 && (n - 17) % 4 == 0, "a QR size: {n}");
    assert!(rows.iter().all(|r| r.len() == n), "square");
    rows
}

fn assert_finder(m: &[Vec<bool>], top: usize, left: usize) {
    for y in 0..7 {
        for x in 0..7 {
            let ring = y == 0 || y == 6 || x == 0 || x == 6;
            let core = (2..=4).contains(&y) && (2..=4).contains(&x);
            assert_eq!(
                m[top + y][left + x],
                ring || core,
                "finder pattern at ({top},{left}), module ({y},{x})"
            );
        }
    }
}

/// The error correction level from the format information next to the top-left finder
/// (ISO/IEC 18004 §7.9), checked with its BCH(15,5) code.
fn ec_level(m: &[Vec<bool>]) -> &'static str {
    let pos = [
        (8, 0),
        (8, 1),
        (8, 2),
        (8, 3),
        (8, 4),
        (8, 5),
        (8, 7),
        (8, 8),
        (7, 8),
        (5, 8),
        (4, 8),
        (3, 8),
        (2, 8),
        (1, 8),
        (0, 8),
    ];
    let mut v: u32 = 0;
    for (r, c) in pos {
        v = (v << 1) | m[r][c] as u32;
    }
    v ^= 0b101010000010010;
    let data = v >> 10;
    let mut rem = data << 10;
    for i in (10..15).rev() {
        if rem & (1 << i) != 0 {
            rem ^= 0b10100110111 << (i - 10);
        }
    }
    assert_eq!(
        (data << 10) | rem,
        v,
        "format information fails its BCH check"
    );
    match data >> 3 {
        0b01 => "L",
        0b00 => "M",
        0b11 => "Q",
        _ => "H",
    }
}

#[test]
fn render_matrix_is_a_square_qr_code_with_finders_and_ec_m_or_better() {
    for text in [QR_TEXT, "x", "ünïcødé ✓", &"A".repeat(300)] {
        let m = matrix_of(text);
        let n = m.len();
        assert_finder(&m, 0, 0);
        assert_finder(&m, 0, n - 7);
        assert_finder(&m, n - 7, 0);
        // Timing pattern between the finders.
        for (i, row) in m.iter().enumerate().take(n - 8).skip(8) {
            assert_eq!(m[6][i], i % 2 == 0, "timing row");
            assert_eq!(row[6], i % 2 == 0, "timing column");
        }
        let level = ec_level(&m);
        assert_ne!(level, "L", "error correction M or better");
    }
}

#[test]
fn render_utf8_matches_the_matrix_with_a_quiet_zone() {
    let m = matrix_of(QR_TEXT);
    let n = m.len();
    let r = render(QR_TEXT, "utf8").expect(BILI_QR_OK);
    let u = r.text();
    assert!(u.ends_with('\n'), "every line ends in \\n");
    let lines: Vec<&str> = u.split_terminator('\n').collect();
    assert_eq!(u.matches('\n').count(), lines.len());
    assert_eq!(lines.len(), (n + 4).div_ceil(2), "two module rows per line");
    let size = lines[0].chars().count();
    assert!(size >= n + 4, "a quiet zone of at least 2 modules");
    let q = (size - n) / 2;
    assert_eq!(size, n + 2 * q);
    assert_eq!(size, n + 4, "line width N+4 (quiet zone 2)");
    let dark = |x: usize, y: usize| -> bool {
        x >= q && y >= q && x - q < n && y - q < n && m[y - q][x - q]
    };
    for (i, line) in lines.iter().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        assert_eq!(chars.len(), size, "line {i} width");
        for (x, ch) in chars.iter().enumerate() {
            let (top, bottom) =
                half_block(*ch).unwrap_or_else(|| panic!("utf8 drawing has {ch:?}"));
            assert_eq!(top, dark(x, 2 * i), "line {i} col {x} top");
            assert_eq!(bottom, dark(x, 2 * i + 1), "line {i} col {x} bottom");
        }
    }
    // The quiet zone is blank: first line, last line, first and last two columns.
    assert!(lines[0].chars().all(|c| c == ' '));
    assert!(lines[lines.len() - 1].chars().all(|c| c == ' '));
    for l in &lines {
        let chars: Vec<char> = l.chars().collect();
        assert!(chars[..2]
            .iter()
            .chain(&chars[size - 2..])
            .all(|c| *c == ' '));
    }
}

#[test]
fn render_svg_is_a_standalone_document_with_a_4_module_quiet_zone() {
    let m = matrix_of(QR_TEXT);
    let n = m.len() as f64;
    let r = render(QR_TEXT, "svg").expect(BILI_QR_OK);
    let svg = r.text().trim();
    assert!(
        svg.starts_with("<?xml") || svg.starts_with("<svg"),
        "{}",
        &svg[..40]
    );
    assert!(svg.contains("<svg") && svg.ends_with("</svg>"));
    assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    // Width of the drawing, and the smallest coordinate of a dark module (path "M x y").
    let attr = |name: &str| -> f64 {
        let at = svg
            .find(&format!(" {name}=\""))
            .unwrap_or_else(|| panic!("no {name}"));
        let rest = &svg[at + name.len() + 3..];
        rest[..rest.find('"').unwrap()]
            .trim_end_matches("px")
            .parse()
            .unwrap()
    };
    let width = attr("width");
    assert_eq!(width, attr("height"));
    let unit = width / (n + 8.0);
    let dark_path = svg
        .split("<path")
        .skip(1)
        .find(|p| p.contains("fill=\"#000"))
        .expect("a dark path");
    let d = dark_path.split("d=\"").nth(1).expect("path data");
    let mut min_x = f64::MAX;
    let mut min_y = f64::MAX;
    for cmd in d.split('M').skip(1) {
        let nums: Vec<f64> = cmd
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|s| !s.is_empty())
            .take(2)
            .map(|s| s.parse().unwrap())
            .collect();
        min_x = min_x.min(nums[0]);
        min_y = min_y.min(nums[1]);
    }
    assert!(
        (min_x - 4.0 * unit).abs() < 0.01 && (min_y - 4.0 * unit).abs() < 0.01,
        "quiet zone: first dark module at ({min_x},{min_y}), module {unit}"
    );
}

#[test]
fn render_rejects_empty_and_oversized_text_and_unknown_formats() {
    render(&"a".repeat(2048), "matrix").expect(BILI_QR_OK);
    let r = render("", "utf8").expect_err(BILI_QR_ERR_ARGUMENT, &["text"]);
    assert!(r.error.contains("2048"), "{}", r.error);
    render(&"a".repeat(2049), "utf8").expect_err(BILI_QR_ERR_ARGUMENT, &["text"]);
    // 2049 bytes of which many are multi-byte characters (fewer than 2049 characters).
    let multibyte = "é".repeat(1024) + "a";
    assert_eq!(multibyte.len(), 2049);
    render(&multibyte, "svg").expect_err(BILI_QR_ERR_ARGUMENT, &["text"]);
    for f in ["", "png", "UTF8", "utf-8", "svg ", "matrix\n"] {
        render("hello", f).expect_err(BILI_QR_ERR_ARGUMENT, &["format"]);
    }
}
