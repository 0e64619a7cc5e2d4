//! Connection handling: the accept loop, one thread per connection, reading requests, writing answers,
//! the request log and the stderr log lines.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::cookies::parse_cookie_header;
use crate::http::{self, find_head_end, parse_head, parse_query, reason, MAX_BODY, MAX_HEAD};
use crate::resp::{Kind, Resp, TEXT};
use crate::routes::{control, handle, Request};
use crate::state::{RequestRecord, Shared};
use crate::LOG_CAPACITY;

/// Header names used in turn for `Set-Cookie` lines (real clients must not care about the case).
pub(crate) const SET_COOKIE_NAMES: [&str; 3] = ["Set-Cookie", "set-cookie", "SET-COOKIE"];

pub(crate) fn spawn_logger(pending: Arc<AtomicU64>) -> io::Result<SyncSender<String>> {
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

pub(crate) fn accept_loop(listener: TcpListener, sh: Arc<Shared>) {
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

pub(crate) fn read_more<S: Read>(s: &mut S, buf: &mut Vec<u8>) -> bool {
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
pub(crate) fn send_error<S: Write>(s: &mut S, raw: &TcpStream, status: u16, msg: &str) {
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

pub(crate) fn serve_conn<S: Read + Write>(sh: &Shared, conn: u64, s: &mut S, raw: &TcpStream) {
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
        let form_raw = match (head.headers.get("content-type"), buf.get(head_end..total)) {
            (Some(ct), Some(body))
                if ct
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded") =>
            {
                Some(String::from_utf8_lossy(body).into_owned())
            }
            _ => None,
        };
        let form = form_raw
            .as_deref()
            .map(parse_query)
            .unwrap_or_else(BTreeMap::new);
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

        let req = Request {
            method: &head.method,
            path,
            query_str,
            query: parse_query(query_str),
            cookies: head
                .headers
                .get("cookie")
                .map(|c| parse_cookie_header(c))
                .unwrap_or_default(),
            form,
            form_raw: form_raw.unwrap_or_default(),
            headers: &head.headers,
        };
        let resp = handle(sh, &req);

        let status = if resp.kind == Kind::Reset {
            0
        } else {
            resp.status
        };
        log_request(sh, conn, &mut counted_epoch, &head, req, &resp, status);

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

pub(crate) fn log_request(
    sh: &Shared,
    conn: u64,
    counted_epoch: &mut Option<u64>,
    head: &http::Head,
    req: Request<'_>,
    resp: &Resp,
    status: u16,
) {
    let line = sh.logger.as_ref().map(|_| log_line(&req, resp, status));
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
            path: req.path.to_string(),
            query: req.query,
            headers: head.headers.clone(),
            set_cookies: resp.cookies.clone(),
            status,
            cookie_info: resp.cookie_info.clone(),
            cookies: req
                .cookies
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect(),
            form: req.form,
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

/// The start of a secret for a log line: at most 4 characters, and never more than half of it.
fn shortened(value: &str) -> String {
    let n = value.chars().count();
    value.chars().take((n / 2).min(4)).collect()
}

/// A stderr line: never a full ticket or cookie value.
pub(crate) fn log_line(req: &Request<'_>, resp: &Resp, status: u16) -> String {
    let mut line = format!("{} {} -> ", req.method, req.path);
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
            line.push_str(&format!(" {name}={}…", shortened(value)));
        }
    }
    if !req.cookies.is_empty() {
        line.push_str(" cookie:");
        for (name, value) in &req.cookies {
            line.push_str(&format!(" {name}={}…", shortened(value)));
        }
    }
    line
}

pub(crate) fn write_resp(out: &mut Vec<u8>, r: &Resp, close: bool) {
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
        // Raw bytes, whatever they are (the `location-*` faults send non-ASCII and spaces on purpose).
        let _ = write!(out, "Location: {loc}\r\n");
    }
    if r.folded && !r.cookies.is_empty() {
        let _ = write!(out, "Set-Cookie: {}\r\n", r.cookies.join(", "));
    } else {
        for (i, c) in r.cookies.iter().enumerate() {
            let _ = write!(out, "{}: {c}\r\n", SET_COOKIE_NAMES[i % 3]);
        }
    }
    for (n, v) in &r.extra_headers {
        let _ = write!(out, "{n}: {v}\r\n");
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
