//! The mainland cookie refresh, in two calls so that the new session reaches the caller (and its file)
//! before the old one is retired:
//!
//! - [`refresh`]: `cookie/info` (the server's timestamp) → `correspondPath` (RSA-OAEP, `src/rsa.rs`) →
//!   the correspond page (`refresh_csrf`) → `cookie/refresh` (new cookies, new refresh token). Returns the
//!   new session with `previous_refresh_token`; the old session still works.
//! - [`confirm`]: `confirm/refresh` with the new `bili_jct` and the old refresh token retires the old
//!   session; returns the session without `previous_refresh_token`.
//!
//! [`refresh`] dispatches on the session's site: the mainland's web cookies here; bilibili.tv has no known
//! flow (an argument error); a token site (app/TV access and refresh tokens) slots in beside it.

use super::form;
use super::session::{cookie_info, merge};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::passport::envelope::{accepted, parse_envelope};
use crate::redact::Warnings;
use crate::rsa::{correspond_path, PublicKey};
use crate::session::{redact, service_header, to_json_with_status, Session};
use crate::site::Site;
use crate::transport::{Call, Request};
use serde_json::Value;

/// `cookie/refresh` and `confirm/refresh`: the csrf token did not match.
pub const CODE_CSRF: i64 = -111;
/// `cookie/refresh`: `refresh_csrf` or the refresh token is wrong (or does not belong to these cookies).
pub const CODE_REFRESH_MISMATCH: i64 = 86095;

/// How a refresh call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    /// `refresh`: a new session, with `previous_refresh_token` (the old one still works).
    Refreshed,
    /// `confirm`: the old session is retired.
    Confirmed,
    /// The session is not logged in (code -101): nothing changed.
    Expired,
}

/// The answer of [`refresh`] or [`confirm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshResult {
    pub status: RefreshStatus,
    /// The session to save from now on (for `Expired`, the session given).
    pub session: Session,
    /// Notes on optional steps; scrubbed when pushed (crate::redact), never a secret.
    pub warnings: Warnings,
}

impl RefreshResult {
    /// The session object with `status` (`"refreshed"`, `"confirmed"`, `"expired"`) and `warnings`.
    pub fn to_json(&self) -> String {
        let status = match self.status {
            RefreshStatus::Refreshed => "refreshed",
            RefreshStatus::Confirmed => "confirmed",
            RefreshStatus::Expired => "expired",
        };
        to_json_with_status(&self.session, status, &self.warnings)
    }
}

/// The frame of both steps ([`refresh`], [`confirm`]): a bilibili.tv session is refused (no refresh flow is
/// known for that site) before anything is sent, and no error of `step` repeats a secret of the session.
fn on_mainland(
    session: &Session,
    options: &Options,
    step: fn(&Session, &Options) -> Result<RefreshResult>,
) -> Result<RefreshResult> {
    match session.site_or(options) {
        Site::Main => step(session, options).map_err(|e| redact(e, session)),
        Site::Intl => Err(Error::argument(
            "the session is a bilibili.tv (intl) session: no refresh flow is known for bilibili.tv; log in again when it expires (check with bili_qr_check)",
        )),
    }
}

fn required<'a>(session: &'a Session, what: &str) -> Result<&'a str> {
    let value = match what {
        "refresh_token" => session.refresh_token.as_deref(),
        "previous_refresh_token" => session.previous_refresh_token.as_deref(),
        name => session.get(name).map(|c| c.value.as_str()),
    };
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        Error::argument(match what {
            "refresh_token" => "session has no refresh_token: pass the session object (or cookies.txt) as the login or the last refresh handed it out".to_owned(),
            "previous_refresh_token" => "session has no previous_refresh_token: pass the session object that bili_qr_refresh handed out (a session that was never refreshed, or was already confirmed, has nothing to confirm)".to_owned(),
            name => format!("session has no {name} cookie, which the refresh sends as its csrf token: pass the whole session as handed out"),
        })
    })
}

/// Refreshes a mainland session's cookies (module documentation). The old session is not retired.
pub fn refresh(session: &Session, options: &Options) -> Result<RefreshResult> {
    on_mainland(session, options, refresh_inner)
}

fn refresh_inner(session: &Session, options: &Options) -> Result<RefreshResult> {
    let old_token = required(session, "refresh_token")?;
    let csrf = required(session, "bili_jct")?;
    if session.previous_refresh_token.is_some() {
        return Err(Error::argument(
            "this session comes from a refresh that is not confirmed yet: save it, then call bili_qr_refresh_confirm before refreshing again",
        ));
    }
    let key = match &options.refresh_public_key {
        Some(pem) => PublicKey::from_pem(pem)?,
        None => PublicKey::published(),
    };
    let call = Call::default();
    let mut current = session.clone();
    current.mark_main();

    // 1. The server's timestamp (a local clock running fast broke other clients' refresh).
    let Some((_, timestamp)) = cookie_info(&current, options, &call)? else {
        return Ok(expired(current));
    };
    // 2, 3. The correspond page's refresh_csrf.
    let path = correspond_path(&key, timestamp)?;
    let refresh_csrf = correspond(&current, options, &call, &path)?;
    // 4. New cookies and a new refresh token.
    let endpoint = super::COOKIE_REFRESH.url(options, &[]);
    let body = form(&[
        ("csrf", csrf),
        ("refresh_csrf", &refresh_csrf),
        ("source", "main_web"),
        ("refresh_token", old_token),
    ]);
    let header = service_header(&current, options);
    let answer = Request::post_form(&endpoint, &body)
        .cookie(Some(header.as_str()))
        .send(options, &call)?;
    let set_cookies: Vec<String> = answer
        .hops
        .iter()
        .flat_map(|h| h.set_cookies.iter().cloned())
        .collect();
    let envelope = parse_envelope("cookie/refresh", &answer.body)?;
    let refusals = [
        (
            CODE_CSRF,
            "the cookie refresh was refused with code -111: the csrf token (bili_jct) did not match the session; pass the bili_jct that came with this SESSDATA",
        ),
        (
            CODE_REFRESH_MISMATCH,
            "the cookie refresh was refused with code 86095: the refresh_token does not belong to these cookies, or refresh_csrf was wrong (the session was refreshed elsewhere, or an older copy was passed); the old session still works: check it, and log in again if it has ended",
        ),
    ];
    if !accepted("cookie/refresh", &envelope, &refusals)? {
        return Ok(expired(current));
    }
    let new_token = envelope
        .data
        .get("refresh_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && crate::cookies::valid_value(t) && t.len() <= 4096)
        .map(str::to_owned);
    let mut fresh = current.clone();
    let changed = merge(&mut fresh, &set_cookies, Vec::new(), options);
    let new_jct = fresh.get("bili_jct").map(|c| c.value.clone());
    let new_sess = fresh.get("SESSDATA").map(|c| c.value.clone());
    if !changed || new_sess.as_deref() == current.get("SESSDATA").map(|c| c.value.as_str()) {
        return Err(Error::protocol(
            "the cookie refresh answered code 0 but set no new SESSDATA; the old session was not retired and still works",
        ));
    }
    let mut warnings = Warnings::default();
    if new_jct.as_deref() == Some(csrf) {
        warnings.push("the cookie refresh set no new bili_jct; the confirmation sends the old one");
    }
    let Some(new_token) = new_token else {
        // The new cookies are in hand: keep them, but this session cannot be refreshed nor confirmed.
        warnings.push(
            "the cookie refresh answered no data.refresh_token: the new session cannot be refreshed again; the old one was not retired",
        );
        fresh.refresh_token = None;
        fresh.previous_refresh_token = None;
        return Ok(RefreshResult {
            status: RefreshStatus::Refreshed,
            session: fresh,
            warnings,
        });
    };
    fresh.previous_refresh_token = Some(old_token.to_owned());
    fresh.refresh_token = Some(new_token);
    if let Some(mid) = fresh
        .get("DedeUserID")
        .and_then(|c| c.value.parse::<i64>().ok())
        .filter(|m| *m > 0)
    {
        fresh.mid = Some(mid);
    }
    // The warnings are written here, but a new value must not leak through them either.
    let mut scrubbed = Warnings::default();
    for w in warnings.iter() {
        scrubbed.push(redact(Error::protocol(w), &fresh).message());
    }
    let warnings = scrubbed;
    Ok(RefreshResult {
        status: RefreshStatus::Refreshed,
        session: fresh,
        warnings,
    })
}

fn expired(session: Session) -> RefreshResult {
    RefreshResult {
        status: RefreshStatus::Expired,
        session,
        warnings: Warnings::default(),
    }
}

/// `GET {www_base_url}/correspond/1/<path>` with the session's cookies → the text of `<div id="1-name">`.
fn correspond(session: &Session, options: &Options, call: &Call<'_>, path: &str) -> Result<String> {
    let endpoint = format!("{}{path}", super::CORRESPOND.url(options, &[]));
    let header = service_header(session, options);
    let answer = Request::get(&endpoint)
        .cookie(Some(header.as_str()))
        .send(options, call)
        .map_err(|f| {
            let e = f.error;
            if e.http_status() == Some(404) {
                e.with_message(
                    "the correspond page answered HTTP 404: the correspondPath was wrong or stale (refresh_public_key does not match the service's, or the timestamp aged); the old session still works: try the refresh again",
                )
            } else {
                e
            }
        })?;
    let html = String::from_utf8_lossy(&answer.body);
    refresh_csrf(&html).ok_or_else(|| {
        Error::protocol(
            "the correspond page has no <div id=\"1-name\"> with the refresh_csrf; check www_base_url, or the service changed",
        )
    })
}

/// The text of the element with `id="1-name"` (either quote), trimmed: 1 to 256 printable ASCII characters.
pub(crate) fn refresh_csrf(html: &str) -> Option<String> {
    let at = html
        .find("id=\"1-name\"")
        .or_else(|| html.find("id='1-name'"))?;
    let rest = html.get(at..)?;
    let open_end = rest.find('>')?;
    let text = rest.get(open_end + 1..)?;
    let text = text.get(..text.find('<')?)?.trim();
    let ok = !text.is_empty() && text.len() <= 256 && text.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| text.to_owned())
}

/// Retires the session that a refresh replaced (module documentation).
pub fn confirm(session: &Session, options: &Options) -> Result<RefreshResult> {
    on_mainland(session, options, confirm_inner)
}

fn confirm_inner(session: &Session, options: &Options) -> Result<RefreshResult> {
    let previous = required(session, "previous_refresh_token")?;
    let csrf = required(session, "bili_jct")?;
    let endpoint = super::CONFIRM_REFRESH.url(options, &[]);
    let body = form(&[("csrf", csrf), ("refresh_token", previous)]);
    let header = service_header(session, options);
    let answer = Request::post_form(&endpoint, &body)
        .cookie(Some(header.as_str()))
        .send(options, &Call::default())?;
    let envelope = parse_envelope("confirm/refresh", &answer.body)?;
    let mut done = session.clone();
    done.mark_main();
    let refusal = (
        CODE_CSRF,
        "the confirmation was refused with code -111: the csrf token (the new bili_jct) did not match; pass the session bili_qr_refresh handed out",
    );
    if !accepted("confirm/refresh", &envelope, &[refusal])? {
        return Ok(expired(done));
    }
    done.previous_refresh_token = None;
    Ok(RefreshResult {
        status: RefreshStatus::Confirmed,
        session: done,
        warnings: Warnings::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_csrf_from_html() {
        let html = r#"<html><body><div id="1-name">b0cc8411ded2f9db2cff2edb3123acac</div><div id="2-name">x</div></body></html>"#;
        assert_eq!(
            refresh_csrf(html).as_deref(),
            Some("b0cc8411ded2f9db2cff2edb3123acac")
        );
        assert_eq!(
            refresh_csrf("<div class='a' id='1-name' >  abc \n</div>").as_deref(),
            Some("abc")
        );
        assert!(refresh_csrf("<div id=\"1-name\"></div>").is_none());
        assert!(refresh_csrf("<div id=\"2-name\">x</div>").is_none());
        assert!(refresh_csrf("<div id=\"1-name\">x").is_none());
        assert!(refresh_csrf("").is_none());
    }
}
