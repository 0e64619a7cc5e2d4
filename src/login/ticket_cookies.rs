//! A ticket's browser session: the cookies that `auth/url`, or an earlier `auth/fetch` of the same ticket,
//! set for the passport host, sent back on that ticket's later requests as a browser does. In memory only,
//! at most [`MAX_SESSIONS`] tickets (the least recently used is dropped first), each dropped when its
//! ticket ends (confirmed or expired) or after [`SESSION_IDLE`] unused. Names and values are zeroed when
//! dropped. Callers of `start` and `poll` keep nothing: this is the library's business.
//!
//! (Not `session/`: that is the saved login session of bili_qr_check and friends; this is the short-lived cookie
//! store of one ticket while it is polled.)

use once_cell::sync::Lazy;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The most tickets remembered.
pub const MAX_SESSIONS: usize = 1024;
/// How long an unused ticket's cookies are kept.
pub const SESSION_IDLE: Duration = Duration::from_secs(15 * 60);
/// The most cookies kept per ticket.
const MAX_COOKIES: usize = 32;

struct Session {
    ticket: Zeroizing<String>,
    /// (name, value), in the order set.
    cookies: Vec<(Zeroizing<String>, Zeroizing<String>)>,
    used: Instant,
}

static SESSIONS: Lazy<Mutex<Vec<Session>>> = Lazy::new(|| Mutex::new(Vec::new()));

fn lock() -> MutexGuard<'static, Vec<Session>> {
    SESSIONS.lock().unwrap_or_else(|p| p.into_inner())
}

fn expire(list: &mut Vec<Session>, now: Instant) {
    list.retain(|s| now.saturating_duration_since(s.used) < SESSION_IDLE);
}

/// Records `(name, value)` pairs set for the passport host on `ticket`'s session (an empty value, or a
/// deletion, removes the name). Nothing is stored for an empty list of a ticket not yet known.
pub fn remember(ticket: &str, set: Vec<(String, Option<String>)>) {
    remember_at(ticket, set, Instant::now());
}

fn remember_at(ticket: &str, set: Vec<(String, Option<String>)>, now: Instant) {
    if set.is_empty() {
        return; // the usual answer sets nothing: no lock taken
    }
    let mut list = lock();
    expire(&mut list, now);
    let i = match list.iter().position(|s| s.ticket.as_str() == ticket) {
        Some(i) => i,
        None if set.iter().all(|(_, v)| v.is_none()) => return,
        None => {
            if list.len() >= MAX_SESSIONS {
                // Drop the least recently used.
                if let Some(oldest) = (0..list.len()).min_by_key(|&k| list[k].used) {
                    list.swap_remove(oldest);
                }
            }
            list.push(Session {
                ticket: Zeroizing::new(ticket.to_owned()),
                cookies: Vec::new(),
                used: now,
            });
            list.len() - 1
        }
    };
    let session = &mut list[i];
    session.used = now;
    for (name, value) in set {
        let name = Zeroizing::new(name);
        match (session.cookies.iter().position(|(n, _)| *n == name), value) {
            (Some(k), Some(v)) => session.cookies[k].1 = Zeroizing::new(v),
            (Some(k), None) => {
                session.cookies.remove(k);
            }
            (None, Some(v)) if session.cookies.len() < MAX_COOKIES => {
                session.cookies.push((name, Zeroizing::new(v)))
            }
            (None, _) => {}
        }
    }
}

/// The `Cookie` header for `ticket`'s next request, if its session holds any cookie.
pub fn cookie_header(ticket: &str) -> Option<Zeroizing<String>> {
    cookie_header_at(ticket, Instant::now())
}

fn cookie_header_at(ticket: &str, now: Instant) -> Option<Zeroizing<String>> {
    let mut list = lock();
    expire(&mut list, now);
    let session = list.iter_mut().find(|s| s.ticket.as_str() == ticket)?;
    session.used = now;
    if session.cookies.is_empty() {
        return None;
    }
    let mut out = Zeroizing::new(String::new());
    for (name, value) in &session.cookies {
        // The browser-session cookies are secrets of the call that sends them.
        crate::redact::see(value);
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    Some(out)
}

/// Drops `ticket`'s session (its login ended).
pub fn forget(ticket: &str) {
    lock().retain(|s| s.ticket.as_str() != ticket);
}

#[cfg(test)]
pub fn len() -> usize {
    lock().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_owned)))
            .collect()
    }

    /// One test for the whole store (it is global; tests run in parallel threads).
    #[test]
    fn sessions_are_per_ticket_bounded_and_expire() {
        let t0 = Instant::now();
        remember_at(
            "sess-a",
            set(&[("pp_gate", Some("g1")), ("x", Some("1"))]),
            t0,
        );
        remember_at("sess-a", set(&[("x", None), ("y", Some("2"))]), t0);
        assert_eq!(
            cookie_header_at("sess-a", t0)
                .as_deref()
                .map(String::as_str),
            Some("pp_gate=g1; y=2")
        );
        assert!(cookie_header_at("sess-b", t0).is_none());
        remember_at("sess-b", set(&[("gone", None)]), t0);
        assert!(cookie_header_at("sess-b", t0).is_none());
        forget("sess-a");
        assert!(cookie_header_at("sess-a", t0).is_none());
        // Idle for 15 minutes: dropped.
        remember_at("sess-c", set(&[("a", Some("1"))]), t0);
        assert!(cookie_header_at("sess-c", t0 + SESSION_IDLE).is_none());
        // Bounded: the least recently used go first.
        let t1 = t0 + SESSION_IDLE + Duration::from_secs(1);
        for i in 0..MAX_SESSIONS + 10 {
            let t = t1 + Duration::from_millis(i as u64);
            remember_at(&format!("bound-{i}"), set(&[("a", Some("1"))]), t);
        }
        assert!(len() <= MAX_SESSIONS);
        let t2 = t1 + Duration::from_secs(1);
        assert!(cookie_header_at("bound-0", t2).is_none());
        assert!(cookie_header_at(&format!("bound-{}", MAX_SESSIONS + 9), t2).is_some());
        // Per-ticket cookie count is bounded too.
        let many: Vec<(String, Option<String>)> = (0..100)
            .map(|i| (format!("c{i}"), Some("v".to_owned())))
            .collect();
        remember_at("sess-many", many, t2);
        let h = cookie_header_at("sess-many", t2).unwrap();
        assert_eq!(h.matches('=').count(), MAX_COOKIES);
        for i in 0..MAX_SESSIONS + 10 {
            forget(&format!("bound-{i}"));
        }
    }
}
