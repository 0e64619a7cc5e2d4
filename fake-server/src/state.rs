//! The server's state: tickets and their state machines, the request log, counters, fault counters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::session::Sessions;

/// How many ticket states are remembered (the oldest are forgotten).
pub(crate) const TICKET_CAPACITY: usize = 200_000;

/// A ticket's state, as answered by `fetch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Waiting,
    Scanned,
    Confirmed,
    Expired,
}

impl State {
    /// `waiting` / `scanned` / `confirmed` / `expired`.
    pub fn parse(s: &str) -> Option<State> {
        match s {
            "waiting" => Some(State::Waiting),
            "scanned" => Some(State::Scanned),
            "confirmed" => Some(State::Confirmed),
            "expired" => Some(State::Expired),
            _ => None,
        }
    }

    /// The `code` the fetch endpoint answers in this state.
    pub fn code(self) -> i64 {
        match self {
            State::Waiting => 10018101,
            State::Scanned => 10018102,
            State::Confirmed => 0,
            State::Expired => 10018100,
        }
    }
}

/// One logged request (control requests are not logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// 1, 2, 3, … since start or the last reset.
    pub seq: u64,
    /// The TCP connection that carried it (ids are unique for the server's life).
    pub conn: u64,
    pub method: String,
    /// The request path without the query, as sent (not decoded).
    pub path: String,
    /// Percent-decoded query parameters.
    pub query: BTreeMap<String, String>,
    /// Request headers, names lowercased (repeated headers joined with ", ").
    pub headers: BTreeMap<String, String>,
    /// The `Set-Cookie` header values sent in the answer, in order.
    pub set_cookies: Vec<String>,
    /// The HTTP status answered (0 when the connection was reset without an answer).
    #[serde(default)]
    pub status: u16,
    /// `name=value` of each cookie carried in the body's `data.cookie_info` (scenario `cookieinfo=1`).
    #[serde(default)]
    pub cookie_info: Vec<String>,
    /// `name=value` of each pair in the request's `Cookie` header(s), in order, values as sent.
    #[serde(default)]
    pub cookies: Vec<String>,
    /// The decoded fields of an `application/x-www-form-urlencoded` request body.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
}

pub(crate) struct Ticket {
    pub(crate) born: Instant,
    pub(crate) fetches: u64,
    pub(crate) forced: Option<State>,
    pub(crate) spent: bool,
    /// `gate=1`: the `pp_gate` cookie value `auth/url` set for this ticket.
    pub(crate) gate: Option<String>,
}

impl Ticket {
    pub(crate) fn new() -> Ticket {
        Ticket {
            born: Instant::now(),
            fetches: 0,
            forced: None,
            spent: false,
            gate: None,
        }
    }
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(crate) seq: u64,
    pub(crate) requests: u64,
    pub(crate) connections: u64,
    pub(crate) epoch: u64,
    pub(crate) log: VecDeque<RequestRecord>,
    pub(crate) tickets: HashMap<String, HashMap<String, Ticket>>,
    pub(crate) order: VecDeque<(String, String)>,
    pub(crate) fault_hits: HashMap<String, u64>,
}

impl Inner {
    pub(crate) fn ticket_mut(&mut self, scenario: &str, ticket: &str) -> &mut Ticket {
        let known = self
            .tickets
            .get(scenario)
            .is_some_and(|m| m.contains_key(ticket));
        if !known {
            if self.order.len() >= TICKET_CAPACITY {
                if let Some((s, t)) = self.order.pop_front() {
                    if let Some(m) = self.tickets.get_mut(&s) {
                        m.remove(&t);
                        if m.is_empty() {
                            self.tickets.remove(&s);
                        }
                    }
                }
            }
            self.order
                .push_back((scenario.to_string(), ticket.to_string()));
            self.tickets
                .entry(scenario.to_string())
                .or_default()
                .insert(ticket.to_string(), Ticket::new());
        }
        // Present: inserted just above when it was missing.
        self.tickets
            .entry(scenario.to_string())
            .or_default()
            .entry(ticket.to_string())
            .or_insert_with(Ticket::new)
    }

    /// The `pp_gate` value of a ticket (`gate=1`), without remembering the ticket.
    pub(crate) fn gate_of(&self, scenario: &str, ticket: &str) -> Option<String> {
        self.tickets.get(scenario)?.get(ticket)?.gate.clone()
    }

    pub(crate) fn advance(&mut self, scenario: &str, sc: &Scenario, ticket: &str) -> State {
        let t = self.ticket_mut(scenario, ticket);
        let state = if t.spent {
            State::Expired
        } else if let Some(f) = t.forced {
            f
        } else {
            let ms = t.born.elapsed().as_millis() as u64;
            if sc.expire.is_some_and(|e| ms >= e) {
                State::Expired
            } else if let Some((scan, confirm)) = sc.phone {
                if ms < scan {
                    State::Waiting
                } else if ms < confirm {
                    State::Scanned
                } else {
                    State::Confirmed
                }
            } else {
                let i = (t.fetches as usize).min(sc.flow.len().saturating_sub(1));
                sc.flow.get(i).copied().unwrap_or(State::Confirmed)
            }
        };
        t.fetches += 1;
        if state == State::Confirmed {
            t.spent = true;
        }
        state
    }

    pub(crate) fn clear(&mut self) {
        let epoch = self.epoch + 1;
        *self = Inner::default();
        self.epoch = epoch;
    }
}

pub(crate) struct Shared {
    pub(crate) origin: String,
    /// stderr log lines go through a bounded queue to a writer thread, so a stderr pipe nobody reads
    /// never stalls request handling (lines are dropped when the queue is full).
    pub(crate) logger: Option<SyncSender<String>>,
    /// Log lines queued but not yet written.
    pub(crate) log_pending: Arc<AtomicU64>,
    pub(crate) stop: AtomicBool,
    pub(crate) next_conn: AtomicU64,
    pub(crate) inner: Mutex<Inner>,
    /// Sessions handed out (survive `/__reset`).
    pub(crate) sessions: Mutex<Sessions>,
    /// The mainland web sessions and TV/app tokens (survive `/__reset`).
    pub(crate) main: Mutex<crate::main_session::MainSessions>,
    pub(crate) live: Mutex<HashMap<u64, TcpStream>>,
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    pub(crate) cert_der: Option<Vec<u8>>,
    pub(crate) ca_der: Option<Vec<u8>>,
}

impl Shared {
    pub(crate) fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn main(&self) -> MutexGuard<'_, crate::main_session::MainSessions> {
        self.main.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn live(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn force_state(sh: &Shared, scenario: &str, ticket: &str, state: State) {
    let mut inner = sh.inner();
    let t = inner.ticket_mut(scenario, ticket);
    t.forced = Some(state);
    t.spent = false;
}
