//! The login flow: start, poll once, and wait (poll until the login ends, with retries and cancellation).

use crate::cancellation;
use crate::cookies::CookieJar;
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::passport::{self, PollResult, PollStatus, QrCode};
use crate::ticket;
use crate::transport::{Call, Mode, Request};
use crate::url::Url;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest pause between two polls after transient failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Asks for a new QR code.
pub fn start(options: &Options) -> Result<QrCode> {
    let answer = Request::get(&passport::url_endpoint(options)).send(options, &Call::default())?;
    passport::parse_qr_code(&answer.body)
}

/// Asks once for the state of a ticket (a bare ticket, or a URL with `ticket=`).
pub fn poll(ticket_or_url: &str, options: &Options) -> Result<PollResult> {
    let ticket = ticket::extract(ticket_or_url)?;
    poll_ticket(ticket, options, &Call::default()).map_err(|e| e.redact(ticket))
}

fn poll_ticket(ticket: &str, options: &Options, call: &Call<'_>) -> Result<PollResult> {
    let fetch_url = passport::fetch_endpoint(options, ticket);
    let answer = Request::get(&fetch_url).send(options, call)?;
    let (status, envelope, confirmed) = passport::parse_fetch(&answer.body)?;
    let login = match confirmed {
        None => None,
        Some(data) => {
            let now = unix_now();
            let base_host = options.base_url.host();
            let mut jar = CookieJar::default();
            for header in answer.final_set_cookies() {
                jar.apply_set_cookie(header, base_host, now);
            }
            if let Some(info) = &data.cookie_info {
                jar.apply_cookie_info(info, base_host, now)?;
            }
            let mut note = None;
            if !data.go_url.is_empty() {
                match Url::parse(&fetch_url).and_then(|f| f.join(&data.go_url)) {
                    Ok(go_url) => {
                        let sent = Request::get(go_url.as_str())
                            .mode(Mode::Follow)
                            .label("the go_url host")
                            .send(options, call);
                        let hops = match sent {
                            Ok(answer) => answer.hops,
                            Err(failure) => {
                                note = Some(format!(
                                    "following go_url failed: {}",
                                    failure.error.message()
                                ));
                                failure.hops
                            }
                        };
                        for hop in &hops {
                            for header in &hop.set_cookies {
                                jar.apply_set_cookie(header, base_host, now);
                            }
                        }
                    }
                    Err(why) => note = Some(format!("go_url is not a valid URL: {}", why.reason())),
                }
            }
            Some(passport::finish_login(data, jar, note.as_deref())?)
        }
    };
    Ok(PollResult {
        status,
        code: envelope.code,
        message: envelope.message,
        login,
    })
}

/// Polls every `poll_interval` until the login is confirmed or expired (both `Ok`), the wait times out,
/// is cancelled (by [`cancel`] or by `on_progress` returning `false`), or an error ends it.
///
/// Network errors, per-request timeouts and HTTP 5xx are retried with a growing pause, up to `max_retries`
/// in a row. `on_progress` is called on this thread after every poll that answers waiting or scanned.
/// A login that completes while a cancel is racing with it is still returned: its ticket is spent.
pub fn wait(
    ticket_or_url: &str,
    options: &Options,
    on_progress: &mut dyn FnMut(&PollResult) -> bool,
) -> Result<PollResult> {
    let ticket = ticket::extract(ticket_or_url)?;
    wait_ticket(ticket, options, on_progress).map_err(|e| e.redact(ticket))
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

fn wait_ticket(
    ticket: &str,
    options: &Options,
    on_progress: &mut dyn FnMut(&PollResult) -> bool,
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
        let pause = match poll_ticket(ticket, options, &call) {
            Ok(result) => {
                failures = 0;
                match result.status {
                    PollStatus::Confirmed | PollStatus::Expired => return Ok(result),
                    PollStatus::Waiting | PollStatus::Scanned => {
                        if signal.is_cancelled() {
                            return Err(cancelled("bili_qr_cancel"));
                        }
                        if !on_progress(&result) {
                            return Err(cancelled("the progress callback"));
                        }
                    }
                }
                options.poll_interval
            }
            Err(e) if e.is_transient() && failures < options.max_retries => {
                if Instant::now() >= deadline {
                    return Err(wait_timed_out(options));
                }
                failures += 1;
                options
                    .poll_interval
                    .saturating_mul(1 << failures.min(16))
                    .min(MAX_BACKOFF)
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

/// Signals every wait now running on this ticket (a bare ticket or a URL with `ticket=`) in this process.
/// Returns how many were signalled.
pub fn cancel(ticket_or_url: &str) -> Result<usize> {
    let ticket = ticket::extract(ticket_or_url)?;
    Ok(cancellation::cancel_all(ticket))
}
