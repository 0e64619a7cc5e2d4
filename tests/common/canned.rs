//! A canned HTTP server: answers every request with what a handler returns for its target (the exact bytes
//! under test), one connection per request, and records each request's target and `Cookie` header.

use bili_qr::Options;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One request as the canned server saw it: the target and its `Cookie` header (if any).
#[derive(Debug, Clone)]
pub struct Hit {
    pub target: String,
    pub cookie: Option<String>,
    pub at: Instant,
}

/// A server that answers every request with `handler(target)`, one connection per request.
pub struct Canned {
    pub port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Canned {
    pub fn start(handler: impl Fn(&str, u16) -> Vec<u8> + Send + Sync + 'static) -> Canned {
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
                    let head = super::http::read_head(&mut stream, 65536);
                    if head.is_empty() {
                        return;
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

    pub fn options(&self) -> Options {
        Options::from_json(Some(
            &json!({"base_url": format!("http://127.0.0.1:{}", self.port), "timeout_ms": 5000,
                    "poll_interval_ms": 100, "proxy": ""})
            .to_string(),
        ))
        .unwrap()
    }

    pub fn options_with(&self, extra: Value) -> Options {
        let mut o = json!({"base_url": format!("http://127.0.0.1:{}", self.port), "timeout_ms": 5000,
                           "poll_interval_ms": 100, "proxy": ""});
        for (k, v) in extra.as_object().unwrap() {
            o[k] = v.clone();
        }
        Options::from_json(Some(&o.to_string())).unwrap()
    }

    /// Polls `ticket` once with [`Canned::options`]: the confirmed login (a failure on anything else).
    #[track_caller]
    pub fn login(&self, ticket: &str) -> bili_qr::Login {
        match bili_qr::poll(ticket, &self.options()) {
            Ok(r) => r
                .login
                .unwrap_or_else(|| panic!("{ticket}: not confirmed: {:?}", r.status)),
            Err(e) => panic!("{ticket}: {e}"),
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// The request targets asked for, in order.
    pub fn targets(&self) -> Vec<String> {
        self.hits().into_iter().map(|h| h.target).collect()
    }

    /// `options_json` text for this server, its base URL ending in `prefix`.
    pub fn opts(&self, prefix: &str) -> String {
        json!({"base_url": format!("http://127.0.0.1:{}{prefix}", self.port), "timeout_ms": 5000, "poll_interval_ms": 100})
            .to_string()
    }
}

/// An HTTP/1.1 answer with `Connection: close`, a JSON content type, `headers` and `body`.
pub fn answer(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
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
