//! The fake `passport.bilibili.tv` server every bili_qr test, benchmark and the CLI's `--demo` talk to.
//! The interface is documented in `PROTOCOL.md` next to this crate's `Cargo.toml`. The same server also answers
//! the mainland site's routes (`bilibili.com`: web QR login, nav, cookie refresh, logout) and the TV/app token
//! routes (signed requests, see [`appsign`]); the public half of its cookie-refresh RSA test key is
//! [`refresh_public_key_pem`].
//!
//! ```no_run
//! use bili_qr_fake_server::{FakeServer, State};
//! let srv = FakeServer::start();
//! let base = srv.url("flow=wsc,id=t1"); // hand this to the library as base_url
//! # let _ = base;
//! srv.set_state("flow=wsc,id=t1", "0123456789abcdef0123456789abcdef", State::Confirmed);
//! assert!(srv.log().is_empty());
//! ```
#![forbid(unsafe_code)]

mod conn;
mod cookies;
mod http;
mod resp;
mod routes;
mod scenario;
mod session;
mod state;
mod tls;
// The mainland (bilibili.com) and TV/app routes.
pub mod appsign;
mod main_session;
mod refresh_key;
mod scenario_main;
pub use crate::refresh_key::refresh_public_key_pem;

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::conn::{accept_loop, spawn_logger};
use crate::session::Sessions;
use crate::state::{force_state, Inner, Shared};
pub use crate::state::{RequestRecord, State};

/// The documented endpoint paths (after the optional `/s/{scenario}` prefix).
pub const URL_PATH: &str = "/x/intl/passport-login/qrcode/auth/url";
pub const FETCH_PATH: &str = "/x/intl/passport-login/qrcode/auth/fetch";
/// The step after a confirmed login that lists the other domains' cookie pages.
pub const SSO_LIST_PATH: &str = "/x/intl/passport-login/web/sso/list";
/// The session check (on `api.bilibili.tv` in the real service).
pub const USER_PATH: &str = "/intl/gateway/web/v2/user";
/// Logout.
pub const EXIT_PATH: &str = "/x/intl/passport-login/web/login/exit";

/// How many request records the log keeps (the oldest are dropped; the counters keep counting).
pub const LOG_CAPACITY: usize = 10_000;
/// Size of the `huge` / `huge-chunked` bodies.
pub const HUGE_BODY_LEN: usize = 2 * 1024 * 1024;

/// Start-up options (the library's `start()` is `Options::default()`: plain HTTP, free port, quiet).
#[derive(Clone, Debug)]
pub struct Options {
    /// 0 picks a free port.
    pub port: u16,
    pub tls: bool,
    /// No per-request log lines on stderr.
    pub quiet: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            tls: false,
            quiet: true,
        }
    }
}

/// A running fake passport server on 127.0.0.1. Dropping it shuts it down.
pub struct FakeServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Plain HTTP on a free port. Panics if it cannot listen (test helper).
    pub fn start() -> FakeServer {
        FakeServer::start_with(Options::default()).expect("fake server: cannot listen on 127.0.0.1")
    }

    /// HTTPS on a free port, with a server certificate (for 127.0.0.1 and localhost) signed by a test CA
    /// generated at start (so untrusted unless the client adds [`FakeServer::ca_pem`]).
    pub fn start_tls() -> FakeServer {
        FakeServer::start_with(Options {
            tls: true,
            ..Options::default()
        })
        .expect("fake server: cannot start TLS listener")
    }

    pub fn start_with(opts: Options) -> io::Result<FakeServer> {
        let (tls, cert_der, ca_der) = if opts.tls {
            let m = tls::server_config().map_err(io::Error::other)?;
            (Some(m.config), Some(m.leaf_der), Some(m.ca_der))
        } else {
            (None, None, None)
        };
        let listener = TcpListener::bind(("127.0.0.1", opts.port))?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let log_pending = Arc::new(AtomicU64::new(0));
        let shared = Arc::new(Shared {
            origin: format!("{scheme}://127.0.0.1:{}", addr.port()),
            logger: if opts.quiet {
                None
            } else {
                Some(spawn_logger(log_pending.clone())?)
            },
            log_pending,
            stop: AtomicBool::new(false),
            next_conn: AtomicU64::new(1),
            inner: Mutex::new(Inner::default()),
            sessions: Mutex::new(Sessions::default()),
            main: Mutex::new(Default::default()),
            live: Mutex::new(HashMap::new()),
            tls,
            cert_der,
            ca_der,
        });
        let sh = shared.clone();
        let accept = thread::Builder::new()
            .name("fake-server-accept".into())
            .spawn(move || accept_loop(listener, sh))?;
        Ok(FakeServer {
            shared,
            addr,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:PORT` (or `https://…`).
    pub fn base_url(&self) -> String {
        self.shared.origin.clone()
    }

    /// With TLS: the server certificate (DER).
    pub fn cert_der(&self) -> Option<Vec<u8>> {
        self.shared.cert_der.clone()
    }

    /// With TLS: the test CA certificate (DER) that signed the server certificate.
    pub fn ca_der(&self) -> Option<Vec<u8>> {
        self.shared.ca_der.clone()
    }

    /// With TLS: the test CA certificate, PEM (a `ca_file` / `SSL_CERT_FILE` that makes a client trust
    /// this server).
    pub fn ca_pem(&self) -> Option<String> {
        self.shared.ca_der.as_deref().map(tls::pem)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `{base_url}/s/{scenario}`: the base URL to give the library for that scenario
    /// (the plain base URL when `scenario` is empty).
    pub fn url(&self, scenario: &str) -> String {
        if scenario.is_empty() {
            self.base_url()
        } else {
            format!("{}/s/{scenario}", self.shared.origin)
        }
    }

    /// The request log (the last [`LOG_CAPACITY`] records), oldest first.
    pub fn log(&self) -> Vec<RequestRecord> {
        self.shared.inner().log.iter().cloned().collect()
    }

    /// TCP connections that carried at least one non-control request (since start/reset).
    pub fn connections(&self) -> u64 {
        self.shared.inner().connections
    }

    /// Non-control requests (since start/reset).
    pub fn requests(&self) -> u64 {
        self.shared.inner().requests
    }

    /// Forces a ticket's state from now on (overrides flow/phone/expire). `scenario` is the scenario
    /// string (`""` for the default prefix). Forcing `Confirmed` answers one confirmation, then expired.
    pub fn set_state(&self, scenario: &str, ticket: &str, state: State) {
        force_state(&self.shared, scenario, ticket, state);
    }

    /// Waits (at most `max`) until every queued stderr log line has been written.
    pub fn flush_log(&self, max: Duration) {
        let t0 = Instant::now();
        while self.shared.log_pending.load(Ordering::SeqCst) > 0 && t0.elapsed() < max {
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sessions handed out by confirmed logins and not ended (by logout, a renewal or `end_sessions`).
    pub fn sessions(&self) -> usize {
        self.shared.sessions().count() + self.shared.main().count()
    }

    /// Ends every session: from now on v2/user answers logged out for all of them.
    pub fn end_sessions(&self) {
        self.shared.sessions().end_all();
        self.shared.main().end_all();
    }

    /// Clears the log, the counters, ticket states and fault counters (sessions are kept).
    pub fn reset(&self) {
        self.shared.inner().clear();
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        for (_, s) in self.shared.live().drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}
