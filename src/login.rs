//! The login flow: start, poll once, and wait (poll until the login ends, with retries and cancellation),
//! and the steps that collect a confirmed login's cookies from every source (docs/COOKIES.md).

use crate::cancellation;
use crate::cookies::{Cookie, CookieJar};
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::passport::{self, Collected, ConfirmedData, Login, PollResult, PollStatus, QrCode};
use crate::ticket::{self, sessions};
use crate::transport::{Answer, Call, Hop, Mode, Request};
use crate::url::{is_service_host, Url};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest pause between two polls after transient failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Asks for a new QR code. Cookies the answer sets for the passport host become the new ticket's browser
/// session (sent back on its polls).
pub fn start(options: &Options) -> Result<QrCode> {
    let answer = Request::get(&passport::url_endpoint(options)).send(options, &Call::default())?;
    let qr = passport::parse_qr_code(&answer.body, options)?;
    sessions::remember(&qr.ticket, passport_cookies(&answer, options));
    Ok(qr)
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

/// Asks once for the state of a ticket (a bare ticket, or a URL with `ticket=`).
pub fn poll(ticket_or_url: &str, options: &Options) -> Result<PollResult> {
    let ticket = ticket::extract(ticket_or_url)?;
    poll_ticket(ticket, options, &Call::default()).map_err(|e| e.redact(ticket))
}

fn poll_ticket(ticket: &str, options: &Options, call: &Call<'_>) -> Result<PollResult> {
    let fetch_url = passport::fetch_endpoint(options, ticket);
    let session = sessions::cookie_header(ticket);
    let answer = Request::get(&fetch_url)
        .cookie(session.as_deref().map(String::as_str))
        .send(options, call)?;
    let (status, envelope, confirmed) = passport::parse_fetch(&answer.body)?;
    match status {
        PollStatus::Waiting | PollStatus::Scanned => {
            sessions::remember(ticket, passport_cookies(&answer, options))
        }
        PollStatus::Confirmed | PollStatus::Expired => sessions::forget(ticket),
    }
    let login = match confirmed {
        None => None,
        Some(data) => {
            let mut login = collect_login(options, &fetch_url, &answer, data, call)?;
            // A server may echo the ticket in a step's message: warnings follow the rule of messages.
            for w in &mut login.warnings {
                let redacted = Error::new(ErrorKind::Protocol, w.as_str()).redact(ticket);
                *w = redacted.message().to_owned();
            }
            Some(login)
        }
    };
    Ok(PollResult {
        status,
        code: envelope.code,
        message: envelope.message,
        login,
    })
}

/// The credentials a cross-domain `go_url` may carry in its query (the mainland crossDomain shape).
const QUERY_CREDENTIALS: [&str; 4] = ["DedeUserID", "DedeUserID__ckMd5", "SESSDATA", "bili_jct"];

/// The cookie domain for credentials found on a URL of `host`: host-only (`None`) for the `base_url` host,
/// the trusted root it is under, or refused (`None` outside).
fn domain_for_host(host: &str, base_host: &str) -> Option<Option<String>> {
    if host.eq_ignore_ascii_case(base_host) {
        return Some(None);
    }
    crate::cookies::TRUSTED_DOMAINS
        .iter()
        .find(|root| crate::cookies::domain_matches(host, root))
        .map(|root| Some((*root).to_owned()))
}

/// Reads the credentials in `go_url`'s query (the text as the service sent it) into the jar, values exactly
/// as they stand there. `Expires` (seconds from now, or Unix seconds when that large) sets their expiry.
/// Returns how many were kept.
fn apply_query_credentials(
    jar: &mut CookieJar,
    raw_go_url: &str,
    domain: Option<String>,
    base_host: &str,
    now: i64,
) -> usize {
    let Some((_, query)) = raw_go_url.split_once('?') else {
        return 0;
    };
    let query = query.split('#').next().unwrap_or("");
    let pairs: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    let expires = pairs
        .iter()
        .find(|(k, _)| *k == "Expires")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|e| *e > 0)
        .map(|e| {
            if e < 1_000_000_000 {
                now.saturating_add(e)
            } else {
                e
            }
        });
    let mut found = 0;
    for name in QUERY_CREDENTIALS {
        let Some((_, value)) = pairs.iter().find(|(k, _)| *k == name) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let kept = jar.add(
            Cookie {
                name: name.to_owned(),
                value: (*value).to_owned(),
                domain: domain.clone(),
                path: "/".to_owned(),
                expires,
                secure: true,
                http_only: name == "SESSDATA",
            },
            base_host,
        );
        found += usize::from(kept);
    }
    found
}

/// A host as messages may show it: a host name of at most 64 characters, else "a host" (a server could put
/// a cookie value into a host name; warnings are scrubbed of the login's values as well).
fn shown_host(host: &str) -> String {
    if host.len() <= 64 && crate::cookies::valid_domain(host) {
        host.to_owned()
    } else {
        "a host".to_owned()
    }
}

/// Whether an optional step may request `url`: https on a host under bilibili.tv / biliintl.com, or the
/// host and port of `base_url` / `api_base_url` (loopback http in tests). The transport checks the same
/// rule on every hop; this one lets the step name the refused host.
fn followable(url: &Url, options: &Options) -> bool {
    if url.is_https() && is_service_host(url.host()) {
        return true;
    }
    [options.base_url.as_str(), options.api_base_url.as_str()]
        .iter()
        .filter_map(|b| Url::parse(b).ok())
        .any(|b| b.same_host_port(url))
}

/// The cookies of every response of a chain, host-only ones attributed to the host that set them (the
/// `base_url` host's stay host-only).
fn apply_hops(jar: &mut CookieJar, hops: &[Hop], base_host: &str, now: i64) {
    for hop in hops {
        for header in &hop.set_cookies {
            jar.apply_set_cookie_from(header, &hop.host, base_host, now);
        }
    }
}

/// Follows an optional step's URL (go_url or an sso URL) with the cookies a browser would send there.
/// Every response's cookies are merged, also when a later hop fails; a failure becomes a warning.
#[allow(clippy::too_many_arguments)]
fn follow(
    what: &str,
    url: &Url,
    options: &Options,
    call: &Call<'_>,
    jar: &mut CookieJar,
    warnings: &mut Vec<String>,
    collected: &mut Collected,
    now: i64,
) {
    let base_host = options.base_url.host();
    let cookie = jar.header_for(url.host(), base_host);
    let sent = Request::get(url.as_str())
        .mode(Mode::Follow)
        .label(what)
        .cookie(Some(cookie.as_str()).filter(|c| !c.is_empty()))
        .send(options, call);
    match sent {
        Ok(answer) => {
            apply_hops(jar, &answer.hops, base_host, now);
            if answer.status >= 400 {
                warnings.push(format!("{what} answered HTTP {}", answer.status));
            }
        }
        Err(failure) => {
            apply_hops(jar, &failure.hops, base_host, now);
            let message = failure.error.message();
            if message.starts_with("refused to request") {
                collected
                    .refused
                    .push(format!("a host that {what} redirected to"));
            }
            warnings.push(format!("following {what} failed: {message}"));
        }
    }
}

/// Collects a confirmed login's cookies from every source, in order (a later cookie replaces an earlier one
/// of the same name and domain): the fetch answer's `Set-Cookie`, `data.cookie_info`, every `go_url` hop,
/// the credentials in `go_url`'s query, then the sso step (`web/sso/list` and each `data.sso[]` URL).
/// Optional steps that fail become warnings; the login is an error only when the three session cookies are
/// still missing (or, with `verify_login`, when the service refuses the new session).
fn collect_login(
    options: &Options,
    fetch_url: &str,
    answer: &Answer,
    data: ConfirmedData,
    call: &Call<'_>,
) -> Result<Login> {
    let now = unix_now();
    let base_host = options.base_url.host();
    let mut jar = CookieJar::default();
    let mut warnings = Vec::new();
    let mut collected = Collected::default();

    collected
        .tried
        .push("the fetch answer's Set-Cookie".to_owned());
    apply_hops(&mut jar, &answer.hops, base_host, now);
    if let Some(info) = &data.cookie_info {
        collected.tried.push("data.cookie_info".to_owned());
        jar.apply_cookie_info(info, base_host, now);
    }
    if let Some(raw) = data.go_url.as_deref().filter(|g| !g.trim().is_empty()) {
        go_url_step(
            options,
            fetch_url,
            raw,
            call,
            &mut jar,
            &mut warnings,
            &mut collected,
            now,
        );
    }
    sso_step(options, call, &mut jar, &mut warnings, &mut collected, now);

    let mut verified = None;
    if options.verify_login && jar.missing_required().is_empty() {
        verified = Some(verify(options, call, &mut jar, &mut warnings, now)?);
    }
    let mut login = passport::finish_login(data, jar, base_host, warnings, &collected)?;
    login.verified = verified;
    Ok(login)
}

/// A URL the service handed out (`what`: "go_url", "an sso URL"), resolved, if it may be requested:
/// `None` with a warning when it does not resolve or its host is not trusted (that host also goes into
/// `collected.refused`).
fn followable_target(
    what: &str,
    joined: std::result::Result<Url, crate::url::UrlError>,
    options: &Options,
    warnings: &mut Vec<String>,
    collected: &mut Collected,
) -> Option<Url> {
    let url = match joined {
        Ok(u) => u,
        Err(why) => {
            warnings.push(format!("{what} was not followed: {}", why.reason()));
            return None;
        }
    };
    if !followable(&url, options) {
        let shown = shown_host(url.host());
        warnings.push(format!(
            "{what} points to the untrusted host {shown}; it was not requested"
        ));
        collected.refused.push(shown);
        return None;
    }
    Some(url)
}

#[allow(clippy::too_many_arguments)]
fn go_url_step(
    options: &Options,
    fetch_url: &str,
    raw: &str,
    call: &Call<'_>,
    jar: &mut CookieJar,
    warnings: &mut Vec<String>,
    collected: &mut Collected,
    now: i64,
) {
    let base_host = options.base_url.host();
    let joined = Url::parse(fetch_url).and_then(|f| f.join(raw));
    let Some(go_url) = followable_target("go_url", joined, options, warnings, collected) else {
        return;
    };
    collected.tried.push("go_url".to_owned());
    follow(
        "go_url", &go_url, options, call, jar, warnings, collected, now,
    );
    if let Some(domain) = domain_for_host(go_url.host(), base_host) {
        if apply_query_credentials(jar, raw, domain, base_host, now) > 0 {
            collected
                .tried
                .push("the credentials in go_url's query".to_owned());
        }
    }
}

/// `GET {base_url}/x/intl/passport-login/web/sso/list` with the new cookies, then each `data.sso[]` URL on
/// a trusted host; every `Set-Cookie` merged. Failures are warnings.
fn sso_step(
    options: &Options,
    call: &Call<'_>,
    jar: &mut CookieJar,
    warnings: &mut Vec<String>,
    collected: &mut Collected,
    now: i64,
) {
    let base_host = options.base_url.host();
    let list_url = passport::sso_list_endpoint(options);
    let cookie = jar.header_for(base_host, base_host);
    collected.tried.push("sso/list".to_owned());
    let sent = Request::get(&list_url)
        .cookie(Some(cookie.as_str()).filter(|c| !c.is_empty()))
        .send(options, call);
    let answer = match sent {
        Ok(answer) => answer,
        Err(failure) => {
            apply_hops(jar, &failure.hops, base_host, now);
            warnings.push(format!("sso/list failed: {}", failure.error.message()));
            return;
        }
    };
    apply_hops(jar, &answer.hops, base_host, now);
    let urls = match passport::parse_sso_list(&answer.body) {
        Ok(urls) => urls,
        Err(e) => {
            warnings.push(format!("sso/list: {}", e.message()));
            return;
        }
    };
    let Ok(list) = Url::parse(&list_url) else {
        return;
    };
    let mut followed = 0;
    for raw in urls {
        let joined = list.join(&raw);
        let Some(url) = followable_target("an sso URL", joined, options, warnings, collected)
        else {
            continue;
        };
        followed += 1;
        follow(
            "an sso URL",
            &url,
            options,
            call,
            jar,
            warnings,
            collected,
            now,
        );
    }
    if followed > 0 {
        collected.tried.push(format!("{followed} sso URL(s)"));
    }
}

/// With `verify_login`: asks `v2/user` whether the service accepts the new session. `Ok(true)`: it does
/// (renewed cookies merged); `Ok(false)`: it could not be asked (network, HTTP, another code, a cancel or the
/// wait's deadline; a warning says why); an error: it refused the session.
fn verify(
    options: &Options,
    call: &Call<'_>,
    jar: &mut CookieJar,
    warnings: &mut Vec<String>,
    now: i64,
) -> Result<bool> {
    let api_host = options.api_base_url.host();
    let base_host = options.base_url.host();
    let cookie = jar.header_for(api_host, base_host);
    match passport::gateway_user(&cookie, options, call) {
        Ok(user) if user.is_login => {
            for header in &user.set_cookies {
                jar.apply_set_cookie_from(header, api_host, base_host, now);
            }
            Ok(true)
        }
        Ok(user) => Err(Error::protocol(format!(
            "the login was confirmed, but the service does not accept the new session (v2/user answered {}); start a new login",
            if user.code == -101 {
                "code -101, not logged in"
            } else {
                "is_login false"
            }
        ))),
        // Also a cancel or the wait's deadline: the ticket is spent, so the login is kept, unverified.
        Err(e) => {
            warnings.push(format!(
                "verify_login: the session could not be checked: {}",
                e.message()
            ));
            Ok(false)
        }
    }
}

/// Polls every `poll_interval` until the login is confirmed or expired (both `Ok`), the wait times out,
/// is cancelled (by [`cancel`] or by `on_progress` returning `false`), or an error ends it.
///
/// Network errors, per-request timeouts, HTTP 429 and 5xx are retried with a growing pause, up to
/// `max_retries` in a row; a `Retry-After` is honoured (never polled sooner; capped by the deadline).
/// `on_progress` is called on this thread after every poll that answers waiting or scanned.
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

/// Signals every wait now running on this ticket (a bare ticket or a URL with `ticket=`) in this process.
/// Returns how many were signalled.
pub fn cancel(ticket_or_url: &str) -> Result<usize> {
    let ticket = ticket::extract(ticket_or_url)?;
    Ok(cancellation::cancel_all(ticket))
}
