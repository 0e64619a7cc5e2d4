//! The fake server as a server: the control API, log and counters, keep-alive, garbage input, TLS, shutdown
//! (the routes' answers are in the `server` module), checked with a raw TCP client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;
use bili_qr_fake_server::{FakeServer, RequestRecord, State, LOG_CAPACITY};

#[test]
fn control_api_log_stats_reset() {
    let (srv, base) = start();
    let mut c = Conn::open(&base);
    c.send_raw(
        format!(
            "GET /s/id=a{FETCH}?ticket=ab%63d&s_locale=en_US&platform=web HTTP/1.1\r\nHost: x\r\nUser-Agent: UA/1\r\nX-Mixed-CASE: v\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(c.read_response().expect("answer").code(), 10018101);
    let r = c.get("/__log");
    assert_eq!(r.status, 200);
    let log: Vec<RequestRecord> = serde_json::from_slice(&r.body).expect("log JSON");
    assert_eq!(log.len(), 1);
    let rec = &log[0];
    assert_eq!(rec.seq, 1);
    assert_eq!(rec.method, "GET");
    assert_eq!(rec.path, format!("/s/id=a{FETCH}"));
    assert_eq!(rec.query.get("ticket").map(String::as_str), Some("abcd"));
    assert_eq!(rec.query.get("platform").map(String::as_str), Some("web"));
    assert_eq!(
        rec.headers.get("user-agent").map(String::as_str),
        Some("UA/1")
    );
    assert_eq!(
        rec.headers.get("x-mixed-case").map(String::as_str),
        Some("v")
    );
    assert_eq!(&log, &srv.log());
    let raw: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
    assert!(raw[0]["set_cookies"].is_array() && raw[0]["conn"].is_u64());

    let st = c.get("/__stats").json();
    assert_eq!(st, serde_json::json!({"connections": 1, "requests": 1}));
    let r = c.post("/__reset");
    assert_eq!(r.status, 200);
    assert_eq!(
        c.get("/__stats").json(),
        serde_json::json!({"connections": 0, "requests": 0})
    );
    assert_eq!(c.get("/__log").json(), serde_json::json!([]));
    // Ticket states were cleared: the ticket starts over.
    assert_eq!(
        c.get(&format!("/s/id=a{FETCH}?ticket=abcd")).code(),
        10018101
    );
    // After a reset the same connection counts again.
    assert_eq!(
        c.get("/__stats").json(),
        serde_json::json!({"connections": 1, "requests": 1})
    );
    assert_eq!(c.get("/__nope").status, 404);
}

#[test]
fn keep_alive_and_connection_counting() {
    let (srv, base) = start();
    let mut c = Conn::open(&base);
    let t = ticket_of(&c.get(URL));
    let codes: Vec<i64> = (0..4)
        .map(|_| c.get(&format!("{FETCH}?ticket={t}")).code())
        .collect();
    assert_eq!(codes, [10018101, 10018102, 0, 10018100]);
    assert_eq!(srv.connections(), 1);
    assert_eq!(srv.requests(), 5);
    let log = srv.log();
    assert!(log.iter().all(|l| l.conn == log[0].conn));
    assert_eq!(
        log.iter().map(|l| l.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    // Pipelined requests in one write.
    c.send_raw(
        format!("GET {URL} HTTP/1.1\r\nHost: x\r\n\r\nGET {URL} HTTP/1.1\r\nHost: x\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(c.read_response().expect("1st").code(), 0);
    assert_eq!(c.read_response().expect("2nd").code(), 0);
    // Connection: close is honoured.
    c.send_raw(format!("GET {URL} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes());
    let r = c.read_response().expect("answer");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.read_to_end().is_empty(), "closed after the answer");
    // A control-only connection is not counted; a second real one is.
    let mut c2 = Conn::open(&base);
    assert_eq!(c2.get("/__stats").json()["connections"], 1);
    let _ = get(&base, URL);
    assert_eq!(srv.connections(), 2);
    assert_eq!(srv.requests(), 9);
    // HTTP/1.0 closes by default.
    let mut c3 = Conn::open(&base);
    c3.send_raw(format!("GET {URL} HTTP/1.0\r\n\r\n").as_bytes());
    assert_eq!(c3.read_response().expect("answer").code(), 0);
    assert!(c3.read_to_end().is_empty());
}

#[test]
fn garbage_input_does_not_kill_the_server() {
    let (_srv, base) = start();
    let cases: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n".to_vec(),
        format!("GET /s/id=%ff%{URL}?ticket=%%%&=&a HTTP/1.1\r\nConnection: close\r\n\r\n")
            .into_bytes(),
    ];
    for case in cases {
        let mut c = Conn::open(&base);
        c.send_raw(&case);
        let raw = c.read_to_end();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 "), "{case:?} -> {text:?}");
    }
    // A head over 64 KiB.
    let mut c = Conn::open(&base);
    let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(70 * 1024));
    c.send_raw(big.as_bytes());
    let raw = c.read_to_end();
    assert!(String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 431 "));
    // Half a request then close.
    let mut c = Conn::open(&base);
    c.send_raw(b"GET /x/intl/pass");
    drop(c);
    // Still serving.
    assert_eq!(get(&base, URL).code(), 0);
}

#[test]
fn log_is_bounded_but_counters_keep_counting() {
    let (srv, base) = start();
    let n = LOG_CAPACITY + 50;
    let c = Conn::open(&base);
    let mut w = c.w.try_clone().expect("clone");
    let writer = thread::spawn(move || {
        let one = format!("GET {FETCH}?ticket=x HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut batch = String::new();
        for _ in 0..100 {
            batch.push_str(&one);
        }
        for _ in 0..n / 100 {
            w.write_all(batch.as_bytes()).expect("write");
        }
        for _ in 0..n % 100 {
            w.write_all(one.as_bytes()).expect("write");
        }
    });
    let mut c = c;
    for _ in 0..n {
        c.read_response().expect("answer");
    }
    writer.join().expect("writer");
    assert_eq!(srv.requests(), n as u64);
    assert_eq!(srv.connections(), 1);
    let log = srv.log();
    assert_eq!(log.len(), LOG_CAPACITY);
    assert_eq!(log[0].seq, 51);
    assert_eq!(log.last().map(|l| l.seq), Some(n as u64));
}

#[test]
fn tls_serves_https_with_a_test_ca() {
    use rustls::pki_types::pem::PemObject;
    use std::sync::Arc;
    let srv = FakeServer::start_tls();
    let base = srv.base_url();
    assert!(base.starts_with("https://127.0.0.1:"));
    let ca_der = srv.ca_der().expect("CA");
    assert_ne!(
        Some(&ca_der),
        srv.cert_der().as_ref(),
        "the leaf is not the CA"
    );
    // The PEM is the same certificate.
    let pem = srv.ca_pem().expect("CA PEM");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    let from_pem =
        rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).expect("valid PEM");
    assert_eq!(from_pem.as_ref(), ca_der.as_slice());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(from_pem).expect("add root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("ip name");
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).expect("client");
    let sock = TcpStream::connect(addr_of(&base)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(
        format!("GET /s/flow=c{FETCH}?ticket=t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("write");
    let mut v = Vec::new();
    let _ = tls.read_to_end(&mut v);
    let (head, body) = split_head(&v);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let j: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(j["code"], 0);
    assert_eq!(srv.log().len(), 1);
    // Plain HTTP to the TLS port gets no HTTP answer.
    let raw = raw_exchange(&base, URL);
    assert!(!raw.starts_with(b"HTTP/"));
    // A client with no extra roots refuses it (the CA was made a moment ago).
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("ip name");
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).expect("client");
    let sock = TcpStream::connect(addr_of(&base)).expect("connect");
    let (mut sock, mut conn) = (sock, conn);
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let err = conn
        .complete_io(&mut sock)
        .expect_err("handshake must fail");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert!(FakeServer::start().ca_pem().is_none(), "no CA without TLS");
}

#[test]
fn drop_shuts_down() {
    let (srv, base) = start();
    let mut idle = Conn::open(&base);
    assert_eq!(idle.get(URL).code(), 0);
    drop(srv);
    assert!(idle.read_to_end().is_empty(), "open connections are closed");
    let refused = TcpStream::connect_timeout(
        &addr_of(&base).parse().expect("addr"),
        Duration::from_millis(500),
    );
    assert!(refused.is_err(), "the listener is closed");
}

#[test]
fn percent_encoded_scenario_is_the_same_scenario() {
    let (srv, base) = start();
    assert_eq!(fetch(&base, "flow=wc,id=pe", "tk").code(), 10018101);
    // The same scenario, its separators percent-encoded by an eager client.
    assert_eq!(fetch(&base, "flow%3Dwc%2Cid%3Dpe", "tk").code(), 0);
    srv.set_state("flow=wc,id=pe", "tk", State::Scanned);
    assert_eq!(fetch(&base, "flow%3Dwc%2Cid%3Dpe", "tk").code(), 10018102);
}

#[test]
fn drop_interrupts_a_slow_answer() {
    let (srv, base) = start();
    let mut c = Conn::open(&base);
    // An answer that never comes: were the slow answer not interrupted, this read would give up only
    // after its 60 s timeout. The 10 s bound is far from that and from the moment the drop takes.
    c.r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    c.send_raw(
        format!("GET /s/fault=slow,delay=18446744073709551615{URL} HTTP/1.1\r\nHost: x\r\n\r\n")
            .as_bytes(),
    );
    // Whether the server has read the request yet or not, the drop ends the connection without an answer.
    thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    drop(srv);
    assert!(c.read_to_end().is_empty());
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}
