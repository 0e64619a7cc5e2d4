//! The rules every function shares: status codes and strings, the last error, out-parameters, NULL and
//! non-UTF-8 arguments, free, and arbitrary or huge inputs (never a crash).

use crate::common::*;
use crate::ALL_STATUSES;
use bili_qr::ffi::*;
use serde_json::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};

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
        // The first release of the watched block claims it (other tests of this binary run on other
        // threads and may be given the same address again at once).
        if !p.is_null()
            && WATCHED
                .compare_exchange(p as usize, 0, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
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
