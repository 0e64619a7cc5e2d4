//! The login side: a login the service confirmed is never lost to an odd but usable
//! answer, and hostile answers are refused. Each shape is served by a small canned HTTP server (the exact
//! bytes under test) and, where the fake server has the shape, by `bili-qr-fake-server` too.
//!
//! Five files: this one holds the canned server and the shared answers; `answers` the odd
//! and hostile confirmed answers, `steps` the optional steps (sso, go_url, a ticket's browser session,
//! Retry-After, verify_login), `fake` the same shapes served by the fake server, `browser` the fake server's
//! `browser=` shapes (cookie paths, the API host's cookie, query credentials on any host, JSON as a browser
//! reads it, encoded answers).

mod answers;
mod browser;
mod fake;
mod steps;

use crate::common::canned::{answer, Canned, Hit};
use bili_qr::{ErrorKind, Options, PollStatus};
use bili_qr_fake_server::FakeServer;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const THREE: [&str; 3] = [
    "Set-Cookie: SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv",
    "Set-Cookie: bili_jct=0123456789abcdef0123456789abcdef; Path=/; Domain=bilibili.tv",
    "Set-Cookie: DedeUserID=7; Path=/; Domain=bilibili.tv",
];

const NO_SSO: &[u8] = br#"{"code":0,"message":"0","ttl":1,"data":{"sso":[]}}"#;

/// A server whose fetch answers `body` with `headers`, sso/list an empty list, and 404 JSON on any other
/// path.
fn fetch_server(body: &'static str, headers: &'static [&'static str]) -> Canned {
    fetch_server_with_sso(NO_SSO, body, headers)
}

/// [`fetch_server`] whose sso/list answers `sso` (with no header).
fn fetch_server_with_sso(
    sso: &'static [u8],
    body: &'static str,
    headers: &'static [&'static str],
) -> Canned {
    Canned::start(move |target, _| {
        if target.contains("/web/sso/list") {
            answer("200 OK", &[], sso)
        } else if target.contains("/qrcode/auth/fetch") {
            answer("200 OK", headers, body.as_bytes())
        } else {
            answer(
                "404 Not Found",
                &[],
                br#"{"code":-404,"message":"nothing here"}"#,
            )
        }
    })
}

fn json_of(r: &bili_qr::PollResult) -> Value {
    serde_json::from_str(&r.to_json()).unwrap()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const PLAIN: &str = r#"{"code":0,"message":"0","ttl":1,"data":{"mid":7,"is_new":false,"go_url":"","user_profile":{"is_userBlankProfile":false,"name":"N","face":""}}}"#;

fn fake_opts(srv: &FakeServer, scenario: &str, extra: Value) -> Options {
    let mut o = json!({"base_url": srv.url(scenario), "proxy": "", "timeout_ms": 5000,
                       "poll_interval_ms": 100, "wait_timeout_ms": 20000});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    Options::from_json(Some(&o.to_string())).unwrap()
}

/// start, then wait: the confirmed login of `scenario`, or the error.
fn fake_login(srv: &FakeServer, scenario: &str, extra: Value) -> bili_qr::Result<bili_qr::Login> {
    let o = fake_opts(srv, scenario, extra);
    let qr = bili_qr::start(&o)?;
    let r = bili_qr::wait(&qr.ticket, &o, &mut |_| true)?;
    assert_eq!(r.status, PollStatus::Confirmed, "{scenario}");
    Ok(r.login.expect("a confirmed result has its login"))
}

/// The names of the login's cookies for `domain`, in order.
fn names_on<'a>(login: &'a bili_qr::Login, domain: &str) -> Vec<&'a str> {
    login
        .cookies
        .iter()
        .filter(|c| c.domain.as_deref() == Some(domain))
        .map(|c| c.name.as_str())
        .collect()
}

fn names(login: &bili_qr::Login) -> Vec<&str> {
    login.cookies.iter().map(|c| c.name.as_str()).collect()
}

/// A poll of `ticket` on `srv` that fails with `kind`, its message containing every one of `needles`.
#[track_caller]
fn poll_fails(srv: &Canned, ticket: &str, kind: ErrorKind, needles: &[&str]) -> bili_qr::Error {
    let e = match bili_qr::poll(ticket, &srv.options()) {
        Ok(r) => panic!("{ticket}: {:?} instead of an error", r.status),
        Err(e) => e,
    };
    assert_eq!(e.kind(), kind, "{}", e.message());
    for n in needles {
        assert!(e.message().contains(n), "no {n:?} in: {}", e.message());
    }
    e
}

/// One of the login's warnings contains `needle` (`what` names the case in the failure).
#[track_caller]
fn assert_warns(login: &bili_qr::Login, needle: &str, what: &str) {
    assert!(
        login.warnings.iter().any(|w| w.contains(needle)),
        "{what}: no warning contains {needle:?}: {:?}",
        login.warnings
    );
}

fn assert_usable(login: &bili_qr::Login, what: &str) {
    for n in ["SESSDATA", "bili_jct", "DedeUserID"] {
        assert!(
            login.cookie_header.contains(&format!("{n}=")),
            "{what}: {n} missing from {}",
            login.cookie_header.len()
        );
    }
}
