//! The documented passport endpoints: `auth/url` and `auth/fetch`, with the confirmed answer's shapes.

use std::collections::BTreeMap;

use super::{take_fault, Ctx, Request};
use crate::cookies::{self, Creds};
use crate::resp::{json_str, Body, Resp};
use crate::scenario::{Browser, Confirm, CookieInfo, Fault, GoUrl, QrUrl};
use crate::state::State;

/// The host-only cookie that ties a ticket to its browser session under `gate=1`.
pub(crate) const GATE_COOKIE: &str = "pp_gate";

pub(crate) fn locale_part(query: &BTreeMap<String, String>) -> String {
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

/// `"code":0`, or `"code":"0"` under `codestr=1`, or `"code":0.0` / `"code":10018101e0` under
/// `browser=floats`.
fn code(cx: &Ctx<'_>, code: i64) -> String {
    if cx.sc.codestr {
        format!(r#""code":"{code}""#)
    } else if cx.sc.browser == Some(Browser::Floats) {
        format!(r#""code":{}"#, float(code))
    } else {
        format!(r#""code":{code}"#)
    }
}

pub(crate) fn url_answer(cx: &Ctx<'_>, query: &BTreeMap<String, String>, noticket: bool) -> Resp {
    let lang = locale_part(query);
    let c = code(cx, 0);
    if noticket {
        return Resp::json(format!(
            r#"{{{c},"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/{lang}/qrcode/login","qr_type":"qrcode_login"}}}}"#
        ));
    }
    let ticket = cookies::hex(32);
    let gate = cx.sc.gate.then(|| cookies::hex(16));
    cx.sh.inner().ticket_mut(cx.key, &ticket).gate = gate.clone();
    let qr_url = match cx.sc.qrurl {
        None => format!("https://www.bilibili.tv/h5/{lang}/qrcode/login?ticket={ticket}"),
        Some(QrUrl::Javascript) => format!("javascript:alert(1)//?ticket={ticket}"),
        Some(QrUrl::Foreign) => format!("https://evil.example/phish?ticket={ticket}"),
    };
    let mut r = Resp::json(format!(
        r#"{{{c},"message":"0","ttl":1,"data":{{"qr_url":{},"qr_type":"qrcode_login"}}}}"#,
        json_str(&qr_url)
    ));
    if let Some(g) = gate {
        r.cookies = vec![format!("{GATE_COOKIE}={g}; Path=/; HttpOnly")];
    }
    r.ticket = Some(ticket);
    browser_body(cx, r)
}

pub(crate) fn fetch_answer(cx: &Ctx<'_>, req: &Request<'_>, fault: Option<Fault>) -> Resp {
    let ticket = match req.query.get("ticket") {
        Some(t) if !t.is_empty() => t,
        _ => return Resp::json_static(r#"{"code":-400,"message":"Request error","ttl":1}"#),
    };
    let gated = cx.sc.gate && {
        let want = cx.sh.inner().gate_of(cx.key, ticket);
        !want.is_some_and(|w| req.cookies.iter().any(|(n, v)| n == GATE_COOKIE && *v == w))
    };
    let state = if gated {
        // Without the ticket's cookie the ticket stays waiting, its state untouched.
        State::Waiting
    } else {
        cx.sh.inner().advance(cx.key, &cx.sc, ticket)
    };
    let mut r = match state {
        State::Waiting => Resp::json(format!(
            r#"{{{},"message":"Not scanned","ttl":1,"data":null}}"#,
            code(cx, 10018101)
        )),
        State::Scanned => Resp::json(format!(
            r#"{{{},"message":"Scanned, waiting for confirmation","ttl":1,"data":null}}"#,
            code(cx, 10018102)
        )),
        State::Expired => Resp::json(format!(
            r#"{{{},"message":"QR code expired","ttl":1,"data":null}}"#,
            code(cx, 10018100)
        )),
        State::Confirmed => {
            // The cookie faults count only confirmed answers.
            let cookie_fault = match fault {
                Some(f @ (Fault::NoCookies | Fault::PartialCookies))
                    if take_fault(cx.sh, cx.key, &cx.sc) =>
                {
                    Some(f)
                }
                _ => None,
            };
            confirmed(cx, cookie_fault)
        }
    };
    r.ticket = Some(ticket.clone());
    browser_body(cx, r)
}

/// `data.cookie_info` for `cookieinfo=…`, and the `name=value` pairs for the log.
fn cookie_info(kind: CookieInfo, c: &Creds) -> (serde_json::Value, Vec<String>) {
    let expiry = cookies::expiry_unix();
    let mid = c.mid.to_string();
    let base = [
        ("bili_jct", c.jct.as_str()),
        ("DedeUserID", mid.as_str()),
        ("DedeUserID__ckMd5", c.md5.as_str()),
    ];
    let pairs: Vec<String> = base.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let mut list: Vec<serde_json::Value> = base
        .iter()
        .map(|(n, v)| serde_json::json!({"name": n, "value": v, "http_only": 0, "expires": expiry, "secure": 0}))
        .collect();
    match kind {
        CookieInfo::Hostile => {
            for (n, v) in [
                ("evil\r\nX-Injected: 1", "1"),
                ("evil2", "a\r\nSet-Cookie: x=1"),
                ("ev\0il3", "1"),
                ("evil4", "a; Domain=evil.example"),
                ("evil5;", "1"),
                ("evil6", "nul\0"),
            ] {
                list.push(serde_json::json!({"name": n, "value": v, "http_only": 0, "expires": expiry, "secure": 0}));
            }
        }
        CookieInfo::Many => {
            list.extend(
                (1..=29_997).map(|i| serde_json::json!({"name": format!("c{i}"), "value": "1"})),
            );
        }
        _ => {}
    }
    let domains = match kind {
        CookieInfo::Foreign => serde_json::json!([".evil.example"]),
        CookieInfo::Mixed => serde_json::json!([".evil.example", ".bilibili.tv"]),
        _ => serde_json::json!([".bilibili.tv"]),
    };
    (
        serde_json::json!({"cookies": list, "domains": domains}),
        pairs,
    )
}

/// The confirmed answer: cookies by the channel the scenario picks, `data` in its shape.
pub(crate) fn confirmed(cx: &Ctx<'_>, cookie_fault: Option<Fault>) -> Resp {
    let sc = &cx.sc;
    let origin = &cx.sh.origin;
    let prefix = &cx.prefix;
    let creds = Creds::new(sc.mid, &sc.name, sc.longsess);
    let exp = cookies::expires();
    let mut go_url = String::new();
    let mut info = None;
    let mut info_pairs = Vec::new();
    let mut cookies: Vec<String> = match (cookie_fault, sc.gourl, sc.cookieinfo) {
        (Some(Fault::NoCookies), _, _) => Vec::new(),
        (Some(_), _, _) => vec![cookies::sessdata(&creds, &exp)],
        (None, Some(g), _) if g.hops() => {
            go_url = format!("{origin}{prefix}/gourl/hop1");
            let mut v = vec![cookies::sessdata(&creds, &exp)];
            v.extend(cookies::droppable());
            v
        }
        (None, Some(GoUrl::Query), _) => {
            let pairs = [
                ("DedeUserID", creds.mid.to_string()),
                ("DedeUserID__ckMd5", creds.md5.clone()),
                ("SESSDATA", creds.sessdata.clone()),
                ("bili_jct", creds.jct.clone()),
            ];
            info_pairs = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
            go_url = format!(
                "{origin}{prefix}/gourl/crossDomain?DedeUserID={}&DedeUserID__ckMd5={}&Expires={}&SESSDATA={}&bili_jct={}&gourl=https%3A%2F%2Fwww.bilibili.tv%2F",
                creds.mid,
                creds.md5,
                cookies::expiry_unix(),
                creds.sessdata,
                creds.jct
            );
            Vec::new()
        }
        (None, _, Some(kind)) => {
            let (ci, pairs) = cookie_info(kind, &creds);
            info = Some(ci);
            info_pairs = pairs;
            vec![cookies::sessdata(&creds, &exp)]
        }
        (None, Some(g), None) => {
            go_url = match g {
                GoUrl::Foreign => "https://evil.example.com/steal".to_string(),
                GoUrl::NonAscii => "/x/abcd\u{e9}?from=gourl".to_string(),
                GoUrl::BadPort => "http://127.0.0.1:99999/gourl/hop1".to_string(),
                GoUrl::SlowChain => format!("{origin}{prefix}/gourl/slow/1"),
                GoUrl::SecretHost => format!("https://{}.bilibili.tv/", creds.sessdata),
                // Handled above.
                GoUrl::Hops | GoUrl::Hop404 | GoUrl::HopForeign | GoUrl::Query => String::new(),
            };
            cookies::full_set(&creds)
        }
        (None, None, None) => cookies::full_set(&creds),
    };
    match (cookie_fault, sc.browser) {
        (None, Some(Browser::CrossDomain)) => {
            (go_url, info_pairs) = cross_domain(&creds);
            cookies = Vec::new();
        }
        (None, Some(Browser::Location)) => {
            go_url = format!("{origin}{prefix}/gourl/hop1");
            info_pairs = cross_domain(&creds).1;
            cookies = Vec::new();
        }
        (None, Some(Browser::PathDelete)) => cookies.extend([
            "SESSDATA=; Path=/x/intl; Domain=bilibili.tv; Max-Age=0".to_string(),
            "bili_jct=deleted; Path=/intl/gateway; Domain=.bilibili.tv; Expires=Thu, 01 Jan 1970 00:00:01 GMT"
                .to_string(),
        ]),
        (None, Some(Browser::Shadow)) => cookies.extend([
            cookies::sessdata_at(&cookies::sessdata_value(false), "www.bilibili.tv", &exp),
            format!(
                "bili_jct={}; Path=/; Domain=www.bilibili.tv; Expires={exp}; Secure",
                cookies::hex(32)
            ),
        ]),
        _ => {}
    }
    if cookie_fault != Some(Fault::NoCookies) {
        cx.sh.sessions().add(cx.key, &creds);
    }
    if sc.main.foreign {
        if let Some(i) = cookies.iter().position(|c| c.starts_with("old_tracker=")) {
            cookies.insert(i + 1, cookies::foreign());
        }
    }
    if sc.hostile_domains {
        let at = cookies
            .iter()
            .position(|c| c.starts_with("buvid3="))
            .unwrap_or(cookies.len());
        for (i, c) in cookies::hostile_domains().into_iter().enumerate() {
            cookies.insert(at + i, c);
        }
    }

    // `data`, in the scenario's shape; go_url and cookie_info stay whenever a channel needs them.
    let mut data: Vec<(&str, String)> = Vec::new();
    let channel_go_url = sc.gourl.is_some();
    let name = json_str(&sc.name);
    let inner = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .unwrap_or("");
    let name = match sc.browser {
        Some(Browser::Surrogate) => format!(r#""\ud83d{inner}\udc00""#),
        Some(Browser::CutUtf8) => format!(r#""{inner}{CUT_MARK}""#),
        _ => name,
    };
    let profile = format!(r#"{{"is_userBlankProfile":false,"name":{name},"face":""}}"#);
    let mid = if sc.browser == Some(Browser::Floats) {
        float(sc.mid as i64)
    } else {
        sc.mid.to_string()
    };
    match sc.confirm {
        None => {
            data.push(("mid", mid));
            data.push(("is_new", "false".to_string()));
            data.push(("go_url", json_str(&go_url)));
            data.push(("user_profile", profile));
        }
        Some(Confirm::Sparse) => {
            data.push(("mid", sc.mid.to_string()));
            if channel_go_url {
                data.push(("go_url", json_str(&go_url)));
            }
        }
        Some(Confirm::Nulls) => {
            data.push(("mid", "null".to_string()));
            data.push(("is_new", "null".to_string()));
            let g = if channel_go_url {
                json_str(&go_url)
            } else {
                "null".to_string()
            };
            data.push(("go_url", g));
            data.push(("user_profile", "null".to_string()));
        }
        Some(Confirm::Empty) => {
            if channel_go_url {
                data.push(("go_url", json_str(&go_url)));
            }
        }
    }
    if let Some(ci) = info {
        data.push(("cookie_info", ci.to_string()));
    }
    let data: Vec<String> = data.iter().map(|(k, v)| format!(r#""{k}":{v}"#)).collect();
    let body = format!(
        r#"{{{},"message":"0","ttl":1,"data":{{{}}}}}"#,
        code(cx, 0),
        data.join(",")
    );
    let mut r = Resp::json(body);
    r.cookies = cookies;
    r.folded = sc.folded;
    r.cookie_info = info_pairs;
    r
}

/// Where `browser=cututf8` cuts a UTF-8 sequence into the profile name.
const CUT_MARK: &str = "@@cut@@";

/// A JSON number written as a float: `0.0`, `10018101e0`, `-101e0`.
fn float(n: i64) -> String {
    if n == 0 {
        "0.0".to_string()
    } else {
        format!("{n}e0")
    }
}

/// The mainland's crossDomain URL (on `passport.biligame.com`, which no client requests) with the session's
/// credentials in its query, and their `name=value` pairs for the log.
fn cross_domain(c: &Creds) -> (String, Vec<String>) {
    let pairs = [
        ("DedeUserID", c.mid.to_string()),
        ("DedeUserID__ckMd5", c.md5.clone()),
        ("SESSDATA", c.sessdata.clone()),
        ("bili_jct", c.jct.clone()),
    ];
    let url = format!(
        "https://passport.biligame.com/x/passport-login/web/crossDomain?DedeUserID={}&DedeUserID__ckMd5={}&Expires={}&SESSDATA={}&bili_jct={}&gourl=https%3A%2F%2Fwww.bilibili.tv%2F",
        c.mid,
        c.md5,
        cookies::expiry_unix(),
        c.sessdata,
        c.jct
    );
    (url, pairs.iter().map(|(n, v)| format!("{n}={v}")).collect())
}

pub(crate) fn cross_domain_url(c: &Creds) -> String {
    cross_domain(c).0
}

/// A passport answer's body as `browser=` shapes it: a byte order mark, a cut UTF-8 sequence, or the
/// whole body gzip- or deflate-encoded (with `Content-Encoding`, whatever the request asked for).
fn browser_body(cx: &Ctx<'_>, mut r: Resp) -> Resp {
    let Some(shape) = cx.sc.browser else {
        return r;
    };
    let mut body = r.body.bytes().to_vec();
    if let Some(at) = find(&body, CUT_MARK.as_bytes()) {
        // The first two bytes of the three of U+65E5.
        body.splice(at..at + CUT_MARK.len(), [0xE6, 0x97]);
    }
    body = match shape {
        Browser::Bom => [&[0xEF, 0xBB, 0xBF][..], &body].concat(),
        Browser::Gzip => {
            r.extra_headers
                .push(("Content-Encoding".to_string(), "gzip".to_string()));
            gzip_stored(&body)
        }
        Browser::Deflate => {
            r.extra_headers
                .push(("Content-Encoding".to_string(), "deflate".to_string()));
            zlib_stored(&body)
        }
        _ => body,
    };
    r.body = Body::Owned(body);
    r
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Deflate (RFC 1951) stored blocks: no compression, each block at most 65,535 bytes, the last one final.
fn deflate_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 5 * (data.len() / 65_535 + 1));
    let mut chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        out.push(u8::from(i == last));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// CRC-32 (ISO 3309, the gzip trailer's).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A gzip member (RFC 1952) holding `data` in stored blocks.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate_stored(data));
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// A zlib stream (RFC 1950) holding `data` in stored blocks: what HTTP calls `deflate`.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    out.extend(deflate_stored(data));
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let z = zlib_stored(b"Wikipedia");
        assert_eq!(
            z.get(z.len() - 4..),
            Some(&0x11E6_0398u32.to_be_bytes()[..])
        );
        assert_eq!(gzip_stored(b"").len(), 10 + 5 + 8);
    }
}
