//! The scrub's rule, and the walk over every message constructor: each fed a server string holding a known
//! secret, none may give it back. A source-level check keeps the walk complete and the constructors scrubbed.

use super::*;
use crate::cookies::CookieJar;
use crate::error::{Error, ErrorKind};
use crate::passport::{self, Collected, Envelope};
use serde_json::json;

#[test]
fn whole_cut_and_short_copies_are_removed() {
    let t = "73ec406ce8609662a9a8f00d11223344";
    let mut s = Secrets::default();
    s.add_ticket(t);
    s.add("ab12");
    s.add("abcd"); // no digit: an ordinary word, kept
    s.add("x9");
    assert_eq!(
        s.scrub(&format!("code -400 (\"{t} is bad; x{}\"): check", &t[..20])),
        "code -400 (\"73ec40… is bad; x…\"): check"
    );
    assert_eq!(s.scrub(&format!("tail {}", &t[10..17])), "tail …");
    assert_eq!(
        s.scrub(&format!("six {} only", &t[3..9])),
        format!("six {} only", &t[3..9])
    );
    assert_eq!(
        s.scrub("host ab12.example, abcd, x9"),
        "host ….example, abcd, x9"
    );
    assert_eq!(s.scrub("é ünïcødé stays"), "é ünïcødé stays");
    // A value that is not ASCII (a jar sees it before refusing it) goes whole, cut on character boundaries.
    s.add("wért1é");
    assert_eq!(s.scrub("a wért1é b wért1 c"), "a … b wért1 c");
}

/// A ticket is scrubbed by comparing with its text (nothing hashed when it is recorded) under the same rule as
/// any secret's hashes: after its whole occurrences are shortened, every text comes out as the hashed rule
/// makes it, for every piece of the ticket, cut or whole, among other secrets and non-ASCII text.
#[test]
fn a_ticket_by_text_is_scrubbed_as_by_hashes() {
    for t in [
        "73ec406ce8609662a9a8f00d11223344",
        "abcdefgh", // no digit: only whole occurrences go
        "abc1234",
        "tïcket-9876543", // not ASCII: whole occurrences only
    ] {
        let mut by_text = Secrets::default();
        by_text.add_ticket(t);
        by_text.add("other-secret-42");
        let mut by_hash = Secrets::default();
        by_hash.add(t);
        by_hash.add("other-secret-42");
        let chars: Vec<char> = t.chars().collect();
        let mut texts = vec![
            String::new(),
            "0".to_owned(),
            t.to_owned(),
            format!("x{t}y{t}"),
            format!("é{t}é other-secret-42 ü"),
        ];
        for len in [4, 6, 7, 8, chars.len()] {
            for start in 0..chars.len().saturating_sub(len) + 1 {
                let piece: String = chars.iter().skip(start).take(len).collect();
                texts.push(format!("a {piece} b"));
                texts.push(format!("ü{piece}ü{t}"));
            }
        }
        for text in texts {
            let shortened = text.replace(t, &shorten(t));
            assert_eq!(
                by_text.scrub(&text),
                by_hash.scrub(&shortened),
                "{t}: {text:?}"
            );
        }
    }
}

#[test]
fn a_domain_made_of_a_cookie_value_is_scrubbed() {
    let mut s = Secrets::default();
    s.add("1709658507");
    assert_eq!(
        s.scrub(
            "data.cookie_info: cookies for the untrusted domain bilibili1709658507 were dropped"
        ),
        "data.cookie_info: cookies for the untrusted domain bilibili… were dropped"
    );
}

#[test]
fn scopes_record_and_forget() {
    let v = "SESSDATAvalue%2C1234";
    assert_eq!(scrub(v), v, "no scope: nothing is known");
    {
        let _outer = Scope::enter();
        see_set_cookie(&format!(
            "SESSDATA={v}; Path=/; Domain=.bilibili.tv, b=\"q1w2e3\""
        ));
        {
            let _inner = Scope::enter();
            assert_eq!(
                scrub(&format!("got {v}")),
                "got …",
                "outer secrets hold inside"
            );
            see("inner-secret-42");
        }
        assert_eq!(scrub("x inner-secret-42"), "x inner-secret-42");
        assert_eq!(scrub("q1w2e3 Domain bilibili.tv"), "… Domain bilibili.tv");
    }
    assert_eq!(scrub(v), v);
}

#[test]
fn in_place_is_the_scrub() {
    let _scope = Scope::enter();
    see_ticket("73ec406ce8609662a9a8f00d11223344");
    see("seen-value-123");
    for text in [
        "",
        "Not scanned",
        "x 73ec406ce8609662a9a8f00d11223344 y",
        "a seen-value-123 b 8609662a9",
        "é seen-val ü",
    ] {
        let mut in_place = text.to_owned();
        scrub_in_place(&mut in_place);
        assert_eq!(in_place, scrub(text), "{text:?}");
        assert_eq!(scrub_owned(text.to_owned()), scrub(text), "{text:?}");
    }
}

#[test]
fn warnings_are_scrubbed_when_pushed_and_when_handed_out() {
    let _scope = Scope::enter();
    see("seen-before-1");
    let mut w = Warnings::default();
    w.push("a seen-before-1 b");
    w.push("a later-value-2 b");
    let mut later = Secrets::default();
    later.add("later-value-2");
    assert_eq!(w.finish(&later), ["a … b", "a … b"]);
}

/// A cookie value as the service hands them out (digits, `%2C`), and what a hostile server makes of it.
const SECRET: &str = "9f3c1a2b%2C1811061062";
const TICKET: &str = "73ec406ce8609662a9a8f00d11223344";

/// Neither the secret, nor any 7 of its characters, nor more than 6 characters of the ticket.
fn assert_clean(what: &str, message: &str) {
    let pieces = SECRET
        .as_bytes()
        .windows(RUN)
        .chain(TICKET.as_bytes().windows(RUN));
    for p in pieces {
        let p = std::str::from_utf8(p).unwrap_or_default();
        assert!(!message.contains(p), "{what}: {p:?} in {message:?}");
    }
}

/// Server strings a hostile or echoing server could send, each holding the secret in another shape.
fn server_strings() -> Vec<String> {
    vec![
        format!("echo {SECRET}"),
        format!("bilibili{}.example", &SECRET[10..]),
        format!("cut {}", &SECRET[..12]),
        format!("ticket {TICKET} again"),
    ]
}

/// Every constructor of `Error` (error.rs): the library's wording and server text go through the scrub.
#[test]
fn walk_error_constructors() {
    let _scope = Scope::enter();
    see(SECRET);
    see_ticket(TICKET);
    let kinds = [
        ErrorKind::Argument,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Http,
        ErrorKind::Protocol,
        ErrorKind::Api,
        ErrorKind::Cancelled,
        ErrorKind::Internal,
    ];
    for text in server_strings() {
        for kind in kinds {
            assert_clean("Error::new", Error::new(kind, &text).message());
            let e = Error::new(kind, "plain").with_message(&text);
            assert_clean("Error::with_message", e.message());
        }
        assert_clean("Error::http", Error::http(502, &text).message());
        assert_clean("Error::argument", Error::argument(&text).message());
        assert_clean("Error::protocol", Error::protocol(&text).message());
        assert_clean("Error::network", Error::network(&text).message());
        let e = Error::new(ErrorKind::Api, "x").with_retry_after(None);
        assert_clean("Error::with_retry_after", e.message());
    }
    // Built before the secret was seen: the end-of-call scrub and the one-secret scrubs catch it.
    let late = "late-secret-0042";
    let e = Error::protocol(format!("quotes {late}"));
    assert!(e.message().contains(late));
    see(late);
    assert_eq!(e.clone().scrub_again().message(), "quotes …");
    let mut s = Secrets::default();
    s.add(late);
    assert_eq!(e.clone().rescrub(&s).message(), "quotes …");
    assert_eq!(e.redact(late).message(), "quotes …");
    let e = Error::protocol(format!("t {TICKET}")).redact_ticket(TICKET);
    assert_eq!(e.message(), "t 73ec40…");
}

/// The API error quotes the server's `message`: a `-352` answer echoing the ticket's browser-session cookie
/// (and the ticket) reaches the error text without either.
#[test]
fn walk_api_and_protocol_errors() {
    let ticket = "walk-ticket-5e1f0c2a99";
    crate::login::ticket_cookies::remember(ticket, vec![("pp_gate".into(), Some(SECRET.into()))]);
    let _scope = Scope::enter();
    see_ticket(ticket);
    // Sending the ticket's browser session records its cookies as secrets of the call.
    let header = crate::login::ticket_cookies::cookie_header(ticket);
    assert!(header.is_some_and(|h| h.contains(SECRET)));
    crate::login::ticket_cookies::forget(ticket);
    see_ticket(TICKET);
    for text in server_strings() {
        for code in [-352, -412, -101, 12345] {
            let envelope = Envelope {
                code,
                message: format!("{text} / {ticket}"),
                data: json!({"v_voucher": text}),
                message_missing: false,
            };
            let e = passport::api_error("qrcode/auth/fetch", &envelope);
            assert_clean("api_error", e.message());
            assert!(!e.message().contains(ticket), "{}", e.message());
            assert!(e.message().contains("walk-t…"), "{}", e.message());
        }
        // The documented-JSON errors name the endpoint only; the body never reaches them.
        let e = passport::parse_envelope(&text, text.as_bytes()).err();
        assert_clean("not_documented", e.as_ref().map_or("", Error::message));
    }
}

/// The jar's warnings (untrusted domains of Set-Cookie, data.cookie_info and added cookies, odd shapes), with
/// no call around it: the jar scrubs them of every value it was handed, kept or dropped.
#[test]
fn walk_jar_warnings() {
    let tail = &SECRET[10..];
    let mut jar = CookieJar::default();
    jar.apply_set_cookie(
        &format!("a={SECRET}; Domain=bilibili{tail}.example"),
        "passport.bilibili.tv",
        0,
    );
    jar.apply_cookie_info(
        &json!({"cookies": [{"name": "b", "value": SECRET}], "domains": [format!("bilibili{tail}")]}),
        "passport.bilibili.tv",
        0,
    );
    jar.add(
        crate::cookies::Cookie {
            name: "c".into(),
            value: SECRET.into(),
            domain: Some(format!("x{tail}.example")),
            path: "/".into(),
            expires: None,
            secure: false,
            http_only: false,
        },
        "passport.bilibili.tv",
    );
    jar.warn(format!("direct {SECRET}"));
    let warnings = jar.take_warnings();
    assert!(warnings.len() >= 4, "{warnings:?}");
    for w in &warnings {
        assert_clean("CookieJar warning", w);
    }
    assert!(jar.is_empty(), "every cookie above is refused");
}

/// The confirmed login's warnings and its "lacks cookies" error (refused hosts, steps' messages, the jar's
/// warnings), and the poll object's warnings and server `message` at the end of a call.
#[test]
fn walk_login_warnings_and_error() {
    let tail = &SECRET[10..];
    let _scope = Scope::enter();
    see_ticket(TICKET);
    let mut jar = CookieJar::default();
    // Dropped (untrusted domain): still a secret.
    jar.apply_set_cookie(&format!("SESSDATA={SECRET}; Domain=evil.example"), "h", 0);
    let mut steps = Warnings::default();
    for text in server_strings() {
        steps.push(format!("following go_url failed: {text}"));
    }
    let collected = Collected {
        tried: vec!["go_url".into()],
        refused: vec![format!("bilibili{tail}.example")],
    };
    let data = passport::confirmed_data(&json!({}));
    let e = passport::finish_login(data, jar.clone(), "h", steps.clone(), &collected).unwrap_err();
    assert_clean("finish_login error", e.message());
    assert!(e.message().contains("lacks the"), "{}", e.message());
    // With the three cookies: a login whose warnings are scrubbed.
    for (n, v) in [("SESSDATA", "s1"), ("bili_jct", "j1"), ("DedeUserID", "7")] {
        jar.apply_set_cookie(&format!("{n}={v}"), "h", 0);
    }
    let data = passport::confirmed_data(&json!({"mid": 8}));
    let login = passport::finish_login(data, jar, "h", steps, &collected).unwrap();
    assert!(login.warnings.len() >= 4, "{:?}", login.warnings);
    for w in &login.warnings {
        assert_clean("Login warning", w);
    }
}

/// Whether a (trimmed) line of source starts a struct literal of `Error`.
fn builds_error(t: &str) -> bool {
    t.ends_with("Error {")
        && !t.ends_with("ErrorKind {")
        && !["impl", "pub", "struct", "enum", "fn", "mod", "trait"]
            .iter()
            .any(|k| t.starts_with(k))
}

/// Constructors found in src/error.rs, and every other place a message or a warning is stored, checked at the
/// source: a new constructor must be walked above, and must scrub.
#[test]
fn source_every_constructor_scrubs_and_is_walked() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
    let error = read("error.rs");
    let walk = read("redact/tests.rs");
    assert!(!error.is_empty() && !walk.is_empty());
    // The struct literal of `Error` appears once (in `new`), and the message is only ever set by the scrub.
    let code: String = error
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        code.lines().filter(|l| builds_error(l.trim())).count(),
        1,
        "one struct literal of Error, in Error::new"
    );
    for line in code.lines().filter(|l| {
        let t = l.trim_start();
        (t.starts_with("message:") && !t.ends_with("String,")) || t.contains(".message =")
    }) {
        assert!(
            line.contains("redact::scrub("),
            "src/error.rs sets a message without the scrub: {line:?}"
        );
    }
    // Every method of `Error` that returns an error is walked.
    let mut constructors = 0;
    for line in code.lines() {
        let t = line.trim_start();
        let Some(rest) = t
            .strip_prefix("pub fn ")
            .or_else(|| t.strip_prefix("pub(crate) fn "))
        else {
            continue;
        };
        if !(line.ends_with("-> Self {") || line.ends_with("-> Error {")) {
            continue;
        }
        let name = rest.split('(').next().unwrap_or_default();
        constructors += 1;
        assert!(
            walk.contains(&format!("Error::{name}(")) || walk.contains(&format!(".{name}(")),
            "Error::{name} is not walked in src/redact/tests.rs"
        );
    }
    assert!(constructors >= 10, "{constructors} constructors found");
    // Outside the scrub, no message or warning is stored in a String or a list of them that did not come
    // through it: the only `Vec<String>` of warnings is the poll object's, filled by `Warnings::finish`.
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 20);
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if rel.starts_with("redact") || rel == "error.rs" || rel.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or_default();
        for (i, line) in code.lines().enumerate() {
            let t = line.trim();
            let at = format!("src/{rel}:{}: {t}", i + 1);
            if t.contains("warnings: Vec<String>") {
                assert_eq!(
                    rel, "passport/mod.rs",
                    "{at}: a warnings list outside Warnings"
                );
            }
            if t.starts_with("warnings:")
                && !t.contains("Warnings")
                && !t.ends_with("Vec<String>,")
                && t != "warnings: None,"
            {
                assert!(
                    t.contains(".finish("),
                    "{at}: warnings handed out without the scrub"
                );
            }
            if t.starts_with("message:") && !t.ends_with("String,") {
                assert!(
                    t.contains("redact::scrub(") || t.contains("redact::scrub_owned("),
                    "{at}: a message field set without the scrub"
                );
            }
            assert!(
                !builds_error(t),
                "{at}: an Error built outside src/error.rs"
            );
        }
    }
    // No circle: the scrub imports nothing of the crate, and the errors no longer import the tickets.
    let redact = read("redact/mod.rs");
    assert!(
        !redact.contains("use crate::"),
        "src/redact/mod.rs imports the crate"
    );
    assert!(
        !code.contains("crate::ticket"),
        "src/error.rs imports crate::ticket"
    );
}
