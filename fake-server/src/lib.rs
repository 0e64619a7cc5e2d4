//! The fake `passport.bilibili.tv` server every bili_qr test, benchmark and the CLI's `--demo` talk to.
//! The interface is documented in `PROTOCOL.md` next to this crate's `Cargo.toml`.
//!
//! ```no_run
//! use bili_qr_fake_server::{FakeServer, State};
//! let srv = FakeServer::start();
//! let base = srv.url("flow=wsc,id=t1"); // hand this to the library as base_url
//! # let _ = base;
//! srv.set_state("flow=wsc,id=t1", "0123456789abcdef0123456789abcdef", State::Confirmed);
//! assert!(srv.log().is_empty());
//! ```

mod cookies;
mod http;
mod scenario;
mod tls;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::http::{find_head_end, parse_head, parse_query, reason, MAX_BODY, MAX_HEAD};
use crate::scenario::{Endpoint, Fault, GoUrl, Scenario};

/// The documented endpoint paths (after the optional `/s/{scenario}` prefix).
pub const URL_PATH: &str = "/x/intl/passport-login/qrcode/auth/url";
pub const FETCH_PATH: &str = "/x/intl/passport-login/qrcode/auth/fetch";

/// How many request records the log keeps (the oldest are dropped; the counters keep counting).
pub const LOG_CAPACITY: usize = 10_000;
/// How many ticket states are remembered (the oldest are forgotten).
const TICKET_CAPACITY: usize = 200_000;
/// Size of the `huge` / `huge-chunked` bodies.
pub const HUGE_BODY_LEN: usize = 2 * 1024 * 1024;

/// A ticket's state, as answered by `fetch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Waiting,
    Scanned,
    Confirmed,
    Expired,
}

impl State {
    /// `waiting` / `scanned` / `confirmed` / `expired`.
    pub fn parse(s: &str) -> Option<State> {
        match s {
            "waiting" => Some(State::Waiting),
            "scanned" => Some(State::Scanned),
            "confirmed" => Some(State::Confirmed),
            "expired" => Some(State::Expired),
            _ => None,
        }
    }

    /// The `code` the fetch endpoint answers in this state.
    pub fn code(self) -> i64 {
        match self {
            State::Waiting => 10018101,
            State::Scanned => 10018102,
            State::Confirmed => 0,
            State::Expired => 10018100,
        }
    }
}

/// One logged request (control requests are not logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// 1, 2, 3, … since start or the last reset.
    pub seq: u64,
    /// The TCP connection that carried it (ids are unique for the server's life).
    pub conn: u64,
    pub method: String,
    /// The request path without the query, as sent (not decoded).
    pub path: String,
    /// Percent-decoded query parameters.
    pub query: BTreeMap<String, String>,
    /// Request headers, names lowercased (repeated headers joined with ", ").
    pub headers: BTreeMap<String, String>,
    /// The `Set-Cookie` header values sent in the answer, in order.
    pub set_cookies: Vec<String>,
    /// The HTTP status answered (0 when the connection was reset without an answer).
    #[serde(default)]
    pub status: u16,
    /// `name=value` of each cookie carried in the body's `data.cookie_info` (scenario `cookieinfo=1`).
    #[serde(default)]
    pub cookie_info: Vec<String>,
}

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

struct Ticket {
    born: Instant,
    fetches: u64,
    forced: Option<State>,
    spent: bool,
}

impl Ticket {
    fn new() -> Ticket {
        Ticket {
            born: Instant::now(),
            fetches: 0,
            forced: None,
            spent: false,
        }
    }
}

#[derive(Default)]
struct Inner {
    seq: u64,
    requests: u64,
    connections: u64,
    epoch: u64,
    log: VecDeque<RequestRecord>,
    tickets: HashMap<String, HashMap<String, Ticket>>,
    order: VecDeque<(String, String)>,
    fault_hits: HashMap<String, u64>,
}

impl Inner {
    fn ticket_mut(&mut self, scenario: &str, ticket: &str) -> &mut Ticket {
        let known = self
            .tickets
            .get(scenario)
            .is_some_and(|m| m.contains_key(ticket));
        if !known {
            if self.order.len() >= TICKET_CAPACITY {
                if let Some((s, t)) = self.order.pop_front() {
                    if let Some(m) = self.tickets.get_mut(&s) {
                        m.remove(&t);
                        if m.is_empty() {
                            self.tickets.remove(&s);
                        }
                    }
                }
            }
            self.order
                .push_back((scenario.to_string(), ticket.to_string()));
            self.tickets
                .entry(scenario.to_string())
                .or_default()
                .insert(ticket.to_string(), Ticket::new());
        }
        // Present: inserted just above when it was missing.
        self.tickets
            .entry(scenario.to_string())
            .or_default()
            .entry(ticket.to_string())
            .or_insert_with(Ticket::new)
    }

    fn advance(&mut self, scenario: &str, sc: &Scenario, ticket: &str) -> State {
        let t = self.ticket_mut(scenario, ticket);
        let state = if t.spent {
            State::Expired
        } else if let Some(f) = t.forced {
            f
        } else {
            let ms = t.born.elapsed().as_millis() as u64;
            if sc.expire.is_some_and(|e| ms >= e) {
                State::Expired
            } else if let Some((scan, confirm)) = sc.phone {
                if ms < scan {
                    State::Waiting
                } else if ms < confirm {
                    State::Scanned
                } else {
                    State::Confirmed
                }
            } else {
                let i = (t.fetches as usize).min(sc.flow.len().saturating_sub(1));
                sc.flow.get(i).copied().unwrap_or(State::Confirmed)
            }
        };
        t.fetches += 1;
        if state == State::Confirmed {
            t.spent = true;
        }
        state
    }

    fn clear(&mut self) {
        let epoch = self.epoch + 1;
        *self = Inner::default();
        self.epoch = epoch;
    }
}

struct Shared {
    origin: String,
    /// stderr log lines go through a bounded queue to a writer thread, so a stderr pipe nobody reads
    /// never stalls request handling (lines are dropped when the queue is full).
    logger: Option<SyncSender<String>>,
    /// Log lines queued but not yet written.
    log_pending: Arc<AtomicU64>,
    stop: AtomicBool,
    next_conn: AtomicU64,
    inner: Mutex<Inner>,
    live: Mutex<HashMap<u64, TcpStream>>,
    tls: Option<Arc<rustls::ServerConfig>>,
    cert_der: Option<Vec<u8>>,
}

impl Shared {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn live(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
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

    /// HTTPS with a fresh self-signed certificate (for 127.0.0.1 and localhost) on a free port.
    pub fn start_tls() -> FakeServer {
        FakeServer::start_with(Options {
            tls: true,
            ..Options::default()
        })
        .expect("fake server: cannot start TLS listener")
    }

    pub fn start_with(opts: Options) -> io::Result<FakeServer> {
        let (tls, cert_der) = if opts.tls {
            let (cfg, der) = tls::server_config().map_err(io::Error::other)?;
            (Some(cfg), Some(der))
        } else {
            (None, None)
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
            live: Mutex::new(HashMap::new()),
            tls,
            cert_der,
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

    /// With TLS: the self-signed certificate (DER), e.g. to build a client that trusts it.
    pub fn cert_der(&self) -> Option<Vec<u8>> {
        self.shared.cert_der.clone()
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

    /// Clears the log, the counters, ticket states and fault counters.
    pub fn reset(&self) {
        self.shared.inner().clear();
    }
}

fn force_state(sh: &Shared, scenario: &str, ticket: &str, state: State) {
    let mut inner = sh.inner();
    let t = inner.ticket_mut(scenario, ticket);
    t.forced = Some(state);
    t.spent = false;
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

fn spawn_logger(pending: Arc<AtomicU64>) -> io::Result<SyncSender<String>> {
    let (tx, rx) = sync_channel::<String>(4096);
    thread::Builder::new()
        .name("fake-server-log".into())
        .spawn(move || {
            for line in rx {
                let _ = io::stderr().write_all(line.as_bytes());
                pending.fetch_sub(1, Ordering::SeqCst);
            }
        })?;
    Ok(tx)
}

fn accept_loop(listener: TcpListener, sh: Arc<Shared>) {
    for incoming in listener.incoming() {
        if sh.stop.load(Ordering::SeqCst) {
            break;
        }
        let stream = match incoming {
            Ok(s) => s,
            Err(_) => {
                // e.g. out of file descriptors: back off a little.
                thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let id = sh.next_conn.fetch_add(1, Ordering::SeqCst);
        let raw = match stream.try_clone() {
            Ok(r) => r,
            Err(_) => continue,
        };
        if let Ok(c) = stream.try_clone() {
            sh.live().insert(id, c);
        }
        let sh2 = sh.clone();
        let spawned = thread::Builder::new()
            .name(format!("fake-server-conn-{id}"))
            .stack_size(256 * 1024)
            .spawn(move || {
                match sh2.tls.clone() {
                    Some(cfg) => {
                        if let Ok(conn) = rustls::ServerConnection::new(cfg) {
                            let mut tls = rustls::StreamOwned::new(conn, stream);
                            serve_conn(&sh2, id, &mut tls, &raw);
                        }
                    }
                    None => {
                        let mut s = stream;
                        serve_conn(&sh2, id, &mut s, &raw);
                    }
                }
                let _ = raw.shutdown(Shutdown::Both);
                sh2.live().remove(&id);
            });
        if spawned.is_err() {
            sh.live().remove(&id);
        }
    }
}

/// What to send back.
enum Body {
    Owned(Vec<u8>),
    Static(&'static [u8]),
}

impl Body {
    fn bytes(&self) -> &[u8] {
        match self {
            Body::Owned(v) => v,
            Body::Static(s) => s,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    /// Content-Length says 200 more bytes than sent, then the connection closes.
    Truncated,
    /// Chunked transfer coding, no Content-Length.
    Chunked,
    /// Close without answering.
    Reset,
}

struct Resp {
    status: u16,
    ctype: &'static str,
    location: Option<String>,
    cookies: Vec<String>,
    body: Body,
    kind: Kind,
    cookie_info: Vec<String>,
    ticket: Option<String>,
}

impl Resp {
    fn new(status: u16, ctype: &'static str, body: Body) -> Resp {
        Resp {
            status,
            ctype,
            location: None,
            cookies: Vec::new(),
            body,
            kind: Kind::Normal,
            cookie_info: Vec::new(),
            ticket: None,
        }
    }
    fn json(body: String) -> Resp {
        Resp::new(200, JSON, Body::Owned(body.into_bytes()))
    }
    fn json_static(body: &'static str) -> Resp {
        Resp::new(200, JSON, Body::Static(body.as_bytes()))
    }
    fn html(status: u16, body: String) -> Resp {
        Resp::new(status, HTML, Body::Owned(body.into_bytes()))
    }
    fn redirect(location: String) -> Resp {
        let mut r = Resp::new(302, HTML, Body::Static(b""));
        r.location = Some(location);
        r
    }
}

const JSON: &str = "application/json; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const SET_COOKIE_NAMES: [&str; 3] = ["Set-Cookie", "set-cookie", "SET-COOKIE"];

fn read_more<S: Read>(s: &mut S, buf: &mut Vec<u8>) -> bool {
    let old = buf.len();
    buf.resize(old + 16 * 1024, 0);
    loop {
        match s.read(&mut buf[old..]) {
            Ok(0) => {
                buf.truncate(old);
                return false;
            }
            Ok(n) => {
                buf.truncate(old + n);
                return true;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                buf.truncate(old);
                return false;
            }
        }
    }
}

/// Answers a request the server will not process, then closes gracefully: stops sending and drains
/// what the client is still sending for a moment, so the answer is not lost to a TCP reset.
fn send_error<S: Write>(s: &mut S, raw: &TcpStream, status: u16, msg: &str) {
    let body = format!("{status} {}: {msg}\n", reason(status));
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {TEXT}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.flush();
    let _ = raw.shutdown(Shutdown::Write);
    let _ = raw.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 16 * 1024];
    let mut r = raw;
    let mut drained = 0usize;
    while drained < 4 * MAX_BODY {
        match r.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

fn serve_conn<S: Read + Write>(sh: &Shared, conn: u64, s: &mut S, raw: &TcpStream) {
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(4 * 1024);
    let mut counted_epoch: Option<u64> = None;
    loop {
        if sh.stop.load(Ordering::Relaxed) {
            return;
        }
        let mut scan_from = 0;
        let head_end = loop {
            if let Some(e) = find_head_end(&buf, scan_from) {
                break e;
            }
            if buf.len() > MAX_HEAD {
                send_error(s, raw, 431, "request head too large");
                return;
            }
            scan_from = buf.len();
            if !read_more(s, &mut buf) {
                return;
            }
        };
        if head_end > MAX_HEAD {
            send_error(s, raw, 431, "request head too large");
            return;
        }
        let head = match parse_head(&buf[..head_end]) {
            Ok(h) => h,
            Err(msg) => {
                send_error(s, raw, 400, msg);
                return;
            }
        };
        if head.chunked {
            send_error(s, raw, 501, "chunked request bodies are not supported");
            return;
        }
        if head.content_length > MAX_BODY {
            send_error(s, raw, 413, "request body too large");
            return;
        }
        let total = head_end + head.content_length;
        while buf.len() < total {
            if !read_more(s, &mut buf) {
                return;
            }
        }
        buf.drain(..total);

        let close = head.close;
        let (path, query_str) = match head.target.split_once('?') {
            Some((p, q)) => (p, q),
            None => (head.target.as_str(), ""),
        };
        if let Some(ctl) = path.strip_prefix("/__") {
            let resp = control(sh, ctl, query_str);
            out.clear();
            write_resp(&mut out, &resp, close || head.http10);
            if s.write_all(&out).and_then(|_| s.flush()).is_err() || close {
                return;
            }
            continue;
        }

        let query = parse_query(query_str);
        let resp = handle(sh, &head.method, path, query_str, &query);

        let status = if resp.kind == Kind::Reset {
            0
        } else {
            resp.status
        };
        log_request(
            sh,
            conn,
            &mut counted_epoch,
            &head,
            path,
            query,
            &resp,
            status,
        );

        match resp.kind {
            Kind::Reset => {
                let _ = raw.shutdown(Shutdown::Both);
                return;
            }
            Kind::Truncated => {
                out.clear();
                write_resp(&mut out, &resp, true);
                let _ = s.write_all(&out);
                let _ = s.flush();
                let _ = raw.shutdown(Shutdown::Both);
                return;
            }
            Kind::Normal | Kind::Chunked => {
                out.clear();
                write_resp(&mut out, &resp, close);
                if s.write_all(&out).and_then(|_| s.flush()).is_err() || close {
                    return;
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn log_request(
    sh: &Shared,
    conn: u64,
    counted_epoch: &mut Option<u64>,
    head: &http::Head,
    path: &str,
    query: BTreeMap<String, String>,
    resp: &Resp,
    status: u16,
) {
    let line = sh
        .logger
        .as_ref()
        .map(|_| log_line(head, path, resp, status));
    let seq = {
        let mut inner = sh.inner();
        inner.requests += 1;
        inner.seq += 1;
        if *counted_epoch != Some(inner.epoch) {
            inner.connections += 1;
            *counted_epoch = Some(inner.epoch);
        }
        let seq = inner.seq;
        if inner.log.len() >= LOG_CAPACITY {
            inner.log.pop_front();
        }
        inner.log.push_back(RequestRecord {
            seq,
            conn,
            method: head.method.clone(),
            path: path.to_string(),
            query,
            headers: head.headers.clone(),
            set_cookies: resp.cookies.clone(),
            status,
            cookie_info: resp.cookie_info.clone(),
        });
        seq
    };
    if let (Some(line), Some(tx)) = (line, sh.logger.as_ref()) {
        sh.log_pending.fetch_add(1, Ordering::SeqCst);
        if tx
            .try_send(format!("fake-server #{seq} conn={conn} {line}\n"))
            .is_err()
        {
            sh.log_pending.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A stderr line: never a full ticket or cookie value.
fn log_line(head: &http::Head, path: &str, resp: &Resp, status: u16) -> String {
    let mut line = format!("{} {path} -> ", head.method);
    if status == 0 {
        line.push_str("reset");
    } else {
        line.push_str(&status.to_string());
    }
    if let Some(t) = &resp.ticket {
        let short: String = t.chars().take(6).collect();
        line.push_str(&format!(" ticket={short}…"));
    }
    if !resp.cookies.is_empty() {
        line.push_str(" set-cookie:");
        for c in &resp.cookies {
            let pair = c.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let short: String = value.chars().take(4).collect();
            line.push_str(&format!(" {name}={short}…"));
        }
    }
    line
}

fn write_resp(out: &mut Vec<u8>, r: &Resp, close: bool) {
    let body = r.body.bytes();
    let _ = write!(out, "HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    out.extend_from_slice(b"Server: fake-passport\r\nContent-Type: ");
    out.extend_from_slice(r.ctype.as_bytes());
    out.extend_from_slice(b"\r\n");
    match r.kind {
        Kind::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Kind::Truncated => {
            let _ = write!(out, "Content-Length: {}\r\n", body.len() + 200);
        }
        _ => {
            let _ = write!(out, "Content-Length: {}\r\n", body.len());
        }
    }
    out.extend_from_slice(if close {
        b"Connection: close\r\n" as &[u8]
    } else {
        b"Connection: keep-alive\r\n"
    });
    if let Some(loc) = &r.location {
        let _ = write!(out, "Location: {loc}\r\n");
    }
    for (i, c) in r.cookies.iter().enumerate() {
        let _ = write!(out, "{}: {c}\r\n", SET_COOKIE_NAMES[i % 3]);
    }
    out.extend_from_slice(b"\r\n");
    if r.kind == Kind::Chunked {
        for chunk in body.chunks(16 * 1024) {
            let _ = write!(out, "{:x}\r\n", chunk.len());
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(body);
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn huge_body() -> &'static [u8] {
    static HUGE: OnceLock<Vec<u8>> = OnceLock::new();
    HUGE.get_or_init(|| {
        let head = br#"{"code":0,"message":"0","ttl":1,"data":{"padding":""#;
        let tail = br#""}}"#;
        let mut v = Vec::with_capacity(HUGE_BODY_LEN);
        v.extend_from_slice(head);
        v.resize(HUGE_BODY_LEN - tail.len(), b'x');
        v.extend_from_slice(tail);
        v
    })
}

fn api_message(code: i32) -> &'static str {
    match code {
        -412 => "请求被拦截",
        -352 => "风控校验失败",
        -400 => "请求错误",
        -799 => "请求过于频繁，请稍后再试",
        _ => "错误",
    }
}

const RISK_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>412 Precondition Failed</title></head>\
<body><h1>412</h1><p>由于触发哔哩哔哩安全风控策略，该次访问请求被拒绝。</p>\
<p>The request was rejected because of the bilibili security control policy.</p></body></html>";

/// Handles a non-control request.
fn handle(
    sh: &Shared,
    method: &str,
    path: &str,
    query_str: &str,
    query: &BTreeMap<String, String>,
) -> Resp {
    // `/r/…`: the target of the `redirect` fault, answered without the fault.
    let (redirected, p) = if path.starts_with("/r/") {
        (true, &path[2..])
    } else {
        (false, path)
    };
    let (raw_scenario, rest) = match p.strip_prefix("/s/") {
        Some(after) => match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        },
        None => ("", p),
    };
    // The scenario string as a key: percent-decoded, so `flow%3Dc` and `flow=c` are the same scenario.
    let scenario_key = http::percent_decode(raw_scenario, false);
    let scenario = scenario_key.as_str();
    let sc = match Scenario::parse(scenario) {
        Ok(sc) => sc,
        Err(msg) => {
            return Resp::new(
                400,
                TEXT,
                Body::Owned(format!("bad scenario: {msg}\n").into_bytes()),
            )
        }
    };
    let _ = method;
    let ep = match rest {
        URL_PATH => Endpoint::Url,
        FETCH_PATH => Endpoint::Fetch,
        "/gourl/hop1" => return hop1(raw_scenario),
        "/gourl/hop2" => return hop2(&sc),
        _ => {
            return Resp::json_static(r#"{"code":-404,"message":"啥都木有","ttl":1,"data":null}"#)
                .with_status(404)
        }
    };

    // Fault decision (`on`, `times`). The cookie faults are decided once the answer is a confirmation.
    let mut fault = if redirected {
        None
    } else {
        sc.fault_applies(ep)
    };
    if let Some(f) = fault {
        if !matches!(f, Fault::NoCookies | Fault::PartialCookies) && !take_fault(sh, scenario, &sc)
        {
            fault = None;
        }
    }

    let origin = &sh.origin;
    let full_target = if query_str.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query_str}")
    };
    match fault {
        Some(Fault::Status(412)) => return Resp::html(412, RISK_PAGE.to_string()),
        Some(Fault::Status(n)) => {
            return Resp::html(
                n,
                format!("<html><head><title>{n} {r}</title></head><body><h1>{n} {r}</h1></body></html>", r = reason(n)),
            )
        }
        Some(Fault::Api(code)) => {
            return Resp::json(format!(
                r#"{{"code":{code},"message":"{}","ttl":1,"data":null}}"#,
                api_message(code)
            ))
        }
        Some(Fault::Slow) => {
            // Capped at an hour (and checked), whatever the scenario says.
            let wait = Duration::from_millis(sc.delay.min(3_600_000));
            let until = Instant::now().checked_add(wait).unwrap_or_else(Instant::now);
            while Instant::now() < until && !sh.stop.load(Ordering::Relaxed) {
                thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
            }
            if sh.stop.load(Ordering::Relaxed) {
                // Shutting down: no answer.
                let mut r = Resp::new(0, TEXT, Body::Static(b""));
                r.kind = Kind::Reset;
                return r;
            }
        }
        Some(Fault::Truncated) => {
            let mut r = Resp::json(format!(
                r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket={}"#,
                cookies::hex(32)
            ));
            r.kind = Kind::Truncated;
            return r;
        }
        Some(Fault::Huge) => return Resp::new(200, JSON, Body::Static(huge_body())),
        Some(Fault::HugeChunked) => {
            let mut r = Resp::new(200, JSON, Body::Static(huge_body()));
            r.kind = Kind::Chunked;
            return r;
        }
        Some(Fault::NotJson) => {
            return Resp::html(
                200,
                "<html><head><title>bilibili</title></head><body><p>Service temporarily unavailable</p></body></html>"
                    .to_string(),
            )
        }
        Some(Fault::Empty) => return Resp::new(200, JSON, Body::Static(b"")),
        Some(Fault::BadTypes) => {
            return Resp::json(match ep {
                Endpoint::Url => format!(
                    r#"{{"code":"0","message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/en/qrcode/login?ticket={}","qr_type":"qrcode_login"}}}}"#,
                    cookies::hex(32)
                ),
                Endpoint::Fetch => format!(
                    r#"{{"code":"0","message":"0","ttl":1,"data":{{"mid":"{}","is_new":false,"go_url":"","user_profile":{{"is_userBlankProfile":false,"name":{},"face":""}}}}}}"#,
                    sc.mid,
                    json_str(&sc.name)
                ),
            })
        }
        Some(Fault::Missing) => return Resp::json_static(r#"{"code":0,"message":"0","ttl":1,"data":{}}"#),
        Some(Fault::Redirect) => return Resp::redirect(format!("{origin}/r{full_target}")),
        Some(Fault::RedirectLoop) => return Resp::redirect(format!("{origin}{full_target}")),
        Some(Fault::RedirectForeign) => return Resp::redirect("http://example.com/x".to_string()),
        Some(Fault::Reset) => {
            let mut r = Resp::new(0, TEXT, Body::Static(b""));
            r.kind = Kind::Reset;
            return r;
        }
        Some(Fault::NoTicket) | Some(Fault::NoCookies) | Some(Fault::PartialCookies) | None => {}
    }

    match ep {
        Endpoint::Url => url_answer(sh, scenario, query, fault == Some(Fault::NoTicket)),
        Endpoint::Fetch => fetch_answer(sh, scenario, raw_scenario, &sc, query, fault),
    }
}

impl Resp {
    fn with_status(mut self, status: u16) -> Resp {
        self.status = status;
        self
    }
}

/// Counts one use of the scenario's fault; false once `times` is used up.
fn take_fault(sh: &Shared, scenario: &str, sc: &Scenario) -> bool {
    let mut inner = sh.inner();
    let hits = match inner.fault_hits.get_mut(scenario) {
        Some(h) => h,
        None => inner.fault_hits.entry(scenario.to_string()).or_insert(0),
    };
    if sc.times.is_some_and(|t| *hits >= t) {
        return false;
    }
    *hits += 1;
    true
}

fn locale_part(query: &BTreeMap<String, String>) -> String {
    let loc = query.get("s_locale").map(String::as_str).unwrap_or("en_US");
    let lang: String = loc
        .split(['_', '-'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if lang.is_empty() {
        "en".to_string()
    } else {
        lang
    }
}

fn url_answer(
    sh: &Shared,
    scenario: &str,
    query: &BTreeMap<String, String>,
    noticket: bool,
) -> Resp {
    let lang = locale_part(query);
    if noticket {
        return Resp::json(format!(
            r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/{lang}/qrcode/login","qr_type":"qrcode_login"}}}}"#
        ));
    }
    let ticket = cookies::hex(32);
    sh.inner().ticket_mut(scenario, &ticket);
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/{lang}/qrcode/login?ticket={ticket}","qr_type":"qrcode_login"}}}}"#
    ));
    r.ticket = Some(ticket);
    r
}

fn fetch_answer(
    sh: &Shared,
    scenario: &str,
    raw_scenario: &str,
    sc: &Scenario,
    query: &BTreeMap<String, String>,
    fault: Option<Fault>,
) -> Resp {
    let ticket = match query.get("ticket") {
        Some(t) if !t.is_empty() => t,
        _ => return Resp::json_static(r#"{"code":-400,"message":"Request error","ttl":1}"#),
    };
    let state = sh.inner().advance(scenario, sc, ticket);
    let mut r = match state {
        State::Waiting => {
            Resp::json_static(r#"{"code":10018101,"message":"Not scanned","ttl":1,"data":null}"#)
        }
        State::Scanned => Resp::json_static(
            r#"{"code":10018102,"message":"Scanned, waiting for confirmation","ttl":1,"data":null}"#,
        ),
        State::Expired => Resp::json_static(
            r#"{"code":10018100,"message":"QR code expired","ttl":1,"data":null}"#,
        ),
        State::Confirmed => {
            // The cookie faults count only confirmed answers.
            let cookie_fault = match fault {
                Some(f @ (Fault::NoCookies | Fault::PartialCookies))
                    if take_fault(sh, scenario, sc) =>
                {
                    Some(f)
                }
                _ => None,
            };
            confirmed(sh, raw_scenario, sc, cookie_fault)
        }
    };
    r.ticket = Some(ticket.clone());
    r
}

/// `raw_scenario` is the scenario path segment as requested (used to build `go_url`).
fn confirmed(sh: &Shared, raw_scenario: &str, sc: &Scenario, cookie_fault: Option<Fault>) -> Resp {
    let exp = cookies::expires();
    let mut go_url = String::new();
    let mut cookie_info = None;
    let mut info_pairs = Vec::new();
    let cookies: Vec<String> = match (cookie_fault, sc.gourl, sc.cookieinfo) {
        (Some(Fault::NoCookies), _, _) => Vec::new(),
        (Some(_), _, _) => vec![cookies::sessdata(&exp)],
        (None, Some(GoUrl::Hops), _) => {
            go_url = if raw_scenario.is_empty() {
                format!("{}/gourl/hop1", sh.origin)
            } else {
                format!("{}/s/{raw_scenario}/gourl/hop1", sh.origin)
            };
            let mut v = vec![cookies::sessdata(&exp)];
            v.extend(cookies::droppable());
            v
        }
        (None, _, true) => {
            let jct = cookies::hex(32);
            let md5 = cookies::hex(16);
            let expiry = cookies::expiry_unix();
            let mid = sc.mid.to_string();
            let list: Vec<serde_json::Value> = [("bili_jct", &jct), ("DedeUserID", &mid), ("DedeUserID__ckMd5", &md5)]
                .iter()
                .map(|(n, v)| {
                    info_pairs.push(format!("{n}={v}"));
                    serde_json::json!({"name": n, "value": v, "http_only": 0, "expires": expiry, "secure": 0})
                })
                .collect();
            cookie_info = Some(serde_json::json!({"cookies": list, "domains": [".bilibili.tv"]}));
            vec![cookies::sessdata(&exp)]
        }
        (None, Some(GoUrl::Foreign), false) => {
            go_url = "https://evil.example.com/steal".to_string();
            cookies::full_set(sc.mid)
        }
        (None, None, false) => cookies::full_set(sc.mid),
    };
    let cookie_info = match cookie_info {
        Some(ci) => format!(",\"cookie_info\":{ci}"),
        None => String::new(),
    };
    let body = format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"mid":{},"is_new":false,"go_url":{},"user_profile":{{"is_userBlankProfile":false,"name":{},"face":""}}{cookie_info}}}}}"#,
        sc.mid,
        json_str(&go_url),
        json_str(&sc.name)
    );
    let mut r = Resp::json(body);
    r.cookies = cookies;
    r.cookie_info = info_pairs;
    r
}

fn hop1(raw_scenario: &str) -> Resp {
    let exp = cookies::expires();
    let loc = if raw_scenario.is_empty() {
        "/gourl/hop2".to_string()
    } else {
        format!("/s/{raw_scenario}/gourl/hop2")
    };
    let mut r = Resp::redirect(loc);
    r.cookies = cookies::jct_pair(&exp).to_vec();
    r
}

fn hop2(sc: &Scenario) -> Resp {
    let exp = cookies::expires();
    let mut r = Resp::html(
        200,
        "<html><head><title>bilibili</title></head><body>ok</body></html>".to_string(),
    );
    r.cookies = vec![cookies::dede_user_id(sc.mid), cookies::ck_md5(&exp)];
    r
}

/// The control API (`/__…`): not logged, not counted.
fn control(sh: &Shared, what: &str, query_str: &str) -> Resp {
    match what {
        "log" => {
            let inner = sh.inner();
            let log: Vec<&RequestRecord> = inner.log.iter().collect();
            let body = serde_json::to_vec(&log).unwrap_or_else(|_| b"[]".to_vec());
            Resp::new(200, JSON, Body::Owned(body))
        }
        "stats" => {
            let inner = sh.inner();
            Resp::json(format!(
                r#"{{"connections":{},"requests":{}}}"#,
                inner.connections, inner.requests
            ))
        }
        "reset" => {
            sh.inner().clear();
            Resp::json_static(r#"{"ok":true}"#)
        }
        "state" => {
            let q = parse_query(query_str);
            let scenario = q.get("scenario").map(String::as_str).unwrap_or("");
            let ticket = q.get("ticket").map(String::as_str).unwrap_or("");
            let state = q.get("state").and_then(|s| State::parse(s));
            match state {
                Some(st) if !ticket.is_empty() => {
                    force_state(sh, scenario, ticket, st);
                    Resp::json_static(r#"{"ok":true}"#)
                }
                _ => Resp::json_static(
                    r#"{"ok":false,"error":"want scenario=…&ticket=…&state=waiting|scanned|confirmed|expired"}"#,
                )
                .with_status(400),
            }
        }
        _ => {
            Resp::json_static(r#"{"ok":false,"error":"unknown control endpoint"}"#).with_status(404)
        }
    }
}
