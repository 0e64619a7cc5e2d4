//! The C ABI without a login: versions, status strings, the last-error rules, out-parameters, NULL and
//! non-UTF-8 arguments, ticket and option validation (nothing sent), the header, the exports, and render.

mod common;

use bili_qr::ffi::*;
use common::*;
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};

const ALL_STATUSES: [(c_int, &str); 12] = [
    (BILI_QR_OK, "BILI_QR_OK"),
    (BILI_QR_WAITING, "BILI_QR_WAITING"),
    (BILI_QR_SCANNED, "BILI_QR_SCANNED"),
    (BILI_QR_EXPIRED, "BILI_QR_EXPIRED"),
    (BILI_QR_ERR_ARGUMENT, "BILI_QR_ERR_ARGUMENT"),
    (BILI_QR_ERR_NETWORK, "BILI_QR_ERR_NETWORK"),
    (BILI_QR_ERR_TIMEOUT, "BILI_QR_ERR_TIMEOUT"),
    (BILI_QR_ERR_HTTP, "BILI_QR_ERR_HTTP"),
    (BILI_QR_ERR_PROTOCOL, "BILI_QR_ERR_PROTOCOL"),
    (BILI_QR_ERR_API, "BILI_QR_ERR_API"),
    (BILI_QR_ERR_CANCELLED, "BILI_QR_ERR_CANCELLED"),
    (BILI_QR_ERR_INTERNAL, "BILI_QR_ERR_INTERNAL"),
];

fn static_str(p: *const c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

/// Makes this thread's last error a known non-empty message (a NULL ticket).
fn set_some_error() -> String {
    let mut out = DANGLING;
    let st = unsafe { bili_qr_poll(std::ptr::null(), std::ptr::null(), &mut out) };
    assert_eq!(st, BILI_QR_ERR_ARGUMENT);
    assert!(out.is_null());
    let e = last_error();
    assert!(e.contains("ticket"), "{e}");
    e
}

/// A global allocator that reports whether one watched block was all zeros when it was released, to
/// prove that `bili_qr_free` zeroes strings before freeing them (the library is linked into this binary,
/// so its allocations go through here).
struct ZeroCheck;

static WATCHED: AtomicUsize = AtomicUsize::new(0);
/// 0: the watched block was not released; 1: released all zeros; 2: released with data in it.
static VERDICT: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for ZeroCheck {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        System.realloc(p, layout, new_size)
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if !p.is_null() && p as usize == WATCHED.load(Ordering::SeqCst) {
            let zero = (0..layout.size()).all(|i| *p.add(i) == 0);
            VERDICT.store(if zero { 1 } else { 2 }, Ordering::SeqCst);
        }
        System.dealloc(p, layout)
    }
}

#[global_allocator]
static ALLOCATOR: ZeroCheck = ZeroCheck;

static WATCH_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Frees `p` with `bili_qr_free` and tells whether its bytes were zeros when released.
fn free_is_zeroing(p: *mut c_char) -> bool {
    let _one_at_a_time = WATCH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    VERDICT.store(0, Ordering::SeqCst);
    WATCHED.store(p as usize, Ordering::SeqCst);
    unsafe { bili_qr_free(p) };
    WATCHED.store(0, Ordering::SeqCst);
    match VERDICT.load(Ordering::SeqCst) {
        1 => true,
        2 => false,
        _ => panic!("bili_qr_free did not release the block it was given"),
    }
}

#[test]
fn free_zeroes_strings_before_releasing_them() {
    let env = Env::new("id=zeroing,flow=c");
    let opts = c(&env.default_opts());
    let t = c("zeroingticket");
    let mut out = DANGLING;
    let st = unsafe { bili_qr_poll(t.as_ptr(), opts.as_ptr(), &mut out) };
    assert_eq!(st, BILI_QR_OK, "{}", last_error());
    let text = static_str(out);
    assert!(text.contains("SESSDATA"), "a confirmed object with cookies");
    assert!(
        free_is_zeroing(out),
        "the confirmed poll object must be zeroed"
    );
    let text_c = c("hello");
    let fmt = c("svg");
    let mut out = DANGLING;
    assert_eq!(
        unsafe { bili_qr_render(text_c.as_ptr(), fmt.as_ptr(), &mut out) },
        BILI_QR_OK
    );
    assert!(free_is_zeroing(out), "a rendered string too");
    // The check itself can fail: a block released without zeroing is reported as such.
    let plain = std::ffi::CString::new("not zeroed").unwrap().into_raw();
    let _one_at_a_time = WATCH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    VERDICT.store(0, Ordering::SeqCst);
    WATCHED.store(plain as usize, Ordering::SeqCst);
    drop(unsafe { std::ffi::CString::from_raw(plain) });
    WATCHED.store(0, Ordering::SeqCst);
    assert_eq!(VERDICT.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------- versions, statuses, last error

#[test]
fn status_codes_have_the_documented_values() {
    let expected = [0, 1, 2, 3, -1, -2, -3, -4, -5, -6, -7, -8];
    for ((value, name), want) in ALL_STATUSES.iter().zip(expected) {
        assert_eq!(*value, want, "{name}");
    }
}

#[test]
fn status_str_names_every_code_and_unknown_ones() {
    let mut phrases = Vec::new();
    for (code, name) in ALL_STATUSES {
        let p = bili_qr_status_str(code);
        let s = static_str(p);
        assert!(!s.is_empty(), "{name}");
        assert_ne!(s, "unknown status", "{name} must have its own phrase");
        assert!(s.is_ascii() && !s.contains('\n'), "{name}: {s:?}");
        assert_eq!(bili_qr_status_str(code), p, "{name}: static pointer");
        phrases.push(s);
    }
    let mut unique = phrases.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        phrases.len(),
        "phrases are distinct: {phrases:?}"
    );
    for code in [4, 5, -9, -100, 100, 10018101, c_int::MAX, c_int::MIN] {
        assert_eq!(
            static_str(bili_qr_status_str(code)),
            "unknown status",
            "{code}"
        );
    }
}

#[test]
fn last_error_starts_empty_is_set_by_errors_and_cleared_by_success() {
    std::thread::spawn(|| {
        // A fresh thread: never NULL, "".
        assert_eq!(last_error(), "");
        let e = set_some_error();
        assert_eq!(last_error(), e, "stable until the next call");
        // A call returning >= 0 clears it.
        render("hello", "matrix").expect(BILI_QR_OK);
        assert_eq!(last_error(), "");
        set_some_error();
        // cancel returning 0 is a status >= 0 too.
        let r = cancel("idle-ticket-nobody-waits");
        assert_eq!(r.status, 0);
        assert_eq!(last_error(), "");
        // The pointer stays valid until the next call on this thread.
        set_some_error();
        let p = bili_qr_last_error();
        let copy = static_str(p);
        let _ = bili_qr_version();
        assert_eq!(static_str(p), copy);
    })
    .join()
    .unwrap();
}

#[test]
fn last_error_is_left_alone_by_the_pure_functions() {
    let e = set_some_error();
    let _ = bili_qr_abi_version();
    assert_eq!(last_error(), e, "abi_version");
    let _ = bili_qr_version();
    assert_eq!(last_error(), e, "version");
    for code in [0, -1, 42] {
        let _ = bili_qr_status_str(code);
    }
    assert_eq!(last_error(), e, "status_str");
    let _ = bili_qr_last_error();
    let _ = bili_qr_last_error();
    assert_eq!(last_error(), e, "last_error");
    unsafe { bili_qr_free(std::ptr::null_mut()) };
    assert_eq!(last_error(), e, "free(NULL)");
    // free of a real string.
    let mut out = DANGLING;
    let t = c("x");
    let f = c("matrix");
    assert_eq!(
        unsafe { bili_qr_render(t.as_ptr(), f.as_ptr(), &mut out) },
        BILI_QR_OK
    );
    assert_eq!(last_error(), "");
    let e = set_some_error();
    unsafe { bili_qr_free(out) };
    assert_eq!(last_error(), e, "free");
}

#[test]
fn last_error_is_per_thread() {
    use std::sync::{Arc, Barrier};
    let barrier = Arc::new(Barrier::new(2));
    let b = barrier.clone();
    // Thread A makes an error and keeps it while B works; B never sees A's message.
    let a = std::thread::spawn(move || {
        let e = set_some_error();
        b.wait(); // A has its error
        b.wait(); // B checked and made its own error
        assert_eq!(last_error(), e, "B's calls must not change A's message");
    });
    let b = barrier.clone();
    let bt = std::thread::spawn(move || {
        b.wait();
        assert_eq!(last_error(), "", "A's error must not show on B");
        let r = render("", "utf8").expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("text"), "{}", r.error);
        b.wait();
        assert_eq!(last_error(), r.error);
    });
    a.join().unwrap();
    bt.join().unwrap();
}

#[test]
fn free_accepts_null() {
    unsafe { bili_qr_free(std::ptr::null_mut()) };
}

// ---------------------------------------------------------------- out-parameters, NULL, non-UTF-8

#[test]
fn null_out_parameter_is_an_argument_error_and_sends_nothing() {
    let env = Env::new("id=nullout,flow=w");
    let o = c(&env.default_opts());
    let t = c("nullout0ticket");
    let st = unsafe { bili_qr_start(o.as_ptr(), std::ptr::null_mut()) };
    let r = finish(st, std::ptr::null_mut(), false).expect_err(BILI_QR_ERR_ARGUMENT, &["out_json"]);
    assert!(r.error.contains("NULL"), "{}", r.error);
    let st = unsafe { bili_qr_poll(t.as_ptr(), o.as_ptr(), std::ptr::null_mut()) };
    finish(st, std::ptr::null_mut(), false).expect_err(BILI_QR_ERR_ARGUMENT, &["out_json"]);
    let st = unsafe {
        bili_qr_wait(
            t.as_ptr(),
            o.as_ptr(),
            None,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    finish(st, std::ptr::null_mut(), false).expect_err(BILI_QR_ERR_ARGUMENT, &["out_json"]);
    let f = c("utf8");
    let st = unsafe { bili_qr_render(t.as_ptr(), f.as_ptr(), std::ptr::null_mut()) };
    finish(st, std::ptr::null_mut(), false).expect_err(BILI_QR_ERR_ARGUMENT, &["out"]);
    assert!(env.log().is_empty(), "nothing may be sent: {:?}", env.log());
}

#[test]
fn null_required_arguments_are_argument_errors() {
    let env = Env::new("id=nullargs,flow=w");
    let o = c(&env.default_opts());
    let text = c("hello");
    let fmt = c("utf8");
    let null = std::ptr::null();
    let r = call_out(|out| unsafe { bili_qr_poll(null, o.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["ticket", "NULL"]);
    let r =
        call_out(|out| unsafe { bili_qr_wait(null, o.as_ptr(), None, std::ptr::null_mut(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["ticket", "NULL"]);
    let st = unsafe { bili_qr_cancel(null) };
    finish(st, std::ptr::null_mut(), false).expect_err(BILI_QR_ERR_ARGUMENT, &["ticket", "NULL"]);
    let r = call_out(|out| unsafe { bili_qr_render(null, fmt.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["text", "NULL"]);
    let r = call_out(|out| unsafe { bili_qr_render(text.as_ptr(), null, out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["format", "NULL"]);
    assert!(env.log().is_empty());
}

#[test]
fn non_utf8_arguments_are_argument_errors_on_every_function() {
    let env = Env::new("id=nonutf8,flow=w");
    let bad = std::ffi::CString::new(vec![b'a', 0xff, 0xfe, b'b']).unwrap();
    let bad_json = std::ffi::CString::new(b"{\"locale\":\"\xc3\x28\"}".to_vec()).unwrap();
    let o = c(&env.default_opts());
    let t = c("nonutf8ticket");
    let text = c("hello");
    let fmt = c("svg");
    let r = call_out(|out| unsafe { bili_qr_start(bad.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["options_json", "UTF-8"]);
    let r = call_out(|out| unsafe { bili_qr_start(bad_json.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["options_json", "UTF-8"]);
    let r = call_out(|out| unsafe { bili_qr_poll(bad.as_ptr(), o.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["ticket", "UTF-8"]);
    let r = call_out(|out| unsafe { bili_qr_poll(t.as_ptr(), bad.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["options_json", "UTF-8"]);
    let r = call_out(|out| unsafe {
        bili_qr_wait(bad.as_ptr(), o.as_ptr(), None, std::ptr::null_mut(), out)
    });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["ticket", "UTF-8"]);
    let r = call_out(|out| unsafe {
        bili_qr_wait(t.as_ptr(), bad.as_ptr(), None, std::ptr::null_mut(), out)
    });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["options_json", "UTF-8"]);
    let st = unsafe { bili_qr_cancel(bad.as_ptr()) };
    finish(st, std::ptr::null_mut(), false).expect_err(BILI_QR_ERR_ARGUMENT, &["ticket", "UTF-8"]);
    let r = call_out(|out| unsafe { bili_qr_render(bad.as_ptr(), fmt.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["text", "UTF-8"]);
    let r = call_out(|out| unsafe { bili_qr_render(text.as_ptr(), bad.as_ptr(), out) });
    r.expect_err(BILI_QR_ERR_ARGUMENT, &["format", "UTF-8"]);
    assert!(env.log().is_empty());
}

// ---------------------------------------------------------------- tickets

/// Malformed tickets (each message must mention "ticket").
fn bad_tickets() -> Vec<String> {
    vec![
        String::new(),
        "Q".repeat(129),
        "Zq7Xw9kLm2 spaced".into(),
        "Zq7Xw9kLm2/slash".into(),
        "Zq7Xw9kLm2+plus".into(),
        "Zq7Xw9kLm2%41pct".into(),
        "Zq7Xw9kLm2é".into(),
        "Zq7Xw9kLm2\tTab".into(),
        "Zq7Xw9kLm2=eq".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login?foo=Zq7Xw9kLm2".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login?ticket=".into(),
        "https://www.bilibili.tv/h5/en/qrcode/login?ticket=Zq7X%20w9kLm2".into(),
        format!(
            "https://www.bilibili.tv/h5/en/qrcode/login?ticket={}",
            "Q".repeat(129)
        ),
    ]
}

/// The bad tickets carry `Zq7Xw9kLm2` or `QQQQ…`: no message may repeat more than 6 characters of them.
#[track_caller]
fn assert_no_marker(message: &str) {
    assert!(
        !message.contains("Zq7Xw9k") && !message.contains("QQQQQQQ"),
        "a message repeats the ticket: {message}"
    );
}

#[test]
fn malformed_tickets_are_argument_errors_and_nothing_is_sent() {
    let env = Env::new("id=badtickets,flow=w");
    let opts = env.default_opts();
    for t in bad_tickets() {
        let r = poll(&t, Some(&opts)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("ticket"), "{t:?}: {}", r.error);
        assert_no_marker(&r.error);
        let r = wait(&t, Some(&opts)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("ticket"), "{t:?}: {}", r.error);
        assert_no_marker(&r.error);
        let r = cancel(&t).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains("ticket"), "{t:?}: {}", r.error);
        assert_no_marker(&r.error);
    }
    assert!(
        env.log().is_empty(),
        "a malformed ticket must send nothing: {:?}",
        env.log()
    );
}

#[test]
fn ticket_length_bounds_1_and_128_are_accepted() {
    let env = Env::new("id=ticketbounds,flow=w");
    let opts = env.default_opts();
    for t in ["Z".to_owned(), "Ab-_.~".repeat(21) + "xy"] {
        assert!(t.len() == 1 || t.len() == 128);
        let r = poll(&t, Some(&opts)).expect(BILI_QR_WAITING);
        assert_eq!(r.json()["status"], "waiting");
    }
    let sent: Vec<String> = env
        .fetches()
        .iter()
        .map(|r| r.query["ticket"].clone())
        .collect();
    assert_eq!(sent, ["Z".to_owned(), "Ab-_.~".repeat(21) + "xy"]);
}

// ---------------------------------------------------------------- options

/// (options JSON, key the message must name). Every key: wrong type, below/above range, bad values.
fn bad_options(port: u16) -> Vec<(String, &'static str)> {
    let base = format!("http://127.0.0.1:{port}/s/id=badopts");
    let long = |n: usize| "a".repeat(n);
    let mut v: Vec<(Value, &'static str)> = vec![
        // base_url
        (json!({"base_url": 5}), "base_url"),
        (json!({"base_url": null}), "base_url"),
        (json!({"base_url": ""}), "base_url"),
        (
            json!({"base_url": "ftp://passport.bilibili.tv"}),
            "base_url",
        ),
        (json!({"base_url": "passport.bilibili.tv"}), "base_url"),
        (
            json!({"base_url": "http://passport.bilibili.tv"}),
            "base_url",
        ),
        (json!({"base_url": "http://10.0.0.1:80"}), "base_url"),
        (
            json!({"base_url": "https://passport.bilibili.tv/?a=1"}),
            "base_url",
        ),
        (
            json!({"base_url": "https://passport.bilibili.tv/#frag"}),
            "base_url",
        ),
        (
            json!({"base_url": "https://user:pw@passport.bilibili.tv/"}),
            "base_url",
        ),
        (json!({"base_url": format!("{base}?x=1")}), "base_url"),
        (json!({"base_url": "https://"}), "base_url"),
        (
            json!({"base_url": "https://pass port.bilibili.tv"}),
            "base_url",
        ),
        // locale / platform
        (json!({"locale": 1}), "locale"),
        (json!({"locale": ""}), "locale"),
        (json!({"locale": long(17)}), "locale"),
        (json!({"locale": "en US"}), "locale"),
        (json!({"locale": "en.US"}), "locale"),
        (json!({"locale": "ü"}), "locale"),
        (json!({"platform": true}), "platform"),
        (json!({"platform": ""}), "platform"),
        (json!({"platform": long(17)}), "platform"),
        (json!({"platform": "web&x=1"}), "platform"),
        // timeout_ms
        (json!({"timeout_ms": "5000"}), "timeout_ms"),
        (json!({"timeout_ms": 0}), "timeout_ms"),
        (json!({"timeout_ms": -1}), "timeout_ms"),
        (json!({"timeout_ms": 600001}), "timeout_ms"),
        (json!({"timeout_ms": 1.5}), "timeout_ms"),
        (json!({"timeout_ms": null}), "timeout_ms"),
        // user_agent
        (json!({"user_agent": 7}), "user_agent"),
        (json!({"user_agent": ""}), "user_agent"),
        (json!({"user_agent": long(513)}), "user_agent"),
        (json!({"user_agent": "Mozilla/5.0 é"}), "user_agent"),
        (json!({"user_agent": "Mozilla\r\nX-Evil: 1"}), "user_agent"),
        (json!({"user_agent": "tab\there"}), "user_agent"),
        // proxy
        (json!({"proxy": 8080}), "proxy"),
        (json!({"proxy": "ftp://127.0.0.1:21"}), "proxy"),
        (json!({"proxy": "127.0.0.1:3128"}), "proxy"),
        (json!({"proxy": "http://"}), "proxy"),
        (json!({"proxy": "http://127.0.0.1:3128 x"}), "proxy"),
        // poll_interval_ms
        (json!({"poll_interval_ms": "100"}), "poll_interval_ms"),
        (json!({"poll_interval_ms": 99}), "poll_interval_ms"),
        (json!({"poll_interval_ms": 60001}), "poll_interval_ms"),
        (json!({"poll_interval_ms": 150.5}), "poll_interval_ms"),
        // wait_timeout_ms
        (json!({"wait_timeout_ms": [1000]}), "wait_timeout_ms"),
        (json!({"wait_timeout_ms": 999}), "wait_timeout_ms"),
        (json!({"wait_timeout_ms": 3600001}), "wait_timeout_ms"),
        (json!({"wait_timeout_ms": -5000}), "wait_timeout_ms"),
        // max_retries
        (json!({"max_retries": "3"}), "max_retries"),
        (json!({"max_retries": -1}), "max_retries"),
        (json!({"max_retries": 101}), "max_retries"),
        (json!({"max_retries": 2.5}), "max_retries"),
        (json!({"max_retries": false}), "max_retries"),
        // unknown keys
        (json!({"bogus": 1}), "bogus"),
        (json!({"Timeout_ms": 1000}), "Timeout_ms"),
        (json!({"timeout": 1000}), "timeout"),
    ];
    // Keep the valid base_url next to each bad value, so the only fault is the named key.
    for (v, key) in v.iter_mut() {
        if *key != "base_url" {
            v["base_url"] = json!(base);
        }
    }
    let mut out: Vec<(String, &'static str)> =
        v.into_iter().map(|(v, k)| (v.to_string(), k)).collect();
    for text in [
        "{",
        "not json",
        "[1,2]",
        "[]",
        "5",
        "\"x\"",
        "null",
        "{\"a\":1,}",
    ] {
        out.push((text.to_owned(), "options_json"));
    }
    out
}

#[test]
fn every_bad_option_is_an_argument_error_naming_the_key_and_nothing_is_sent() {
    let env = Env::new("id=badopts,flow=w");
    for (json, key) in bad_options(env.srv.port()) {
        let r = start(Some(&json)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains(key), "start {json}: {}", r.error);
        let r = poll("badoptsticket", Some(&json)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains(key), "poll {json}: {}", r.error);
        let r = wait("badoptsticket", Some(&json)).expect(BILI_QR_ERR_ARGUMENT);
        assert!(r.error.contains(key), "wait {json}: {}", r.error);
    }
    assert!(
        env.log().is_empty(),
        "bad options must send nothing: {:?}",
        env.log()
    );
}

#[test]
fn boundary_and_good_option_values_are_accepted_and_sent() {
    let env = Env::new("id=goodopts,flow=w");
    let ua = format!("UA {}", "x".repeat(509));
    assert_eq!(ua.len(), 512);
    let cases = [
        json!({"locale": "a", "platform": "b"}),
        json!({"locale": "Abcdefgh_1234-xy", "platform": "Abcdefgh_1234-xy"}),
        json!({"timeout_ms": 600000}),
        json!({"user_agent": ua}),
        json!({"user_agent": "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"}),
        json!({"poll_interval_ms": 100, "wait_timeout_ms": 1000, "max_retries": 0}),
        json!({"poll_interval_ms": 60000, "wait_timeout_ms": 3600000, "max_retries": 100}),
        json!({"proxy": ""}),
        json!({"base_url": format!("{}/", env.base())}),
        json!({"base_url": env.base().replace("127.0.0.1", "localhost")}),
        json!({"base_url": env.base().replace("http://", "HTTP://")}),
    ];
    for extra in cases {
        let opts = env.opts(extra.clone());
        let r = poll("goodoptsticket", Some(&opts)).expect(BILI_QR_WAITING);
        assert_eq!(r.json()["status"], "waiting", "{extra}");
    }
    let log = env.fetches();
    assert_eq!(log.len(), 11);
    assert_eq!(log[0].query["s_locale"], "a");
    assert_eq!(log[0].query["platform"], "b");
    assert_eq!(log[1].query["s_locale"], "Abcdefgh_1234-xy");
    assert_eq!(log[1].query["platform"], "Abcdefgh_1234-xy");
    assert_eq!(log[3].headers["user-agent"], ua);
    // A trailing slash is ignored: the same path as without it.
    assert_eq!(log[8].path, log[0].path);
    assert_eq!(
        log[0].path,
        "/s/id=goodopts,flow=w/x/intl/passport-login/qrcode/auth/fetch"
    );
    // A timeout of 1 ms is a valid value (the request may then time out, but it is no argument error).
    let opts = env.opts(json!({"timeout_ms": 1}));
    let r = poll("goodoptsticket", Some(&opts));
    assert!(
        [BILI_QR_WAITING, BILI_QR_ERR_TIMEOUT].contains(&r.status),
        "{r:?}"
    );
    // Any socks5:// / https:// proxy URL is a valid value.
    for proxy in [
        "socks5://127.0.0.1:1",
        "https://127.0.0.1:1",
        "http://127.0.0.1:1",
    ] {
        let opts = env.opts(json!({"proxy": proxy}));
        let r = poll("goodoptsticket", Some(&opts));
        assert_ne!(r.status, BILI_QR_ERR_ARGUMENT, "{proxy}: {}", r.error);
    }
}

#[test]
fn an_explicit_proxy_option_is_used() {
    let env = Env::new("id=proxyopt,flow=w");
    let proxy = FakeProxy::start();
    let opts = env.opts(json!({"proxy": format!("http://127.0.0.1:{}", proxy.port)}));
    let r = poll("proxyoptticket", Some(&opts)).expect(BILI_QR_ERR_NETWORK);
    assert!(!r.error.is_empty());
    assert!(
        env.log().is_empty(),
        "the request must go through the proxy only"
    );
    let lines = proxy.lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains(&format!("127.0.0.1:{}", env.srv.port())),
        "the proxy is asked for the server: {lines:?}"
    );
}

#[test]
fn options_with_only_a_base_url_take_every_other_default() {
    // NULL, "" and "{}" (no base_url at all) are proven by tests/abi_defaults.rs.
    let env = Env::new("id=onlybase,flow=w");
    for json in [
        format!("{{\"base_url\":\"{}\"}}", env.base()),
        format!(" {{ \"base_url\" : \"{}\" }} ", env.base()),
    ] {
        let r = poll("onlybaseticket", Some(&json)).expect(BILI_QR_WAITING);
        assert_eq!(r.json()["status"], "waiting");
    }
    for rec in env.fetches() {
        assert_eq!(rec.query["s_locale"], "en_US", "default locale");
        assert_eq!(rec.query["platform"], "web", "default platform");
        let ua = &rec.headers["user-agent"];
        assert!(
            ua.starts_with("Mozilla/5.0 ("),
            "a browser-like default User-Agent: {ua}"
        );
    }
}

/// A small deterministic generator for the robustness test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, max: usize, alphabet: &[u8]) -> Vec<u8> {
        let n = (self.next() % (max as u64 + 1)) as usize;
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .filter(|b| *b != 0)
            .collect()
    }
}

#[test]
fn arbitrary_inputs_never_crash_and_keep_the_rules() {
    // Options always point at a closed loopback port (nothing leaves the machine); tickets, option
    // texts, render texts and formats are random bytes, mostly invalid.
    let port = closed_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let all: Vec<u8> = (1..=255).collect();
    let json_ish = b"{}[]\",:0123456789.-eE truefalsnbase_urltimeout_msproxy\\u00";
    for i in 0..300 {
        let alphabet: &[u8] = if i % 2 == 0 { &all } else { json_ish };
        let opts = std::ffi::CString::new(rng.bytes(60, alphabet)).unwrap();
        let ticket = std::ffi::CString::new(rng.bytes(140, &all)).unwrap();
        let text = std::ffi::CString::new(rng.bytes(80, &all)).unwrap();
        let format = std::ffi::CString::new(rng.bytes(8, b"utf8svgmatrix")).unwrap();
        // Options that could be valid without a base_url would reach the real service: skipped.
        let lossy = String::from_utf8_lossy(opts.as_bytes());
        let maybe_valid = lossy.trim().is_empty()
            || matches!(serde_json::from_str::<Value>(&lossy), Ok(Value::Object(_)));
        if !maybe_valid {
            let r = call_out(|out| unsafe { bili_qr_start(opts.as_ptr(), out) });
            r.expect(BILI_QR_ERR_ARGUMENT);
        }
        let good =
            std::ffi::CString::new(format!("{{\"base_url\":\"{base}\",\"timeout_ms\":2000}}"))
                .unwrap();
        let r = call_out(|out| unsafe { bili_qr_poll(ticket.as_ptr(), good.as_ptr(), out) });
        assert!(
            [BILI_QR_ERR_ARGUMENT, BILI_QR_ERR_NETWORK].contains(&r.status),
            "{r:?}"
        );
        let st = unsafe { bili_qr_cancel(ticket.as_ptr()) };
        let r = finish(st, std::ptr::null_mut(), false);
        assert!(r.status == 0 || r.status == BILI_QR_ERR_ARGUMENT, "{r:?}");
        let r = call_out(|out| unsafe { bili_qr_render(text.as_ptr(), format.as_ptr(), out) });
        assert!(
            [BILI_QR_OK, BILI_QR_ERR_ARGUMENT].contains(&r.status),
            "{r:?}"
        );
    }
}

#[test]
fn huge_and_deeply_nested_inputs_are_argument_errors() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_obj = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    let huge_string = format!("{{\"user_agent\":\"{}\"}}", "a".repeat(4 << 20));
    for opts in [deep.as_str(), deep_obj.as_str(), huge_string.as_str()] {
        start(Some(opts)).expect(BILI_QR_ERR_ARGUMENT);
    }
    let big = "a".repeat(1 << 20);
    poll(&big, None).expect_err(BILI_QR_ERR_ARGUMENT, &["ticket"]);
    cancel(&big).expect(BILI_QR_ERR_ARGUMENT);
    render(&big, "utf8").expect_err(BILI_QR_ERR_ARGUMENT, &["text"]);
    render("x", &big).expect_err(BILI_QR_ERR_ARGUMENT, &["format"]);
}

// ---------------------------------------------------------------- render

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
            let (top, bottom) = match ch {
                ' ' => (false, false),
                '▀' => (true, false),
                '▄' => (false, true),
                '█' => (true, true),
                other => panic!("utf8 drawing has {other:?}"),
            };
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
