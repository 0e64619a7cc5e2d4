//! bili_qr_cancel and the callback's cancel: from another thread, in backoff, in flight, from the callback.

use crate::common::login::*;
use crate::common::*;
use bili_qr::ffi::*;
use serde_json::json;
use std::ffi::{c_int, c_void};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Starts a wait on another thread; returns its handle once its first poll has answered (it then sleeps).
fn spawn_wait(
    env: &Env,
    ticket: &str,
    opts: &str,
    tx: mpsc::Sender<()>,
) -> thread::JoinHandle<(Outcome, Instant)> {
    let _ = env;
    let (ticket, opts) = (ticket.to_owned(), opts.to_owned());
    thread::spawn(move || {
        let progress = Progress {
            notify: Mutex::new(Some(tx)),
            ..Default::default()
        };
        let r = wait_with(&ticket, Some(&opts), progress_fn(), user_data(&progress));
        (r, Instant::now())
    })
}

/// A login that stays waiting, with options of a 60 s poll interval: a wait on it sleeps after its first
/// poll. The environment (scenario `id=ID,flow=w`), the ticket and the options.
fn sleepy_login(id: &str) -> (Env, String, String) {
    let env = Env::new(&format!("id={id},flow=w"));
    let ticket = env.new_ticket();
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    (env, ticket, opts)
}

#[test]
fn cancel_from_another_thread_ends_a_sleeping_wait_promptly() {
    let (env, ticket, opts) = sleepy_login("cancel1");
    let (tx, rx) = mpsc::channel();
    let h = spawn_wait(&env, &ticket, &opts, tx);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the first poll answered");
    thread::sleep(Duration::from_millis(150)); // now it sleeps for 60 s
    let asked = Instant::now();
    let r = cancel(&ticket);
    assert_eq!(r.status, 1, "one wait signalled");
    let (r, ended) = h.join().unwrap();
    r.expect(BILI_QR_ERR_CANCELLED);
    let took = ended.duration_since(asked);
    assert!(took < Duration::from_secs(10), "cancel took {took:?}");
    assert_eq!(env.fetches().len(), 1);
    // Nothing runs on the ticket any more.
    assert_eq!(cancel(&ticket).status, 0);
}

#[test]
fn cancel_signals_every_wait_on_the_ticket_and_zero_when_idle() {
    let (env, ticket, opts) = sleepy_login("cancel2");
    let (tx, rx) = mpsc::channel();
    // One wait on the bare ticket, one on its qr_url: the same ticket.
    let qr_url = format!("https://www.bilibili.tv/h5/en/qrcode/login?ticket={ticket}");
    let a = spawn_wait(&env, &ticket, &opts, tx.clone());
    let b = spawn_wait(&env, &qr_url, &opts, tx);
    for _ in 0..2 {
        rx.recv_timeout(Duration::from_secs(10))
            .expect("both waits polled");
    }
    // A wait on another ticket is not touched (the cancel is kept for a wait on that ticket to come).
    assert_eq!(cancel("someotherticket").status, 0);
    let asked = Instant::now();
    assert_eq!(
        cancel(&format!("https://example.org/?ticket={ticket}")).status,
        2
    );
    for h in [a, b] {
        let (r, ended) = h.join().unwrap();
        r.expect(BILI_QR_ERR_CANCELLED);
        // Far from the 60 s poll interval a wait would sleep if the cancel did not reach it.
        assert!(ended.duration_since(asked) < Duration::from_secs(10));
    }
    assert_eq!(cancel(&ticket).status, 0);
}

#[test]
fn cancel_ends_a_wait_as_soon_as_its_request_in_flight_ends() {
    let env = Env::new("id=cancel3,fault=slow,delay=800,flow=w");
    let opts = env.opts(json!({"poll_interval_ms": 100}));
    let (tx, rx) = mpsc::channel();
    // Every request is in flight for 800 ms. Once the first poll has answered (the wait is registered),
    // the next one is sent after 100 ms and is then in flight.
    let h = spawn_wait(&env, "inflightticket", &opts, tx);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the first poll answered");
    thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    assert_eq!(cancel("inflightticket").status, 1);
    let (r, ended) = h.join().unwrap();
    r.expect(BILI_QR_ERR_CANCELLED);
    // A cancel not seen when the request in flight ends would leave the wait polling a ticket that never
    // confirms until its wait_timeout_ms (300 s by default): the 10 s bound is far from that and from the
    // 800 ms of one request.
    assert!(
        ended.duration_since(asked) < Duration::from_secs(10),
        "{:?}",
        ended.duration_since(asked)
    );
}

/// A cancel that arrives while a request is in flight ends the wait with ERR_CANCELLED whatever that request
/// answers (here: expired), except a confirmed login, which is still handed out (its ticket is spent).
#[test]
fn a_cancel_during_a_request_ends_the_wait_unless_that_request_confirms() {
    for (flow, expected) in [("we", BILI_QR_ERR_CANCELLED), ("wc", BILI_QR_OK)] {
        let env = Env::new(&format!(
            "id=cancelanswer{flow},fault=slow,delay=800,flow={flow}"
        ));
        let opts = env.opts(json!({"poll_interval_ms": 100}));
        let ticket = format!("cancelanswer{flow}");
        let (tx, rx) = mpsc::channel();
        let h = spawn_wait(&env, &ticket, &opts, tx);
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the first poll answered");
        // The second poll (expired, or confirmed) is now in flight for 800 ms.
        thread::sleep(Duration::from_millis(300));
        assert_eq!(cancel(&ticket).status, 1);
        let (r, _) = h.join().unwrap();
        r.expect(expected);
    }
}

#[test]
fn cancel_ends_a_wait_sleeping_in_backoff() {
    let env = Env::new("id=cancelbackoff,fault=503,on=fetch,flow=c");
    // The first retry pause is 2 x 30 s.
    let opts = env.opts(json!({"max_retries": 5, "poll_interval_ms": 30000}));
    let h = thread::spawn(move || {
        let r = wait("cancelbackoff1", Some(&opts));
        (r, Instant::now())
    });
    // Once the server has answered the first poll the wait is running (it registers before polling);
    // 100 ms later it most likely sleeps in its backoff, and a cancel before that is seen all the same.
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.fetches().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(env.fetches().len(), 1, "the wait polled");
    thread::sleep(Duration::from_millis(100));
    let asked = Instant::now();
    assert_eq!(cancel("cancelbackoff1").status, 1);
    let (r, ended) = h.join().unwrap();
    r.expect(BILI_QR_ERR_CANCELLED);
    // Far from the 60 s backoff a cancel not seen during it would leave.
    assert!(ended.duration_since(asked) < Duration::from_secs(10));
    assert_eq!(env.fetches().len(), 1);
}

/// A progress callback that cancels its own wait through `bili_qr_cancel` (user_data: the ticket as a
/// C string) and returns 0; records what cancel returned.
unsafe extern "C" fn cancel_own_wait(
    _status: c_int,
    _event: *const std::ffi::c_char,
    user_data: *mut c_void,
) -> c_int {
    let n = bili_qr_cancel(user_data as *const std::ffi::c_char);
    CANCEL_FROM_CALLBACK.store(n, std::sync::atomic::Ordering::SeqCst);
    0
}

static CANCEL_FROM_CALLBACK: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-100);

#[test]
fn cancel_from_inside_the_progress_callback_ends_the_wait() {
    let env = Env::new("id=cbcancel,flow=w");
    let ticket = c("cbcancelticket");
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    let t = Instant::now();
    wait_with(
        "cbcancelticket",
        Some(&opts),
        Some(cancel_own_wait),
        ticket.as_ptr() as *mut c_void,
    )
    .expect(BILI_QR_ERR_CANCELLED);
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "no 60 s sleep, no deadlock"
    );
    assert_eq!(
        CANCEL_FROM_CALLBACK.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    assert_eq!(env.fetches().len(), 1);
}

#[test]
fn a_cancel_before_the_wait_starts_ends_that_wait_at_once() {
    let env = Env::new("id=cancelearly,flow=w");
    let ticket = env.new_ticket();
    // No wait runs yet: nothing is signalled, and the cancel is kept for the wait to come.
    assert_eq!(cancel(&ticket).status, 0);
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    let h = {
        let (ticket, opts) = (ticket.clone(), opts.clone());
        thread::spawn(move || wait(&ticket, Some(&opts)))
    };
    let r = h.join().unwrap();
    r.expect_err(BILI_QR_ERR_CANCELLED, &["cancelled"]);
    assert!(
        env.fetches().is_empty(),
        "the cancelled wait polled nothing"
    );
    // The kept cancel was taken by that wait alone: the next wait on the ticket runs and polls.
    let (tx, rx) = mpsc::channel();
    let again = spawn_wait(&env, &ticket, &opts, tx);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the next wait polled");
    assert_eq!(cancel(&ticket).status, 1);
    again.join().unwrap().0.expect(BILI_QR_ERR_CANCELLED);
    assert_eq!(env.fetches().len(), 1);
    env.check_secrets();
}

#[test]
fn a_cancel_racing_with_the_start_of_a_wait_is_never_lost() {
    // A binding's pattern: start the wait on a worker thread and cancel it from another, at once, with no
    // way to know whether the wait registered yet. One cancel must always end it.
    let env = Env::new("id=cancelrace,flow=w");
    let opts = env.opts(json!({"poll_interval_ms": 60000}));
    for i in 0..20 {
        let ticket = format!("raceticket{i}");
        let h = {
            let (ticket, opts) = (ticket.clone(), opts.clone());
            thread::spawn(move || wait(&ticket, Some(&opts)))
        };
        if i % 2 == 1 {
            thread::yield_now();
        }
        let n = cancel(&ticket).status;
        assert!(n == 0 || n == 1, "{n}");
        h.join().unwrap().expect(BILI_QR_ERR_CANCELLED);
    }
}
