//! A token session asked about and renewed: `oauth2/info` (`bili_qr_check`) and `oauth2/refresh_token`
//! (`bili_qr_refresh`). Both are signed with the options' key pair, which must be the pair that issued the
//! token (else the service answers -663).
//!
//! A renewal needs no confirmation: the service keeps the old token working until the new one is used for
//! the first time, so the new session reaches the caller before the old one is retired.

use super::login::{cookies_of, token_of};
use super::sign::signed;
use super::{app_key, app_secret};
use super::{AppToken, CODE_NOT_LOGGED_IN};
use crate::error::{Error, Result};
use crate::mainland::Endpoint;
use crate::options::Options;
use crate::passport::envelope::{parse_envelope, Envelope};
use crate::redact::Warnings;
use crate::session::{CheckResult, CheckStatus, Session};
use crate::site::Site;
use crate::transport::{Call, Request};
use crate::{RefreshResult, RefreshStatus};
use serde_json::Value;
use zeroize::Zeroizing;

fn token_of_session(session: &Session) -> Result<&AppToken> {
    session.token.as_ref().ok_or_else(|| {
        Error::argument(
            "session has no token: pass the session object of a TV login (flow \"tv\") as it was handed out",
        )
    })
}

/// Every secret of the session and the options out of an error's message.
fn redact(error: Error, session: &Session, options: &Options) -> Error {
    crate::session::redact(error, session).redact(app_secret(options))
}

/// `GET {base_url}/x/passport-login/oauth2/info` (`access_key`, `actionKey=appkey`, `appkey`, `ts`,
/// `sign`): valid (with `mid`, the new `expires_at` and whether the service wants a renewal) or expired
/// (code -101: an unknown, expired or retired token).
pub fn check(session: &Session, options: &Options) -> Result<CheckResult> {
    check_inner(session, options).map_err(|e| redact(e, session, options))
}

/// One signed request of a token session to `endpoint` (`oauth2/info` as a GET with the query,
/// `oauth2/refresh_token` as a form POST): `access_key` (the session's access token), `actionKey=appkey`,
/// `ts` and `extra`, with `appkey` and `sign`. Returns the session's copy to answer with (of the mainland
/// site) and the answer, `None` for code -101 (not logged in); a code other than 0 is the API error.
fn ask(
    session: &Session,
    options: &Options,
    (ep, endpoint, post): (&str, Endpoint, bool),
    extra: &[(&str, &str)],
) -> Result<(Session, Option<Envelope>)> {
    let token = token_of_session(session)?;
    let ts = super::ts_now();
    let mut fields = vec![
        ("access_key", token.access_token.as_str()),
        ("actionKey", "appkey"),
        ("ts", ts.as_str()),
    ];
    fields.extend_from_slice(extra);
    let fields = signed(&fields, app_key(options), app_secret(options));
    let endpoint = endpoint.url(options, &[]);
    let answer = if post {
        Request::post_form(&endpoint, &fields).send(options, &Call::default())?
    } else {
        let endpoint = Zeroizing::new(format!("{endpoint}?{}", fields.as_str()));
        Request::get(&endpoint).send(options, &Call::default())?
    };
    let envelope = parse_envelope(ep, &answer.body)?;
    let mut copy = session.clone();
    copy.site = Some(Site::Main);
    match envelope.code {
        0 => Ok((copy, Some(envelope))),
        CODE_NOT_LOGGED_IN => Ok((copy, None)),
        _ => Err(super::api_error(ep, &envelope)),
    }
}

fn check_inner(session: &Session, options: &Options) -> Result<CheckResult> {
    let (mut merged, asked) = ask(session, options, ("oauth2/info", super::INFO, false), &[])?;
    let Some(envelope) = asked else {
        return Ok(CheckResult {
            status: CheckStatus::Expired,
            session: merged,
            name: None,
            face: None,
            renewed: false,
            refresh_needed: Some(None),
        });
    };
    let data = &envelope.data;
    if let Some(mid) = data
        .get("mid")
        .and_then(crate::passport::parse_code)
        .filter(|m| *m > 0)
    {
        merged.mid = Some(mid);
    }
    if let (Some(t), Some(left)) = (
        merged.token.as_mut(),
        data.get("expires_in")
            .and_then(crate::passport::parse_code)
            .filter(|e| *e >= 0),
    ) {
        t.expires_at = Some(crate::mainland::unix_now().saturating_add(left));
    }
    let refresh = data.get("refresh").and_then(Value::as_bool);
    Ok(CheckResult {
        status: CheckStatus::Valid,
        session: merged,
        name: None,
        face: None,
        renewed: false,
        refresh_needed: Some(refresh),
    })
}

/// `POST {base_url}/x/passport-login/oauth2/refresh_token` (`access_key`, `actionKey=appkey`, `appkey`,
/// `refresh_token`, `ts`, `sign`): the session with the new token and the new cookies merged in
/// (`Refreshed`), or `Expired` (code -101: the token is unknown, expired or retired, or the refresh token
/// is not its own). The old token keeps working until the new one is first used.
pub fn refresh(session: &Session, options: &Options) -> Result<RefreshResult> {
    refresh_inner(session, options).map_err(|e| redact(e, session, options))
}

fn refresh_inner(session: &Session, options: &Options) -> Result<RefreshResult> {
    const EP: &str = "oauth2/refresh_token";
    let refresh_token = token_of_session(session)?.refresh_token.as_str();
    let (mut current, asked) = ask(
        session,
        options,
        (EP, super::REFRESH, true),
        &[("refresh_token", refresh_token)],
    )?;
    let Some(envelope) = asked else {
        return Ok(RefreshResult {
            status: RefreshStatus::Expired,
            session: current,
            warnings: Warnings::default(),
        });
    };
    let data = envelope.data.as_object().ok_or_else(|| {
        Error::protocol(format!(
            "the {EP} answer is not the documented JSON (data is not an object); the old token still works"
        ))
    })?;
    let Some((new_token, mid)) = token_of(data, crate::mainland::unix_now()) else {
        return Err(Error::protocol(format!(
            "the {EP} answer holds no new access_token and refresh_token; the old token still works"
        )));
    };
    let mut warnings = Vec::new();
    if data.get("cookie_info").is_some() {
        let (cookies, _) = cookies_of(data, &mut warnings);
        for c in cookies {
            current.insert(c);
        }
    } else {
        warnings.push(
            "the renewal answer has no cookie_info: the web cookies were kept as they were"
                .to_owned(),
        );
    }
    if let Some(mid) = mid {
        current.mid = Some(mid);
    }
    // A warning never quotes a secret, old or new.
    let mut scrubbed = Warnings::default();
    for w in &warnings {
        let e = new_token.redact(redact(Error::protocol(w.as_str()), &current, options));
        scrubbed.push(e.message());
    }
    current.token = Some(new_token);
    let warnings = scrubbed;
    Ok(RefreshResult {
        status: RefreshStatus::Refreshed,
        session: current,
        warnings,
    })
}
