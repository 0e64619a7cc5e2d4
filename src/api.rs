//! The library's operations as the C ABI and the Rust API call them, each dispatched on the site and flow of
//! its options or session: bilibili.tv (`crate::login`, `crate::passport`, `crate::session`), the mainland's
//! web login (`crate::mainland`) and its TV/app token login (`crate::tv`).
//!
//! This is the one place that knows every site: the modules below it never call up into it, so no two
//! modules of the crate use each other (`scripts/check-modules.py`, run by the lint suite).

use crate::error::{Error, Result};
use crate::login::{self, PollFn};
use crate::mainland::refresh::RefreshResult;
use crate::options::Options;
use crate::passport::{PollResult, QrCode};
use crate::redact::{self, Scope};
use crate::session::{self, CheckResult, LogoutResult, Session};
use crate::site::Site;
use crate::transport::Call;
use crate::{cancellation, mainland, ticket, tv};

/// Asks for a new QR code. Cookies the answer sets for the passport host become the new ticket's browser
/// session (sent back on its polls).
pub fn start(options: &Options) -> Result<QrCode> {
    let _scope = Scope::enter();
    let result = if tv::is_tv(options) {
        tv::login::start(options)
    } else if options.site == Site::Main {
        mainland::login::start(options)
    } else {
        login::start_intl(options)
    };
    result.map_err(Error::scrub_again)
}

/// The poll of the options' site and flow.
fn poll_fn(options: &Options) -> PollFn {
    if tv::is_tv(options) {
        tv::login::poll_code
    } else if options.site == Site::Main {
        mainland::login::poll_key
    } else {
        login::poll_intl
    }
}

/// The ticket in `input` for the options' site (a mainland `qrcode_key` may come in a URL's `qrcode_key=`,
/// a TV `auth_code` in `auth_code=`).
fn extract<'a>(input: &'a str, options: &Options) -> Result<&'a str> {
    match options.site {
        Site::Main if tv::is_tv(options) => tv::login::extract_auth_code(input),
        Site::Main => mainland::login::extract_key(input),
        Site::Intl => ticket::extract(input),
    }
}

/// Asks once for the state of a ticket (a bare ticket, or a URL with `ticket=`).
pub fn poll(ticket_or_url: &str, options: &Options) -> Result<PollResult> {
    let ticket = extract(ticket_or_url, options)?;
    let _scope = Scope::enter();
    redact::see_ticket(ticket);
    login::end_of_call(poll_fn(options)(ticket, options, &Call::default()))
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
    let ticket = extract(ticket_or_url, options)?;
    let _scope = Scope::enter();
    redact::see_ticket(ticket);
    login::end_of_call(login::wait_ticket(
        ticket,
        options,
        on_progress,
        poll_fn(options),
    ))
}

/// Signals every wait now running on this ticket (a bare ticket or a URL with `ticket=`) in this process.
/// Returns how many were signalled.
/// When none runs, the cancel is kept for 30 seconds and taken by the next
/// wait on the ticket, which then ends at once with a cancelled error (a cancel racing with a wait's start
/// is never lost).
pub fn cancel(ticket_or_url: &str) -> Result<usize> {
    // A mainland QR URL names its key `qrcode_key=`; any other input is read as before.
    let ticket = match ticket::extract(ticket_or_url) {
        Err(e) if ticket_or_url.contains("qrcode_key=") => {
            mainland::login::extract_key(ticket_or_url).map_err(|_| e)?
        }
        // A TV QR URL names its code `auth_code=`.
        Err(e) if ticket_or_url.contains("auth_code=") => {
            tv::login::extract_auth_code(ticket_or_url).map_err(|_| e)?
        }
        other => other?,
    };
    Ok(cancellation::cancel_all(ticket))
}

/// Checks a session with the service: valid (with the account's name and face) or expired, and the
/// session with the cookies the answer set merged in. A TV/app token session is checked by its token
/// (`oauth2/info`), a mainland one by `nav`, a bilibili.tv one by the intl gateway.
pub fn check(session: &Session, options: &Options) -> Result<CheckResult> {
    let result = if session.token.is_some() {
        let _scope = session::session_scope(session);
        tv::token::check(session, options)
    } else if session.site_or(options) == Site::Main {
        let _scope = session::session_scope(session);
        mainland::session::check(session, options)
    } else {
        session::check_intl(session, options)
    };
    result.map_err(Error::scrub_again)
}

/// Logs a session out on the service (the site's logout endpoint, with the session's csrf token).
pub fn logout(session: &Session, options: &Options) -> Result<LogoutResult> {
    if session.site_or(options) == Site::Main {
        return mainland::session::logout(session, options);
    }
    session::logout_intl(session, options)
}

/// Renews a session's credentials: a TV/app token session by its refresh token (no confirmation step), a
/// mainland web session by the cookie refresh (`mainland::refresh`). The old session is not retired here.
pub fn refresh(session: &Session, options: &Options) -> Result<RefreshResult> {
    if session.token.is_some() {
        return tv::token::refresh(session, options);
    }
    mainland::refresh::refresh(session, options)
}
