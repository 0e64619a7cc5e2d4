//! Typed errors of the Rust core. The FFI layer maps [`ErrorKind`] to the ABI's negative status codes.

use std::fmt;
use std::time::Duration;

/// What went wrong, one variant per negative status of the C ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller mistake: missing or malformed argument, bad option, bad ticket.
    Argument,
    /// DNS, connect, TLS, reset, proxy, refused or too many redirects.
    Network,
    /// A request ran past `timeout_ms`, or a wait ran past `wait_timeout_ms`.
    Timeout,
    /// An HTTP status other than 2xx.
    Http,
    /// A 2xx answer that is not the documented JSON, or a confirmed login without the session cookies.
    Protocol,
    /// Documented JSON carrying a `code` the docs do not list.
    Api,
    /// A wait cancelled by its callback or by [`crate::cancel`].
    Cancelled,
    /// A bug (a caught panic).
    Internal,
}

impl ErrorKind {
    /// Whether `wait` retries after this error (with backoff) instead of ending.
    pub fn is_transient(self, http_status: Option<u16>) -> bool {
        match self {
            ErrorKind::Network | ErrorKind::Timeout => true,
            // 429 (rate limited) and 5xx are worth another try after a pause; other 4xx are final.
            ErrorKind::Http => matches!(http_status, Some(s) if s >= 500 || s == 429),
            _ => false,
        }
    }
}

/// An error with a one-line English message that names what failed and what to do.
///
/// Messages never hold a cookie value, and never more than the first 6 characters of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            http_status: None,
            retry_after: None,
        }
    }

    pub(crate) fn http(status: u16, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Http,
            message: message.into(),
            http_status: Some(status),
            retry_after: None,
        }
    }

    pub(crate) fn argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Argument, message)
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    pub(crate) fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status, for [`ErrorKind::Http`].
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// The pause the service asked for (an HTTP `Retry-After`), which `wait` honours before its next poll.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Attaches the pause the service asked for (see [`Error::retry_after`]).
    pub fn with_retry_after(mut self, pause: Option<Duration>) -> Self {
        self.retry_after = pause;
        self
    }

    /// The same error with another message (kind, status and pause kept).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Whether `wait` retries after this error.
    pub fn is_transient(&self) -> bool {
        self.kind.is_transient(self.http_status)
    }

    /// Replaces every occurrence of `secret` in the message by its first 6 characters and `…`, then every
    /// run of 7 or more of its characters that is left (a copy cut short, e.g. by the length limit on a
    /// server's message) by `…`.
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.len() > 6 && self.message.contains(secret) {
            let short = crate::ticket::shorten(secret);
            self.message = self.message.replace(secret, &short);
        }
        if secret.len() > 6 && secret.is_ascii() {
            remove_runs(&mut self.message, secret);
        }
        self
    }
}

/// Removes from `message` every run of 7 or more consecutive characters of the ASCII `secret`, longest first.
fn remove_runs(message: &mut String, secret: &str) {
    const RUN: usize = 7;
    let n = secret.len();
    let any = |m: &str| (0..=n - RUN).any(|i| m.contains(&secret[i..i + RUN]));
    while any(message) {
        let piece = (RUN..=n)
            .rev()
            .flat_map(|len| (0..=n - len).map(move |i| &secret[i..i + len]))
            .find(|p| message.contains(p));
        match piece {
            Some(p) => *message = message.replace(p, "…"),
            None => break,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// A caller's JSON text that must be an object (`what`: "options_json", "session"): its members, or an
/// argument error, "`what` is not valid JSON (line L, column C): `advice`", or `not_object`.
pub(crate) fn json_object(
    text: &str,
    what: &str,
    advice: &str,
    not_object: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::argument(format!(
            "{what} is not valid JSON (line {}, column {}): {advice}",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        serde_json::Value::Object(map) => Ok(map),
        _ => Err(Error::argument(not_object)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (tests/secrets/): a server message that repeats the ticket is cut to 120 characters in
    /// the API error; a cut copy is no whole occurrence, and 20 characters of the ticket were left.
    #[test]
    fn redact_removes_whole_and_cut_copies_of_the_secret() {
        let t = "73ec406ce8609662a9a8f00d11223344";
        let e = Error::new(
            ErrorKind::Api,
            format!("code -400 (\"{t} is bad; x{}\"): check", &t[..20]),
        )
        .redact(t);
        assert_eq!(e.message(), "code -400 (\"73ec40… is bad; x…\"): check");
        let e = Error::new(ErrorKind::Api, format!("tail {}", &t[10..17])).redact(t);
        assert_eq!(e.message(), "tail …");
        let e = Error::new(ErrorKind::Api, format!("six {} only", &t[3..9])).redact(t);
        assert_eq!(e.message(), format!("six {} only", &t[3..9]));
    }
}
