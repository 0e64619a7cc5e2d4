//! The saved session (`--cookies FILE`) of `check`, `logout` and `login`: read in any form the library reads
//! (a Netscape cookies.txt, a session or poll object in JSON, a `Cookie` header), asked about or ended with
//! the library's session functions, and written back in the form it was read in. The formats themselves are
//! the library's (`bili_qr::session`): this file only finds the file's form, to keep it.
//! With `--store keyring[:NAME]` the session lives in the OS secret store instead (`crate::store`).

use crate::args::{LogoutArgs, SessionArgs};
use crate::store::{self, Store, StoreError};
use crate::{logged_in, say, Failure, EXIT_EXPIRED, EXIT_LOCAL, EXIT_USAGE};
use bili_qr::session::{self, CheckResult, CheckStatus, LogoutStatus, Session, SessionFormat};
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use zeroize::Zeroize;

/// Where a session is saved: a file (`--cookies FILE`) or the OS secret store (`--store keyring[:NAME]`).
#[derive(Debug, Clone)]
pub enum Place {
    File(PathBuf),
    Keyring(Store),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::File(p) => write!(f, "{}", p.display()),
            Place::Keyring(s) => write!(f, "{s}"),
        }
    }
}

impl Place {
    /// From `--cookies FILE` / `--store keyring[:NAME]` (clap lets exactly one through).
    pub fn of(cookies: Option<&PathBuf>, store: Option<&Store>) -> Option<Place> {
        match (store, cookies) {
            (Some(s), _) => Some(Place::Keyring(s.clone())),
            (None, Some(p)) => Some(Place::File(p.clone())),
            (None, None) => None,
        }
    }

    /// The flag that names this place again, for "log in again: bili-qr login ..." hints.
    pub fn flag(&self) -> String {
        match self {
            Place::File(p) => format!("--cookies {}", p.display()),
            Place::Keyring(s) if s.name == "default" => "--store keyring".to_owned(),
            Place::Keyring(s) => format!("--store keyring:{}", s.name),
        }
    }

    /// The `bili-qr login` flags that log in again to this place, for a session like `session` read in
    /// `format`: `--tv` for a TV token, `--site main` for a mainland session, and `--session FILE` for a JSON
    /// file (`--cookies FILE` would replace it by a cookies.txt).
    pub fn login_flags(&self, session: &Session, format: SessionFormat) -> String {
        let place = match self {
            Place::File(p) if format == SessionFormat::Json => format!("--session {}", p.display()),
            _ => self.flag(),
        };
        if session.token.is_some() {
            format!("--tv {place}")
        } else if session.site == Some(bili_qr::Site::Main) {
            format!("--site main {place}")
        } else {
            place
        }
    }

    /// Reads the session saved here. A keyring that cannot be reached is `Unusable` with a reason that says what
    /// to install (or to use a file).
    pub fn read(&self) -> Result<Saved, ReadError> {
        match self {
            Place::File(p) => read(p),
            Place::Keyring(s) => match store::read(s) {
                Ok(session) => Ok(Saved {
                    session,
                    format: SessionFormat::Json,
                }),
                Err(StoreError::Missing) => Err(ReadError::Missing),
                Err(e @ StoreError::Unavailable(_)) => Err(ReadError::Unavailable(e.reason(s))),
                Err(StoreError::Unusable(why)) => Err(ReadError::Unusable(why)),
            },
        }
    }

    /// Saves `session` here (a file: atomically, mode 0600, in `format`; the keyring: as a JSON session).
    pub fn write(&self, session: &Session, format: SessionFormat) -> Result<(), String> {
        match self {
            Place::File(p) => write(p, session, format),
            Place::Keyring(s) => store::write(s, session),
        }
    }

    /// Why the session saved here cannot be used (never quoting its content).
    pub fn reason(&self, e: &ReadError) -> String {
        match (self, e) {
            (_, ReadError::Unavailable(why)) => why.clone(),
            (Place::File(p), e) => e.reason(p),
            (Place::Keyring(s), ReadError::Missing) => StoreError::Missing.reason(s),
            (Place::Keyring(s), ReadError::Unusable(why)) => format!("{s}: {why}"),
        }
    }
}

/// A session read from a file, and the form to write it back in.
#[derive(Debug)]
pub struct Saved {
    pub session: Session,
    pub format: SessionFormat,
}

/// Why a saved session cannot be used. The text never quotes the file's content.
#[derive(Debug)]
pub enum ReadError {
    /// There is no such file.
    Missing,
    /// The file exists but cannot be read as text, or the library does not take it as a session.
    Unusable(String),
    /// The OS secret store cannot be reached (the whole reason, with what to do).
    Unavailable(String),
}

impl ReadError {
    pub fn reason(&self, path: &Path) -> String {
        match self {
            ReadError::Missing => format!("{} does not exist", path.display()),
            ReadError::Unusable(why) => format!("{}: {why}", path.display()),
            ReadError::Unavailable(why) => why.clone(),
        }
    }
}

/// The form of a session text, by the rules the library reads it with: JSON when it starts with `{`,
/// cookies.txt when it has the Netscape header or a line of 7 tab-separated fields, else a `Cookie` header.
pub fn format_of(text: &str) -> SessionFormat {
    let t = text.trim();
    if t.starts_with('{') {
        SessionFormat::Json
    } else if t.starts_with("# Netscape HTTP Cookie File")
        || t.starts_with("# HTTP Cookie File")
        || t.lines().any(|l| l.split('\t').count() == 7)
    {
        SessionFormat::Netscape
    } else {
        SessionFormat::Header
    }
}

fn format_name(f: SessionFormat) -> &'static str {
    match f {
        SessionFormat::Json => "JSON session object",
        SessionFormat::Header => "Cookie header",
        SessionFormat::Netscape => "Netscape format",
    }
}

/// Reads `path` (at most the library's limit, 1 MiB, plus one byte: a longer file is refused by the library).
pub fn read(path: &Path) -> Result<Saved, ReadError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Unusable(format!("cannot be read: {e}"))),
    };
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(ReadError::Unusable("is a directory".to_owned()));
    }
    let mut bytes = Vec::new();
    let limit = u64::try_from(session::MAX_SESSION).unwrap_or(u64::MAX) + 1;
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Unusable(format!("cannot be read: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ReadError::Unusable("is not UTF-8 text (not a cookies file)".to_owned()))?;
    let session = Session::parse(&text).map_err(|e| ReadError::Unusable(e.message().to_owned()))?;
    Ok(Saved {
        session,
        format: format_of(&text),
    })
}

/// The text of `session` in `format`, ending with a line break.
pub fn text_of(session: &Session, format: SessionFormat) -> String {
    let mut text = session.write(format);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Writes `session` over `path` with the library's session-file writer (`bili_qr_session_save`: atomically,
/// mode 0600 on Unix), in `format`; the text is zeroed afterwards.
pub fn write(path: &Path, session: &Session, format: SessionFormat) -> Result<(), String> {
    let mut text = text_of(session, format);
    let result = session::file::save(path, &text).map_err(|e| e.message().to_owned());
    text.zeroize();
    result
}

/// After a valid check whose answer renewed a cookie: saves the session to use from now on, and says so.
pub fn save_renewed(
    place: &Place,
    saved: &Saved,
    checked: &CheckResult,
) -> Result<String, Failure> {
    place
        .write(&checked.session, saved.format)
        .map_err(|message| Failure {
            code: EXIT_LOCAL,
            message: format!(
                "the service renewed the session, but {message}; the old cookies saved there may stop working"
            ),
        })?;
    Ok(match place {
        Place::File(path) => format!(
            "the service renewed the session: saved the new cookies to {} ({})",
            path.display(),
            format_name(saved.format)
        ),
        Place::Keyring(s) => {
            format!("the service renewed the session: saved the new cookies to {s}")
        }
    })
}

/// The saved session, or the failure: a missing or unusable one is a usage error (exit 2); a secret store that
/// cannot be reached is a local failure (exit 5), as in `login --store`.
fn load(place: &Place) -> Result<Saved, Failure> {
    place.read().map_err(|e| Failure {
        code: match e {
            ReadError::Unavailable(_) => EXIT_LOCAL,
            _ => EXIT_USAGE,
        },
        message: match e {
            ReadError::Missing => format!(
                "{}; log in first: bili-qr login {}",
                place.reason(&ReadError::Missing),
                place.flag()
            ),
            other => place.reason(&other),
        },
    })
}

/// The account line of a valid check.
pub fn account(checked: &CheckResult) -> String {
    logged_in(checked.name.as_deref(), checked.session.mid)
}

fn place_of(args: &SessionArgs) -> Result<Place, Failure> {
    Place::of(args.cookies.as_ref(), args.store.as_ref()).ok_or_else(|| Failure {
        code: EXIT_USAGE,
        message: "say where the session is saved: --cookies FILE or --store keyring[:NAME]"
            .to_owned(),
    })
}

/// `bili-qr check --cookies FILE | --store keyring[:NAME]`.
pub fn check(args: SessionArgs) -> Result<(), Failure> {
    let opts = args.net.to_options().map_err(|message| Failure {
        code: EXIT_USAGE,
        message,
    })?;
    let place = place_of(&args)?;
    let saved = load(&place)?;
    let opts = crate::refresh::for_session(&args.net, &saved.session, opts)?;
    let checked = bili_qr::check(&saved.session, &opts).map_err(|e| Failure::from_error(&e))?;
    match checked.status {
        CheckStatus::Valid => {
            say(&account(&checked));
            if let Some(note) = crate::refresh::due(&checked) {
                say(note);
            }
            if checked.renewed {
                say(&save_renewed(&place, &saved, &checked)?);
            }
            Ok(())
        }
        CheckStatus::Expired => Err(Failure {
            code: EXIT_EXPIRED,
            message: format!(
                "not logged in: the session saved in {} has expired or was logged out; log in again: bili-qr login {}",
                place,
                place.login_flags(&saved.session, saved.format)
            ),
        }),
    }
}

/// `bili-qr logout --cookies FILE | --store keyring[:NAME] [--remove]`.
pub fn logout(args: LogoutArgs) -> Result<(), Failure> {
    let place = place_of(&args.session)?;
    let opts = args.session.net.to_options().map_err(|message| Failure {
        code: EXIT_USAGE,
        message,
    })?;
    let saved = load(&place)?;
    let opts = crate::refresh::for_session(&args.session.net, &saved.session, opts)?;
    let result = bili_qr::logout(&saved.session, &opts).map_err(|e| Failure::from_error(&e))?;
    let removed = if args.remove {
        match &place {
            Place::File(path) => std::fs::remove_file(path).map_err(|e| Failure {
                code: EXIT_LOCAL,
                message: format!(
                    "logged out, but {} could not be removed: {e}",
                    path.display()
                ),
            })?,
            Place::Keyring(s) => store::remove(s).map_err(|e| Failure {
                code: EXIT_LOCAL,
                message: format!("logged out, but the entry could not be removed: {e}"),
            })?,
        }
        match &place {
            Place::File(path) => format!("removed {}", path.display()),
            Place::Keyring(s) => format!("removed the entry from {s}"),
        }
    } else {
        format!("{place} is left in place; its cookies no longer log in (--remove deletes it)")
    };
    match result.status {
        LogoutStatus::LoggedOut => {
            let who = saved
                .session
                .mid
                .map_or_else(String::new, |m| format!(" (mid {m})"));
            say(&format!("logged out{who}; {removed}"));
            Ok(())
        }
        LogoutStatus::Expired => Err(Failure {
            code: EXIT_EXPIRED,
            message: format!(
                "already logged out: the service no longer knows the session saved in {place}; {removed}"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("bili-qr-cli-saved-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn login_flags_keep_the_site_and_the_format() {
        let place = Place::File(PathBuf::from("s.json"));
        let mut session = Session::parse("SESSDATA=a; bili_jct=b; DedeUserID=1").unwrap();
        let main = Some(bili_qr::Site::Main);
        for (site, format, flags) in [
            (None, SessionFormat::Json, "--session s.json"),
            (None, SessionFormat::Netscape, "--cookies s.json"),
            (
                main,
                SessionFormat::Netscape,
                "--site main --cookies s.json",
            ),
            (main, SessionFormat::Json, "--site main --session s.json"),
        ] {
            session.site = site;
            assert_eq!(place.login_flags(&session, format), flags);
        }
    }

    #[test]
    fn forms_are_recognised() {
        assert_eq!(format_of(" {\"cookies\":[]}"), SessionFormat::Json);
        assert_eq!(
            format_of("# Netscape HTTP Cookie File\n"),
            SessionFormat::Netscape
        );
        assert_eq!(
            format_of(".bilibili.tv\tTRUE\t/\tTRUE\t0\tSESSDATA\tx\n"),
            SessionFormat::Netscape
        );
        assert_eq!(
            format_of("SESSDATA=a; bili_jct=b; DedeUserID=1"),
            SessionFormat::Header
        );
    }

    #[test]
    fn each_form_is_written_back_in_its_form() {
        let d = scratch("forms");
        let header = "SESSDATA=s%2C1; bili_jct=j; DedeUserID=42";
        for (name, format) in [
            ("c.txt", SessionFormat::Netscape),
            ("c.json", SessionFormat::Json),
            ("c.hdr", SessionFormat::Header),
        ] {
            let p = d.join(name);
            let session = Session::parse(header).unwrap();
            write(&p, &session, format).unwrap();
            let back = read(&p).unwrap();
            assert_eq!(back.format, format, "{name}");
            assert_eq!(back.session.cookie_header(), header, "{name}");
            assert_eq!(back.session.mid, Some(42), "{name}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{name}");
            }
        }
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn unusable_files_say_why_without_their_content() {
        let d = scratch("bad");
        assert!(matches!(read(&d.join("none")), Err(ReadError::Missing)));
        assert!(matches!(read(&d), Err(ReadError::Unusable(_))));
        let p = d.join("bin");
        std::fs::write(&p, [0xff, 0xfe, 0, 1, 2]).unwrap();
        let why = read(&p).unwrap_err().reason(&p);
        assert!(why.contains("not UTF-8"), "{why}");
        let p = d.join("nosess");
        std::fs::write(&p, "bili_jct=secretvalue123; DedeUserID=1").unwrap();
        let why = read(&p).unwrap_err().reason(&p);
        assert!(
            why.contains("SESSDATA") && !why.contains("secretvalue123"),
            "{why}"
        );
        let p = d.join("big");
        std::fs::write(&p, "a".repeat(session::MAX_SESSION + 10)).unwrap();
        assert!(matches!(read(&p), Err(ReadError::Unusable(_))));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
