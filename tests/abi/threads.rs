//! Many threads at once, and connection reuse.

use crate::common::*;
use bili_qr::ffi::*;
use std::sync::{Arc, Barrier};
use std::thread;

#[test]
fn eight_threads_poll_at_once() {
    let env = Env::new("id=threads,flow=wsc");
    let opts = env.default_opts();
    let tickets: Vec<String> = (0..8).map(|_| env.new_ticket()).collect();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = tickets
        .iter()
        .map(|t| {
            let (t, opts, barrier) = (t.clone(), opts.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                let a = poll(&t, Some(&opts)).status;
                let b = poll(&t, Some(&opts)).status;
                let c = poll(&t, Some(&opts));
                (a, b, c)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let log = env.fetches();
    let mut sessions = Vec::new();
    for (ticket, (a, b, c)) in tickets.iter().zip(results) {
        assert_eq!((a, b), (BILI_QR_WAITING, BILI_QR_SCANNED));
        let v = c.expect(BILI_QR_OK).json();
        let rec = log
            .iter()
            .find(|r| r.query["ticket"] == *ticket && !r.set_cookies.is_empty())
            .expect("the confirming fetch of this ticket");
        let kept = kept(&rec.set_cookies, now_unix());
        let header: Vec<String> = kept
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        assert_eq!(
            v["cookie_header"],
            header.join("; "),
            "this ticket's own cookies"
        );
        sessions.push(v["cookie_header"].as_str().unwrap().to_owned());
    }
    sessions.sort();
    sessions.dedup();
    assert_eq!(sessions.len(), 8);
}

#[test]
fn one_thread_polling_reuses_one_connection() {
    let env = Env::new("id=reuse1,flow=w");
    let opts = env.default_opts();
    let ticket = env.new_ticket();
    for _ in 0..20 {
        poll(&ticket, Some(&opts)).expect(BILI_QR_WAITING);
    }
    assert_one_connection(&env, 21, "start and 20 polls");
}

#[test]
fn a_wait_polls_over_one_connection() {
    let env = Env::new("id=reusewait,flow=wwwwsc");
    let ticket = env.new_ticket();
    wait(&ticket, Some(&env.default_opts())).expect(BILI_QR_OK);
    assert_one_connection(
        &env,
        8,
        "start, the wait's 6 polls and the sso step's sso/list",
    );
}

/// The server saw `requests` requests (`what`), all on one keep-alive connection.
#[track_caller]
fn assert_one_connection(env: &Env, requests: u64, what: &str) {
    assert_eq!(env.srv.requests(), requests, "{what}");
    assert_eq!(
        env.srv.connections(),
        1,
        "{what} on one keep-alive connection"
    );
}

#[test]
fn eight_threads_polling_open_at_most_eight_connections() {
    let env = Env::new("id=reuse8,flow=w");
    let opts = env.default_opts();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (opts, barrier) = (opts.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                for _ in 0..10 {
                    poll(&format!("reuse8ticket{i}"), Some(&opts)).expect(BILI_QR_WAITING);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(env.srv.requests(), 80);
    let conns = env.srv.connections();
    assert!(
        (1..=8).contains(&conns),
        "{conns} connections for 8 threads"
    );
}
