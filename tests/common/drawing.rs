//! Reading back the terminal drawing of a QR code (render format "utf8"): each character stands for two
//! modules of one column, the top and the bottom one. The fuzz target `render` includes this file too
//! (fuzz/fuzz_targets/common).

/// The (top, bottom) modules a character of the drawing stands for, `true` for a dark one; `None` for a
/// character the drawing never holds.
pub fn half_block(ch: char) -> Option<(bool, bool)> {
    match ch {
        '█' => Some((true, true)),
        '▀' => Some((true, false)),
        '▄' => Some((false, true)),
        ' ' => Some((false, false)),
        _ => None,
    }
}
