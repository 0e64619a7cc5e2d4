//! QR rendering (by the `qrcode` crate, error correction M): terminal text, SVG, or a 0/1 matrix.

use crate::error::{Error, Result};
use qrcode::{Color, EcLevel, QrCode};

/// The longest text accepted, in bytes.
pub const MAX_TEXT: usize = 2048;
/// Light modules around the terminal drawing.
pub const UTF8_QUIET_ZONE: usize = 2;

/// The output formats of [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Utf8,
    Svg,
    Matrix,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format> {
        match s {
            "utf8" => Ok(Format::Utf8),
            "svg" => Ok(Format::Svg),
            "matrix" => Ok(Format::Matrix),
            _ => Err(Error::argument(
                "format must be \"utf8\", \"svg\" or \"matrix\"",
            )),
        }
    }
}

/// Draws `text` (1 to 2048 bytes) as a QR code.
pub fn render(text: &str, format: Format) -> Result<String> {
    if text.is_empty() || text.len() > MAX_TEXT {
        return Err(Error::argument(format!(
            "text must be 1 to {MAX_TEXT} bytes (it has {})",
            text.len()
        )));
    }
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| {
        Error::argument("text is too long to fit in a QR code at error correction M")
    })?;
    Ok(match format {
        Format::Utf8 => utf8(&code),
        Format::Matrix => matrix(&code),
        Format::Svg => code
            .render::<qrcode::render::svg::Color<'_>>()
            .quiet_zone(true)
            .min_dimensions(200, 200)
            .build(),
    })
}

fn matrix(code: &QrCode) -> String {
    let n = code.width();
    let colors = code.to_colors();
    let mut out = String::with_capacity(n * (n + 1));
    for row in colors.chunks(n) {
        out.extend(
            row.iter()
                .map(|c| if *c == Color::Dark { '1' } else { '0' }),
        );
        out.push('\n');
    }
    out
}

fn utf8(code: &QrCode) -> String {
    let n = code.width();
    let colors = code.to_colors();
    let q = UTF8_QUIET_ZONE as isize;
    let size = n as isize + 2 * q;
    let dark = |x: isize, y: isize| -> bool {
        let (mx, my) = (x - q, y - q);
        mx >= 0
            && my >= 0
            && mx < n as isize
            && my < n as isize
            && colors[(my as usize) * n + mx as usize] == Color::Dark
    };
    let mut out = String::new();
    let mut y = 0;
    while y < size {
        for x in 0..size {
            out.push(match (dark(x, y), y + 1 < size && dark(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_is_square_and_utf8_matches_it() {
        let m = render(
            "https://www.bilibili.tv/h5/en/qrcode/login?ticket=abc",
            Format::Matrix,
        )
        .unwrap();
        let rows: Vec<&str> = m.lines().collect();
        let n = rows.len();
        assert!(n >= 21 && rows.iter().all(|r| r.len() == n));
        // Finder pattern: the top-left 7 modules of the first row are dark.
        assert_eq!(&rows[0][..7], "1111111");
        let u = render(
            "https://www.bilibili.tv/h5/en/qrcode/login?ticket=abc",
            Format::Utf8,
        )
        .unwrap();
        let lines: Vec<&str> = u.lines().collect();
        assert_eq!(lines.len(), (n + 4).div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == n + 4));
        assert!(u.ends_with('\n'));
        // First line: quiet zone rows only.
        assert!(lines[0].chars().all(|c| c == ' '));
        let svg = render("x", Format::Svg).unwrap();
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(render("", Format::Svg).is_err());
        assert!(render(&"a".repeat(2049), Format::Svg).is_err());
        assert!(Format::parse("png").is_err());
    }
}
