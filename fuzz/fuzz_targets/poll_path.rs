//! The whole network path of the C exports (`bili_qr_start_ex`, `bili_qr_poll_ex`, `bili_qr_check_ex`,
//! `bili_qr_logout_ex`) against a stub HTTP server on 127.0.0.1 whose answers are the fuzz input.
//!
//! Input (bytes; sections separated by a line `%%`):
//! - section 0: the call, `start`, `poll`, `startpoll` (start, then poll the ticket it handed out), `check` or
//!   `logout`, then flag letters: `v` verify_login, `p` a path prefix `/pfx` on base_url;
//! - section 1: the argument: the ticket (poll) or the session (check, logout); unused by start;
//! - sections 2..: the stub's answers, one per request received, in order (404 JSON once they run out). Each
//!   is sent as written after replacing `{origin}` (`http://127.0.0.1:PORT`), `{host}` (`127.0.0.1:PORT`),
//!   `{trap}` / `{trap2}` (`http://127.0.0.1:T1`, `http://127.0.0.2:T2`: listeners no request may reach
//!   with a cookie), `{ticket}` (section 1) and `{len}` (the body's length); an answer without CR has its
//!   head's LF turned into CRLF; then `{many}` becomes 600 header lines and `{big}` 20,000 bytes (inputs
//!   are at most 4 KiB). `!close` closes the connection unanswered; `!stall` answers nothing until the client
//!   gives up (timeout_ms is 300).
//!
//! Invariants: no call returns ERR_INTERNAL or a status outside -8..=3; a status >= 0 hands out JSON of the
//! documented shape (a confirmed poll with SESSDATA, bili_jct and DedeUserID; a started login's qr_url on
//! https bilibili.tv / biliintl.com or the stub) and no error; a status < 0 hands out no JSON and an error
//! equal to `bili_qr_last_error()`, one bounded line naming no cookie value the stub or the session sent
//! (4+ characters with a digit) and no 7 characters (one a digit) of a ticket, unless that text is also
//! elsewhere in the input; no request reaches a trap listener with a Cookie header; no host is resolved or
//! connected to that is not the stub's, loopback, under bilibili.tv / biliintl.com, or named by a `Location`
//! header.
#![no_main]

mod common;

use bili_qr::ffi::{
    bili_qr_check_ex, bili_qr_free, bili_qr_last_error, bili_qr_logout_ex, bili_qr_poll_ex,
    bili_qr_start_ex,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::ffi::{c_char, c_int, CStr, CString};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const MAX_ANSWERS: usize = 16;
const TIMEOUT_MS: u64 = 300;

#[derive(Default)]
struct Script {
    answers: Vec<Vec<u8>>,
    next: usize,
}

struct Stub {
    port: u16,
    trap: String,
    trap2: String,
    script: Arc<Mutex<Script>>,
    /// Heads of the requests that reached a trap listener during the current input.
    trapped: Arc<Mutex<Vec<String>>>,
}

fn stub() -> &'static Stub {
    static STUB: OnceLock<Stub> = OnceLock::new();
    STUB.get_or_init(|| {
        // The library must not pick up a proxy from the environment (it never does for loopback anyway).
        for v in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
        ] {
            std::env::remove_var(v);
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stub");
        let port = listener.local_addr().expect("stub address").port();
        let script = Arc::new(Mutex::new(Script::default()));
        let s = Arc::clone(&script);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                serve(conn, &s);
            }
        });
        let trapped = Arc::new(Mutex::new(Vec::new()));
        let mut traps = Vec::new();
        for addr in ["127.0.0.1:0", "127.0.0.2:0"] {
            let l = TcpListener::bind(addr).or_else(|_| TcpListener::bind("127.0.0.1:0"));
            let l = l.expect("bind a trap");
            traps.push(format!("http://{}", l.local_addr().expect("trap address")));
            let t = Arc::clone(&trapped);
            std::thread::spawn(move || {
                for mut conn in l.incoming().flatten() {
                    let head = read_head(&mut conn);
                    if head.starts_with(FENCE) {
                        continue;
                    }
                    // Recorded before answering, so the client cannot return before the record exists.
                    t.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = conn.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            });
        }
        Stub {
            port,
            trap2: traps.pop().expect("trap2"),
            trap: traps.pop().expect("trap"),
            script,
            trapped,
        }
    })
}

/// Reads a request head (bounded, 1 s at most) and its Content-Length body, so that closing the connection
/// afterwards never resets it.
fn read_head(conn: &mut TcpStream) -> Vec<u8> {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(1000)));
    let _ = conn.set_write_timeout(Some(Duration::from_millis(1000)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 256 * 1024 {
            return buf;
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    while buf.len() < end + len {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    buf.truncate(end);
    buf
}

fn serve(mut conn: TcpStream, script: &Mutex<Script>) {
    let head = read_head(&mut conn);
    if head.is_empty() || head.starts_with(FENCE) {
        return;
    }
    let answer = {
        let mut s = script.lock().unwrap();
        let a = s.answers.get(s.next).cloned();
        s.next += 1;
        a
    };
    match answer.as_deref() {
        None => {
            let _ = conn.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 42\r\nConnection: close\r\n\r\n{\"code\":-404,\"message\":\"stub: no answer\"}",
            );
        }
        Some(b"!close") => {}
        Some(b"!stall") => {
            // Nothing is sent; the client gives up after timeout_ms and closes (bounded by the read timeout).
            let mut sink = [0u8; 1024];
            while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
        }
        Some(bytes) => {
            let _ = conn.write_all(bytes);
        }
    }
    let _ = conn.shutdown(Shutdown::Write);
}

/// The request head of a fence connection (see [`fence`]); no answer is consumed for it, nothing recorded.
const FENCE: &[u8] = b"FENCE / HTTP/1.1\r\n";

/// Returns once the listener at `addr` has finished every connection made before this call. Each listener
/// serves its connections one at a time in the order they were made, so when it has closed the fence
/// connection, it is done with every request the library sent during this input: a late connection (a
/// request the library gave up on while the stub was still busy) cannot take the next input's answers, and
/// the stub's work for one input is not counted in the next one's coverage. Bounded by a 5 s read timeout.
fn fence(addr: &str) {
    if let Ok(mut c) = TcpStream::connect(addr) {
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = c.write_all(FENCE);
        let _ = c.write_all(b"\r\n");
        let mut sink = Vec::new();
        let _ = c.read_to_end(&mut sink);
    }
}

/// Whether this process only generates inputs (`POLL_PATH_GENERATE_ONLY` set): see the target's body.
fn generate_only() -> bool {
    static ONLY: OnceLock<bool> = OnceLock::new();
    *ONLY.get_or_init(|| std::env::var_os("POLL_PATH_GENERATE_ONLY").is_some())
}

fn split_sections(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(4).position(|w| w == b"\n%%\n") {
        out.push(&rest[..i]);
        rest = &rest[i + 4..];
    }
    out.push(rest);
    out
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

/// One answer's bytes: placeholders replaced, LF heads turned into CRLF, `{len}` the body's length.
fn build_answer(raw: &[u8], subst: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
    let mut a = raw.to_vec();
    for (from, to) in subst {
        a = replace(&a, from, to);
    }
    if a == b"!close" || a == b"!stall" {
        return a;
    }
    let crlf = !a.contains(&b'\r');
    let split = if crlf {
        a.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2))
    } else {
        a.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4))
    };
    let (head, body) = match split {
        Some((i, n)) => (a[..i].to_vec(), a[i + n..].to_vec()),
        None => (a.clone(), Vec::new()),
    };
    let mut head = if crlf {
        replace(&head, b"\n", b"\r\n")
    } else {
        head
    };
    // Big answers from small inputs (libFuzzer's inputs are at most 4 KiB in tests/fuzz.sh).
    let many: Vec<u8> = (0..600)
        .flat_map(|i| format!("X-Pad-{i}: v\r\n").into_bytes())
        .collect();
    let many = &many[..many.len() - 2];
    head = replace(&head, b"{many}", many);
    head = replace(&head, b"{big}", &[b'b'; 20_000]);
    let body = replace(&body, b"{big}", &[b'b'; 20_000]);
    head = replace(&head, b"{len}", body.len().to_string().as_bytes());
    head.extend_from_slice(b"\r\n\r\n");
    head.extend_from_slice(&body);
    head
}

/// Cookie values the stub hands out in `Set-Cookie` headers (4+ characters holding a digit), and the input
/// without those header lines, `Location` lines, `data.go_url` and `data.sso[]` (the rest is text the library
/// may legitimately repeat: the stub's host, API messages, …).
fn secrets_and_public(answers: &[Vec<u8>]) -> (Vec<String>, String) {
    let mut secrets = Vec::new();
    let mut public = String::new();
    for a in answers {
        let text = String::from_utf8_lossy(a);
        for line in text.split(['\r', '\n']) {
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.find("set-cookie").map(|i| &line[i + 10..]) {
                for part in v.split([',', ';']) {
                    if let Some((name, value)) = part.split_once('=') {
                        // Attributes (a Domain may be named in a warning) are not cookie values.
                        let attribute = [
                            "domain", "path", "expires", "max-age", "samesite", "priority",
                        ]
                        .contains(&name.trim().to_ascii_lowercase().as_str());
                        let value = value.trim().trim_matches('"');
                        if attribute {
                            continue;
                        }
                        if value.len() >= 4 && value.bytes().any(|b| b.is_ascii_digit()) {
                            secrets.push(value.to_owned());
                        }
                    }
                }
            } else if !lower.trim_start().starts_with("location:") {
                public.push_str(line);
                public.push('\n');
            }
        }
    }
    // URLs the library is told to follow (go_url, sso[]) are not text it may repeat either: a host there that
    // equals a cookie value must not reach a message.
    for a in answers {
        let body = a
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(&a[..0], |i| &a[i + 4..]);
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            let data = &v["data"];
            let mut urls: Vec<&str> = data["go_url"].as_str().into_iter().collect();
            if let Some(list) = data["sso"].as_array() {
                urls.extend(list.iter().filter_map(Value::as_str));
            }
            for u in urls.into_iter().filter(|u| !u.is_empty()) {
                public = public.replace(u, "");
            }
        }
    }
    (secrets, public)
}

/// Cookie values in a session argument (any of its three forms).
fn session_secrets(session: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &str| {
        if v.len() >= 4 && v.bytes().any(|b| b.is_ascii_digit()) {
            out.push(v.to_owned());
        }
    };
    if let Ok(v) = serde_json::from_str::<Value>(session) {
        if let Some(list) = v.get("cookies").and_then(Value::as_array) {
            for c in list {
                if let Some(s) = c.get("value").and_then(Value::as_str) {
                    push(s);
                }
            }
        }
    }
    for line in session.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() == 7 {
            push(fields[6].trim());
        }
        for part in line.split(';') {
            if let Some((_, v)) = part.split_once('=') {
                push(v.trim());
            }
        }
    }
    out
}

fn take(p: *mut c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a string handed out by the library, NUL-terminated, freed right after.
    let s = unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("UTF-8 from the library")
        .to_owned();
    // SAFETY: handed out by the library, released once.
    unsafe { bili_qr_free(p) };
    Some(s)
}

fn last_error() -> Option<String> {
    let p = bili_qr_last_error();
    // SAFETY: NULL or this thread's message, valid until the next call on this thread.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Call {
    Start,
    Poll,
    Check,
    Logout,
}

struct Ctx<'a> {
    input: &'a [u8],
    secrets: Vec<String>,
    public: String,
    tickets: Vec<String>,
    location_hosts: Vec<String>,
}

type Export =
    unsafe extern "C" fn(*const c_char, *const c_char, *mut *mut c_char, *mut *mut c_char) -> c_int;

fn call(call: Call, arg: &CString, options: &CString, ctx: &Ctx) -> (c_int, Option<Value>) {
    let mut out: *mut c_char = std::ptr::null_mut();
    let mut err: *mut c_char = std::ptr::null_mut();
    // SAFETY: valid NUL-terminated inputs and writable out-parameters.
    let rc = unsafe {
        match call {
            Call::Start => bili_qr_start_ex(options.as_ptr(), &mut out, &mut err),
            Call::Poll | Call::Check | Call::Logout => {
                let f: Export = match call {
                    Call::Poll => bili_qr_poll_ex,
                    Call::Check => bili_qr_check_ex,
                    _ => bili_qr_logout_ex,
                };
                f(arg.as_ptr(), options.as_ptr(), &mut out, &mut err)
            }
        }
    };
    let out = take(out);
    let err = take(err);
    if std::env::var_os("POLL_PATH_DEBUG").is_some() {
        // Reproducing a seed by hand: `POLL_PATH_DEBUG=1 cargo +nightly fuzz run poll_path <file>`.
        eprintln!("{call:?} -> {rc} out={out:?} err={err:?}");
    }
    let input = String::from_utf8_lossy(ctx.input);
    assert_ne!(
        rc,
        bili_qr::ffi::BILI_QR_ERR_INTERNAL,
        "{call:?}: ERR_INTERNAL ({err:?}) for input {input:?}"
    );
    assert!((-8..=3).contains(&rc), "{call:?}: status {rc}");
    if rc >= 0 {
        assert!(
            err.is_none(),
            "{call:?}: an error with status {rc}: {err:?}"
        );
        let out = out.unwrap_or_else(|| panic!("{call:?}: status {rc} without JSON"));
        let v: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{call:?}: JSON {e}: {out}"));
        check_json(call, rc, &v);
        return (rc, Some(v));
    }
    assert!(out.is_none(), "{call:?}: JSON with status {rc}");
    let m = err.unwrap_or_else(|| panic!("{call:?}: status {rc} without out_error"));
    assert_eq!(
        Some(&m),
        last_error().as_ref(),
        "{call:?}: out_error is not the last error"
    );
    assert!(
        !m.is_empty() && m.len() <= 2048,
        "{call:?}: message of {} bytes",
        m.len()
    );
    assert!(
        !m.chars().any(char::is_control),
        "{call:?}: control character in {m:?}"
    );
    for s in &ctx.secrets {
        assert!(
            !m.contains(s.as_str()) || ctx.public.contains(s.as_str()),
            "{call:?}: cookie value {s:?} in the message {m:?}"
        );
    }
    // 7 characters of a ticket (ASCII by its rules), holding a digit so that they are no word of the library's
    // own wording, and not elsewhere in the input (the stub's host, an API message…).
    for t in &ctx.tickets {
        for piece in t
            .as_bytes()
            .windows(7)
            .filter_map(|w| std::str::from_utf8(w).ok())
        {
            assert!(
                !piece.bytes().any(|b| b.is_ascii_digit())
                    || !m.contains(piece)
                    || ctx.public.contains(piece),
                "{call:?}: ticket text {piece:?} in the message {m:?}"
            );
        }
    }
    for phrase in ["resolve host ", "connect to ", "connection to "] {
        if let Some(i) = m.find(phrase) {
            let host: String = m[i + phrase.len()..]
                .chars()
                .take_while(|c| !matches!(c, ' ' | ';' | ',' | ')' | '('))
                .collect();
            let name = host
                .rsplit_once(':')
                .map_or(host.as_str(), |(h, _)| h)
                .trim_matches(['[', ']']);
            let lower = name.to_ascii_lowercase();
            // The library names a host it was told to reach by a label ("go_url", "an sso URL", "a redirect
            // target") where the host could hold a cookie value: a word without a dot is such a label.
            let allowed = !lower.contains(['.', ':'])
                || lower.starts_with("127.")
                || lower == "localhost"
                || lower == "::1"
                || lower == "bilibili.tv"
                || lower.ends_with(".bilibili.tv")
                || lower == "biliintl.com"
                || lower.ends_with(".biliintl.com")
                || ctx
                    .location_hosts
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(name));
            assert!(
                allowed,
                "{call:?}: a request to {host:?}, which no rule allows: {m:?}"
            );
        }
    }
    (rc, None)
}

fn check_json(call: Call, rc: c_int, v: &Value) {
    let status = v["status"].as_str().unwrap_or_default();
    match call {
        Call::Start => {
            assert_eq!(rc, 0);
            let ticket = v["ticket"].as_str().expect("start: no ticket");
            let qr = v["qr_url"].as_str().expect("start: no qr_url");
            assert!(
                qr.contains(ticket) && bili_qr::internals::extract(qr).is_ok_and(|t| t == ticket),
                "start: ticket {ticket:?} is not qr_url's"
            );
            let lower = qr.to_ascii_lowercase();
            let host = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://127."))
                .map(|rest| {
                    rest.split(['/', '?', '#'])
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                });
            let ok = match host {
                Some(h) if lower.starts_with("https://") && !h.contains('@') => {
                    let h = h.rsplit_once(':').map_or(h.as_str(), |(n, _)| n).to_owned();
                    h == "bilibili.tv"
                        || h.ends_with(".bilibili.tv")
                        || h == "biliintl.com"
                        || h.ends_with(".biliintl.com")
                        || h.starts_with("127.")
                }
                Some(h) => !h.contains('@'),
                None => false,
            };
            assert!(ok, "start: qr_url {qr:?} handed out");
        }
        Call::Poll => {
            let want = ["confirmed", "waiting", "scanned", "expired"][rc as usize];
            assert_eq!(status, want, "poll: status {rc} with {v}");
            if rc == 0 {
                let cookies = v["cookies"].as_array().expect("confirmed without cookies");
                for name in ["SESSDATA", "bili_jct", "DedeUserID"] {
                    assert!(
                        cookies.iter().any(|c| c["name"] == name
                            && c["value"].as_str().is_some_and(|s| !s.is_empty())),
                        "confirmed without {name}"
                    );
                }
                assert!(v["cookie_header"]
                    .as_str()
                    .is_some_and(|h| h.contains("SESSDATA=")));
            }
        }
        Call::Check => {
            assert_eq!(status, session_status("check", rc, "valid"), "check: {v}");
            assert!(
                v["cookies"].is_array() && v["cookie_header"].is_string(),
                "check: {v}"
            );
        }
        Call::Logout => {
            let want = session_status("logout", rc, "logged_out");
            assert_eq!(status, want, "logout: {v}");
        }
    }
}

/// The `status` a check or logout (`what`) that handed out JSON answers with: `ok` for 0, `expired` for 3
/// (BILI_QR_EXPIRED); no other code comes with JSON.
fn session_status(what: &str, rc: c_int, ok: &'static str) -> &'static str {
    match rc {
        0 => ok,
        3 => "expired",
        other => panic!("{what}: status {other}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let sections = split_sections(data);
    if sections.len() < 2 || sections.len() > MAX_ANSWERS + 2 {
        return;
    }
    let head = String::from_utf8_lossy(sections[0]);
    let mut words = head.split_whitespace();
    let calls: &[Call] = match words.next() {
        Some("start") => &[Call::Start],
        Some("poll") => &[Call::Poll],
        Some("startpoll") => &[Call::Start, Call::Poll],
        Some("check") => &[Call::Check],
        Some("logout") => &[Call::Logout],
        _ => return,
    };
    let flags = words.next().unwrap_or_default();
    let Ok(arg_text) = std::str::from_utf8(sections[1]) else {
        return;
    };
    // Generating inputs (POLL_PATH_GENERATE_ONLY, tests/fuzz.sh check): the harness reads the input with fixed
    // addresses in place of the listeners' and returns before any call, so that what libFuzzer keeps depends
    // on the input alone (the library's own threads make the coverage of a real run vary slightly).
    let generate_only = generate_only();
    let (port, trap, trap2) = if generate_only {
        (
            40000,
            "http://127.0.0.1:40001".to_owned(),
            "http://127.0.0.2:40002".to_owned(),
        )
    } else {
        let stub = stub();
        (stub.port, stub.trap.clone(), stub.trap2.clone())
    };
    let origin = format!("http://127.0.0.1:{port}");
    let subst: Vec<(&[u8], Vec<u8>)> = vec![
        (b"{origin}", origin.clone().into_bytes()),
        (b"{host}", format!("127.0.0.1:{port}").into_bytes()),
        (b"{trap}", trap.clone().into_bytes()),
        (b"{trap2}", trap2.clone().into_bytes()),
        (b"{ticket}", arg_text.as_bytes().to_vec()),
    ];
    let answers: Vec<Vec<u8>> = sections[2..]
        .iter()
        .map(|a| build_answer(a, &subst))
        .collect();
    let (mut secrets, mut public) = secrets_and_public(&answers);
    public.push_str(&origin);
    public.push('\n');
    public.push_str(&trap);
    public.push('\n');
    public.push_str(&trap2);
    let mut tickets = Vec::new();
    if calls.contains(&Call::Poll) && !calls.contains(&Call::Start) {
        // The ticket the library reads from the argument (a bare ticket or a qr_url); a malformed argument is
        // the `ticket` target's business.
        if let Ok(t) = bili_qr::internals::extract(arg_text) {
            tickets.push(t.to_owned());
        }
    }
    if calls.contains(&Call::Check) || calls.contains(&Call::Logout) {
        secrets.extend(session_secrets(arg_text));
    }
    let mut location_hosts = Vec::new();
    for a in &answers {
        for line in String::from_utf8_lossy(a).split(['\r', '\n']) {
            if line
                .to_ascii_lowercase()
                .trim_start()
                .starts_with("location:")
            {
                let v = line.split_once(':').map_or("", |(_, v)| v).trim();
                let rest = v.split_once("//").map_or(v, |(_, r)| r);
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
                let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
                location_hosts.push(host.trim_matches(['[', ']']).to_owned());
            }
        }
    }
    let base = if flags.contains('p') {
        format!("{origin}/pfx")
    } else {
        origin.clone()
    };
    let options = serde_json::json!({
        "base_url": base,
        "api_base_url": origin,
        "timeout_ms": TIMEOUT_MS,
        "verify_login": flags.contains('v'),
        "proxy": "",
    });
    let options = CString::new(options.to_string()).expect("options");
    if generate_only {
        return;
    }
    let stub = stub();
    {
        let mut s = stub.script.lock().unwrap();
        s.answers = answers;
        s.next = 0;
    }
    stub.trapped.lock().unwrap().clear();
    let mut ctx = Ctx {
        input: data,
        secrets,
        public,
        tickets,
        location_hosts,
    };
    let mut arg = CString::new(arg_text.replace('\0', "")).expect("no NUL");
    for &c in calls {
        let (rc, out) = call(c, &arg, &options, &ctx);
        if c == Call::Start {
            let Some(t) = out.as_ref().and_then(|v| v["ticket"].as_str()) else {
                break;
            };
            if rc != 0 {
                break;
            }
            ctx.tickets.push(t.to_owned());
            arg = CString::new(t).expect("ticket without NUL");
        }
    }
    // Every listener done with this input's connections before the traps' records are read (and before the
    // next input's script replaces this one).
    fence(&format!("127.0.0.1:{}", stub.port));
    for trap in [&stub.trap, &stub.trap2] {
        fence(trap.trim_start_matches("http://"));
    }
    let trapped = stub.trapped.lock().unwrap().clone();
    for head in &trapped {
        let lower = head.to_ascii_lowercase();
        assert!(
            !lower.contains("\r\ncookie:"),
            "a Cookie header sent to an untrusted host: {head:?}"
        );
    }
});
