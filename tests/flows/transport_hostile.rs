//! The HTTP layer, through the C ABI against the fake server's hostile shapes: non-ASCII and
//! invalid Locations and go_urls (never ERR_INTERNAL, never a lost login), out-of-range ports (nothing
//! sent), one deadline and one cancel across redirect hops (timings printed with `--nocapture`), header
//! limits, Retry-After, and proxies named in messages.

use crate::common::*;
use bili_qr::ffi::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn hostile_locations_never_panic_and_say_what_was_wrong() {
    for (fault, status, needles) in [
        ("location-nonascii", BILI_QR_ERR_HTTP, &["HTTP 404"][..]),
        ("location-space", BILI_QR_ERR_HTTP, &["HTTP 404"][..]),
        (
            "location-badhost",
            BILI_QR_ERR_NETWORK,
            &["invalid Location", "host"][..],
        ),
        (
            "location-badport",
            BILI_QR_ERR_NETWORK,
            &["invalid Location", "port"][..],
        ),
    ] {
        let env = Env::new(&format!("id=l-{fault},fault={fault}"));
        let opts = env.default_opts();
        let r = start(Some(&opts)).expect_err(status, needles);
        assert!(
            !r.error.contains("check the network"),
            "{fault}: {}",
            r.error
        );
        poll("T0123456789", Some(&opts)).expect_err(status, needles);
        // A bad host or port is not followed (and never replaced by a default): one request per call;
        // the others are followed percent-encoded, to a page that does not exist.
        let per_call = if status == BILI_QR_ERR_HTTP { 2 } else { 1 };
        assert_eq!(env.log().len(), 2 * per_call, "{fault}");
    }
}

#[test]
fn hostile_go_urls_never_lose_the_login() {
    for mode in ["nonascii", "badport", "secrethost"] {
        let env = Env::new(&format!("id=g-{mode},gourl={mode},flow=c"));
        let t = env.new_ticket();
        let r = poll(&t, Some(&env.default_opts())).expect(BILI_QR_OK);
        let v = r.json();
        assert_eq!(v["status"], "confirmed", "{mode}");
        let sessdata = v["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "SESSDATA")
            .map(|c| c["value"].as_str().unwrap().to_owned())
            .expect("SESSDATA kept");
        if let Some(warnings) = v.get("warnings") {
            assert!(
                !warnings.to_string().contains(&sessdata),
                "{mode}: {warnings}"
            );
        }
    }
}

#[test]
fn out_of_range_ports_are_argument_errors_and_nothing_is_sent() {
    for port in ["99999", "65616", "-1", "0"] {
        for key in ["base_url", "api_base_url"] {
            let opts = json!({ key: format!("http://127.0.0.1:{port}") }).to_string();
            start(Some(&opts)).expect_err(BILI_QR_ERR_ARGUMENT, &[key, "port"]);
        }
        let opts = json!({ "base_url": format!("http://127.0.0.1:{port}") }).to_string();
        poll("T0123456789", Some(&opts)).expect_err(BILI_QR_ERR_ARGUMENT, &["base_url", "port"]);
        let opts = json!({ "proxy": format!("socks5h://127.0.0.1:{port}") }).to_string();
        start(Some(&opts)).expect_err(BILI_QR_ERR_ARGUMENT, &["proxy", "port"]);
    }
}

/// wait_timeout_ms bounds the whole wait, across every redirect hop: each hop gets the time left, and a hop
/// still in flight at the deadline is cut there.
///
/// No test here asserts a tight bound on a duration: the fake server makes the outcome of a deadline that
/// was *not* honoured take 20 s or more, and the bound is 10 s, far from both that and the 1 s expected,
/// so a slow machine cannot turn a pass into a failure or a failure into a pass.
#[test]
fn a_wait_ends_on_its_deadline_inside_a_slow_redirect_chain() {
    // A hop that takes 20 s: a deadline that did not cut the request in flight would return after 20 s.
    let env = Env::new("id=w-slow,fault=slowchain,delay=20000,hops=2");
    let opts = env.opts(json!({"wait_timeout_ms": 1000, "timeout_ms": 60000}));
    let (r, took) = timed(|| wait("T0123456789", Some(&opts)));
    eprintln!("MEASURED wait_timeout_ms=1000, a redirect hop of 20 s: returned after {took:?}");
    r.expect_err(BILI_QR_ERR_TIMEOUT, &["wait_timeout_ms"]);
    assert!(took < Duration::from_secs(10), "{took:?}");

    // Hops of 600 ms each, shorter than the 1 s deadline: only the time left across the hops stops the
    // chain. The server answers hop N no sooner than N × 600 ms after the wait began, so a wait that gave
    // each hop the time left sends at most 2 requests before its deadline, whatever the machine's speed;
    // one that gave each hop a fresh budget would follow the whole chain (6 requests, too many redirects).
    let env = Env::new("id=w-hops,fault=slowchain,delay=600,hops=6");
    let opts = env.opts(json!({"wait_timeout_ms": 1000, "timeout_ms": 60000}));
    wait("T0123456789", Some(&opts)).expect_err(BILI_QR_ERR_TIMEOUT, &["wait_timeout_ms"]);
    let sent = env.log().len();
    assert!(
        sent <= 2,
        "{sent} requests answered: the chain went on past the deadline"
    );

    // The same with a confirmed login whose go_url is a chain of 20 s hops: the login is kept, and the
    // go_url visit is cut at the deadline (else it would take 20 s).
    let env = Env::new("id=w-goslow,gourl=slowchain,delay=20000,hops=2,flow=c");
    let opts = env.opts(json!({"wait_timeout_ms": 1000, "timeout_ms": 60000}));
    let (r, took) = timed(|| wait("T0123456789", Some(&opts)));
    eprintln!(
        "MEASURED wait_timeout_ms=1000, confirmed login, go_url a 20 s hop: returned after {took:?}"
    );
    let r = r.expect(BILI_QR_OK);
    assert_eq!(r.json()["status"], "confirmed");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// Copies `client` to `upstream` and back until either side closes (the test relays' second half).
fn splice(client: std::net::TcpStream, upstream: std::net::TcpStream) -> std::io::Result<()> {
    let (mut c2, mut u2) = (client.try_clone()?, upstream.try_clone()?);
    let (mut c1, mut u1) = (client, upstream);
    std::thread::spawn(move || std::io::copy(&mut u2, &mut c2));
    std::io::copy(&mut c1, &mut u1)?;
    Ok(())
}

/// A TCP relay to `upstream` on 127.0.0.1: sends on the channel when a connection has sent its first
/// bytes (a request is on its way to the server), then copies both ways.
fn signalling_relay(upstream: u16) -> (u16, std::sync::mpsc::Receiver<()>) {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let tx = tx.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut upstream = TcpStream::connect(("127.0.0.1", upstream))?;
                let mut first = [0u8; 4096];
                let n = client.read(&mut first)?;
                upstream.write_all(&first[..n])?;
                let _ = tx.send(());
                splice(client, upstream)
            });
        }
    });
    (port, rx)
}

/// bili_qr_cancel is seen between hops: a wait cancelled during a hop returns once that hop has answered,
/// without following the redirect.
#[test]
fn a_cancelled_wait_returns_within_one_hop() {
    // Hops of 3 s, at most 6 in a chain (5 redirects). The first request goes through a relay that says
    // when it is sent; the redirects go to the server directly.
    let env = Env::new("id=w-cancel,fault=slowchain,delay=3000,hops=8");
    let port = env.srv.port();
    let (relay, sent) = signalling_relay(port);
    let base = env
        .base()
        .replacen(&format!(":{port}"), &format!(":{relay}"), 1);
    let opts = env.opts(json!({"base_url": base, "wait_timeout_ms": 60000, "timeout_ms": 10000}));
    let ticket = "Tcancel0123456789";
    let waiter = {
        let opts = opts.clone();
        std::thread::spawn(move || {
            let r = wait(ticket, Some(&opts));
            (r, Instant::now())
        })
    };
    // The wait registers itself before its first request, so once that request is sent the cancel finds
    // it running (and signals exactly it).
    sent.recv_timeout(Duration::from_secs(30))
        .expect("the wait sent no request");
    let cancelled_at = Instant::now();
    let n = cancel(ticket);
    assert_eq!(n.status, 1, "one wait signalled");
    let (r, ended) = waiter.join().unwrap();
    let after = ended.duration_since(cancelled_at);
    eprintln!("MEASURED cancel during a chain of 3 s redirect hops: the wait returned {after:?} after the cancel");
    r.expect_err(BILI_QR_ERR_CANCELLED, &["cancel"]);
    // The hop in flight (at most 3 s) ends it. A cancel not seen between hops would let the wait follow
    // the 5 remaining hops (15 s more) before it could notice: the 9 s bound is far from both.
    assert!(after < Duration::from_secs(9), "{after:?}");
    // The cancel stopped the chain at the next redirect: the first hop was answered, and a second only if
    // this thread was held up for a whole hop (3 s) between the signal and the cancel; all 6 without it.
    let answered = env.log().len();
    assert!(
        answered <= 2,
        "{answered} hops answered: the cancel was not seen between hops"
    );
}

#[test]
fn header_limits_and_retry_after() {
    let env = Env::new("id=h-many,fault=manyheaders,flow=w");
    poll("T0123456789", Some(&env.default_opts())).expect(BILI_QR_WAITING);
    for (fault, limit) in [
        ("toomanyheaders", "header count limit"),
        ("longheader", "header line limit"),
    ] {
        let env = Env::new(&format!("id=h-{fault},fault={fault}"));
        // A limit error comes at once; a reader waiting for more of the head would wait for the 60 s
        // timeout. The 10 s bound is far from both.
        let opts = env.opts(json!({"timeout_ms": 60000}));
        let (r, took) = timed(|| poll("T0123456789", Some(&opts)));
        r.expect_err(BILI_QR_ERR_PROTOCOL, &[limit]);
        assert!(took < Duration::from_secs(10), "{fault}: {took:?}");
    }
    let env = Env::new("id=h-429,fault=429,retry=9");
    poll("T0123456789", Some(&env.default_opts()))
        .expect_err(BILI_QR_ERR_HTTP, &["HTTP 429", "9 s", "Retry-After"]);
}

#[test]
fn a_dead_proxy_is_named_not_base_url() {
    let port = closed_port();
    for scheme in ["http", "socks5h"] {
        let env = Env::new(&format!("id=p-{scheme}"));
        let opts = env.opts(json!({"proxy": format!("{scheme}://127.0.0.1:{port}")}));
        let r = start(Some(&opts)).expect_err(
            BILI_QR_ERR_NETWORK,
            &[&format!(
                "the proxy 127.0.0.1:{port} refused the connection"
            )],
        );
        assert!(!r.error.contains("check base_url"), "{}", r.error);
        assert_eq!(env.srv.requests(), 0);
    }
}

/// A minimal SOCKS5 proxy (no authentication, CONNECT only) that records the address form it was given:
/// `name:host` for a domain name (ATYP 3), `ip:addr` for an address, then relays to it on 127.0.0.1.
fn socks5_proxy() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let record = record.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                client.set_read_timeout(Some(Duration::from_secs(5)))?;
                let mut b = [0u8; 2];
                client.read_exact(&mut b)?;
                let mut methods = vec![0u8; b[1] as usize];
                client.read_exact(&mut methods)?;
                client.write_all(&[5, 0])?;
                let mut req = [0u8; 4];
                client.read_exact(&mut req)?;
                let form = match req[3] {
                    1 => {
                        let mut a = [0u8; 4];
                        client.read_exact(&mut a)?;
                        format!("ip:{}", std::net::Ipv4Addr::from(a))
                    }
                    4 => {
                        let mut a = [0u8; 16];
                        client.read_exact(&mut a)?;
                        format!("ip:{}", std::net::Ipv6Addr::from(a))
                    }
                    _ => {
                        let mut n = [0u8; 1];
                        client.read_exact(&mut n)?;
                        let mut name = vec![0u8; n[0] as usize];
                        client.read_exact(&mut name)?;
                        format!("name:{}", String::from_utf8_lossy(&name))
                    }
                };
                let mut p = [0u8; 2];
                client.read_exact(&mut p)?;
                record.lock().unwrap().push(form);
                let upstream = TcpStream::connect(("127.0.0.1", u16::from_be_bytes(p)))?;
                client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])?;
                client.set_read_timeout(None)?;
                splice(client, upstream)
            });
        }
    });
    (port, seen)
}

/// socks5h:// hands the proxy the host name (it resolves it); socks5:// hands it an address resolved here.
#[test]
fn socks5h_lets_the_proxy_resolve_names_and_socks5_does_not() {
    let env = Env::new("id=socks");
    let base = env.base().replace("127.0.0.1", "localhost");
    for (scheme, expect) in [("socks5h", "name:localhost"), ("socks5", "ip:")] {
        let (port, seen) = socks5_proxy();
        let opts =
            json!({"base_url": base, "proxy": format!("{scheme}://127.0.0.1:{port}")}).to_string();
        start(Some(&opts)).expect(BILI_QR_OK);
        let seen = seen.lock().unwrap().clone();
        assert!(!seen.is_empty(), "{scheme}: the proxy was not used");
        assert!(
            seen.iter().all(|s| s.starts_with(expect)),
            "{scheme}: {seen:?}"
        );
    }
    assert_eq!(env.srv.requests(), 2);
}
