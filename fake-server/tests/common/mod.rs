//! A deliberately tiny raw HTTP/1.1 client over TcpStream (not the bili_qr library), so the tests see
//! exactly the bytes the server sends.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

// The cookies the service sets, shared with the library's tests (test code only).
#[path = "../../../tests/common/service.rs"]
mod service;
pub use bili_qr_fake_server::{FETCH_PATH as FETCH, URL_PATH as URL};
#[allow(unused_imports)]
pub use service::{kept_then, KEPT, TV_COOKIES};

/// `name=value` of a `cookie_info` entry (a missing field is empty).
pub fn cookie_pair(c: &serde_json::Value) -> String {
    format!(
        "{}={}",
        c["name"].as_str().unwrap_or(""),
        c["value"].as_str().unwrap_or("")
    )
}

/// The query keys of a URL that carries the credentials (the old crossDomain URL), in the service's order.
pub const QUERY_CREDENTIALS: [&str; 6] = [
    "DedeUserID",
    "DedeUserID__ckMd5",
    "Expires",
    "SESSDATA",
    "bili_jct",
    "gourl",
];

/// The cookie names of a default confirmed answer: the kept cookies, then a tracker and an expired one.
pub fn full_cookie_set() -> Vec<&'static str> {
    kept_then(&["buvid3", "old_tracker"])
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header lines as sent (name case preserved), in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.clone())
            .collect()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
    /// The values of every header line with this name, in order.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    pub fn code(&self) -> i64 {
        self.json()["code"].as_i64().expect("numeric code")
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The `Attribute=value` of a Set-Cookie line (case-insensitive name; `""` for a flag).
pub fn attr<'a>(set_cookie: &'a str, name: &str) -> Option<&'a str> {
    set_cookie.split(';').skip(1).find_map(|a| {
        let a = a.trim();
        let (n, v) = a.split_once('=').unwrap_or((a, ""));
        n.eq_ignore_ascii_case(name).then_some(v)
    })
}

/// `http://127.0.0.1:PORT` → `127.0.0.1:PORT`.
pub fn addr_of(base: &str) -> String {
    base.trim_start_matches("http://")
        .trim_start_matches("https://")
        .to_string()
}

pub struct Conn {
    pub r: BufReader<TcpStream>,
    pub w: TcpStream,
}

impl Conn {
    pub fn open(base: &str) -> Conn {
        let s = TcpStream::connect(addr_of(base)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let w = s.try_clone().expect("clone");
        Conn {
            r: BufReader::new(s),
            w,
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).expect("write");
    }

    /// GET with browser-ish headers; keeps the connection open.
    pub fn get(&mut self, target: &str) -> Response {
        self.send_raw(
            format!(
                "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Mozilla/5.0 test\r\nReferer: https://www.bilibili.tv/\r\n\r\n"
            )
            .as_bytes(),
        );
        self.read_response().expect("a response")
    }

    /// Any method, extra header lines (`Name: value`), and a body (Content-Length set when non-empty).
    pub fn request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
        self.read_response().expect("a response")
    }

    pub fn post(&mut self, target: &str) -> Response {
        self.send_raw(
            format!("POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        );
        self.read_response().expect("a response")
    }

    /// Reads one response; None when the connection closed before a status line.
    pub fn read_response(&mut self) -> Option<Response> {
        let mut line = String::new();
        match self.r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.r.read_line(&mut h).expect("header line");
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').expect("header colon");
            headers.push((n.to_string(), v.trim().to_string()));
        }
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if resp
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            loop {
                let mut size = String::new();
                self.r.read_line(&mut size).expect("chunk size");
                let n = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
                let mut chunk = vec![0u8; n + 2];
                self.r.read_exact(&mut chunk).expect("chunk");
                assert_eq!(&chunk[n..], b"\r\n");
                if n == 0 {
                    break;
                }
                resp.body.extend_from_slice(&chunk[..n]);
            }
        } else if let Some(cl) = resp.header("content-length") {
            let n: usize = cl.parse().expect("numeric Content-Length");
            let mut body = vec![0u8; n];
            self.r.read_exact(&mut body).expect("full body");
            resp.body = body;
        } else {
            self.r.read_to_end(&mut resp.body).expect("body to EOF");
        }
        Some(resp)
    }

    /// Everything the server still sends until it closes.
    pub fn read_to_end(&mut self) -> Vec<u8> {
        let mut v = Vec::new();
        let _ = self.r.read_to_end(&mut v);
        v
    }
}

/// A fake server on a free loopback port and its base URL. The server stops when it is dropped, so a test
/// binds it to a name (`_srv` where it only needs the URL), never to `_`.
pub fn start() -> (bili_qr_fake_server::FakeServer, String) {
    let srv = bili_qr_fake_server::FakeServer::start();
    let base = srv.base_url();
    (srv, base)
}

/// One request on a fresh connection.
pub fn get(base: &str, target: &str) -> Response {
    Conn::open(base).get(target)
}

/// One GET on a fresh connection with a `Cookie` header.
pub fn get_with_cookie(base: &str, target: &str, cookie: &str) -> Response {
    Conn::open(base).request("GET", target, &[("Cookie", cookie)], b"")
}

/// Issues a ticket via `{prefix}/…/url` and returns it.
pub fn issue(base: &str, scenario: &str) -> String {
    let r = get(
        base,
        &format!("{}{URL}?s_locale=en_US&platform=web", prefix(scenario)),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["code"], 0);
    let t = ticket_of(&r);
    assert_eq!(t.len(), 32, "{t}");
    assert!(t
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    t
}

/// A url answer's `qr_url`.
pub fn qr_url_of(url_answer: &Response) -> String {
    url_answer.json()["data"]["qr_url"]
        .as_str()
        .expect("qr_url")
        .to_string()
}

/// The ticket in a url answer's `qr_url`.
pub fn ticket_of(url_answer: &Response) -> String {
    let qr = qr_url_of(url_answer);
    qr.split("ticket=")
        .nth(1)
        .unwrap_or_else(|| panic!("no ticket in {qr}"))
        .to_string()
}

pub fn prefix(scenario: &str) -> String {
    if scenario.is_empty() {
        String::new()
    } else {
        format!("/s/{scenario}")
    }
}

pub fn fetch(base: &str, scenario: &str, ticket: &str) -> Response {
    get(
        base,
        &format!(
            "{}{FETCH}?ticket={ticket}&s_locale=en_US&platform=web",
            prefix(scenario)
        ),
    )
}

/// The confirmed answer under `sc` (which has `flow=c`) of a `gourl=` mode that leaves the cookies to its
/// hops: it sets only SESSDATA and the two trackers, and its go_url is hop1 on this server. Returns the
/// answer and hop1's path.
pub fn hop_login(base: &str, sc: &str) -> (Response, String) {
    let r = fetch(base, sc, "tk");
    assert_eq!(r.code(), 0, "{sc}");
    assert_eq!(
        names(&r.set_cookies()),
        ["SESSDATA", "buvid3", "old_tracker"],
        "{sc}"
    );
    let hop1 = format!("/s/{sc}/gourl/hop1");
    assert_eq!(r.json()["data"]["go_url"], format!("{base}{hop1}"), "{sc}");
    (r, hop1)
}

/// The cookie's `name=value`.
pub fn pair(set_cookie: &str) -> (String, String) {
    let p = set_cookie.split(';').next().unwrap_or("");
    let (n, v) = p.split_once('=').expect("name=value");
    (n.trim().to_string(), v.trim().to_string())
}

pub fn names(set_cookies: &[String]) -> Vec<String> {
    set_cookies.iter().map(|c| pair(c).0).collect()
}

/// Sends one GET on a fresh connection and returns every byte the server sent until it closed.
pub fn raw_exchange(base: &str, target: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr_of(base)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(
        format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .expect("write");
    let mut v = Vec::new();
    let _ = s.read_to_end(&mut v);
    v
}

pub fn split_head(raw: &[u8]) -> (String, Vec<u8>) {
    let i = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete head");
    (
        String::from_utf8_lossy(&raw[..i]).into_owned(),
        raw[i + 4..].to_vec(),
    )
}
