//! Typed errors of the Rust core. The FFI layer maps [`ErrorKind`] to the ABI's negative status codes.

use crate::redact::{self, Secrets};
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
    /// An error whose message is `message` scrubbed of every secret the calls on this thread have seen
    /// (`crate::redact::scrub`): the library's wording and a server's strings alike. Every constructor
    /// below comes here, so no message is built without the scrub.
    pub fn new(kind: ErrorKind, message: impl AsRef<str>) -> Self {
        Error {
            kind,
            message: redact::scrub(message.as_ref()),
            http_status: None,
            retry_after: None,
        }
    }

    pub(crate) fn http(status: u16, message: impl AsRef<str>) -> Self {
        let mut e = Self::new(ErrorKind::Http, message);
        e.http_status = Some(status);
        e
    }

    pub(crate) fn argument(message: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::Argument, message)
    }

    pub(crate) fn protocol(message: impl AsRef<str>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    pub(crate) fn network(message: impl AsRef<str>) -> Self {
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

    /// The same error with another message (kind, status and pause kept), scrubbed as by [`Error::new`].
    pub fn with_message(mut self, message: impl AsRef<str>) -> Self {
        self.message = redact::scrub(message.as_ref());
        self
    }

    /// Whether `wait` retries after this error.
    pub fn is_transient(&self) -> bool {
        self.kind.is_transient(self.http_status)
    }

    /// The same error with its message scrubbed once more, of `secrets` and of everything the calls on this
    /// thread have seen: for the end of a call, when a secret may have arrived after the message was built.
    pub(crate) fn rescrub(mut self, secrets: &Secrets) -> Self {
        self.message = redact::scrub(&secrets.scrub(&self.message));
        self
    }

    /// The same error with its message scrubbed once more of everything the calls on this thread have seen.
    pub(crate) fn scrub_again(mut self) -> Self {
        self.message = redact::scrub(&self.message);
        self
    }

    /// The same error with `secret` (a cookie value, a token) scrubbed from its message (see
    /// `crate::redact`).
    pub(crate) fn redact(self, secret: &str) -> Self {
        let mut s = Secrets::default();
        s.add(secret);
        self.rescrub(&s)
    }

    /// The same error with `ticket` scrubbed from its message: cut to its first 6 characters.
    pub(crate) fn redact_ticket(self, ticket: &str) -> Self {
        let mut s = Secrets::default();
        s.add_ticket(ticket);
        self.rescrub(&s)
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

    /// Regression (tests/flows/secrets/): a server message that repeats the ticket is cut to 120 characters in
    /// the API error; a cut copy is no whole occurrence, and 20 characters of the ticket were left.
    #[test]
    fn redact_removes_whole_and_cut_copies_of_the_secret() {
        let t = "73ec406ce8609662a9a8f00d11223344";
        let e = Error::new(
            ErrorKind::Api,
            format!("code -400 (\"{t} is bad; x{}\"): check", &t[..20]),
        )
        .redact_ticket(t);
        assert_eq!(e.message(), "code -400 (\"73ec40… is bad; x…\"): check");
        let e = Error::new(ErrorKind::Api, format!("tail {}", &t[10..17])).redact(t);
        assert_eq!(e.message(), "tail …");
        let e = Error::new(ErrorKind::Api, format!("six {} only", &t[3..9])).redact(t);
        assert_eq!(e.message(), format!("six {} only", &t[3..9]));
    }

    /// Every constructor scrubs: a message built inside a call never holds what the call has seen.
    #[test]
    fn every_constructor_scrubs_against_the_call() {
        let secret = "Zx81fe02aa";
        let _scope = redact::Scope::enter();
        redact::see(secret);
        let text = format!("server said {secret}");
        let built = [
            Error::new(ErrorKind::Api, &text),
            Error::http(500, &text),
            Error::argument(&text),
            Error::protocol(&text),
            Error::network(&text),
            Error::new(ErrorKind::Internal, "x").with_message(&text),
        ];
        for e in built {
            assert_eq!(e.message(), "server said …", "{:?}", e.kind());
        }
    }
}
