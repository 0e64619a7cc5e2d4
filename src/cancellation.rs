//! The registry of running waits, so that `cancel(ticket)` can wake every wait on a ticket.
//!
//! A cancel that finds no wait running on its ticket is remembered for a short time ([`PENDING_FOR`], at most
//! [`MAX_PENDING`] tickets): the next wait that registers on that ticket takes it and starts cancelled. So a
//! cancel issued while another thread is still starting the wait (the binding's worker has not reached
//! `register` yet) is not lost, and a binding needs no loop that cancels until a wait is found. The check and
//! the registration happen under one lock, so a cancel either finds the wait or leaves its note for it.

use once_cell::sync::Lazy;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long a cancel that found no wait stays pending for the next wait on its ticket.
pub const PENDING_FOR: Duration = Duration::from_secs(30);
/// The most pending cancels kept; beyond it the oldest is forgotten.
pub const MAX_PENDING: usize = 1024;

/// A wait's cancellation flag, with a condition variable to wake its sleep at once.
#[derive(Debug, Default)]
pub struct Signal {
    cancelled: Mutex<bool>,
    wake: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Signal {
    pub fn cancel(&self) {
        *lock(&self.cancelled) = true;
        self.wake.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        *lock(&self.cancelled)
    }

    /// Sleeps until `until`, or until cancelled. Returns whether it was cancelled.
    pub fn sleep_until(&self, until: Instant) -> bool {
        let mut cancelled = lock(&self.cancelled);
        loop {
            if *cancelled {
                return true;
            }
            let now = Instant::now();
            if now >= until {
                return false;
            }
            let (guard, _) = self
                .wake
                .wait_timeout(cancelled, until - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            cancelled = guard;
        }
    }
}

/// The running waits by ticket, and the cancels that came before their wait (ticket, when), oldest first.
/// Tickets are bearer credentials: a forgotten pending one is zeroed.
#[derive(Default)]
struct Registry {
    running: HashMap<String, Vec<Arc<Signal>>>,
    pending: VecDeque<(Zeroizing<String>, Instant)>,
}

impl Registry {
    fn forget_stale(&mut self, now: Instant) {
        while self
            .pending
            .front()
            .is_some_and(|(_, at)| now.saturating_duration_since(*at) >= PENDING_FOR)
        {
            self.pending.pop_front();
        }
    }

    /// Takes the pending cancel of `ticket`, if there is one.
    fn take_pending(&mut self, ticket: &str, now: Instant) -> bool {
        self.forget_stale(now);
        match self.pending.iter().position(|(t, _)| t.as_str() == ticket) {
            Some(i) => {
                self.pending.remove(i);
                true
            }
            None => false,
        }
    }

    fn add_pending(&mut self, ticket: &str, now: Instant) {
        self.forget_stale(now);
        if let Some(i) = self.pending.iter().position(|(t, _)| t.as_str() == ticket) {
            self.pending.remove(i);
        }
        while self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending
            .push_back((Zeroizing::new(ticket.to_owned()), now));
    }
}

static RUNNING: Lazy<Mutex<Registry>> = Lazy::new(Default::default);

/// A wait's registration; unregisters itself when dropped.
pub struct Registration {
    ticket: String,
    signal: Arc<Signal>,
}

impl Registration {
    pub fn signal(&self) -> &Signal {
        &self.signal
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut registry = lock(&RUNNING);
        if let Some(list) = registry.running.get_mut(&self.ticket) {
            list.retain(|s| !Arc::ptr_eq(s, &self.signal));
            if list.is_empty() {
                registry.running.remove(&self.ticket);
            }
        }
    }
}

/// Registers a wait on `ticket`. A cancel of that ticket that came before, within [`PENDING_FOR`], is taken:
/// the registration starts cancelled.
pub fn register(ticket: &str) -> Registration {
    let signal = Arc::new(Signal::default());
    let mut registry = lock(&RUNNING);
    if registry.take_pending(ticket, Instant::now()) {
        signal.cancel();
    }
    registry
        .running
        .entry(ticket.to_owned())
        .or_default()
        .push(Arc::clone(&signal));
    Registration {
        ticket: ticket.to_owned(),
        signal,
    }
}

/// Signals every wait now running on `ticket`; returns how many. When none runs, the cancel is kept for the
/// next wait on `ticket` that registers within [`PENDING_FOR`].
pub fn cancel_all(ticket: &str) -> usize {
    let signals: Vec<Arc<Signal>> = {
        let mut registry = lock(&RUNNING);
        let signals = registry.running.get(ticket).cloned().unwrap_or_default();
        if signals.is_empty() {
            registry.add_pending(ticket, Instant::now());
        }
        signals
    };
    for s in &signals {
        s.cancel();
    }
    signals.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_before_the_wait_is_taken_once() {
        let ticket = "cancellation-test-before-1";
        assert_eq!(cancel_all(ticket), 0);
        let first = register(ticket);
        assert!(first.signal().is_cancelled(), "the early cancel is taken");
        drop(first);
        let second = register(ticket);
        assert!(!second.signal().is_cancelled(), "and only by one wait");
        assert_eq!(cancel_all(ticket), 1);
        assert!(second.signal().is_cancelled());
        drop(second);
        // A cancel that found its wait leaves no note behind.
        let third = register(ticket);
        assert!(!third.signal().is_cancelled());
    }

    #[test]
    fn pending_cancels_are_bounded_and_expire() {
        let mut r = Registry::default();
        let t0 = Instant::now();
        for i in 0..(MAX_PENDING + 10) {
            r.add_pending(&format!("t{i}"), t0);
        }
        assert_eq!(r.pending.len(), MAX_PENDING);
        assert!(!r.take_pending("t0", t0), "the oldest were forgotten");
        assert!(r.take_pending(&format!("t{}", MAX_PENDING + 9), t0));
        let later = t0 + PENDING_FOR;
        assert!(!r.take_pending("t500", later), "expired");
        assert!(r.pending.is_empty());
    }
}
