//! bili_qr_wait: confirmation, progress callbacks, timeouts, retries with backoff, errors that end it.

use crate::common::login::*;
use crate::common::*;
use bili_qr::ffi::*;
use serde_json::{json, Value};
use service::KEPT;
use std::ffi::{c_int, c_void};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn wait_confirms_and_reports_progress() {
    let env = Env::new("id=wait1,flow=wwsc");
    let ticket = env.new_ticket();
    let progress = Progress::default();
    let t0 = now_unix();
    let r = wait_with(
        &ticket,
        Some(&env.default_opts()),
        progress_fn(),
        user_data(&progress),
    )
    .expect(BILI_QR_OK);
    let t1 = now_unix();
    let v = r.json();
    assert_eq!(v["status"], "confirmed");
    let rec = env.fetches().pop().unwrap();
    let kept = kept(&rec.set_cookies, t1);
    for (obj, sc) in v["cookies"].as_array().unwrap().iter().zip(&kept) {
        assert_cookie_matches(obj, sc, t0, t1);
    }
    assert_eq!(v["cookies"].as_array().unwrap().len(), KEPT.len());
    let events = progress.events.lock().unwrap();
    let seen: Vec<(c_int, Value)> = events.iter().map(|(s, v, _)| (*s, v.clone())).collect();
    let w = json!({"status": "waiting", "code": 10018101, "message": "Not scanned"});
    let s = json!({"status": "scanned", "code": 10018102, "message": "Scanned, waiting for confirmation"});
    assert_eq!(
        seen,
        [
            (BILI_QR_WAITING, w.clone()),
            (BILI_QR_WAITING, w),
            (BILI_QR_SCANNED, s)
        ]
    );
    for (_, _, ud) in events.iter() {
        assert_eq!(
            *ud,
            user_data(&progress) as usize,
            "user_data passed through"
        );
    }
    assert_eq!(env.fetches().len(), 4);
}

#[test]
fn wait_without_a_callback_and_wait_to_expiry() {
    let env = Env::new("id=wait2,flow=wse");
    let v = wait("waitexpire01", Some(&env.default_opts()))
        .expect(BILI_QR_EXPIRED)
        .json();
    assert_eq!(
        v,
        json!({"status": "expired", "code": 10018100, "message": "QR code expired"})
    );
    assert_eq!(env.fetches().len(), 3);
}

#[test]
fn a_callback_returning_non_zero_cancels_the_wait() {
    let env = Env::new("id=wait3,flow=w");
    let progress = Progress {
        cancel_after: Some(2),
        ..Default::default()
    };
    let r = wait_with(
        "waitcb01",
        Some(&env.default_opts()),
        progress_fn(),
        user_data(&progress),
    )
    .expect(BILI_QR_ERR_CANCELLED);
    assert!(r.error.contains("callback"), "{}", r.error);
    assert_eq!(progress.events.lock().unwrap().len(), 2);
    assert_eq!(
        env.fetches().len(),
        2,
        "no poll after the callback said stop"
    );
}

/// `user_data` of [`on_waiting_thread`]: the thread that called `bili_qr_wait`, and what was seen.
struct ThreadCheck {
    waiter: Mutex<Option<thread::ThreadId>>,
    calls: Mutex<Vec<bool>>,
}

/// A progress callback that records whether it runs on the waiting thread, and returns -1 (any
/// non-zero value cancels) on its second call.
unsafe extern "C" fn on_waiting_thread(
    _status: c_int,
    _event: *const std::ffi::c_char,
    user_data: *mut c_void,
) -> c_int {
    let check = &*(user_data as *const ThreadCheck);
    let same = *check.waiter.lock().unwrap() == Some(thread::current().id());
    let mut calls = check.calls.lock().unwrap();
    calls.push(same);
    if calls.len() >= 2 {
        -1
    } else {
        0
    }
}

#[test]
fn progress_runs_on_the_waiting_thread_and_any_non_zero_return_cancels() {
    let env = Env::new("id=cbthread,flow=w");
    let check = ThreadCheck {
        waiter: Mutex::new(None),
        calls: Mutex::new(Vec::new()),
    };
    let opts = env.default_opts();
    thread::scope(|s| {
        s.spawn(|| {
            *check.waiter.lock().unwrap() = Some(thread::current().id());
            let ud = &check as *const ThreadCheck as *mut c_void;
            wait_with("cbthreadticket", Some(&opts), Some(on_waiting_thread), ud)
                .expect(BILI_QR_ERR_CANCELLED);
        });
    });
    assert_eq!(*check.calls.lock().unwrap(), [true, true]);
    assert_eq!(env.fetches().len(), 2);
}

/// A wait on `ticket` under `scenario` with the options `extra` and `wait_timeout_ms` 1000 ends with
/// ERR_TIMEOUT, not before that second, and within 10 s: each scenario makes a wait that ran on past its
/// deadline take 30 s or more (or end with another status), so the bound is far from both. The environment
/// and the wait's outcome.
#[track_caller]
fn wait_ends_at_wait_timeout_ms(scenario: &str, ticket: &str, extra: Value) -> (Env, Outcome) {
    let env = Env::new(scenario);
    let opts = env.opts(merged(json!({"wait_timeout_ms": 1000}), extra));
    let (r, took) = timed(|| wait(ticket, Some(&opts)).expect(BILI_QR_ERR_TIMEOUT));
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(10),
        "{took:?}"
    );
    (env, r)
}

#[test]
fn wait_timeout_ms_also_bounds_a_request_in_flight() {
    wait_ends_at_wait_timeout_ms(
        "id=waittimeout2,fault=slow,delay=30000,flow=w",
        "c0ffee77aa02",
        json!({"timeout_ms": 60000}),
    );
}

#[test]
fn wait_times_out_after_wait_timeout_ms() {
    // The ticket expires after 30 s: a wait that ignored its deadline would end EXPIRED then.
    let (env, r) = wait_ends_at_wait_timeout_ms(
        "id=waittimeout,flow=w,expire=30000",
        "c0ffee77aa01",
        json!({}),
    );
    assert!(r.error.contains("wait_timeout_ms"), "{}", r.error);
    assert!(env.fetches().len() >= 3, "it kept polling every 100 ms");
}

#[test]
fn wait_retries_transient_5xx_then_succeeds() {
    let env = Env::new("id=retry1,fault=503,times=2,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 3}));
    let v = wait("retryticket1", Some(&opts)).expect(BILI_QR_OK).json();
    assert_eq!(v["status"], "confirmed");
    let st: Vec<u16> = env.fetches().iter().map(|r| r.status).collect();
    assert_eq!(st, [503, 503, 200]);
}

#[test]
fn wait_gives_up_after_max_retries_transient_failures() {
    let env = Env::new("id=retry2,fault=503,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 1}));
    let r = wait("retryticket2", Some(&opts)).expect(BILI_QR_ERR_HTTP);
    assert!(r.error.contains("503"), "{}", r.error);
    assert_eq!(env.fetches().len(), 2, "the request and exactly 1 retry");
    let env = Env::new("id=retry2b,fault=502,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 0}));
    wait("retryticket2", Some(&opts)).expect(BILI_QR_ERR_HTTP);
    assert_eq!(env.fetches().len(), 1, "max_retries 0: no retry");
}

#[test]
fn wait_backs_off_with_growing_pauses_between_retries() {
    // poll_interval_ms 100 and 3 retries: growing pauses take well over 3 x 100 ms.
    let env = Env::new("id=backoff,fault=500,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 3}));
    let (_, took) = timed(|| wait("backoffticket", Some(&opts)).expect(BILI_QR_ERR_HTTP));
    assert_eq!(env.fetches().len(), 4);
    assert!(
        took >= Duration::from_millis(600),
        "pauses did not grow: {took:?}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn wait_timeout_ms_ends_a_retrying_wait() {
    // 100 retries with growing pauses (up to the backoff cap) would take minutes.
    wait_ends_at_wait_timeout_ms(
        "id=retrydeadline,fault=503,on=fetch,flow=c",
        "retrydeadline1",
        json!({"max_retries": 100}),
    );
}

#[test]
fn wait_ends_at_once_on_4xx_api_and_protocol_errors() {
    for (fault, st) in [
        ("412", BILI_QR_ERR_HTTP),
        ("404", BILI_QR_ERR_HTTP),
        ("api-412", BILI_QR_ERR_API),
        ("api-799", BILI_QR_ERR_API),
        ("notjson", BILI_QR_ERR_PROTOCOL),
        ("partialcookies", BILI_QR_ERR_PROTOCOL),
    ] {
        let env = Env::new(&format!("id=once,fault={fault},on=fetch,flow=c"));
        let opts = env.opts(json!({"max_retries": 5}));
        let r = wait("onceticket01", Some(&opts));
        assert_eq!(r.status, st, "{fault}: {}", r.error);
        assert_eq!(env.fetches().len(), 1, "{fault}: ends after one request");
    }
}

#[test]
fn wait_retries_a_reset_connection() {
    let env = Env::new("id=retry3,fault=reset,times=1,on=fetch,flow=c");
    let opts = env.opts(json!({"max_retries": 2}));
    wait("retryticket3", Some(&opts)).expect(BILI_QR_OK);
    let st: Vec<u16> = env.fetches().iter().map(|r| r.status).collect();
    assert_eq!(st, [0, 200], "reset, then the retry");
}

#[test]
fn wait_retries_a_request_timeout() {
    // The slow request times out (timeout_ms 300) and is retried; the next poll answers waiting and
    // the callback stops the wait: a per-request timeout did not end it. The slow answer comes after 30 s,
    // so a request that outlived timeout_ms would take that long: the 10 s bound is far from both.
    let env = Env::new("id=retry4,fault=slow,delay=30000,times=1,on=fetch,flow=w");
    let opts = env.opts(json!({"timeout_ms": 300, "max_retries": 2}));
    let progress = Progress {
        cancel_after: Some(1),
        ..Default::default()
    };
    let t = Instant::now();
    wait_with(
        "retryticket4",
        Some(&opts),
        progress_fn(),
        user_data(&progress),
    )
    .expect(BILI_QR_ERR_CANCELLED);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(progress.events.lock().unwrap().len(), 1);
}
