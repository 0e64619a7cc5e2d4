//! The registry of running waits, so that `cancel(ticket)` can wake every wait on a ticket.

use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

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

static RUNNING: Lazy<Mutex<HashMap<String, Vec<Arc<Signal>>>>> = Lazy::new(Default::default);

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
        let mut running = lock(&RUNNING);
        if let Some(list) = running.get_mut(&self.ticket) {
            list.retain(|s| !Arc::ptr_eq(s, &self.signal));
            if list.is_empty() {
                running.remove(&self.ticket);
            }
        }
    }
}

pub fn register(ticket: &str) -> Registration {
    let signal = Arc::new(Signal::default());
    lock(&RUNNING)
        .entry(ticket.to_owned())
        .or_default()
        .push(Arc::clone(&signal));
    Registration {
        ticket: ticket.to_owned(),
        signal,
    }
}

/// Signals every wait now running on `ticket`; returns how many.
pub fn cancel_all(ticket: &str) -> usize {
    let signals: Vec<Arc<Signal>> = lock(&RUNNING).get(ticket).cloned().unwrap_or_default();
    for s in &signals {
        s.cancel();
    }
    signals.len()
}
