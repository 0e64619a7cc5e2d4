//! Secrets stay out of messages: every fault mode of the fake server on both endpoints, bad options, bad
//! tickets, cancel (by bili_qr_cancel and by the callback), wait and request timeouts, refused connections,
//! a refused certificate and a server that echoes the ticket, each run with tickets and cookie values known
//! to the test (the fake server's request log holds every ticket asked for and every cookie sent). No
//! `bili_qr_last_error` message may hold a cookie value or more than 6 consecutive characters of a ticket.
//! The second test runs the same paths against the fake server binary and checks its stderr log as well.
//! (The CLI's stderr is checked by the CLI's own tests; a panic cannot be provoked from outside.)
//!
//! Files: this one holds the two tests and the secrets seen; `servers` the fake servers (in process, the
//! binary, a ticket-echoing one); `paths` every fault and error path a run takes.

mod paths;
mod servers;

use crate::common::*;
use bili_qr::ffi::*;
use bili_qr_fake_server::{FakeServer, RequestRecord};
use paths::Run;
use serde_json::{json, Value};
use servers::{fake_server_binary, spawn_binary, EchoServer, Server};
use std::collections::BTreeSet;
use std::ffi::{c_int, c_void};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The secrets seen: tickets and cookie values.
#[derive(Default)]
struct Secrets {
    tickets: BTreeSet<String>,
    cookies: BTreeSet<String>,
}

impl Secrets {
    fn add_log(&mut self, log: &[RequestRecord]) {
        for rec in log {
            if let Some(t) = rec.query.get("ticket") {
                if !t.is_empty() {
                    self.tickets.insert(t.clone());
                }
            }
            for sc in rec.set_cookies.iter().chain(rec.cookie_info.iter()) {
                let pair = sc.split(';').next().unwrap_or("");
                if let Some((_, v)) = pair.split_once('=') {
                    self.add_cookie(v.trim());
                }
            }
        }
    }

    fn add_cookie(&mut self, value: &str) {
        // The fake server's trackers `1`, `x` and `deleted` are no secrets (and words of English).
        if value.len() >= 5 && value != "deleted" {
            self.cookies.insert(value.to_owned());
        }
    }

    fn add_outcome(&mut self, o: &Outcome) {
        if let Some(Ok(v)) = o.out.as_deref().map(serde_json::from_str::<Value>) {
            if let Some(t) = v["ticket"].as_str() {
                self.tickets.insert(t.to_owned());
            }
            for c in v["cookies"].as_array().into_iter().flatten() {
                if let Some(val) = c["value"].as_str() {
                    self.add_cookie(val);
                }
            }
        }
    }

    /// What in `text` is a secret: a whole cookie value, or 7 consecutive characters of a ticket or cookie.
    fn find_in(&self, text: &str) -> Option<String> {
        for s in self.tickets.iter().chain(self.cookies.iter()) {
            if self.cookies.contains(s) && text.contains(s.as_str()) {
                return Some(format!("a cookie value ({}…)", &s[..2]));
            }
            let b = s.as_bytes();
            if b.len() >= 7 && s.is_ascii() {
                for w in b.windows(7) {
                    let piece = std::str::from_utf8(w).expect("ASCII");
                    if text.contains(piece) {
                        return Some(format!(
                            "7 consecutive characters of a secret ({}…)",
                            &s[..2]
                        ));
                    }
                }
            }
        }
        None
    }
}

#[test]
fn every_fault_and_error_path_keeps_secrets_out_of_messages() {
    let srv = Server::InProcess(FakeServer::start());
    let mut run = Run {
        srv: &srv,
        tag: "sec",
        secrets: Secrets::default(),
        messages: Vec::new(),
    };
    run.every_path();
    run.assert_clean();
    eprintln!(
        "secrets: {} error messages checked against {} tickets and {} cookie values",
        run.messages.len(),
        run.secrets.tickets.len(),
        run.secrets.cookies.len()
    );
}

#[test]
fn the_fake_server_binary_logs_no_secret_on_stderr() {
    let Some(path) = fake_server_binary() else {
        eprintln!("SKIP: no fake server binary (cargo build --release --workspace builds it)");
        return;
    };
    let mut srv = spawn_binary(&path);
    let mut run = Run {
        srv: &srv,
        tag: "bin",
        secrets: Secrets::default(),
        messages: Vec::new(),
    };
    run.every_path();
    run.assert_clean();
    let (secrets, messages) = (run.secrets, run.messages.len());
    let stderr = srv.stop();
    let lines = stderr.lines().count();
    assert!(
        lines > 100,
        "the fake server logged only {lines} lines: {stderr:.300}"
    );
    for line in stderr.lines() {
        if let Some(found) = secrets.find_in(line) {
            panic!("the fake server's stderr holds {found}: {line:?}");
        }
    }
    eprintln!("secrets: {messages} messages and {lines} fake server log lines checked");
}
