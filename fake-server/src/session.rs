//! Sessions the server handed out (for v2/user and login/exit), keyed by their SESSDATA value.

use std::collections::{HashMap, VecDeque};

use crate::cookies::Creds;

/// How many sessions are remembered (the oldest are forgotten).
const SESSION_CAPACITY: usize = 100_000;

#[derive(Default)]
pub(crate) struct Sessions {
    /// SESSDATA value → the credentials of that login.
    live: HashMap<String, Creds>,
    order: VecDeque<String>,
    /// Scenario string → the credentials of its latest confirmed login (what its go_url hops and sso
    /// pages hand out).
    latest: HashMap<String, Creds>,
}

impl Sessions {
    /// Remembers a login confirmed under `scenario`.
    pub(crate) fn add(&mut self, scenario: &str, creds: &Creds) {
        self.insert(creds.clone());
        if self.latest.len() >= SESSION_CAPACITY && !self.latest.contains_key(scenario) {
            self.latest.clear();
        }
        self.latest.insert(scenario.to_string(), creds.clone());
    }

    fn insert(&mut self, creds: Creds) {
        while self.order.len() >= SESSION_CAPACITY {
            match self.order.pop_front() {
                Some(old) => {
                    self.live.remove(&old);
                }
                None => break,
            }
        }
        self.order.push_back(creds.sessdata.clone());
        self.live.insert(creds.sessdata.clone(), creds);
    }

    /// The credentials of scenario's latest confirmed login.
    pub(crate) fn latest(&self, scenario: &str) -> Option<Creds> {
        self.latest.get(scenario).cloned()
    }

    /// The live session among the request's cookies (`name=value` pairs): the first SESSDATA that is one.
    pub(crate) fn find(&self, cookies: &[(String, String)]) -> Option<Creds> {
        cookies
            .iter()
            .filter(|(n, _)| n == "SESSDATA")
            .find_map(|(_, v)| self.live.get(v).cloned())
    }

    /// Ends the session of that SESSDATA value; false when it was not live.
    pub(crate) fn end(&mut self, sessdata: &str) -> bool {
        self.live.remove(sessdata).is_some()
    }

    /// Replaces a session's SESSDATA (a renewal): the old value stops being a session.
    pub(crate) fn renew(&mut self, old: &str, new_sessdata: String) -> Option<Creds> {
        let mut creds = self.live.remove(old)?;
        creds.sessdata = new_sessdata;
        self.insert(creds.clone());
        Some(creds)
    }

    pub(crate) fn count(&self) -> usize {
        self.live.len()
    }

    pub(crate) fn end_all(&mut self) {
        self.live.clear();
        self.order.clear();
    }
}
