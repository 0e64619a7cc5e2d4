//! The one scrub: every error message and every warning is passed through here when it is built, so no call
//! site can put a secret into a message by forgetting to redact it.
//!
//! A call (start, poll, wait, check, logout) opens a [`Scope`] on its thread. Everything secret the call sees
//! is recorded in it as it is seen ([`see`], [`see_ticket`], [`see_set_cookie`]): the ticket, the ticket's
//! browser-session cookies, every `Set-Cookie` value of every response (refused and dropped ones too), the
//! values of `data.cookie_info` and of a `go_url` query, a saved session's cookies, refresh and access
//! tokens. [`scrub`] replaces in a text every secret that the scopes open on this thread have recorded:
//! `Error`'s constructors (all of them, crate::error) and [`Warnings::push`] call it, so a message built
//! anywhere during a call, from the library's wording and a server's strings alike, is scrubbed against
//! what the call has seen so far; when the call ends, its error and warnings are scrubbed once more against
//! everything it saw, for a message built before the secret it quotes arrived.
//!
//! The rule: a secret's whole occurrences are removed (a ticket's are cut to its first 6 characters and
//! `…`, the one form a ticket may take in a message), then every run of 7 or more characters of a secret
//! that holds a digit (a copy cut short, a host name made of a cookie value) becomes `…`, and so does every
//! whole occurrence of a secret of 4 to 6 characters holding a digit (a short cookie value). Pieces
//! without a digit are left: they could be words of the message's own wording (a value
//! `a; Domain=evil.example` must not eat the " Domain" of "a Domain that is not a host name"); cookie
//! values, tickets and tokens all hold digits.
//!
//! Secrets are kept as keyed hashes of their pieces and of their whole text, never as text, so a scope holds
//! no copy of a cookie value. Tickets are the exception: a ticket is kept as text (for its shortened form,
//! in a string zeroed when dropped), and its pieces are found by comparing with that text rather than by
//! hashing them, so recording a ticket (at every poll) hashes nothing; the rule applied is the same.

use once_cell::sync::Lazy;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use zeroize::Zeroizing;

/// The shortest run of a secret's characters that is removed wherever it occurs.
pub(crate) const RUN: usize = 7;
/// The shortest secret holding a digit whose whole occurrences are removed.
pub(crate) const SHORT: usize = 4;
/// How many characters of a ticket a message may show.
pub(crate) const TICKET_SHOWN: usize = 6;

/// One key for the process: sets built by different scopes and jars can be merged.
static KEYS: Lazy<RandomState> = Lazy::new(RandomState::new);

fn key(bytes: &[u8]) -> u64 {
    KEYS.hash_one(bytes)
}

/// The first 6 characters of a ticket followed by `…`: the only form a ticket may take in a message.
pub fn shorten(ticket: &str) -> String {
    let head: String = ticket.chars().take(TICKET_SHOWN).collect();
    format!("{head}…")
}

/// Whether a message may name `host` (a host or a cookie domain a server chose): at most 64 characters, and
/// no digit unless it is an IP address. Cookie values (SESSDATA, bili_jct, DedeUserID) all hold digits, and a
/// server can make a host of a value the call never received as a cookie (a `Set-Cookie` line the HTTP
/// parser refused; found by the poll_path fuzz target), which no scrub can know. Callers say "a host" or
/// "a domain" instead.
pub fn may_name_host(host: &str) -> bool {
    host.len() <= 64
        && (host.parse::<std::net::IpAddr>().is_ok() || !host.bytes().any(|b| b.is_ascii_digit()))
}

/// The hasher of the sets of keyed hashes: the keys are already SipHash outputs under the process's secret
/// key, so hashing them again (the std default, SipHash) would spend as much again for nothing; a set's
/// bucket is taken from the key's bits as they are.
#[derive(Default)]
struct KeyedHash(u64);

impl Hasher for KeyedHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed (`write_u64`); anything else is folded in, never dropped.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }
}

type KeySet = HashSet<u64, BuildHasherDefault<KeyedHash>>;

/// The secrets one call (or one cookie jar) has seen.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Keyed hashes of every 7-byte piece holding a digit of each ASCII secret of 7 bytes or more.
    runs: KeySet,
    /// Keyed hashes of each whole secret: 7 characters or more, or 4 to 6 holding a digit.
    long: KeySet,
    /// The lengths in bytes of the secrets in `long`.
    lengths: BTreeSet<usize>,
    /// Tickets of more than 6 characters, kept as text: their whole occurrences are shortened, and then
    /// their pieces are removed by the rule of `runs` and `long` (checked against this text, not hashed).
    tickets: Vec<Zeroizing<String>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} pieces)", self.runs.len() + self.long.len())
    }
}

impl Secrets {
    /// Records a secret (a cookie value, a token). Texts too short to be told from ordinary words are not.
    pub fn add(&mut self, secret: &str) {
        let b = secret.as_bytes();
        let digit = b.iter().any(u8::is_ascii_digit);
        if secret.is_ascii() && b.len() >= RUN {
            let pieces = b.windows(RUN).filter(|w| w.iter().any(u8::is_ascii_digit));
            self.runs.extend(pieces.map(key));
        }
        let chars = secret.chars().count();
        if chars >= RUN || (chars >= SHORT && digit) {
            self.long.insert(key(b));
            self.lengths.insert(b.len());
        }
    }

    /// Records a ticket: shown by its first 6 characters at most. A ticket of more than 6 characters is
    /// kept as text, and scrubbed by comparing with it (`scrub_with`) under the same rule as [`Secrets::add`]'s
    /// hashes: nothing is hashed here, which a poll does for its ticket every time. A shorter one is an
    /// ordinary secret.
    pub fn add_ticket(&mut self, ticket: &str) {
        if ticket.chars().count() <= TICKET_SHOWN {
            self.add(ticket);
        } else if !self.tickets.iter().any(|t| **t == ticket) {
            self.tickets.push(Zeroizing::new(ticket.to_owned()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.long.is_empty() && self.tickets.is_empty()
    }

    /// `text` without any of these secrets (the rule in the module's documentation).
    pub fn scrub(&self, text: &str) -> String {
        scrub_with(text, &[self])
    }
}

/// Whether `piece` (7 bytes) is a run of `ticket` that the rule removes: it holds a digit and occurs in the
/// ticket, which is ASCII (the rule of `Secrets::runs`, by comparison instead of by hash).
fn ticket_run(ticket: &[u8], piece: &[u8]) -> bool {
    let Some((&first, _)) = piece.split_first() else {
        return false;
    };
    piece.iter().any(u8::is_ascii_digit)
        && ticket.is_ascii()
        && ticket
            .windows(RUN)
            .any(|w| w.first() == Some(&first) && w == piece)
}

/// `text` scrubbed of every set in `sets`.
fn scrub_with<S: std::borrow::Borrow<Secrets>>(text: &str, sets: &[S]) -> String {
    scrub_cow(text, sets).into_owned()
}

/// `text` scrubbed of every set in `sets`: borrowed as it is when it holds none of their secrets.
fn scrub_cow<'t, S: std::borrow::Borrow<Secrets>>(text: &'t str, sets: &[S]) -> Cow<'t, str> {
    let sets = || sets.iter().map(std::borrow::Borrow::borrow);
    // The shortest text any secret of these sets can touch: a run ([`RUN`] bytes), a whole secret (its
    // length) or a whole ticket; a shorter text (a service's message "0") is handed back as it is.
    let shortest = sets()
        .flat_map(|s| {
            let runs = (!s.runs.is_empty()).then_some(RUN);
            let tickets = s.tickets.iter().map(|t| t.len().min(RUN));
            runs.into_iter()
                .chain(s.lengths.first().copied())
                .chain(tickets)
        })
        .min();
    if shortest.map_or(true, |n| text.len() < n) {
        return Cow::Borrowed(text);
    }
    let mut text = Cow::Borrowed(text);
    for set in sets() {
        for t in &set.tickets {
            if text.len() >= t.len() && text.contains(t.as_str()) {
                text = Cow::Owned(text.replace(t.as_str(), &shorten(t)));
            }
        }
    }
    let b = text.as_bytes();
    // Allocated at the first piece found: a text without a secret costs nothing more.
    let mut marked: Option<Vec<bool>> = None;
    // Only pieces that start and end on a character boundary are marked, so every cut is one.
    let mut mark = |len: usize, hit: &dyn Fn(&[u8]) -> bool| {
        for (i, piece) in b.windows(len).enumerate() {
            if text.is_char_boundary(i) && text.is_char_boundary(i + len) && hit(piece) {
                let m = marked.get_or_insert_with(|| vec![false; b.len()]);
                m.iter_mut().skip(i).take(len).for_each(|m| *m = true);
            }
        }
    };
    let any_runs = sets().any(|s| !s.runs.is_empty());
    let any_tickets = sets().any(|s| !s.tickets.is_empty());
    // Every run removed holds a digit: a text without one has none to look for.
    if (any_runs || any_tickets) && b.iter().any(u8::is_ascii_digit) {
        mark(RUN, &|piece| {
            let k = if any_runs { Some(key(piece)) } else { None };
            sets().any(|s| {
                k.is_some_and(|k| s.runs.contains(&k))
                    || s.tickets.iter().any(|t| ticket_run(t.as_bytes(), piece))
            })
        });
    }
    // Whole secrets, by length (each length once, whichever sets hold it).
    for (n, set) in sets().enumerate() {
        for &len in set.lengths.iter().take_while(|l| **l <= b.len()) {
            if sets().take(n).any(|s| s.lengths.contains(&len)) {
                continue;
            }
            mark(len, &|piece| {
                let k = key(piece);
                sets().any(|s| s.long.contains(&k))
            });
        }
        for t in &set.tickets {
            let len = t.len();
            if len <= b.len() {
                mark(len, &|piece| piece == t.as_bytes());
            }
        }
    }
    let Some(marked) = marked else {
        return text;
    };
    // A marked run starts and ends on character boundaries: each character is kept or dropped whole.
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for (i, ch) in text.char_indices() {
        if marked.get(i).copied().unwrap_or(false) {
            if !in_run {
                out.push('…');
                in_run = true;
            }
        } else {
            in_run = false;
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

thread_local! {
    /// The secrets of the calls running on this thread, innermost last (a progress callback may start
    /// another call on the same thread).
    static SCOPES: RefCell<Vec<Secrets>> = const { RefCell::new(Vec::new()) };
}

/// One call's secrets, recorded while it runs on this thread (see the module's documentation). Dropping it
/// forgets them.
pub struct Scope {
    /// Bound to the thread whose stack holds its secrets.
    _thread: PhantomData<*const ()>,
}

impl Scope {
    /// Opens a scope on this thread.
    pub fn enter() -> Scope {
        let _ = SCOPES.try_with(|s| s.borrow_mut().push(Secrets::default()));
        Scope {
            _thread: PhantomData,
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let _ = SCOPES.try_with(|s| s.borrow_mut().pop());
    }
}

fn with_top(f: impl FnOnce(&mut Secrets)) {
    let _ = SCOPES.try_with(|s| {
        if let Some(top) = s.borrow_mut().last_mut() {
            f(top);
        }
    });
}

/// Records a secret (cookie value, refresh or access token) in the innermost scope of this thread.
pub fn see(secret: &str) {
    with_top(|s| s.add(secret));
}

/// Records a ticket in the innermost scope of this thread.
pub fn see_ticket(ticket: &str) {
    with_top(|s| s.add_ticket(ticket));
}

/// Records the values of a `Set-Cookie` header as received, whatever becomes of them: every `name=value`
/// between commas and semicolons whose name is not an attribute's (a proxy may fold several headers into
/// one line with commas; a value a jar refuses is a secret all the same).
pub fn see_set_cookie(header: &str) {
    with_top(|s| {
        for part in header.split([',', ';']) {
            let Some((name, value)) = part.split_once('=') else {
                continue;
            };
            let attribute = [
                "domain", "path", "expires", "max-age", "samesite", "priority",
            ]
            .iter()
            .any(|a| name.trim().eq_ignore_ascii_case(a));
            if !attribute {
                s.add(value.trim().trim_matches('"'));
                s.add(value);
            }
        }
    });
}

/// `text` scrubbed of every secret the scopes open on this thread have seen. Every message constructor
/// calls this: it is the one place a message meets the secrets.
pub fn scrub(text: &str) -> String {
    SCOPES
        .try_with(|s| scrub_with(text, &s.borrow()))
        .unwrap_or_else(|_| text.to_owned())
}

/// [`scrub`] in place: `text` is left as it is, and nothing is allocated, when it holds no secret.
pub fn scrub_in_place(text: &mut String) {
    let scrubbed = SCOPES
        .try_with(|s| match scrub_cow(text, &s.borrow()) {
            Cow::Owned(new) => Some(new),
            Cow::Borrowed(_) => None,
        })
        .ok()
        .flatten();
    if let Some(new) = scrubbed {
        *text = new;
    }
}

/// [`scrub`] of a text the caller owns: handed back as it is, without a copy, when it holds no secret.
pub fn scrub_owned(mut text: String) -> String {
    scrub_in_place(&mut text);
    text
}

/// The warnings of a step (the poll object's `warnings`): each scrubbed when pushed, and again against a
/// set of secrets when handed out ([`Warnings::finish`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Warnings(Vec<String>);

impl Warnings {
    /// Adds a warning, scrubbed of what the call has seen so far.
    pub fn push(&mut self, warning: impl AsRef<str>) {
        self.0.push(scrub(warning.as_ref()));
    }

    /// Adds a warning before the others.
    pub fn push_first(&mut self, warning: impl AsRef<str>) {
        self.0.insert(0, scrub(warning.as_ref()));
    }

    /// Appends `other`'s warnings (already scrubbed).
    pub fn append(&mut self, other: Warnings) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, warning: &str) -> bool {
        self.0.iter().any(|w| w == warning)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    /// The warnings, each scrubbed once more of `secrets` and of everything the call has seen.
    pub fn finish(self, secrets: &Secrets) -> Vec<String> {
        self.0
            .into_iter()
            .map(|w| scrub(&secrets.scrub(&w)))
            .collect()
    }
}

impl<'a> IntoIterator for &'a Warnings {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests;
