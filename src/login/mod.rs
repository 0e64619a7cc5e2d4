//! The login machinery the sites share: the wait loop (poll until the login ends, with retries and
//! cancellation), the ticket's browser session (`ticket_cookies`), and bilibili.tv's start and poll with (in
//! `collect`) the steps that gather a confirmed login's cookies from every source (docs/COOKIES.md). The
//! public `start`, `poll`, `wait` and `cancel` choose the site's flow in `crate::api`. The mainland web login
//! drives the same `Collector`.

mod collect;
pub(crate) use collect::{
    apply_query_credentials, path_of, Collector, Redirects, QUERY_CREDENTIALS,
};
pub(crate) mod ticket_cookies;

use crate::cancellation;
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::passport::{self, PollResult, PollStatus, QrCode};
use crate::redact;
use crate::transport::{Answer, Call, Request};
use collect::collect_login;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest pause between two polls after transient failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// bilibili.tv's `start`: asks for a new QR code. Cookies the answer sets for the passport host become the new
/// ticket's browser session (sent back on its polls).
pub(crate) fn start_intl(options: &Options) -> Result<QrCode> {
    let answer = Request::get(&passport::url_endpoint(options)).send(options, &Call::default())?;
    let qr = passport::parse_qr_code(&answer.body, options)?;
    ticket_cookies::remember(&qr.ticket, passport_cookies(&answer, options));
    Ok(qr)
}

/// A poll's result as handed out, at the end of the call: its error, warnings and the server's `message`
/// scrubbed once more of everything the call saw (a secret may have arrived after a text quoting it).
pub(crate) fn end_of_call(result: Result<PollResult>) -> Result<PollResult> {
    match result {
        Ok(mut r) => {
            redact::scrub_in_place(&mut r.message);
            if let Some(login) = &mut r.login {
                for w in &mut login.warnings {
                    redact::scrub_in_place(w);
                }
            }
            Ok(r)
        }
        Err(e) => Err(e.scrub_again()),
    }
}

/// The `(name, value)` pairs (`None`: deleted) that an answer's final response sets for the passport host:
/// host-only cookies, and cookies whose Domain the `base_url` host is under (any trusted domain when the
/// `base_url` host is a loopback stand-in).
fn passport_cookies(answer: &Answer, options: &Options) -> Vec<(String, Option<String>)> {
    let base_host = options.base_url.host();
    let stand_in = options.base_url.is_loopback();
    let mut out = Vec::new();
    for header in answer.final_set_cookies() {
        for part in crate::cookies::split_folded(header) {
            let Ok(c) = cookie::Cookie::parse(part) else {
                continue;
            };
            let (name, value) = (c.name(), c.value());
            if !crate::cookies::valid_name(name) || !crate::cookies::valid_value(value) {
                continue;
            }
            let for_us = match c
                .domain()
                .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
            {
                None => true,
                Some(d) => {
                    crate::cookies::valid_domain(&d)
                        && (crate::cookies::domain_matches(base_host, &d)
                            || (stand_in && crate::cookies::is_trusted(&d, base_host)))
                }
            };
            if !for_us {
                continue;
            }
            let deleted = c.max_age().is_some_and(|a| a.whole_seconds() <= 0)
                || (c.max_age().is_none()
                    && c.expires_datetime()
                        .is_some_and(|t| t.unix_timestamp() <= unix_now()));
            out.push((
                name.to_owned(),
                (!deleted && !value.is_empty()).then(|| value.to_owned()),
            ));
        }
    }
    out
}

/// One poll of a site's login: what `poll` and `wait` call for the site and flow of the options
/// (`crate::api`).
pub(crate) type PollFn = fn(&str, &Options, &Call<'_>) -> Result<PollResult>;

/// bilibili.tv's poll of a bare ticket: `GET …/qrcode/fetch` with the ticket's browser session.
pub(crate) fn poll_intl(ticket: &str, options: &Options, call: &Call<'_>) -> Result<PollResult> {
    let fetch_url =
        passport::fetch_url(options, ticket).map_err(crate::transport::invalid_request_url)?;
    let session = ticket_cookies::cookie_header(ticket);
    let answer = Request::get_url(&fetch_url)
        .cookie(session.as_deref().map(String::as_str))
        .send(options, call)?;
    let (status, envelope, confirmed) = passport::parse_fetch(&answer.body)?;
    match status {
        PollStatus::Waiting | PollStatus::Scanned => {
            ticket_cookies::remember(ticket, passport_cookies(&answer, options))
        }
        PollStatus::Confirmed | PollStatus::Expired => ticket_cookies::forget(ticket),
    }
    let login = match confirmed {
        None => None,
        Some(data) => Some(collect_login(
            options,
            fetch_url.as_str(),
            &answer,
            data,
            call,
        )?),
    };
    Ok(PollResult {
        status,
        code: envelope.code,
        message: redact::scrub_owned(envelope.message),
        login,
    })
}

fn cancelled(by: &str) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        format!("the wait was cancelled by {by}"),
    )
}

fn wait_timed_out(options: &Options) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "the login was not confirmed within wait_timeout_ms ({} ms); start a new login or raise wait_timeout_ms",
            options.wait_timeout.as_millis()
        ),
    )
}

/// Polls with `poll_ticket` every `poll_interval` until the login is confirmed or expired (both `Ok`), the
/// wait times out, is cancelled (by `cancel` or by `on_progress` returning `false`), or an error ends it.
///
/// Network errors, per-request timeouts, HTTP 429 and 5xx are retried with a growing pause, up to
/// `max_retries` in a row; a `Retry-After` is honoured (never polled sooner; capped by the deadline).
/// `on_progress` is called on this thread after every poll that answers waiting or scanned.
/// A login that completes while a cancel is racing with it is still returned: its ticket is spent.
pub(crate) fn wait_ticket(
    ticket: &str,
    options: &Options,
    on_progress: &mut dyn FnMut(&PollResult) -> bool,
    poll_ticket: PollFn,
) -> Result<PollResult> {
    let registration = cancellation::register(ticket);
    let signal = registration.signal();
    let deadline = Instant::now() + options.wait_timeout;
    let mut failures: u32 = 0;
    loop {
        if signal.is_cancelled() {
            return Err(cancelled("bili_qr_cancel"));
        }
        if Instant::now() >= deadline {
            return Err(wait_timed_out(options));
        }
        let call = Call {
            deadline: Some(deadline),
            cancel: Some(signal),
        };
        let polled = poll_ticket(ticket, options, &call);
        // A cancel that arrived while the request was in flight ends the wait (ERR_CANCELLED) whatever the
        // request answered, except a confirmed login: its ticket is spent, so the login is handed out.
        let confirmed = matches!(&polled, Ok(r) if r.status == PollStatus::Confirmed);
        if !confirmed && signal.is_cancelled() {
            return Err(cancelled("bili_qr_cancel"));
        }
        let pause = match polled {
            Ok(result) => {
                failures = 0;
                match result.status {
                    PollStatus::Confirmed | PollStatus::Expired => return Ok(result),
                    PollStatus::Waiting | PollStatus::Scanned => {
                        if !on_progress(&result) {
                            return Err(cancelled("the progress callback"));
                        }
                    }
                }
                options.poll_interval
            }
            Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
            Err(e) if e.is_transient() && failures < options.max_retries => {
                if Instant::now() >= deadline {
                    return Err(wait_timed_out(options));
                }
                failures += 1;
                let backoff = options
                    .poll_interval
                    .saturating_mul(1 << failures.min(16))
                    .min(MAX_BACKOFF);
                // The service's Retry-After wins over a shorter backoff: never poll sooner than asked.
                backoff.max(e.retry_after().unwrap_or(Duration::ZERO))
            }
            Err(e) if e.kind() == ErrorKind::Timeout && Instant::now() >= deadline => {
                return Err(wait_timed_out(options));
            }
            Err(e) if e.is_transient() => {
                return Err(Error::new(
                    e.kind(),
                    format!(
                        "{} (gave up after {} retries)",
                        e.message(),
                        options.max_retries
                    ),
                ));
            }
            Err(e) => return Err(e),
        };
        let wake = (Instant::now() + pause).min(deadline);
        if signal.sleep_until(wake) {
            return Err(cancelled("bili_qr_cancel"));
        }
    }
}
