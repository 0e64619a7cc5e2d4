//! `bili-qr`: log in to bilibili.tv (international) from a terminal by scanning a QR code, and export the
//! session for other tools. A thin program over the `bili_qr` library's Rust API.
//!
//! No `unsafe` here: the platform calls (signals, console control handler, terminal size, atomic replace) go
//! through crates with safe APIs, each behind `cfg(unix)` / `cfg(windows)`.
#![forbid(unsafe_code)]

mod args;
mod generated;
mod login;
mod output;
mod progress;
mod refresh;
mod saved;
mod store;

use args::{Cli, Command};
use bili_qr::ErrorKind;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

pub const EXIT_OK: u8 = 0;
/// The QR code expired, and so did every refresh; `check`: the saved session has ended; `logout`: it had
/// already ended.
pub const EXIT_EXPIRED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
/// Network error or timeout.
pub const EXIT_NETWORK: i32 = 3;
/// Refused by the server: an HTTP error status, an API error code, or an answer that is not the documented one.
pub const EXIT_REFUSED: i32 = 4;
/// A local failure: an output file could not be written, the OS keyring could not be used, or an internal error.
pub const EXIT_LOCAL: i32 = 5;
/// Cancelled by Ctrl-C (SIGINT).
pub const EXIT_CANCELLED: i32 = 130;

/// Why the program ends unsuccessfully: an exit code and a one-line reason.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn from_error(e: &bili_qr::Error) -> Failure {
        let code = match e.kind() {
            ErrorKind::Argument => EXIT_USAGE,
            ErrorKind::Network | ErrorKind::Timeout => EXIT_NETWORK,
            ErrorKind::Http | ErrorKind::Protocol | ErrorKind::Api => EXIT_REFUSED,
            ErrorKind::Cancelled => EXIT_CANCELLED,
            ErrorKind::Internal => EXIT_LOCAL,
        };
        // The library's messages are one line and never hold a cookie value or a whole ticket.
        Failure {
            code,
            message: flagify(e.message()),
        }
    }
}

/// A line on standard output. A closed output (`| head -0`) must not turn into a panic (`println!` would):
/// the exit code still tells the result.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// A line on standard error, likewise without a panic when it is closed.
pub fn tell(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// "logged in as NAME (mid N)", without the parts the service did not give (an empty name counts as none).
pub fn logged_in(name: Option<&str>, mid: Option<i64>) -> String {
    let name: Option<String> = name
        .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect())
        .filter(|n: &String| !n.trim().is_empty());
    match (name, mid) {
        (Some(n), Some(m)) => format!("logged in as {n} (mid {m})"),
        (Some(n), None) => format!("logged in as {n}"),
        (None, Some(m)) => format!("logged in (mid {m})"),
        (None, None) => "logged in".to_owned(),
    }
}

/// Names the command line's flags where a library message names an option key ("raise timeout_ms").
pub(crate) fn flagify(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len() + 8);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        // The keys with an underscore (a plain word such as "proxy" or "locale" stays a word);
        // refresh_public_key is the CLI's own --refresh-public-key FILE.
        let flag = args::key_flags().find(|(key, _)| key.contains('_') && *key == word.as_str());
        out.push_str(flag.map_or(word.as_str(), |(_, flag)| flag));
        word.clear();
    };
    for ch in msg.chars() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The one-line reason of a clap error: its first line without the `error: ` prefix. A first line that
/// ends with `:` (clap's "the following required arguments were not provided:") is followed by the
/// indented lines under it (the missing flags), joined on the same line.
fn usage_reason(e: &clap::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines().skip_while(|l| l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let mut reason = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    if reason.ends_with(':') {
        let listed: Vec<&str> = lines
            .take_while(|l| l.starts_with(' ') && !l.trim().is_empty())
            .map(str::trim)
            .collect();
        if !listed.is_empty() {
            reason.push(' ');
            reason.push_str(&listed.join(", "));
        }
    }
    format!("{reason} (see bili-qr --help)")
}

fn render(args: args::RenderArgs) -> Result<(), Failure> {
    let mut text =
        bili_qr::render(&args.text, args.format.into()).map_err(|e| Failure::from_error(&e))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure {
            code: EXIT_LOCAL,
            message: format!("cannot write to standard output: {e}"),
        })
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            return match e.kind() {
                K::DisplayHelp | K::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::from(EXIT_OK)
                }
                K::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(EXIT_USAGE as u8)
                }
                _ => {
                    tell(&format!("bili-qr: {}", usage_reason(&e)));
                    ExitCode::from(EXIT_USAGE as u8)
                }
            };
        }
    };
    let result = match cli.command {
        Command::Login(a) => login::run(*a),
        Command::Check(a) => saved::check(a),
        Command::Logout(a) => saved::logout(a),
        Command::Render(a) => render(a),
        Command::Refresh(a) => refresh::run(a),
    };
    match result {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(f) => {
            tell(&format!("bili-qr: {}", f.message));
            ExitCode::from(u8::try_from(f.code).unwrap_or(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_by_error_kind() {
        for (kind, code) in [
            (ErrorKind::Argument, 2),
            (ErrorKind::Network, 3),
            (ErrorKind::Timeout, 3),
            (ErrorKind::Http, 4),
            (ErrorKind::Protocol, 4),
            (ErrorKind::Api, 4),
            (ErrorKind::Cancelled, 130),
            (ErrorKind::Internal, 5),
        ] {
            assert_eq!(
                Failure::from_error(&bili_qr::Error::new(kind, "m")).code,
                code,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn library_messages_name_flags() {
        assert_eq!(
            flagify("not confirmed within wait_timeout_ms (1000 ms); raise wait_timeout_ms"),
            "not confirmed within --wait-timeout (1000 ms); raise --wait-timeout"
        );
        assert_eq!(
            flagify("timed out; raise timeout_ms or check base_url"),
            "timed out; raise --timeout or check --base-url"
        );
        assert_eq!(
            flagify("refused to follow go_url to x_base_url"),
            "refused to follow go_url to x_base_url"
        );
        assert_eq!(
            flagify("\"请求被拦截\" max_retries"),
            "\"请求被拦截\" --max-retries"
        );
    }

    #[test]
    fn logged_in_copes_with_missing_fields() {
        assert_eq!(
            logged_in(Some("Demo"), Some(5)),
            "logged in as Demo (mid 5)"
        );
        assert_eq!(logged_in(Some("Demo"), None), "logged in as Demo");
        assert_eq!(logged_in(None, Some(5)), "logged in (mid 5)");
        assert_eq!(logged_in(Some(" "), Some(5)), "logged in (mid 5)");
        assert_eq!(logged_in(None, None), "logged in");
        assert_eq!(
            logged_in(Some("a\x1b[2Jb"), Some(1)),
            "logged in as a[2Jb (mid 1)"
        );
    }

    #[test]
    fn usage_reason_is_one_line() {
        let e = Cli::try_parse_from(["bili-qr", "login", "--bogus"]).unwrap_err();
        let r = usage_reason(&e);
        assert!(
            !r.contains('\n') && r.contains("--bogus") && !r.starts_with("error:"),
            "{r}"
        );
    }

    #[test]
    fn usage_reason_names_the_missing_flag() {
        for (args, flag) in [
            (&["bili-qr", "check"][..], "--cookies"),
            (&["bili-qr", "logout"][..], "--cookies"),
            (
                &["bili-qr", "login", "--app-secret", "abc"][..],
                "--app-key",
            ),
        ] {
            let e = Cli::try_parse_from(args).unwrap_err();
            let r = usage_reason(&e);
            assert!(
                !r.contains('\n') && r.contains("not provided: ") && r.contains(flag),
                "{args:?}: {r}"
            );
        }
    }
}
