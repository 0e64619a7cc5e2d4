//! What the CLI's integration tests share: running the built `bili-qr` and a scratch directory.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The root crate's scratch directories (`scratch` makes one) and `entries`, what a run left in one.
#[path = "../../../tests/common/dir.rs"]
mod dir;
#[allow(unused_imports)] // not every test binary that includes this module lists a directory
pub use dir::entries;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn cli(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_bili-qr"))
        .args(args)
        .stdin(Stdio::null())
        // No proxy from the environment (loopback is never proxied, but keep the runs alike).
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .expect("run bili-qr");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh directory for one test (the test removes it).
pub fn scratch(name: &str) -> PathBuf {
    dir::fresh_dir(&format!("cli-it-{name}"))
}

/// The stderr of a failure: exactly one line `bili-qr: ...`, without a whole ticket (32 hex) or a cookie,
/// matching `want` when given.
pub fn one_line_reason(r: &Run, what: &str, want: Option<&str>) {
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: stderr is not one line: {}",
        r.stderr
    );
    assert!(lines[0].starts_with("bili-qr: "), "{what}: {}", r.stderr);
    let hex_run = lines[0]
        .split(|c: char| !c.is_ascii_hexdigit() || c.is_ascii_uppercase())
        .any(|w| w.len() >= 32);
    assert!(
        !hex_run && !lines[0].contains("SESSDATA="),
        "{what}: stderr holds a whole ticket or a cookie: {}",
        r.stderr
    );
    if let Some(w) = want {
        assert!(
            lines[0].contains(w),
            "{what}: stderr lacks {w:?}: {}",
            r.stderr
        );
    }
}
