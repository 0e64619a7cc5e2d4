//! Issue 13 and 14 (the login side): a login the service confirmed is never lost to an odd but usable
//! answer, and hostile answers are refused. Each shape is served by a small canned HTTP server (the exact
//! bytes under test) and, where the fake server has the shape, by `bili-qr-fake-server` too.
//!
//! One test binary in four files: this one holds the canned server and the shared answers; `answers` the odd
//! and hostile confirmed answers, `steps` the optional steps (sso, go_url, a ticket's browser session,
//! Retry-After, verify_login), `fake` the same shapes served by the fake server.

mod answers;
mod fake;
mod steps;

use bili_qr::{ErrorKind, Options, PollStatus};
use bili_qr_fake_server::FakeServer;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One request as the canned server saw it: the target and its `Cookie` header (if any).
#[derive(Debug, Clone)]
struct Hit {
    target: String,
    cookie: Option<String>,
    at: Instant,
}

/// A server that answers every request with `handler(target)`, one connection per request.
struct Canned {
    port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Canned {
    fn start(handler: impl Fn(&str, u16) -> Vec<u8> + Send + Sync + 'static) -> Canned {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let seen = hits.clone();
        let handler = Arc::new(handler);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (handler, seen) = (handler.clone(), seen.clone());
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let target = text.split_whitespace().nth(1).unwrap_or("").to_owned();
                    let cookie = text.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("cookie")
                            .then(|| v.trim().to_owned())
                    });
                    seen.lock().unwrap().push(Hit {
                        target: target.clone(),
                        cookie,
                        at: Instant::now(),
                    });
                    let _ = stream.write_all(&handler(&target, port));
                });
            }
        });
        Canned { port, hits }
    }

    fn options(&self) -> Options {
        Options::from_json(Some(
            &json!({"base_url": format!("http://127.0.0.1:{}", self.port), "timeout_ms": 5000,
                    "poll_interval_ms": 100, "proxy": ""})
            .to_string(),
        ))
        .unwrap()
    }

    fn options_with(&self, extra: Value) -> Options {
        let mut o = json!({"base_url": format!("http://127.0.0.1:{}", self.port), "timeout_ms": 5000,
                           "poll_interval_ms": 100, "proxy": ""});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        Options::from_json(Some(&o.to_string())).unwrap()
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

fn answer(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for h in headers {
        v.push_str(h);
        v.push_str("\r\n");
    }
    v.push_str("\r\n");
    let mut v = v.into_bytes();
    v.extend_from_slice(body);
    v
}

const THREE: [&str; 3] = [
    "Set-Cookie: SESSDATA=5e55dafa%2C1811061062%2C5e7d1%2A51; Path=/; Domain=bilibili.tv",
    "Set-Cookie: bili_jct=0123456789abcdef0123456789abcdef; Path=/; Domain=bilibili.tv",
    "Set-Cookie: DedeUserID=7; Path=/; Domain=bilibili.tv",
];

const NO_SSO: &[u8] = br#"{"code":0,"message":"0","ttl":1,"data":{"sso":[]}}"#;

/// A server whose fetch answers `body` with `headers`, sso/list an empty list, and 404 JSON on any other
/// path.
fn fetch_server(body: &'static str, headers: &'static [&'static str]) -> Canned {
    Canned::start(move |target, _| {
        if target.contains("/web/sso/list") {
            answer("200 OK", &[], NO_SSO)
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

fn names(login: &bili_qr::Login) -> Vec<&str> {
    login.cookies.iter().map(|c| c.name.as_str()).collect()
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
