//! "Errors with the result" (docs/ABI.md, ABI 2): every `_ex` twin hands out the same message as
//! `bili_qr_last_error()`, on argument errors too, on any thread; a NULL `out_error` changes nothing; a
//! status >= 0 leaves it NULL. The helpers of tests/common check the rules on every call.

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::json;
use std::ffi::{c_char, CStr};

#[test]
fn ex_twins_hand_out_the_message_of_argument_errors() {
    // Bad options, a bad ticket, a bad format: nothing is sent, the message comes with the result.
    let r = start_ex(Some("{\"timeout_ms\":0}"));
    r.outcome
        .clone()
        .expect_err(BILI_QR_ERR_ARGUMENT, &["timeout_ms"]);
    assert!(r
        .out_error
        .as_deref()
        .is_some_and(|m| m.contains("timeout_ms")));
    poll_ex("not a ticket!", None)
        .outcome
        .expect(BILI_QR_ERR_ARGUMENT);
    wait_ex("", None).outcome.expect(BILI_QR_ERR_ARGUMENT);
    let r = render_ex("hello", "png");
    r.outcome.expect_err(BILI_QR_ERR_ARGUMENT, &["format"]);
}

#[test]
fn ex_twins_report_a_null_out_json_and_null_strings() {
    for case in 0..5 {
        let mut err: *mut c_char = DANGLING;
        let ticket = c("abcdef");
        let status = unsafe {
            match case {
                0 => bili_qr_start_ex(std::ptr::null(), std::ptr::null_mut(), &mut err),
                1 => bili_qr_poll_ex(
                    ticket.as_ptr(),
                    std::ptr::null(),
                    std::ptr::null_mut(),
                    &mut err,
                ),
                2 => bili_qr_wait_ex(
                    ticket.as_ptr(),
                    std::ptr::null(),
                    None,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    &mut err,
                ),
                3 => bili_qr_render_ex(
                    ticket.as_ptr(),
                    c"svg".as_ptr(),
                    std::ptr::null_mut(),
                    &mut err,
                ),
                _ => {
                    let mut out: *mut c_char = DANGLING;
                    bili_qr_poll_ex(std::ptr::null(), std::ptr::null(), &mut out, &mut err)
                }
            }
        };
        assert_eq!(status, BILI_QR_ERR_ARGUMENT, "case {case}");
        assert!(
            !err.is_null() && err != DANGLING,
            "case {case}: out_error set"
        );
        let text = unsafe { CStr::from_ptr(err) }.to_str().unwrap().to_owned();
        unsafe { bili_qr_free(err) };
        assert_eq!(text, last_error(), "case {case}");
        assert!(text.contains("NULL"), "case {case}: {text}");
    }
}

#[test]
fn a_null_out_error_behaves_like_the_plain_function() {
    let env = Env::new("id=ex-null,fault=412");
    let opts = env.default_opts();
    let o = c(&opts);
    let plain = call_out(|out| unsafe { bili_qr_start(o.as_ptr(), out) });
    let ex = call_out(|out| unsafe { bili_qr_start_ex(o.as_ptr(), out, std::ptr::null_mut()) });
    assert_eq!((plain.status, &plain.error), (ex.status, &ex.error));
    plain.expect_err(BILI_QR_ERR_HTTP, &["412"]);
    let t = c("abcdef");
    let f = c("matrix");
    let plain = call_out(|out| unsafe { bili_qr_render(t.as_ptr(), f.as_ptr(), out) });
    let ex = call_out(|out| unsafe {
        bili_qr_render_ex(t.as_ptr(), f.as_ptr(), out, std::ptr::null_mut())
    });
    assert_eq!(plain.expect(BILI_QR_OK).out, ex.expect(BILI_QR_OK).out);
}

#[test]
fn success_leaves_out_error_null() {
    let env = Env::new("id=ex-ok");
    let r = start_ex(Some(&env.default_opts()));
    let ticket = r.outcome.expect(BILI_QR_OK).json()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = poll_ex(&ticket, Some(&env.default_opts()));
    assert_eq!(r.out_error, None);
    r.outcome.expect(BILI_QR_WAITING);
    let r = render_ex("x", "utf8");
    assert_eq!(r.out_error, None);
    r.outcome.expect(BILI_QR_OK);
}

/// `bili_qr_poll_ex` on a fresh ticket of a login under `scenario`, with the default options.
fn poll_ex_under(scenario: &str) -> Outcome {
    let env = Env::new(scenario);
    let ticket = env.new_ticket();
    poll_ex(&ticket, Some(&env.default_opts())).outcome
}

#[test]
fn server_faults_come_with_the_librarys_message_and_advice() {
    let env = Env::new("id=ex-412,fault=412");
    let r = start_ex(Some(&env.default_opts()));
    r.outcome
        .expect_err(BILI_QR_ERR_HTTP, &["412", "risk control", "slow down"]);
    poll_ex_under("id=ex-404,fault=404,on=fetch").expect_err(BILI_QR_ERR_HTTP, &["404"]);
    let env = Env::new("id=ex-503,fault=503,on=fetch");
    let ticket = env.new_ticket();
    let r = wait_ex(&ticket, Some(&env.opts(json!({"max_retries": 0}))));
    r.outcome.expect_err(BILI_QR_ERR_HTTP, &["503", "gave up"]);
    poll_ex_under("id=ex-api,fault=api-412,on=fetch").expect_err(BILI_QR_ERR_API, &["-412"]);
    poll_ex_under("id=ex-nocookies,flow=c,fault=nocookies")
        .expect_err(BILI_QR_ERR_PROTOCOL, &["SESSDATA"]);
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let r = start_ex(Some(
        &json!({"base_url": closed, "timeout_ms": 2000}).to_string(),
    ));
    r.outcome.expect(BILI_QR_ERR_NETWORK);
}

#[test]
fn the_message_is_readable_on_another_thread_than_the_call() {
    // The caller's pattern: the call runs on a worker, the report happens elsewhere. The worker's last
    // error is out of reach on the reporting thread; out_error carries the message across.
    let env = Env::new("id=ex-thread,fault=412");
    let opts = env.default_opts();
    let worker = std::thread::spawn(move || {
        let o = c(&opts);
        let mut out: *mut c_char = DANGLING;
        let mut err: *mut c_char = DANGLING;
        let status = unsafe { bili_qr_start_ex(o.as_ptr(), &mut out, &mut err) };
        assert!(out.is_null());
        (status, err as usize, last_error())
    });
    let (status, err, worker_message) = worker.join().expect("worker");
    assert_eq!(status, BILI_QR_ERR_HTTP);
    let err = err as *mut c_char;
    assert!(!err.is_null());
    let text = unsafe { CStr::from_ptr(err) }.to_str().unwrap().to_owned();
    unsafe { bili_qr_free(err) };
    assert_eq!(text, worker_message);
    assert!(text.contains("412") && text.contains("slow down"), "{text}");
    // This thread's own last error was not touched by the worker.
    assert_ne!(last_error(), text);
}

#[test]
fn ex_messages_hold_no_secret() {
    // A ticket repeated in options must not come back in out_error beyond its first 6 characters.
    let env = Env::new("id=ex-secret");
    let ticket = env.new_ticket();
    let opts = format!("{{\"{ticket}\":1}}");
    let r = poll_ex(&ticket, Some(&opts));
    let m = r.outcome.expect(BILI_QR_ERR_ARGUMENT).error;
    assert_no_secret(&m, std::slice::from_ref(&ticket));
    env.check_secrets();
}
