//! HTTP helpers of the tests: an independent `Set-Cookie` parser and date parser, the cookie rules a correct
//! client follows (to compare the library's poll object with), a closed port, and a recording fake proxy.

use serde_json::{json, Value};
use std::sync::Mutex;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A parsed `Set-Cookie` header value: name, value and lowercase attribute names with their values.
#[derive(Debug, Clone)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub attrs: Vec<(String, String)>,
}

impl SetCookie {
    pub fn parse(header: &str) -> SetCookie {
        let mut parts = header.split(';');
        let pair = parts.next().unwrap_or("");
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let attrs = parts
            .map(|a| {
                let (k, v) = a.split_once('=').unwrap_or((a, ""));
                (k.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        SetCookie {
            name: name.trim().to_owned(),
            value: value.trim().to_owned(),
            attrs,
        }
    }

    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        self.attr(key).is_some()
    }
}

/// Parses an IMF-fixdate (`Thu, 01 Jan 1970 00:00:01 GMT`) into Unix seconds (independent of the
/// library's parser).
pub fn parse_http_date(s: &str) -> i64 {
    let p: Vec<&str> = s.split_whitespace().collect();
    assert_eq!(p.len(), 6, "not an IMF-fixdate: {s}");
    assert_eq!(p[5], "GMT", "not an IMF-fixdate: {s}");
    let day: i64 = p[1].parse().expect("day");
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == p[2])
    .expect("month") as i64
        + 1;
    let year: i64 = p[3].parse().expect("year");
    let hms: Vec<i64> = p[4].split(':').map(|x| x.parse().expect("time")).collect();
    // Days from civil (H. Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    days * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
}

/// Checks one cookie object of the poll object against the `Set-Cookie` header it came from.
/// `t0..=t1` bounds the time of the answer (for Max-Age).
#[track_caller]
pub fn assert_cookie_matches(obj: &Value, sc: &SetCookie, t0: i64, t1: i64) {
    let keys: Vec<&String> = obj.as_object().expect("cookie object").keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "domain",
            "expires",
            "http_only",
            "name",
            "path",
            "secure",
            "value"
        ],
        "cookie keys"
    );
    assert_eq!(obj["name"], json!(sc.name));
    assert_eq!(
        obj["value"].as_str(),
        Some(sc.value.as_str()),
        "value of {} must be byte-equal to what was sent",
        sc.name
    );
    match sc.attr("domain") {
        Some(d) => assert_eq!(
            obj["domain"],
            json!(d.trim_start_matches('.')),
            "domain of {}",
            sc.name
        ),
        None => assert_eq!(obj["domain"], Value::Null, "domain of {}", sc.name),
    }
    assert_eq!(
        obj["path"],
        json!(sc.attr("path").unwrap_or("/")),
        "path of {}",
        sc.name
    );
    assert_eq!(
        obj["secure"],
        json!(sc.flag("secure")),
        "secure of {}",
        sc.name
    );
    assert_eq!(
        obj["http_only"],
        json!(sc.flag("httponly")),
        "http_only of {}",
        sc.name
    );
    if let Some(age) = sc.attr("max-age") {
        let age: i64 = age.parse().expect("max-age");
        let e = obj["expires"].as_i64().expect("expires from Max-Age");
        assert!(
            (t0 + age - 1..=t1 + age + 1).contains(&e),
            "expires of {} from Max-Age={age}: {e} not in {}..={}",
            sc.name,
            t0 + age,
            t1 + age
        );
    } else if let Some(date) = sc.attr("expires") {
        assert_eq!(
            obj["expires"],
            json!(parse_http_date(date)),
            "expires of {} from Expires={date}",
            sc.name
        );
    } else {
        assert_eq!(
            obj["expires"],
            Value::Null,
            "expires of session cookie {}",
            sc.name
        );
    }
}

/// The cookies of `set_cookies` a correct client keeps, in order (later ones of a name replace earlier).
pub fn kept(set_cookies: &[String], now: i64) -> Vec<SetCookie> {
    let mut out: Vec<SetCookie> = Vec::new();
    for h in set_cookies {
        let sc = SetCookie::parse(h);
        let foreign = sc.attr("domain").is_some_and(|d| {
            let d = d.trim_start_matches('.').to_ascii_lowercase();
            !(d == "bilibili.tv"
                || d.ends_with(".bilibili.tv")
                || d == "biliintl.com"
                || d.ends_with(".biliintl.com")
                || d == "127.0.0.1")
        });
        if foreign {
            continue;
        }
        let deleted = match sc.attr("max-age") {
            Some(a) => a.parse::<i64>().expect("max-age") <= 0,
            None => sc
                .attr("expires")
                .is_some_and(|e| parse_http_date(e) <= now),
        };
        let at = out.iter().position(|c| c.name == sc.name);
        match (at, deleted) {
            (Some(i), true) => {
                out.remove(i);
            }
            (Some(i), false) => out[i] = sc,
            (None, true) => {}
            (None, false) => out.push(sc),
        }
    }
    out
}

/// A TCP port on 127.0.0.1 with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}

/// A "proxy" on 127.0.0.1 that records the first line of each request it receives, then closes the
/// connection without answering (a proxy failure).
pub struct FakeProxy {
    pub port: u16,
    pub lines: std::sync::Arc<Mutex<Vec<String>>>,
}

/// Reads a request's head from `stream`: up to the blank line that ends it, or about `limit` bytes, or what
/// came before the peer closed or the read timed out.
pub fn read_head(stream: &mut impl std::io::Read, limit: usize) -> Vec<u8> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < limit {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    head
}

/// The proxy environment variables a client reads, each in lower and in upper case: this list is the tests'
/// own, not the library's, so that a test clearing them checks the library against an independent one.
pub fn proxy_variables() -> impl Iterator<Item = String> {
    ["https_proxy", "all_proxy", "http_proxy", "no_proxy"]
        .into_iter()
        .flat_map(|name| [name.to_owned(), name.to_ascii_uppercase()])
}

impl FakeProxy {
    pub fn start() -> FakeProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let lines = std::sync::Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let head = read_head(&mut stream, 16 * 1024);
                let text = String::from_utf8_lossy(&head);
                let first = text.lines().next().unwrap_or("").to_owned();
                lock(&seen).push(first);
                drop(stream);
            }
        });
        FakeProxy { port, lines }
    }

    pub fn lines(&self) -> Vec<String> {
        lock(&self.lines).clone()
    }
}
