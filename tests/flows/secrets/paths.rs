//! Every fault and error path of a secrets run: start, poll, wait, cancel and bad input against each fault
//! mode, each message checked against the secrets seen.

use super::*;

/// Status sets: what each fault may end in.
pub(crate) const HTTP: &[c_int] = &[BILI_QR_ERR_HTTP];
pub(crate) const API: &[c_int] = &[BILI_QR_ERR_API];
pub(crate) const PROTOCOL: &[c_int] = &[BILI_QR_ERR_PROTOCOL];
pub(crate) const NETWORK: &[c_int] = &[BILI_QR_ERR_NETWORK];
pub(crate) const TIMEOUT: &[c_int] = &[BILI_QR_ERR_TIMEOUT];

/// Every fault mode of PROTOCOL.md with the statuses `start` (fault on url) and `poll` (fault on fetch, of a
/// ticket whose flow confirms at once) end in.
pub(crate) fn faults() -> Vec<(&'static str, &'static [c_int], &'static [c_int])> {
    vec![
        ("412", HTTP, HTTP),
        ("500", HTTP, HTTP),
        ("502", HTTP, HTTP),
        ("503", HTTP, HTTP),
        ("404", HTTP, HTTP),
        ("api-412", API, API),
        ("api-352", API, API),
        ("api-400", API, API),
        ("api-799", API, API),
        ("slow", TIMEOUT, TIMEOUT),
        (
            "truncated",
            &[
                BILI_QR_ERR_NETWORK,
                BILI_QR_ERR_PROTOCOL,
                BILI_QR_ERR_TIMEOUT,
            ],
            &[
                BILI_QR_ERR_NETWORK,
                BILI_QR_ERR_PROTOCOL,
                BILI_QR_ERR_TIMEOUT,
            ],
        ),
        ("huge", PROTOCOL, PROTOCOL),
        ("huge-chunked", PROTOCOL, PROTOCOL),
        ("notjson", PROTOCOL, PROTOCOL),
        ("empty", PROTOCOL, PROTOCOL),
        ("badtypes", &[BILI_QR_OK], PROTOCOL),
        ("missing", PROTOCOL, PROTOCOL),
        ("noticket", PROTOCOL, &[BILI_QR_OK]),
        ("nocookies", &[BILI_QR_OK], PROTOCOL),
        ("partialcookies", &[BILI_QR_OK], PROTOCOL),
        ("redirect", &[BILI_QR_OK], &[BILI_QR_OK]),
        ("redirect-loop", NETWORK, NETWORK),
        ("redirect-foreign", NETWORK, NETWORK),
        ("429", HTTP, HTTP),
        ("captcha", API, API),
        ("reset", NETWORK, NETWORK),
    ]
}

pub(crate) struct Run<'a> {
    pub(crate) srv: &'a Server,
    pub(crate) tag: &'static str,
    pub(crate) secrets: Secrets,
    pub(crate) messages: Vec<(String, String)>,
}

impl Run<'_> {
    pub(crate) fn opts(&self, scenario: &str, extra: Value) -> String {
        let mut o = json!({"base_url": self.srv.url(scenario), "timeout_ms": 1000, "poll_interval_ms": 100,
                           "wait_timeout_ms": 3000, "max_retries": 1, "proxy": ""});
        for (k, v) in extra.as_object().into_iter().flatten() {
            o[k] = v.clone();
        }
        o.to_string()
    }

    /// Records an outcome (its message and any secret in its output); checks its status.
    #[track_caller]
    pub(crate) fn note(&mut self, what: &str, o: Outcome, allowed: &[c_int]) -> Outcome {
        assert!(
            allowed.contains(&o.status),
            "{what}: status {} not in {allowed:?} ({:?})",
            o.status,
            o.error
        );
        self.secrets.add_outcome(&o);
        if o.status < 0 {
            self.messages.push((what.to_owned(), o.error.clone()));
        }
        // The warnings of a confirmed login follow the same rule as messages.
        if let Some(Ok(v)) = o.out.as_deref().map(serde_json::from_str::<Value>) {
            for w in v["warnings"].as_array().into_iter().flatten() {
                let w = w.as_str().expect("a warning is a string");
                self.messages
                    .push((format!("{what} (a warning)"), w.to_owned()));
            }
        }
        o
    }

    pub(crate) fn new_ticket(&mut self, scenario: &str) -> (String, String) {
        let o = start(Some(&self.opts(scenario, json!({}))));
        let o = self.note(&format!("start {scenario}"), o, &[BILI_QR_OK]);
        let v = o.json();
        (
            v["ticket"].as_str().unwrap().to_owned(),
            v["qr_url"].as_str().unwrap().to_owned(),
        )
    }

    pub(crate) fn every_path(&mut self) {
        let tag = self.tag;
        // 1. Every fault on each endpoint.
        for (fault, on_url, on_fetch) in faults() {
            let extra = if fault == "slow" { ",delay=1500" } else { "" };
            let sc = format!("id={tag}-u-{fault},fault={fault},on=url{extra}");
            let o = start(Some(&self.opts(&sc, json!({}))));
            self.note(&format!("start, fault {fault}"), o, on_url);

            let sc = format!("id={tag}-f-{fault},fault={fault},on=fetch,flow=c{extra}");
            let (ticket, qr_url) = self.new_ticket(&sc);
            let opts = self.opts(&sc, json!({}));
            let o = poll(&ticket, Some(&opts));
            self.note(&format!("poll, fault {fault}"), o, on_fetch);
            let mut later: Vec<c_int> = on_fetch.to_vec();
            later.push(BILI_QR_EXPIRED); // a confirmation spends the ticket
            let o = poll(&qr_url, Some(&opts));
            self.note(&format!("poll qr_url, fault {fault}"), o, &later);
            let o = wait(&ticket, Some(&opts));
            self.note(&format!("wait, fault {fault}"), o, &later);
            // Transient faults on the first request only: the retry succeeds.
            let sc = format!("id={tag}-t-{fault},fault={fault},on=fetch,times=1,flow=wc{extra}");
            let (ticket, _) = self.new_ticket(&sc);
            let o = wait(&ticket, Some(&self.opts(&sc, json!({"max_retries": 2}))));
            let mut any: Vec<c_int> = on_fetch.to_vec();
            any.extend([BILI_QR_OK, BILI_QR_EXPIRED]);
            self.note(&format!("wait after one fault {fault}"), o, &any);
        }
        // 2. Logins that succeed (cookies from headers, go_url hops, cookie_info), then spent tickets.
        for sc in [
            "id=%-ok",
            "id=%-gourl,gourl=1",
            "id=%-foreign,gourl=foreign",
            "id=%-ci,cookieinfo=1",
            // Odd and hostile shapes: logins with warnings (each warning checked like a message).
            "id=%-sparse,confirm=sparse",
            "id=%-nulls,confirm=nulls,codestr=1",
            "id=%-gq,gourl=query",
            "id=%-g404,gourl=hop404",
            "id=%-gfor,gourl=hopforeign",
            "id=%-gsec,gourl=secrethost",
            "id=%-gna,gourl=nonascii",
            "id=%-sso,sso=1",
            "id=%-ssofail,sso=fail",
            "id=%-cdh,cookiedomain=hostile",
            "id=%-cih,cookieinfo=hostile",
            "id=%-cimix,cookieinfo=mixed",
            "id=%-fold,folded=1,longsess=1",
        ] {
            let sc = sc.replace('%', tag);
            let (ticket, qr_url) = self.new_ticket(&sc);
            let opts = self.opts(&sc, json!({}));
            let o = wait(&qr_url, Some(&opts));
            self.note(&format!("wait {sc}"), o, &[BILI_QR_OK]);
            let o = poll(&ticket, Some(&opts));
            self.note(&format!("poll spent {sc}"), o, &[BILI_QR_EXPIRED]);
            let o = cancel(&ticket);
            self.note(&format!("cancel idle {sc}"), o, &[0]);
        }
        // 2b. Error paths: refused sessions, foreign cookie_info, hostile qr_url; a verifier down.
        for (sc, status) in [
            ("id=%-vrej,verify=reject", BILI_QR_ERR_PROTOCOL),
            ("id=%-v101,verify=reject,expired=101", BILI_QR_ERR_PROTOCOL),
            ("id=%-vdown,verify=down", BILI_QR_OK),
            ("id=%-cifor,cookieinfo=foreign", BILI_QR_ERR_PROTOCOL),
        ] {
            let sc = sc.replace('%', tag);
            let (ticket, _) = self.new_ticket(&sc);
            let opts = self.opts(
                &sc,
                json!({"verify_login": true, "api_base_url": self.srv.url(&sc)}),
            );
            let o = wait(&ticket, Some(&opts));
            self.note(&format!("wait {sc}"), o, &[status]);
        }
        for q in ["javascript", "foreign"] {
            let sc = format!("id={tag}-qr-{q},qrurl={q}");
            let o = start(Some(&self.opts(&sc, json!({}))));
            self.note(&format!("start {sc}"), o, &[BILI_QR_ERR_PROTOCOL]);
        }
        // 3. Bad options with a live ticket: nothing is sent, the message names the key only.
        let sc = format!("id={tag}-badopts,flow=w");
        let (ticket, qr_url) = self.new_ticket(&sc);
        let bad = [
            json!({"base_url": format!("http://example.com/{ticket}")}),
            json!({"base_url": format!("{}?ticket={ticket}", self.srv.url(&sc))}),
            json!({"locale": ticket.clone()}),
            json!({"platform": format!("{ticket}!")}),
            json!({"user_agent": format!("{ticket}\u{7}")}),
            json!({"proxy": format!("ftp://{ticket}")}),
            json!({"timeout_ms": 0}),
            json!({"poll_interval_ms": ticket.clone()}),
            json!({"insecure": true}),
            json!({ ticket.clone(): 1 }),
        ];
        for extra in bad {
            let opts = self.opts(&sc, extra.clone());
            for t in [&ticket, &qr_url] {
                let o = poll(t, Some(&opts));
                self.note(
                    &format!("poll, bad options {extra}"),
                    o,
                    &[BILI_QR_ERR_ARGUMENT],
                );
                let o = wait(t, Some(&opts));
                self.note(
                    &format!("wait, bad options {extra}"),
                    o,
                    &[BILI_QR_ERR_ARGUMENT],
                );
            }
        }
        let o = poll(&ticket, Some("{\"timeout_ms\":"));
        self.note("poll, options not JSON", o, &[BILI_QR_ERR_ARGUMENT]);
        // 4. Malformed tickets made of a live one.
        let opts = self.opts(&sc, json!({}));
        let malformed = [
            format!("{ticket}!"),
            format!("{ticket} "),
            format!("é{ticket}"),
            ticket.repeat(5),
            format!("{qr_url}%00"),
            qr_url.replace("ticket=", "tickets="),
            qr_url.replace("ticket=", "ticket=%20"),
            format!("https://www.bilibili.tv/{ticket}"),
        ];
        for bad in &malformed {
            for (what, o) in [
                ("poll", poll(bad, Some(&opts))),
                ("wait", wait(bad, Some(&opts))),
                ("cancel", cancel(bad)),
            ] {
                self.note(
                    &format!("{what}, malformed ticket"),
                    o,
                    &[BILI_QR_ERR_ARGUMENT],
                );
            }
        }
        // 5. Cancel by bili_qr_cancel from another thread, and by the callback.
        let (ticket, _) = self.new_ticket(&sc);
        let waiter = {
            let opts = self.opts(&sc, json!({"wait_timeout_ms": 20000}));
            let t = ticket.clone();
            thread::spawn(move || wait(&t, Some(&opts)))
        };
        // One cancel: it signals the running wait, or is kept for it if the wait has not registered yet.
        let o = cancel(&ticket);
        assert!(o.status == 0 || o.status == 1, "cancel: {}", o.status);
        let o = waiter.join().expect("waiter");
        self.note(
            "wait cancelled by bili_qr_cancel",
            o,
            &[BILI_QR_ERR_CANCELLED],
        );
        let (ticket, _) = self.new_ticket(&sc);
        let progress = Progress {
            cancel_after: Some(2),
            ..Progress::default()
        };
        let o = wait_with(
            &ticket,
            Some(&opts),
            progress_fn(),
            &progress as *const Progress as *mut c_void,
        );
        self.note(
            "wait cancelled by the callback",
            o,
            &[BILI_QR_ERR_CANCELLED],
        );
        // 6. Timeouts: of the wait, and of one request.
        let (ticket, _) = self.new_ticket(&sc);
        let o = wait(
            &ticket,
            Some(&self.opts(&sc, json!({"wait_timeout_ms": 1000}))),
        );
        self.note("wait timeout", o, &[BILI_QR_ERR_TIMEOUT]);
        let slow = format!("id={tag}-slow,fault=slow,delay=1500,on=fetch");
        let (ticket, _) = self.new_ticket(&slow);
        let o = poll(&ticket, Some(&self.opts(&slow, json!({"timeout_ms": 200}))));
        self.note("poll request timeout", o, &[BILI_QR_ERR_TIMEOUT]);
        let o = wait(
            &ticket,
            Some(&self.opts(&slow, json!({"timeout_ms": 200, "wait_timeout_ms": 1000}))),
        );
        self.note("wait request timeout", o, &[BILI_QR_ERR_TIMEOUT]);
        // 7. A closed port and a refused certificate, with a live ticket.
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let o = poll(
            &ticket,
            Some(&json!({"base_url": format!("http://127.0.0.1:{port}")}).to_string()),
        );
        self.note("poll, connection refused", o, NETWORK);
        let tls = FakeServer::start_tls();
        let o = poll(
            &ticket,
            Some(&json!({"base_url": tls.base_url()}).to_string()),
        );
        self.note("poll, certificate refused", o, NETWORK);
        let o = wait(
            &ticket,
            Some(&json!({"base_url": tls.base_url(), "max_retries": 0}).to_string()),
        );
        self.note("wait, certificate refused", o, NETWORK);
        // 8. A server that echoes the ticket in its message, whole or cut by the message's length limit.
        for pad in [0, 20, 100, 110, 115, 119] {
            let echo = EchoServer::start(pad);
            let opts = json!({"base_url": echo.base, "timeout_ms": 2000}).to_string();
            let o = poll(&ticket, Some(&opts));
            self.note(
                &format!("poll, server echoes the ticket after {pad} characters"),
                o,
                API,
            );
            let o = wait(&ticket, Some(&opts));
            self.note(
                &format!("wait, server echoes the ticket after {pad} characters"),
                o,
                API,
            );
        }
        let log = self.srv.log();
        self.secrets.add_log(&log);
    }

    pub(crate) fn assert_clean(&self) {
        assert!(
            self.secrets.tickets.len() > 50,
            "too few tickets seen: {}",
            self.secrets.tickets.len()
        );
        assert!(
            self.secrets.cookies.len() >= 10,
            "too few cookie values seen: {}",
            self.secrets.cookies.len()
        );
        assert!(
            self.messages.len() > 120,
            "too few error paths run: {}",
            self.messages.len()
        );
        for (what, m) in &self.messages {
            if let Some(found) = self.secrets.find_in(m) {
                panic!("{what}: the message holds {found}: {m:?}");
            }
        }
    }
}
