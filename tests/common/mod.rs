//! Shared helpers of the root crate's integration tests: safe wrappers over the C ABI (`bili_qr::ffi`)
//! that check the out-parameter and last-error rules of docs/ABI.md on every call, a per-test fake
//! passport server, and the secret checks (no error message may hold a cookie value or more than the
//! first 6 characters of a ticket).
#![allow(dead_code)]

pub mod canned;
pub mod dir;
pub mod drawing;
pub mod http;
pub mod login;
pub mod service;

#[allow(unused_imports)]
pub use dir::*;
#[allow(unused_imports)]
pub use http::*;

use bili_qr::ffi::*;
use bili_qr_fake_server::{FakeServer, RequestRecord};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A non-NULL pointer that is never dereferenced: out-parameters are pre-filled with it to prove that the
/// library sets them to NULL first.
pub const DANGLING: *mut c_char = 0x10 as *mut c_char;

/// Every error message any call of this test binary produced (checked against secrets by [`Env`]).
static MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Every ticket and cookie value this test binary handled.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn remember_secret(s: &str) {
    if !s.is_empty() {
        lock(&SECRETS).push(s.to_owned());
    }
}

/// Remembers the ticket in a `ticket` argument: the argument itself, or the `ticket=` value of a URL.
/// Only well-formed tickets (1 to 128 of `A-Z a-z 0-9 - _ . ~`) are remembered: malformed ones are never
/// sent, and the tests that pass them check their messages themselves.
fn remember_ticket(arg: &str) {
    let candidate = match arg.find("ticket=") {
        Some(i) => arg[i + "ticket=".len()..]
            .split(['&', '#'])
            .next()
            .unwrap_or(""),
        None => arg,
    };
    let well_formed = (1..=128).contains(&candidate.len())
        && candidate
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
    if well_formed {
        remember_secret(candidate);
    }
}

/// This thread's last error; asserts the pointer is never NULL and the text is UTF-8.
pub fn last_error() -> String {
    let p = bili_qr_last_error();
    assert!(!p.is_null(), "bili_qr_last_error() returned NULL");
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .expect("last error is UTF-8")
        .to_owned()
}

pub fn c(s: &str) -> CString {
    CString::new(s).expect("test strings have no NUL")
}

/// `Some(s)` as a C string, `None` as NULL.
pub fn c_opt(s: Option<&str>) -> Option<CString> {
    s.map(c)
}

pub fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// What a call returned: its status, the out string (copied, then released with `bili_qr_free`), and
/// this thread's last error right after the call.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: c_int,
    pub out: Option<String>,
    pub error: String,
}

impl Outcome {
    /// Asserts the status, showing the error message when it differs.
    #[track_caller]
    pub fn expect(self, status: c_int) -> Outcome {
        assert_eq!(
            self.status, status,
            "expected status {status}, got {} (error: {:?}, out: {:?})",
            self.status, self.error, self.out
        );
        self
    }

    /// Asserts an error status whose message contains every one of `needles`.
    #[track_caller]
    pub fn expect_err(self, status: c_int, needles: &[&str]) -> Outcome {
        let o = self.expect(status);
        for n in needles {
            assert!(
                o.error.contains(n),
                "the message of status {status} should contain {n:?}: {:?}",
                o.error
            );
        }
        o
    }

    pub fn json(&self) -> Value {
        let text = self.out.as_deref().expect("an out string");
        serde_json::from_str(text).unwrap_or_else(|e| panic!("out is not JSON ({e}): {text}"))
    }

    pub fn text(&self) -> &str {
        self.out.as_deref().expect("an out string")
    }
}

/// Checks the ABI's rules on a finished call and releases the out string.
/// - status < 0: `*out` is NULL, the last error is one non-empty line;
/// - status >= 0: `*out` is a string, the last error is "".
pub fn finish(status: c_int, out: *mut c_char, has_out: bool) -> Outcome {
    let error = last_error();
    let mut text = None;
    if has_out {
        if status < 0 {
            assert!(
                out.is_null(),
                "status {status}: *out must be NULL on an error (error: {error:?})"
            );
        } else {
            assert!(!out.is_null(), "status {status}: *out must be set");
            assert_ne!(out, DANGLING, "status {status}: *out was left untouched");
            let s = unsafe { CStr::from_ptr(out) }
                .to_str()
                .expect("out is UTF-8")
                .to_owned();
            unsafe { bili_qr_free(out) };
            text = Some(s);
        }
    }
    if status < 0 {
        assert!(
            !error.is_empty(),
            "status {status}: the last error must be set"
        );
        assert!(
            !error.contains('\n') && !error.contains('\r'),
            "the last error must be one line: {error:?}"
        );
        lock(&MESSAGES).push(error.clone());
    } else {
        assert_eq!(
            error, "",
            "status {status}: the last error must be \"\" after a status >= 0"
        );
    }
    Outcome {
        status,
        out: text,
        error,
    }
}

/// Calls `f` with an out-parameter pre-filled with [`DANGLING`].
pub fn call_out(f: impl FnOnce(*mut *mut c_char) -> c_int) -> Outcome {
    let mut out: *mut c_char = DANGLING;
    let status = f(&mut out);
    finish(status, out, true)
}

pub fn start(opts: Option<&str>) -> Outcome {
    let o = c_opt(opts);
    let r = call_out(|out| unsafe { bili_qr_start(ptr(&o), out) });
    if let Some(Ok(v)) = r.out.as_deref().map(serde_json::from_str::<Value>) {
        if let Some(t) = v["ticket"].as_str() {
            remember_secret(t);
        }
    }
    r
}

/// Starts a login with `opts` and returns its ticket (remembered as a secret).
#[track_caller]
pub fn ticket_of(opts: &str) -> String {
    let r = start(Some(opts)).expect(BILI_QR_OK);
    r.json()["ticket"].as_str().expect("ticket").to_owned()
}

/// Remembers the secrets of the object a call handed out (see [`remember_object`]).
fn remember_cookies(r: &Outcome) {
    if let Some(text) = r.out.as_deref() {
        remember_session(text);
    }
}

/// Remembers the secrets of a session or poll object: its cookie values and refresh tokens (the mainland's
/// `refresh_token` and `previous_refresh_token`, a TV session's `token.access_token` and `token.refresh_token`).
pub fn remember_object(obj: &Value) {
    for c in obj["cookies"].as_array().into_iter().flatten() {
        if let Some(v) = c["value"].as_str() {
            remember_secret(v);
        }
    }
    for t in [
        &obj["refresh_token"],
        &obj["previous_refresh_token"],
        &obj["token"]["access_token"],
        &obj["token"]["refresh_token"],
    ] {
        if let Some(t) = t.as_str() {
            remember_secret(t);
        }
    }
}

/// An export of the form `f(text, second, out)`: poll, check, logout, refresh and refresh_confirm (a ticket
/// or session, then options), render and session_convert (a text, then a format).
type TextCall = unsafe extern "C" fn(*const c_char, *const c_char, *mut *mut c_char) -> c_int;
/// The `_ex` twin of a [`TextCall`]: `f(text, second, out, out_error)`.
type TextCallEx =
    unsafe extern "C" fn(*const c_char, *const c_char, *mut *mut c_char, *mut *mut c_char) -> c_int;

/// Calls `f(text, second, out)` (`second` NULL when `None`) through [`call_out`].
fn call_text(f: TextCall, text: &str, second: Option<&str>) -> Outcome {
    let t = c(text);
    let s = c_opt(second);
    call_out(|out| unsafe { f(t.as_ptr(), ptr(&s), out) })
}

/// Calls `f(text, second, out, out_error)` (`second` NULL when `None`) through [`call_out_ex`].
fn call_text_ex(f: TextCallEx, text: &str, second: Option<&str>) -> OutcomeEx {
    let t = c(text);
    let s = c_opt(second);
    call_out_ex(|out, err| unsafe { f(t.as_ptr(), ptr(&s), out, err) })
}

pub fn poll(ticket: &str, opts: Option<&str>) -> Outcome {
    remember_ticket(ticket);
    let r = call_text(bili_qr_poll, ticket, opts);
    remember_cookies(&r);
    r
}

pub fn wait_with(
    ticket: &str,
    opts: Option<&str>,
    cb: bili_qr_progress_fn,
    user_data: *mut c_void,
) -> Outcome {
    remember_ticket(ticket);
    let t = c(ticket);
    let o = c_opt(opts);
    let r = call_out(|out| unsafe { bili_qr_wait(t.as_ptr(), ptr(&o), cb, user_data, out) });
    remember_cookies(&r);
    r
}

pub fn wait(ticket: &str, opts: Option<&str>) -> Outcome {
    wait_with(ticket, opts, None, std::ptr::null_mut())
}

/// `bili_qr_cancel`; the outcome's status is its return value (a count, or an error).
pub fn cancel(ticket: &str) -> Outcome {
    remember_ticket(ticket);
    let t = c(ticket);
    let status = unsafe { bili_qr_cancel(t.as_ptr()) };
    finish(status, std::ptr::null_mut(), false)
}

pub fn render(text: &str, format: &str) -> Outcome {
    call_text(bili_qr_render, text, Some(format))
}

/// What an `_ex` call returned: the outcome (checked as [`finish`] does) and the `out_error` string.
#[derive(Debug, Clone)]
pub struct OutcomeEx {
    pub outcome: Outcome,
    pub out_error: Option<String>,
}

/// Calls an `_ex` function with both out-parameters pre-filled with [`DANGLING`], checks the rules of
/// "Errors with the result" (docs/ABI.md): `*out_error` is NULL when the status is >= 0, and otherwise
/// equals this thread's last error; and releases it with `bili_qr_free`.
pub fn call_out_ex(f: impl FnOnce(*mut *mut c_char, *mut *mut c_char) -> c_int) -> OutcomeEx {
    let mut out: *mut c_char = DANGLING;
    let mut err: *mut c_char = DANGLING;
    let status = f(&mut out, &mut err);
    let outcome = finish(status, out, true);
    assert_ne!(
        err, DANGLING,
        "status {status}: *out_error was left untouched"
    );
    let out_error = if status < 0 {
        assert!(
            !err.is_null(),
            "status {status}: *out_error must receive the message"
        );
        let text = unsafe { CStr::from_ptr(err) }
            .to_str()
            .expect("out_error is UTF-8")
            .to_owned();
        unsafe { bili_qr_free(err) };
        assert_eq!(text, outcome.error, "out_error must equal the last error");
        Some(text)
    } else {
        assert!(err.is_null(), "status {status}: *out_error must stay NULL");
        None
    };
    OutcomeEx { outcome, out_error }
}

pub fn start_ex(opts: Option<&str>) -> OutcomeEx {
    let o = c_opt(opts);
    call_out_ex(|out, err| unsafe { bili_qr_start_ex(ptr(&o), out, err) })
}

pub fn poll_ex(ticket: &str, opts: Option<&str>) -> OutcomeEx {
    remember_ticket(ticket);
    let r = call_text_ex(bili_qr_poll_ex, ticket, opts);
    remember_cookies(&r.outcome);
    r
}

pub fn wait_ex(ticket: &str, opts: Option<&str>) -> OutcomeEx {
    remember_ticket(ticket);
    let t = c(ticket);
    let o = c_opt(opts);
    let r = call_out_ex(|out, err| unsafe {
        bili_qr_wait_ex(t.as_ptr(), ptr(&o), None, std::ptr::null_mut(), out, err)
    });
    remember_cookies(&r.outcome);
    r
}

pub fn render_ex(text: &str, format: &str) -> OutcomeEx {
    call_text_ex(bili_qr_render_ex, text, Some(format))
}

/// Remembers the secrets of a session text given as JSON (see [`remember_object`]); other forms are
/// made from a JSON session the test already remembered.
pub fn remember_session(text: &str) {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        remember_object(&v);
    }
}

pub fn check(session: &str, opts: Option<&str>) -> Outcome {
    remember_session(session);
    let r = call_text(bili_qr_check, session, opts);
    remember_cookies(&r);
    r
}

pub fn check_ex(session: &str, opts: Option<&str>) -> OutcomeEx {
    remember_session(session);
    call_text_ex(bili_qr_check_ex, session, opts)
}

pub fn logout(session: &str, opts: Option<&str>) -> Outcome {
    remember_session(session);
    call_text(bili_qr_logout, session, opts)
}

pub fn logout_ex(session: &str, opts: Option<&str>) -> OutcomeEx {
    remember_session(session);
    call_text_ex(bili_qr_logout_ex, session, opts)
}

/// `bili_qr_refresh`; the new session's secrets are remembered.
pub fn refresh(session: &str, opts: &str) -> Outcome {
    remember_session(session);
    let r = call_text(bili_qr_refresh, session, Some(opts));
    remember_cookies(&r);
    r
}

pub fn refresh_confirm(session: &str, opts: &str) -> Outcome {
    remember_session(session);
    call_text(bili_qr_refresh_confirm, session, Some(opts))
}

/// The value of cookie `name` in a poll or session object.
pub fn cookie<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj["cookies"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)?["value"]
        .as_str()
}

/// The cookie names of a poll or session object, in order.
pub fn cookie_names(obj: &Value) -> Vec<&str> {
    obj["cookies"]
        .as_array()
        .expect("cookies")
        .iter()
        .map(|c| c["name"].as_str().expect("a cookie name"))
        .collect()
}

/// `base` (a JSON object) with the keys of `extra` added or replaced.
pub fn merged(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(m), Value::Object(e)) = (&mut base, extra) {
        m.extend(e);
    }
    base
}

pub fn convert(session: &str, format: &str) -> Outcome {
    remember_session(session);
    call_text(bili_qr_session_convert, session, Some(format))
}

pub fn convert_ex(session: &str, format: &str) -> OutcomeEx {
    remember_session(session);
    call_text_ex(bili_qr_session_convert_ex, session, Some(format))
}

/// Progress events seen by [`record_progress`]: (status, event JSON, user_data pointer).
#[derive(Default)]
pub struct Progress {
    pub events: Mutex<Vec<(c_int, Value, usize)>>,
    /// Return value for the callback: 0 keeps waiting; after `cancel_after` events it returns non-zero.
    pub cancel_after: Option<usize>,
    /// Signalled (once per event) to let a test know the wait is sleeping between polls.
    pub notify: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

/// A `bili_qr_progress_fn` whose `user_data` is a `*const Progress`.
pub unsafe extern "C" fn record_progress(
    status: c_int,
    event_json: *const c_char,
    user_data: *mut c_void,
) -> c_int {
    let progress = &*(user_data as *const Progress);
    assert!(!event_json.is_null(), "event_json is NULL");
    let text = CStr::from_ptr(event_json).to_str().expect("event is UTF-8");
    let value: Value = serde_json::from_str(text).expect("event is JSON");
    let n = {
        let mut ev = lock(&progress.events);
        ev.push((status, value, user_data as usize));
        ev.len()
    };
    if let Some(tx) = lock(&progress.notify).as_ref() {
        let _ = tx.send(());
    }
    match progress.cancel_after {
        Some(k) if n >= k => 1,
        _ => 0,
    }
}

pub fn progress_fn() -> bili_qr_progress_fn {
    Some(record_progress)
}

/// Runs `f`: what it returned and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A fresh fake passport server for one test, and the test's scenario string.
pub struct Env {
    pub srv: FakeServer,
    pub scenario: String,
}

impl Env {
    /// `scenario` must be unique per test (it carries an `id=`).
    pub fn new(scenario: &str) -> Env {
        Env {
            srv: FakeServer::start(),
            scenario: scenario.to_owned(),
        }
    }

    pub fn base(&self) -> String {
        self.srv.url(&self.scenario)
    }

    /// Options JSON: this scenario's base_url, poll_interval_ms 100, timeout_ms 5000, plus `extra`
    /// (a JSON object whose keys override).
    pub fn opts(&self, extra: Value) -> String {
        let base = json!({"base_url": self.base(), "poll_interval_ms": 100, "timeout_ms": 5000});
        merged(base, extra).to_string()
    }

    pub fn default_opts(&self) -> String {
        self.opts(json!({}))
    }

    /// Options for the mainland on this scenario: every base URL on the fake server, its RSA test key, plus
    /// `extra`.
    pub fn main_opts(&self, extra: Value) -> String {
        let o = json!({
            "site": "main",
            "api_base_url": self.base(),
            "www_base_url": self.base(),
            "refresh_public_key": bili_qr_fake_server::refresh_public_key_pem(),
        });
        self.opts(merged(o, extra))
    }

    /// Options for the TV/app token login on this scenario, plus `extra`.
    pub fn tv_opts(&self, extra: Value) -> String {
        let o = json!({"site": "main", "flow": "tv", "api_base_url": self.base(), "www_base_url": self.base()});
        self.opts(merged(o, extra))
    }

    /// Options for a session call on a token session: the base URLs only (the session says its site), plus
    /// `extra`.
    pub fn session_opts(&self, extra: Value) -> String {
        let o = json!({"api_base_url": self.base(), "www_base_url": self.base()});
        self.opts(merged(o, extra))
    }

    pub fn log(&self) -> Vec<RequestRecord> {
        self.srv.log()
    }

    /// Asserts that no request reached this server (`why` says why none should have).
    #[track_caller]
    pub fn assert_nothing_sent(&self, why: &str) {
        let log = self.log();
        assert!(log.is_empty(), "{why}: {log:?}");
    }

    /// The requests of the log whose path ends with `suffix`.
    pub fn requests_to(&self, suffix: &str) -> Vec<RequestRecord> {
        self.log()
            .into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }

    /// The fetch requests of the log.
    pub fn fetches(&self) -> Vec<RequestRecord> {
        self.requests_to("/qrcode/auth/fetch")
    }

    /// Starts a login and returns its ticket.
    #[track_caller]
    pub fn new_ticket(&self) -> String {
        ticket_of(&self.default_opts())
    }

    /// Asserts that no error message seen so far holds a ticket (beyond its first 6 characters) or a
    /// cookie value this server or this binary handled.
    pub fn check_secrets(&self) {
        let mut secrets: Vec<String> = lock(&SECRETS).clone();
        for rec in self.log() {
            if let Some(t) = rec.query.get("ticket") {
                secrets.push(t.clone());
            }
            for sc in rec.set_cookies.iter().chain(rec.cookie_info.iter()) {
                let pair = sc.split(';').next().unwrap_or("");
                if let Some((_, v)) = pair.split_once('=') {
                    secrets.push(v.trim().to_owned());
                }
            }
        }
        let pieces = secret_pieces(&secrets);
        let messages = lock(&MESSAGES).clone();
        for m in &messages {
            assert_no_piece(m, &pieces);
        }
    }
}

/// Every run of 7 consecutive characters of the secrets (see [`assert_no_secret`]).
fn secret_pieces(secrets: &[String]) -> HashSet<String> {
    let mut pieces = HashSet::new();
    for s in secrets {
        let chars: Vec<char> = s.chars().collect();
        for w in chars.windows(7) {
            pieces.insert(w.iter().collect());
        }
    }
    pieces
}

#[track_caller]
fn assert_no_piece(message: &str, pieces: &HashSet<String>) {
    let chars: Vec<char> = message.chars().collect();
    for w in chars.windows(7) {
        let piece: String = w.iter().collect();
        assert!(
            !pieces.contains(&piece),
            "an error message holds 7+ characters of a secret ({}…): {message:?}",
            piece.chars().take(3).collect::<String>()
        );
    }
}

/// Fails if `message` holds 7 or more consecutive characters of any secret (so at most 6 characters of
/// a ticket, e.g. its first 6, and never a whole cookie value of 7+ characters). Shorter secrets, such as
/// the `1` of a cookie, cannot be told apart from ordinary text and are skipped.
#[track_caller]
pub fn assert_no_secret(message: &str, secrets: &[String]) {
    assert_no_piece(message, &secret_pieces(secrets));
}

impl Drop for Env {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.check_secrets();
        }
    }
}
