//! What the mainland and TV routes remember: web sessions (by SESSDATA), crossDomain tickets, the
//! timestamps `cookie/info` issued, and app tokens (by access token). Kept apart from the intl sessions.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::time::Instant;

use crate::cookies;

/// How many entries of each kind are remembered (the oldest are forgotten).
const CAPACITY: usize = 100_000;
/// An app token's lifetime (`expires_in` of a fresh token).
pub(crate) const TOKEN_LIFETIME_SECS: u64 = 15_552_000;

/// The cookies of one mainland web login.
#[derive(Clone, Debug)]
pub(crate) struct WebCreds {
    pub(crate) sessdata: String,
    pub(crate) jct: String,
    pub(crate) md5: String,
    pub(crate) sid: String,
    pub(crate) mid: u64,
    pub(crate) name: String,
}

impl WebCreds {
    pub(crate) fn new(mid: u64, name: &str, long: bool) -> WebCreds {
        WebCreds {
            sessdata: cookies::sessdata_value(long),
            jct: cookies::hex(32),
            md5: cookies::hex(16),
            sid: cookies::alnum(8),
            mid,
            name: name.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct WebSession {
    pub(crate) creds: WebCreds,
    /// The `refresh_token` (`ac_time_value`) that goes with these cookies.
    pub(crate) refresh_token: String,
    /// The `refresh_csrf` the last `correspond/1/…` page showed for this session.
    pub(crate) refresh_csrf: Option<String>,
    /// After a refresh: the SESSDATA of the session this one replaces, retired by `confirm/refresh`.
    pub(crate) replaces: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) access: String,
    pub(crate) refresh: String,
    /// The appkey of the request that issued it; another pair is answered -663.
    pub(crate) appkey: &'static str,
    pub(crate) mid: u64,
    pub(crate) name: String,
    pub(crate) born: Instant,
    /// After a renewal: the access token this one replaces, retired at this token's first use.
    pub(crate) replaces: Option<String>,
}

impl Token {
    pub(crate) fn remaining_secs(&self) -> u64 {
        TOKEN_LIFETIME_SECS.saturating_sub(self.born.elapsed().as_secs())
    }
}

/// A map that forgets its oldest entries past [`CAPACITY`].
pub(crate) struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V> Default for Bounded<K, V> {
    fn default() -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub(crate) fn insert(&mut self, k: K, v: V) {
        while self.order.len() >= CAPACITY {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
        }
    }
    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.map.get_mut(k)
    }
    /// Removes the entry (its place in the order is dropped lazily).
    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        self.map.remove(k)
    }
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

#[derive(Default)]
pub(crate) struct MainSessions {
    /// SESSDATA value → the live web session.
    pub(crate) web: Bounded<String, WebSession>,
    /// crossDomain `ticket` → the cookies it hands out (None: it sets nothing).
    pub(crate) cross: Bounded<String, Option<WebCreds>>,
    /// `cookie/info` timestamps (ms) → when they were issued.
    pub(crate) stamps: Bounded<u64, Instant>,
    /// access token → the live token.
    pub(crate) tokens: Bounded<String, Token>,
}

impl MainSessions {
    /// The live web session among the request's cookies: the first SESSDATA that is one.
    pub(crate) fn find_web(&self, cookies: &[(String, String)]) -> Option<WebSession> {
        cookies
            .iter()
            .filter(|(n, _)| n == "SESSDATA")
            .find_map(|(_, v)| self.web.get(v).cloned())
    }

    pub(crate) fn add_web(&mut self, creds: &WebCreds, refresh_token: &str) {
        self.web.insert(
            creds.sessdata.clone(),
            WebSession {
                creds: creds.clone(),
                refresh_token: refresh_token.to_string(),
                refresh_csrf: None,
                replaces: None,
            },
        );
    }

    /// Live sessions and tokens.
    pub(crate) fn count(&self) -> usize {
        self.web.len() + self.tokens.len()
    }

    /// Ends every web session and token.
    pub(crate) fn end_all(&mut self) {
        self.web.clear();
        self.tokens.clear();
        self.cross.clear();
    }
}
