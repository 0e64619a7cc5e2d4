//! `bili-qr refresh --cookies FILE`: renews a mainland (bilibili.com) session with the library's two-step
//! refresh, saving after each step so that a stop at any point loses nothing:
//!
//! 1. `bili_qr::refresh` → the new session, which still names the old one (`previous_refresh_token`); the old
//!    session keeps working. Saved over FILE at once (atomically, mode 0600, in FILE's format).
//! 2. `bili_qr::refresh_confirm` with it → the old session is retired. Saved again, without the mark.
//!
//! If the program stops between the two saves, FILE holds the new, unconfirmed session (it works). The next
//! `refresh` sees `previous_refresh_token` in it and finishes the confirmation first (a session pending
//! confirmation cannot be refreshed again). A TV token session has no confirmation step: one save.

use crate::args::{NetArgs, RefreshArgs};
use crate::saved::{self, ReadError, Saved};
use crate::{say, tell, Failure, EXIT_EXPIRED, EXIT_LOCAL, EXIT_USAGE};
use bili_qr::session::{CheckResult, CheckStatus, Session, SessionFormat};
use bili_qr::{ErrorKind, RefreshStatus};
use std::path::Path;

/// The line `check` adds when the service asks for a refresh of a valid session, or when the file holds a
/// refresh whose confirmation did not happen.
pub fn due(checked: &CheckResult) -> Option<&'static str> {
    if checked.session.previous_refresh_token.is_some() {
        return Some(
            "refresh pending: the last refresh was not confirmed (bili-qr refresh finishes it)",
        );
    }
    match (checked.status, checked.refresh_needed) {
        (CheckStatus::Valid, Some(Some(true))) => {
            Some("refresh due: the service asks to renew this session (bili-qr refresh renews it)")
        }
        _ => None,
    }
}

/// The options for a call on `session`: a saved session says its own site, so a file that
/// `login --site main` wrote needs no `--site` (the library's C calls do the same: the site's default hosts
/// unless the flags name them). `--site` naming the other site is a usage error.
pub fn for_session(
    net: &NetArgs,
    session: &Session,
    opts: bili_qr::Options,
) -> Result<bili_qr::Options, Failure> {
    let Some(site) = session.site.filter(|s| *s != opts.site) else {
        return Ok(opts);
    };
    if net.get_str("site").is_some() {
        return Err(usage(format!(
            "the saved session is a {} session, but --site is {}: drop --site",
            site.as_str(),
            opts.site.as_str()
        )));
    }
    let mut net = net.clone();
    net.set("site", site.as_str());
    net.to_options().map_err(usage)
}

fn usage(message: String) -> Failure {
    Failure {
        code: EXIT_USAGE,
        message,
    }
}

fn who(session: &Session) -> String {
    session
        .mid
        .map_or_else(String::new, |m| format!(" (mid {m})"))
}

/// Where the session is read from and saved to (a file today; the two calls are all `renew` needs).
struct Target<'a> {
    path: &'a Path,
    format: SessionFormat,
    /// The `bili-qr login` flags that log in again to this file (`saved::Place::login_flags`).
    login_flags: String,
}

impl Target<'_> {
    fn save(&self, session: &Session) -> Result<(), String> {
        saved::write(self.path, session, self.format)
    }
}

/// `bili-qr refresh --cookies FILE [--if-needed]`.
pub fn run(args: RefreshArgs) -> Result<(), Failure> {
    let opts = args.net.to_options().map_err(usage)?;
    let path = args.cookies.as_path();
    let Saved { session, format } = saved::read(path).map_err(|e| {
        usage(match e {
            ReadError::Missing => format!(
                "{} does not exist; log in first: bili-qr login --site main --cookies {}",
                path.display(),
                path.display()
            ),
            other => other.reason(path),
        })
    })?;
    if format == SessionFormat::Header {
        return Err(usage(format!(
            "{} holds a Cookie header, which cannot keep the refresh token a refresh hands out; save the session as cookies.txt or JSON first (bili-qr login --cookies FILE or --session FILE)",
            path.display()
        )));
    }
    let opts = for_session(&args.net, &session, opts)?;
    let login_flags = saved::Place::File(path.to_path_buf()).login_flags(&session, format);
    let target = Target {
        path,
        format,
        login_flags,
    };
    if session.previous_refresh_token.is_some() {
        return finish_pending(session, &opts, &target);
    }
    let session = if args.if_needed {
        match wanted(session, &opts, &target)? {
            Some(s) => s,
            None => return Ok(()),
        }
    } else {
        session
    };
    renew(session, &opts, &target)
}

/// `--if-needed`: asks the service; `None` when no refresh is due (said on standard output).
fn wanted(
    session: Session,
    opts: &bili_qr::Options,
    target: &Target<'_>,
) -> Result<Option<Session>, Failure> {
    let checked = bili_qr::check(&session, opts).map_err(|e| Failure::from_error(&e))?;
    if checked.status == CheckStatus::Expired {
        return Err(expired(target));
    }
    if checked.renewed {
        target.save(&checked.session).map_err(|message| Failure {
            code: EXIT_LOCAL,
            message: format!("the service renewed the session, but {message}"),
        })?;
        say(&format!(
            "the service renewed the session: saved the new cookies to {}",
            target.path.display()
        ));
    }
    match checked.refresh_needed {
        Some(Some(false)) => {
            say(&format!(
                "{}; no refresh due (--if-needed): {} is unchanged",
                saved::account(&checked),
                target.path.display()
            ));
            Ok(None)
        }
        // Due, or the service could not be asked (the refresh asks again and fails clearly if it must).
        _ => Ok(Some(checked.session)),
    }
}

fn expired(target: &Target<'_>) -> Failure {
    Failure {
        code: EXIT_EXPIRED,
        message: format!(
            "not logged in: the session saved in {} has expired or was logged out; log in again: bili-qr login {}",
            target.path.display(),
            target.login_flags
        ),
    }
}

fn warn_all(warnings: &[String]) {
    for w in warnings {
        tell(&format!(
            "warning: {}",
            crate::progress::printable(&crate::flagify(w))
        ));
    }
}

/// `Ok` when a refresh call (`want`: Refreshed) or a confirmation (Confirmed) answered as it should; the
/// expired session of `target`; or, for the other call's status, an internal error.
fn expect_status(
    got: RefreshStatus,
    want: RefreshStatus,
    target: &Target<'_>,
) -> Result<(), Failure> {
    match got {
        _ if got == want => Ok(()),
        RefreshStatus::Expired => Err(expired(target)),
        RefreshStatus::Confirmed => Err(internal("the refresh answered as a confirmation")),
        RefreshStatus::Refreshed => Err(internal("the confirmation answered as a refresh")),
    }
}

/// An internal error (exit code EXIT_LOCAL) saying `what`.
fn internal(what: &str) -> Failure {
    Failure {
        code: EXIT_LOCAL,
        message: format!("{what} (internal error)"),
    }
}

/// Step 1 and 2 (module documentation).
fn renew(session: Session, opts: &bili_qr::Options, target: &Target<'_>) -> Result<(), Failure> {
    let had_web_token = session.refresh_token.is_some();
    let r = bili_qr::refresh(&session, opts).map_err(|e| Failure::from_error(&e))?;
    expect_status(r.status, RefreshStatus::Refreshed, target)?;
    let warnings: Vec<String> = r.warnings.iter().cloned().collect();
    target.save(&r.session).map_err(|message| Failure {
        code: EXIT_LOCAL,
        message: format!(
            "the session was refreshed, but {message}; the saved (old) session still works: run bili-qr refresh again"
        ),
    })?;
    warn_all(&warnings);
    if r.session.previous_refresh_token.is_none() {
        say(&if had_web_token {
            // The service gave new cookies without a new refresh token (a warning above says so).
            format!(
                "refreshed the session{}: saved to {}; it came without a refresh token, so it cannot be refreshed again and the old session was not retired",
                who(&r.session),
                target.path.display()
            )
        } else {
            format!(
                "refreshed the token{}: saved to {} (a token has no confirmation step)",
                who(&r.session),
                target.path.display()
            )
        });
        return Ok(());
    }
    confirm(r.session, opts, target, false)
}

/// A file whose last refresh was not confirmed (the program stopped between the two saves): confirm it.
fn finish_pending(
    session: Session,
    opts: &bili_qr::Options,
    target: &Target<'_>,
) -> Result<(), Failure> {
    say(&format!(
        "{} holds a refreshed session whose confirmation did not happen; confirming it first",
        target.path.display()
    ));
    confirm(session, opts, target, true)
}

/// Step 2: retire the old session, then save the session without its mark.
fn confirm(
    session: Session,
    opts: &bili_qr::Options,
    target: &Target<'_>,
    pending: bool,
) -> Result<(), Failure> {
    let c = match bili_qr::refresh_confirm(&session, opts) {
        Ok(c) => c,
        Err(e) if pending && e.kind() == ErrorKind::Api => {
            return confirmed_before(session, opts, target, &e)
        }
        Err(e) => {
            let f = Failure::from_error(&e);
            return Err(Failure {
                code: f.code,
                message: format!(
                    "the session was refreshed and saved to {}, but its confirmation failed ({}); both sessions still work, and the next bili-qr refresh confirms it",
                    target.path.display(),
                    f.message
                ),
            });
        }
    };
    expect_status(c.status, RefreshStatus::Confirmed, target)?;
    target.save(&c.session).map_err(|message| Failure {
        code: EXIT_LOCAL,
        message: format!(
            "the refresh was confirmed, but {message}; the saved session still works (the next bili-qr refresh finishes its bookkeeping)"
        ),
    })?;
    say(&format!(
        "{} the session{}: saved to {}; the old session is retired",
        if pending {
            "confirmed the refreshed"
        } else {
            "refreshed"
        },
        who(&c.session),
        target.path.display()
    ));
    Ok(())
}

/// The confirmation of a pending session was refused: the program may have stopped after the service
/// confirmed but before the second save. If the session logs in, it is the one to keep: save it without the
/// mark (else it could never be refreshed again).
fn confirmed_before(
    session: Session,
    opts: &bili_qr::Options,
    target: &Target<'_>,
    refused: &bili_qr::Error,
) -> Result<(), Failure> {
    let checked = bili_qr::check(&session, opts).map_err(|e| Failure::from_error(&e))?;
    if checked.status == CheckStatus::Expired {
        return Err(expired(target));
    }
    let line = saved::account(&checked);
    let mut done = checked.session;
    done.previous_refresh_token = None;
    target.save(&done).map_err(|message| Failure {
        code: EXIT_LOCAL,
        message: format!("could not save the confirmed session: {message}"),
    })?;
    tell(&format!(
        "warning: the service refused the confirmation ({}); the session logs in, so it was most likely confirmed before the last run stopped",
        crate::flagify(refused.message())
    ));
    say(&format!(
        "{line}: saved to {} as confirmed",
        target.path.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("bili-qr").chain(args.iter().copied()))
    }

    #[test]
    fn refresh_takes_a_file_and_the_site_flags() {
        match parse(&[
            "refresh",
            "--cookies",
            "c.txt",
            "--if-needed",
            "--site",
            "main",
            "--www-base-url",
            "http://127.0.0.1:9/w",
        ])
        .unwrap()
        .command
        {
            Command::Refresh(r) => {
                assert!(r.if_needed);
                assert_eq!(r.cookies, std::path::PathBuf::from("c.txt"));
                let o = r.net.to_options().unwrap();
                assert_eq!(o.site, bili_qr::Site::Main);
                assert_eq!(o.www_base_url.as_str(), "http://127.0.0.1:9/w");
                // --site main moves the other defaults to bilibili.com.
                assert_eq!(o.base_url.as_str(), "https://passport.bilibili.com");
                assert_eq!(o.api_base_url.as_str(), "https://api.bilibili.com");
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["refresh"]).is_err());
        assert!(parse(&["refresh", "--cookies", "c", "--site", "cn"]).is_err());
        // The two halves of an app key pair go together.
        assert!(parse(&["check", "--cookies", "c", "--app-key", "k"]).is_err());
    }

    /// The options of `check --cookies c --refresh-public-key FILE`, or the message of a bad FILE.
    fn options_with_key_file(file: &std::path::Path) -> Result<bili_qr::Options, String> {
        let file = file.to_string_lossy().into_owned();
        let args = ["check", "--cookies", "c", "--refresh-public-key", &file];
        let Command::Check(c) = parse(&args).unwrap().command else {
            panic!("check")
        };
        c.net.to_options()
    }

    #[test]
    fn the_refresh_key_is_read_from_its_file() {
        let dir = std::env::temp_dir().join(format!("bili-qr-cli-pem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = dir.join("key.pem");
        std::fs::write(&pem, bili_qr_fake_server::refresh_public_key_pem()).unwrap();
        let o = options_with_key_file(&pem).unwrap();
        assert_eq!(
            o.refresh_public_key.as_deref(),
            Some(bili_qr_fake_server::refresh_public_key_pem())
        );
        // A missing file and a file that is not a key both name the flag.
        for bad in [dir.join("none.pem"), dir.join("bad.pem")] {
            let _ = std::fs::write(dir.join("bad.pem"), "junk");
            let e = options_with_key_file(&bad).unwrap_err();
            assert!(e.contains("--refresh-public-key"), "{e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn login_tv_and_session_flags() {
        let Command::Login(l) = parse(&["login", "--tv", "--session", "s.json"])
            .unwrap()
            .command
        else {
            panic!("login")
        };
        assert!(l.tv);
        assert_eq!(l.session, Some(std::path::PathBuf::from("s.json")));
    }
}
