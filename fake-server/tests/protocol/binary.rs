//! The `bili-qr-fake-server` binary: first stdout line, `--watch-stdin`, flags, stderr redaction.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_bili-qr-fake-server");

/// The binary with `args`, its three standard streams made by `io` (`Stdio::piped` or `Stdio::null`).
fn command(args: &[&str], io: fn() -> Stdio) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(io()).stdout(io()).stderr(io());
    cmd
}

fn spawn(args: &[&str]) -> (Child, String, BufReader<std::process::ChildStdout>) {
    let mut child = command(args, Stdio::piped)
        .spawn()
        .expect("spawn the binary");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("first line");
    (child, line, out)
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let t0 = Instant::now();
    while t0.elapsed() < within {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn first_line_then_exit_on_stdin_eof_and_redacted_log() {
    let (mut child, line, mut out) = spawn(&["--watch-stdin"]);
    let base = line
        .strip_prefix("listening ")
        .expect("`listening ` prefix")
        .trim_end_matches('\n')
        .to_string();
    assert!(line.ends_with('\n'));
    let port: u16 = base
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .expect("http://127.0.0.1:PORT");
    assert_ne!(port, 0);
    // It serves the documented flow.
    let t = issue(&base, "flow=c,id=bin");
    let r = fetch(&base, "flow=c,id=bin", &t);
    assert_eq!(r.code(), 0);
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 9);
    // EOF on stdin → exit 0, promptly (even with an idle keep-alive connection open).
    let _idle = Conn::open(&base);
    drop(child.stdin.take());
    let st = wait_exit(&mut child, Duration::from_secs(5)).expect("exits after stdin EOF");
    assert!(st.success());
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("stdout");
    assert_eq!(rest, "", "nothing but the first line on stdout");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert_eq!(err.lines().count(), 2, "one line per request: {err}");
    assert!(err.contains(&t[..6]));
    assert!(!err.contains(&t), "full ticket leaked: {err}");
    for c in &cookies {
        let (name, value) = pair(c);
        if value.len() > 4 {
            assert!(!err.contains(&value), "{name} value leaked: {err}");
        }
    }
}

#[test]
fn quiet_tls_and_fixed_port() {
    // --quiet: nothing on stderr.
    let (mut child, line, _out) = spawn(&["--watch-stdin", "--quiet"]);
    let base = line.trim_end().trim_start_matches("listening ").to_string();
    assert_eq!(get(&base, URL).code(), 0);
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));
    let mut err = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    assert_eq!(err, "");

    // --tls prints https.
    let (mut child, line, _out) = spawn(&["--tls", "--watch-stdin", "--quiet"]);
    assert!(line.starts_with("listening https://127.0.0.1:"), "{line}");
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));

    // --tls-ca-out FILE: https, and the CA in FILE before the first line.
    let dir = std::env::temp_dir().join(format!("fake-server-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ca = dir.join("ca.pem");
    let ca_arg = ca.to_string_lossy().into_owned();
    let (mut child, line, _out) = spawn(&["--tls-ca-out", &ca_arg, "--watch-stdin", "--quiet"]);
    assert!(line.starts_with("listening https://127.0.0.1:"), "{line}");
    let pem = std::fs::read_to_string(&ca).expect("CA written before the first line");
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----\n")
            && pem.ends_with("-----END CERTIFICATE-----\n")
    );
    assert!(pem.lines().count() > 5);
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));
    let _ = std::fs::remove_dir_all(&dir);

    // --port N: pick a free port first, then ask for it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let (mut child, line, _out) = spawn(&["--port", &port.to_string(), "--watch-stdin", "--quiet"]);
    assert_eq!(line, format!("listening http://127.0.0.1:{port}\n"));
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));
}

#[test]
fn bad_flags_exit_2() {
    for args in [
        &["--bogus"][..],
        &["--port", "x"][..],
        &["--port"][..],
        &["--tls-ca-out"][..],
    ] {
        let st = command(args, Stdio::null).status().expect("run");
        assert_eq!(st.code(), Some(2), "{args:?}");
    }
}

#[test]
fn unread_stderr_pipe_never_stalls_the_server() {
    // stderr is piped and never read: the log lines beyond the pipe's capacity are dropped, the
    // requests are still answered.
    let (mut child, line, _out) = spawn(&["--watch-stdin"]);
    let base = line.trim_end().trim_start_matches("listening ").to_string();
    // A server stalled on the full pipe would leave a request unanswered: Conn's 10 s read timeout fails
    // the test then (no bound on how long the 5000 take: speed is for the benchmarks).
    let mut c = Conn::open(&base);
    for _ in 0..5000 {
        assert_eq!(c.get(&format!("{FETCH}?ticket=abcdef0123")).status, 200);
    }
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));
}

#[test]
fn stderr_never_shows_a_request_cookie_in_full() {
    let (mut child, line, _out) = spawn(&["--watch-stdin"]);
    let base = line.trim_end().trim_start_matches("listening ").to_string();
    let secret = "abcdef0123456789%2C1780000000%2Cabcde%2Axy";
    let r = get_with_cookie(&base, URL, &format!("SESSDATA={secret}; x=12"));
    assert_eq!(r.code(), 0);
    drop(child.stdin.take());
    assert!(wait_exit(&mut child, Duration::from_secs(5)).is_some_and(|s| s.success()));
    let mut err = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
    assert!(err.contains(" cookie: SESSDATA=abcd… x=1…"), "{err}");
    assert!(!err.contains("abcdef"), "{err}");
    assert!(!err.contains("x=12"), "a short value in full: {err}");
}
