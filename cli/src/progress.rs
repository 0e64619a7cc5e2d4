//! The progress display of `bili-qr login`: the QR block and the status line, redrawn in place on a
//! terminal that interprets escape sequences, plain lines otherwise.

use crate::{Failure, EXIT_LOCAL};
use bili_qr::{PollStatus, QrCode};
use std::io::{self, IsTerminal, Write};

/// Text from the server made safe for a terminal: no control characters (so no escape sequences).
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// The progress display: in place on a terminal, plain lines otherwise.
pub(crate) struct Ui {
    out: Box<dyn Write>,
    tty: bool,
    /// The terminal's width in columns, when known (terminal mode).
    columns: Option<usize>,
    /// Terminal rows of the current QR block above the status line (terminal mode).
    block_lines: usize,
    /// The status line now shown (terminal mode: not yet ended by a line break).
    status: Option<String>,
}

impl Ui {
    pub(crate) fn new(to_stderr: bool) -> Ui {
        let (out, tty): (Box<dyn Write>, bool) = if to_stderr {
            (Box::new(io::stderr()), io::stderr().is_terminal())
        } else {
            (Box::new(io::stdout()), io::stdout().is_terminal())
        };
        let tty = tty && escapes_work();
        let columns = if tty {
            terminal_columns(to_stderr)
        } else {
            None
        };
        Ui {
            out,
            tty,
            columns,
            block_lines: 0,
            status: None,
        }
    }

    fn write(&mut self, s: &str) {
        // A closed output (e.g. `| head`) must not stop the login.
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    /// Ends the status line, so that what follows starts on a line of its own.
    pub(crate) fn end_status(&mut self) {
        if self.tty && self.status.take().is_some() {
            self.write("\n");
        }
        self.status = None;
        self.block_lines = 0;
    }

    /// A line of its own, outside the redrawn block.
    pub(crate) fn line(&mut self, s: &str) {
        self.end_status();
        self.write(&format!("{s}\n"));
    }

    pub(crate) fn qr(
        &mut self,
        qr: &QrCode,
        refreshes: u32,
        max_refresh: u32,
    ) -> Result<(), Failure> {
        let drawing = bili_qr::render(&qr.qr_url, bili_qr::Format::Utf8).map_err(|e| Failure {
            code: EXIT_LOCAL,
            message: format!("cannot draw the QR code: {}", e.message()),
        })?;
        let mut block = String::new();
        if self.tty && self.status.is_some() && self.block_lines > 0 {
            // Back to the first line of the previous block, and clear to the end of the screen.
            block.push_str(&format!("\r\x1b[{}A\x1b[J", self.block_lines));
        } else {
            self.end_status();
        }
        let mut lines = Vec::new();
        lines.push(
            "Scan with the bilibili.tv app, or open the link on a logged-in phone:".to_owned(),
        );
        if self.tty {
            // Black modules on white, whatever the terminal's colours: scanners expect dark on light, and
            // most terminals have a dark background.
            lines.extend(
                drawing
                    .lines()
                    .map(|l| format!("\x1b[38;5;16;48;5;231m{l}\x1b[0m")),
            );
        } else {
            lines.extend(drawing.lines().map(str::to_owned));
        }
        lines.push(printable(&qr.qr_url));
        if refreshes > 0 {
            lines.push(format!(
                "(the previous code expired: this is new code {refreshes} of {max_refresh})"
            ));
        }
        for l in &lines {
            block.push_str(l);
            block.push('\n');
        }
        self.write(&block);
        self.block_lines = lines.iter().map(|l| rows(l, self.columns)).sum();
        self.status = None;
        self.set_status("waiting for the scan".to_owned());
        Ok(())
    }

    pub(crate) fn set_status(&mut self, text: String) {
        if self.status.as_deref() == Some(text.as_str()) {
            return;
        }
        if self.tty {
            self.write(&format!("\r\x1b[2K{text}"));
        } else {
            self.write(&format!("{text}\n"));
        }
        self.status = Some(text);
    }

    /// The final state, with a line break.
    pub(crate) fn finish(&mut self, text: String) {
        self.set_status(text);
        self.end_status();
    }
}

/// How many terminal rows `line` takes on a terminal `columns` wide (escape sequences take none).
fn rows(line: &str, columns: Option<usize>) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, c) if c.is_ascii_alphabetic() => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    match columns {
        Some(cols) if cols > 0 && width > cols => width.div_ceil(cols),
        _ => 1,
    }
}

/// Whether the terminal interprets the escape sequences of the in-place redraw. Windows: the console is asked
/// to (virtual terminal processing, Windows 10 and later); an older console refuses, and gets plain lines.
#[cfg(windows)]
fn escapes_work() -> bool {
    enable_ansi_support::enable_ansi_support().is_ok()
}

#[cfg(not(windows))]
fn escapes_work() -> bool {
    true
}

/// The width of the terminal behind standard error or output (Unix: TIOCGWINSZ; Windows: the console's
/// screen buffer, GetConsoleScreenBufferInfo), or `None` when it cannot be asked (each line is then taken as
/// one row, which only matters for a URL wider than the terminal).
fn terminal_columns(stderr: bool) -> Option<usize> {
    let size = if stderr {
        terminal_size::terminal_size_of(io::stderr())
    } else {
        terminal_size::terminal_size_of(io::stdout())
    };
    size.map(|(w, _)| usize::from(w.0)).filter(|w| *w > 0)
}

pub(crate) fn status_text(s: PollStatus) -> String {
    match s {
        PollStatus::Waiting => "waiting for the scan",
        PollStatus::Scanned => "scanned, waiting for confirmation in the app",
        PollStatus::Expired => "expired",
        PollStatus::Confirmed => "confirmed",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_rows() {
        let url = format!(
            "https://www.bilibili.tv/h5/en/qrcode/login?ticket={}",
            "a".repeat(32)
        );
        assert_eq!(url.len(), 82);
        assert_eq!(rows(&url, Some(80)), 2);
        assert_eq!(rows(&url, Some(82)), 1);
        assert_eq!(rows(&url, Some(40)), 3);
        assert_eq!(rows(&url, None), 1);
        assert_eq!(rows("", Some(80)), 1);
        let qr_line = format!("\x1b[38;5;16;48;5;231m{}\x1b[0m", "█".repeat(41));
        assert_eq!(rows(&qr_line, Some(41)), 1);
        assert_eq!(rows(&qr_line, Some(40)), 2);
    }

    #[test]
    fn server_text_cannot_carry_escapes() {
        assert_eq!(printable("a\x1b[2Jb\nc\u{7}"), "a[2Jbc");
    }
}
