//! What the CLI tests of saved files and printed text share (login_outputs.rs, saved_sessions.rs): the
//! Netscape file's rows, a file's mode, a closed port, and assertions on the lines a run printed. Running the
//! binary and the scratch directories are common/mod.rs's.
#![allow(dead_code)]

use std::path::Path;

/// The cookies of the fake server's confirmed bilibili.tv login, in the order it sets them: the list the
/// library's tests and the fake server's tests check too.
#[path = "../../../tests/common/service.rs"]
mod service;
#[allow(unused_imports)] // one of the two test binaries that include this module uses it
pub use service::KEPT as LOGIN_COOKIES;

/// Who the fake server's default account is, as the CLI prints it.
pub const WHO: &str = "DemoUser (mid 1709658507)";

pub fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

/// The cookie lines of a Netscape file (`#HttpOnly_` lines included), each split into its 7 fields.
pub fn netscape_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.is_empty() && (!l.starts_with('#') || l.starts_with("#HttpOnly_")))
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(str::to_owned).collect();
            assert_eq!(f.len(), 7, "not 7 fields: {l}");
            f
        })
        .collect()
}

/// The value of cookie `name` in a Netscape file.
pub fn netscape_value(text: &str, name: &str) -> Option<String> {
    netscape_rows(text)
        .into_iter()
        .find(|f| f[5] == name)
        .map(|mut f| f.swap_remove(6))
}

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

#[cfg(unix)]
pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The file has mode 0600 (on Unix).
pub fn assert_private(p: &Path, what: &str) {
    #[cfg(unix)]
    assert_eq!(mode(p), 0o600, "{what}: {}", p.display());
    #[cfg(not(unix))]
    let _ = (p, what);
}

/// A port nothing listens on (bound, then closed).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `text` holds `want`.
pub fn assert_has(text: &str, want: &str, what: &str) {
    assert!(text.contains(want), "{what}: no {want:?} in: {text}");
}

/// One line of `text` is `line`.
pub fn assert_line(text: &str, line: &str, what: &str) {
    assert!(
        text.lines().any(|l| l == line),
        "{what}: no line {line:?} in: {text}"
    );
}

/// One line of `text` starts with `prefix`.
pub fn assert_line_starts(text: &str, prefix: &str, what: &str) {
    assert!(
        text.lines().any(|l| l.starts_with(prefix)),
        "{what}: no line starting {prefix:?} in: {text}"
    );
}

/// One line of `text` ends with `suffix`.
pub fn assert_line_ends(text: &str, suffix: &str, what: &str) {
    assert!(
        text.lines().any(|l| l.ends_with(suffix)),
        "{what}: no line ending {suffix:?} in: {text}"
    );
}

/// `text` is not empty and every line of it is a warning (`warning: ...`).
pub fn assert_only_warnings(text: &str, what: &str) {
    assert!(
        text.lines().all(|l| l.starts_with("warning: ")),
        "{what}: more than warnings: {text}"
    );
}
