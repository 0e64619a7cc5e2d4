//! `--store keyring[:NAME]`: the saved session in the operating system's secret store instead of a cookies file
//! (Secret Service over D-Bus on Linux — gnome-keyring, KeePassXC —, the Keychain on macOS, the Credential
//! Manager on Windows), through the `keyring` crate. One entry per NAME: service `bili-qr`, account NAME
//! (`default` when no NAME is given), holding the session as the library's JSON session object.
//!
//! The texts read from and written to the store are zeroed once used; errors never quote them.

use bili_qr::session::{Session, SessionFormat};
use std::fmt;
use zeroize::Zeroize;

/// The service name of every entry (the Secret Service attribute `service`, the Keychain's service, the
/// Credential Manager's target `NAME.bili-qr`).
pub const SERVICE: &str = "bili-qr";
const DEFAULT_NAME: &str = "default";

/// A place in the secret store, from `--store keyring` or `--store keyring:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub name: String,
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the OS keyring (service {SERVICE}, account {})",
            self.name
        )
    }
}

/// The `--store` value: `keyring` or `keyring:NAME` (NAME: 1 to 64 letters, digits, `.`, `_`, `-`, `@`).
pub fn parse(s: &str) -> Result<Store, String> {
    let name = match s.split_once(':') {
        None if s == "keyring" => DEFAULT_NAME,
        Some(("keyring", name)) => name,
        _ => {
            return Err(
                "the only store is the OS keyring: --store keyring or --store keyring:NAME"
                    .to_owned(),
            )
        }
    };
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !ok {
        return Err(format!(
            "'{name}' is not a keyring entry name: 1 to 64 letters, digits, '.', '_', '-', '@'"
        ));
    }
    Ok(Store {
        name: name.to_owned(),
    })
}

/// Why the store could not be used.
#[derive(Debug)]
pub enum StoreError {
    /// The store answers, and holds no entry of this name.
    Missing,
    /// The entry exists but does not hold a session the library reads.
    Unusable(String),
    /// No secret store to talk to (no D-Bus session bus, no Secret Service on it, a locked store), or it
    /// refused: the message says what to install or to use a file instead.
    Unavailable(String),
}

impl StoreError {
    pub fn reason(&self, store: &Store) -> String {
        match self {
            StoreError::Missing => format!("{store} holds no session"),
            StoreError::Unusable(why) => format!("{store}: {why}"),
            StoreError::Unavailable(why) => why.clone(),
        }
    }
}

/// What to do when there is no secret store, per platform.
fn hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "it needs a Secret Service on the D-Bus session bus: a desktop session's gnome-keyring or KeePassXC \
         (Debian/Ubuntu: apt install gnome-keyring; headless: dbus-run-session with gnome-keyring-daemon \
         --unlock --components=secrets); or keep the session in a file with --cookies FILE"
    } else if cfg!(target_os = "macos") {
        "the login Keychain must be unlocked; or keep the session in a file with --cookies FILE"
    } else if cfg!(windows) {
        "the Windows Credential Manager refused; or keep the session in a file with --cookies FILE"
    } else {
        "this platform has no secret store the CLI supports; keep the session in a file with --cookies FILE"
    }
}

fn unavailable(store: &Store, e: &keyring::Error) -> StoreError {
    // The platform's message (a D-Bus error name and text, an OS error) carries no secret: the entry's value is
    // never part of an error.
    let cause = match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            inner.to_string()
        }
        other => other.to_string(),
    };
    let cause: String = cause
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    StoreError::Unavailable(format!("cannot use {store} ({cause}): {}", hint()))
}

fn entry(store: &Store) -> Result<keyring::Entry, StoreError> {
    keyring::Entry::new(SERVICE, &store.name).map_err(|e| unavailable(store, &e))
}

/// Reads the session saved in `store`.
pub fn read(store: &Store) -> Result<Session, StoreError> {
    let mut text = match entry(store)?.get_password() {
        Ok(t) => t,
        Err(keyring::Error::NoEntry) => return Err(StoreError::Missing),
        Err(keyring::Error::BadEncoding(mut bytes)) => {
            bytes.zeroize();
            return Err(StoreError::Unusable(
                "the entry is not UTF-8 text (not a bili-qr session)".to_owned(),
            ));
        }
        Err(e) => return Err(unavailable(store, &e)),
    };
    let parsed = Session::parse(&text);
    text.zeroize();
    parsed.map_err(|e| StoreError::Unusable(e.message().to_owned()))
}

/// Saves `session` in `store` (replacing what it held), as the library's JSON session object.
pub fn write(store: &Store, session: &Session) -> Result<(), String> {
    let mut text = session.write(SessionFormat::Json);
    let result = entry(store).map_err(|e| e.reason(store)).and_then(|entry| {
        entry
            .set_password(&text)
            .map_err(|e| unavailable(store, &e).reason(store))
    });
    text.zeroize();
    result
}

/// Removes the entry of `store`; an entry already gone is not an error.
pub fn remove(store: &Store) -> Result<(), String> {
    match entry(store)
        .map_err(|e| e.reason(store))?
        .delete_credential()
    {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(store, &e).reason(store)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_values() {
        assert_eq!(parse("keyring").unwrap().name, "default");
        assert_eq!(parse("keyring:work-2").unwrap().name, "work-2");
        assert_eq!(parse("keyring:a@b.c_d").unwrap().name, "a@b.c_d");
        for bad in [
            "",
            "keyring:",
            "file",
            "keyrings",
            "file:x",
            "keyring:a b",
            "keyring:a/b",
            "keyring:é",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse(&format!("keyring:{}", "a".repeat(65))).is_err());
        assert!(parse(&format!("keyring:{}", "a".repeat(64))).is_ok());
    }

    #[test]
    fn reasons_name_the_entry_and_what_to_do() {
        let s = parse("keyring:x").unwrap();
        assert!(StoreError::Missing.reason(&s).contains("account x"));
        let e = unavailable(
            &s,
            &keyring::Error::PlatformFailure("no bus\nat all".into()),
        );
        let why = e.reason(&s);
        assert!(
            why.contains("--cookies FILE") && why.contains("no bus at all"),
            "{why}"
        );
    }
}
