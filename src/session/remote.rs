//! Asking the service about a session (`v2/user`) and ending it (`login/exit`).

use super::format::{to_json, CheckKeys};
use super::{service_domain, Session};
use crate::cookies::{Cookie, CookieJar};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::passport::envelope::accepted;
use crate::passport::{gateway_user, parse_envelope, push_query, Envelope, UserInfo};
use crate::redact::{self, Scope};
use crate::transport::{Call, Request};
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// The passport's logout endpoint, on `base_url`.
pub const EXIT_PATH: &str = "/x/intl/passport-login/web/login/exit";
/// The service's code for a csrf token that does not match the session.
const CODE_CSRF: i64 = -111;

/// What `check` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// The service accepted the session (`data.is_login` true).
    Valid,
    /// The session has ended (`is_login` false, or code -101).
    Expired,
}

/// The answer of `bili_qr::check`: the session to save from now on (renewed cookies merged) and the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub status: CheckStatus,
    pub session: Session,
    pub name: Option<String>,
    pub face: Option<String>,
    /// Whether the answer changed a cookie (a renewed SESSDATA): save `session` again.
    pub renewed: bool,
    /// Mainland only: whether cookie/info says the session wants `bili_qr_refresh` (`Some(None)`: it could
    /// not be asked). `None` for bilibili.tv (no key in the object).
    pub refresh_needed: Option<Option<bool>>,
}

impl CheckResult {
    /// The session object with `status`, `name`, `face` and `renewed` (docs/ABI.md, bili_qr_check).
    pub fn to_json(&self) -> String {
        to_json(
            &self.session,
            Some(CheckKeys {
                status: match self.status {
                    CheckStatus::Valid => "valid",
                    CheckStatus::Expired => "expired",
                },
                name: self.name.as_deref(),
                face: self.face.as_deref(),
                renewed: self.renewed,
                refresh_needed: self.refresh_needed,
            }),
        )
    }
}

/// What `logout` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutStatus {
    LoggedOut,
    /// The session had already ended (code -101).
    Expired,
}

/// The answer of `bili_qr::logout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogoutResult {
    #[serde(serialize_with = "logout_status")]
    pub status: LogoutStatus,
    pub code: i64,
    pub message: String,
}

fn logout_status<S: serde::Serializer>(
    s: &LogoutStatus,
    ser: S,
) -> std::result::Result<S::Ok, S::Error> {
    ser.serialize_str(match s {
        LogoutStatus::LoggedOut => "logged_out",
        LogoutStatus::Expired => "expired",
    })
}

impl LogoutResult {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A logout's answer (`login/exit` or the mainland's `login/exit/v2`): code 0 logged out, -101 already
    /// ended, the `refusal` code (a csrf token that did not match) its API error, any other code the
    /// endpoint's; the message printable and at most 256 characters.
    pub(crate) fn answered(
        endpoint: &str,
        envelope: &Envelope,
        refusal: (i64, &str),
    ) -> Result<LogoutResult> {
        let status = if accepted(endpoint, envelope, &[refusal])? {
            LogoutStatus::LoggedOut
        } else {
            LogoutStatus::Expired
        };
        let message: String = envelope
            .message
            .chars()
            .filter(|c| !c.is_control())
            .take(256)
            .collect();
        Ok(LogoutResult {
            status,
            code: envelope.code,
            message: redact::scrub(&message),
        })
    }
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The `Cookie` header for the service: the session's cookies whose domain is the service's or the
/// `base_url` / `api_base_url` host, and the host-only ones. A loopback domain (which a session keeps for
/// test servers) is sent only when it is one of those two hosts. (A parsed session holds no other; this is
/// the second fence, in case a `Session` was built by hand.)
pub(crate) fn service_header(session: &Session, options: &Options) -> String {
    let hosts = [options.base_url.host(), options.api_base_url.host()];
    let sendable = |c: &&Cookie| match c.domain.as_deref() {
        None => true,
        Some(d) => {
            (service_domain(d) && !crate::options::is_loopback_host(d))
                || hosts.iter().any(|h| h.eq_ignore_ascii_case(d))
        }
    };
    crate::cookies::header_of(session.cookies.iter().filter(sendable))
}

/// Opens the call's scope of secrets (crate::redact) with the session's cookie values and refresh tokens in
/// it: a session error never carries one (a server could echo one in its message).
pub(crate) fn session_scope(session: &Session) -> Scope {
    let scope = Scope::enter();
    for c in &session.cookies {
        redact::see(&c.value);
    }
    for t in [&session.refresh_token, &session.previous_refresh_token]
        .into_iter()
        .flatten()
    {
        redact::see(t);
    }
    if let Some(t) = &session.token {
        t.see_secrets();
    }
    scope
}

/// `error` scrubbed of the session's cookie values and refresh tokens (and of everything else the calls on
/// this thread have seen).
pub(crate) fn redact(error: Error, session: &Session) -> Error {
    let _scope = session_scope(session);
    error.scrub_again()
}

/// `GET {api_base_url}/intl/gateway/web/v2/user` with the session's cookies: valid (with the account's
/// name and face) or expired, and the session with the cookies the answer set merged in.
pub(crate) fn check_intl(session: &Session, options: &Options) -> Result<CheckResult> {
    let _scope = session_scope(session);
    check_inner(session, options).map_err(Error::scrub_again)
}

/// Merges an answer's `Set-Cookie` lines (and `extra` cookies) into `session` through `jar`'s rules for
/// `host`. A cookie of the session that the jar took and the answer deleted leaves the session; one the jar
/// would not take for this host (a loopback stand-in domain of another test host, say) stays as it is: a
/// merge never loses part of a session. Returns whether a cookie changed (a renewed session).
pub(crate) fn merge_cookies(
    session: &mut Session,
    mut jar: CookieJar,
    host: &str,
    set_cookies: &[String],
    extra: Vec<Cookie>,
) -> bool {
    let before = session.cookies.clone();
    let taken: Vec<bool> = before.iter().map(|c| jar.add(c.clone(), host)).collect();
    let now = unix_now();
    for line in set_cookies {
        jar.apply_set_cookie(line, host, now);
    }
    for c in extra {
        jar.add(c, host);
    }
    let after = jar.into_vec();
    for (c, taken) in before.iter().zip(taken) {
        let deleted = !after
            .iter()
            .any(|a| a.name == c.name && a.domain == c.domain);
        if taken && deleted {
            session.cookies.retain(|m| m.name != c.name);
        }
    }
    for c in after {
        if super::valid_cookie(&c.name, &c.value) {
            session.insert(c);
        }
    }
    session.cookies != before
}

fn check_inner(session: &Session, options: &Options) -> Result<CheckResult> {
    let header = service_header(session, options);
    let info = gateway_user(&header, options, &Call::default())?;

    // The answer's cookies (a renewed SESSDATA) go through the jar's rules, then into the session in place.
    let mut merged = session.clone();
    merge_cookies(
        &mut merged,
        CookieJar::default(),
        options.api_base_url.host(),
        &info.set_cookies,
        Vec::new(),
    );
    Ok(check_result(session, merged, info, None))
}

/// Asks whether a valid session wants a refresh: `None` when that could not be asked.
pub(crate) type AskRefresh<'a> = dyn Fn(&Session) -> Option<bool> + 'a;

/// A check's answer from what the service said (`info`, whose cookies are merged into `merged` already):
/// `Valid` with the account's `mid`, `name` and `face` (printable, at most 256 characters) when it is
/// logged in, else `Expired`; the `mid` from `DedeUserID` when the answer named none; `renewed` when a
/// cookie of `original` changed. `ask_refresh` (mainland only) says whether a valid session wants a
/// refresh (`None` when it could not be asked); without it there is no `refresh_needed`.
pub(crate) fn check_result(
    original: &Session,
    mut merged: Session,
    info: UserInfo,
    ask_refresh: Option<&AskRefresh<'_>>,
) -> CheckResult {
    let clean = |s: Option<String>| {
        s.map(|s| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(256)
                .collect::<String>()
        })
    };
    let (mut name, mut face, mut refresh) = (None, None, None);
    let status = if info.is_login {
        if let Some(mid) = info.mid.filter(|m| *m > 0) {
            merged.mid = Some(mid);
        }
        name = clean(info.name);
        face = clean(info.face);
        refresh = ask_refresh.and_then(|ask| ask(&merged));
        CheckStatus::Valid
    } else {
        CheckStatus::Expired
    };
    if merged.mid.is_none() {
        merged.mid = merged
            .get("DedeUserID")
            .and_then(|c| c.value.parse().ok())
            .filter(|m: &i64| *m > 0);
    }
    CheckResult {
        status,
        renewed: merged.cookies != original.cookies,
        session: merged,
        name,
        face,
        refresh_needed: ask_refresh.map(|_| refresh),
    }
}

/// `POST {base_url}/x/intl/passport-login/web/login/exit` with `csrf=<bili_jct>` in the query and the
/// form body, and the session's cookies.
pub(crate) fn logout_intl(session: &Session, options: &Options) -> Result<LogoutResult> {
    let Some(jct) = session.get("bili_jct").filter(|c| !c.value.is_empty()) else {
        return Err(Session::lacks("bili_jct", 0).with_message(
            "session has no bili_jct cookie, which logout sends as its csrf token: pass the whole session as handed out by the login",
        ));
    };
    let _scope = session_scope(session);
    logout_inner(session, &jct.value, options).map_err(Error::scrub_again)
}

fn logout_inner(session: &Session, csrf: &str, options: &Options) -> Result<LogoutResult> {
    // csrf in the query and, the same text, as the form body.
    let mut url = format!("{}{EXIT_PATH}", options.base_url.as_str());
    push_query(&mut url, "csrf", csrf);
    let mut query = String::new();
    push_query(&mut query, "csrf", csrf);
    let form = query.trim_start_matches('?');
    let header = service_header(session, options);
    let answer = Request::post_form(&url, form)
        .cookie(Some(&header))
        .send(options, &Call::default())?;
    let envelope = parse_envelope("login/exit", &answer.body)?;
    let refusal = (
        CODE_CSRF,
        "the logout was refused with code -111: the csrf token (bili_jct) did not match the session; pass the bili_jct that came with this SESSDATA",
    );
    LogoutResult::answered("login/exit", &envelope, refusal)
}
