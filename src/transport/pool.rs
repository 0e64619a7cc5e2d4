//! The keep-alive pools: per distinct transport setting a plain-http ureq `Agent` and an https one (made by the
//! first https request, which reads the trust store), shared by every call with the same options, and the
//! resolver they use (IP literals answered in place, names cached for a minute).

use super::proxy::Route;
use crate::error::Result;
use crate::options::{Options, ProxySetting};
use once_cell::sync::{Lazy, OnceCell};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::tls::{Certificate, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    ConnectProxyConnector, ConnectionDetails, Connector, NextTimeout, RustlsConnector,
    SocksConnector, Transport,
};
use ureq::Agent;

#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolKey {
    timeout: Duration,
    user_agent: String,
    proxy: ProxySetting,
    ca_file: Option<String>,
}

/// ureq resolves the host before every request, even one that reuses a pooled connection, and with a
/// timeout set its default resolver does so on a freshly spawned thread: a thread per poll. IP literals
/// (and `localhost`) need no lookup, so they are answered here; other names go to the system resolver
/// (ureq's) at most once a minute per host and port, as libcurl's DNS cache does.
#[derive(Debug, Default)]
struct LiteralFirstResolver {
    system: DefaultResolver,
    cache: DnsCache,
    /// The last IP literal answered (host as in the URI, port) and its address: a poll asks for the same
    /// one every time, and reading it again costs more than comparing it.
    literal: Mutex<Option<(String, u16, ResolvedSocketAddrs)>>,
}

impl Resolver for LiteralFirstResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or("");
        let port = uri.port_u16().or_else(|| match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => Some(443),
            Some(s) if s.eq_ignore_ascii_case("http") => Some(80),
            _ => None,
        });
        let Some(port) = port else {
            return self.system.resolve(uri, config, timeout);
        };
        {
            let last = self.literal.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((h, p, addrs)) = &*last {
                if *p == port && h == host {
                    return Ok(addrs.clone());
                }
            }
        }
        let mut addrs = self.empty();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            addrs.push(SocketAddr::new(ip, port));
            let mut last = self.literal.lock().unwrap_or_else(|p| p.into_inner());
            *last = Some((host.to_owned(), port, addrs.clone()));
            return Ok(addrs);
        }
        if host.eq_ignore_ascii_case("localhost") {
            addrs.push(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port));
            addrs.push(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port));
            return Ok(addrs);
        }
        self.cache.lookup(host, port, Instant::now(), || {
            self.system.resolve(uri, config, timeout)
        })
    }
}

/// How long the system resolver's answer for a host is reused: libcurl's default
/// (`CURLOPT_DNS_CACHE_TIMEOUT`). A poll every 2 seconds then costs one lookup a minute instead of a lookup
/// and a thread per request. Failures are not remembered: the next request asks again.
const DNS_CACHE_TTL: Duration = Duration::from_secs(60);
/// Hosts remembered per pool (the library talks to one or two: the passport host and a go_url host).
const DNS_CACHE_HOSTS: usize = 8;

#[derive(Debug, Default)]
struct DnsCache {
    entries: Mutex<Vec<CachedLookup>>,
}

#[derive(Debug)]
struct CachedLookup {
    host: String,
    port: u16,
    at: Instant,
    addrs: ResolvedSocketAddrs,
}

impl DnsCache {
    /// The addresses of `host:port`: remembered ones younger than [`DNS_CACHE_TTL`], else `resolve()`'s
    /// (remembered when it succeeds). The lock is not held while resolving.
    fn lookup(
        &self,
        host: &str,
        port: u16,
        now: Instant,
        resolve: impl FnOnce() -> std::result::Result<ResolvedSocketAddrs, ureq::Error>,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let fresh = |e: &CachedLookup| {
            e.port == port
                && e.host.eq_ignore_ascii_case(host)
                && now.saturating_duration_since(e.at) < DNS_CACHE_TTL
        };
        {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = entries.iter().find(|e| fresh(e)) {
                return Ok(hit.addrs.clone());
            }
        }
        let addrs = resolve()?;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|e| !(e.port == port && e.host.eq_ignore_ascii_case(host)));
        if entries.len() >= DNS_CACHE_HOSTS {
            entries.remove(0); // the oldest
        }
        entries.push(CachedLookup {
            host: host.to_owned(),
            port,
            at: now,
            addrs: addrs.clone(),
        });
        Ok(addrs)
    }
}

/// Agents by transport settings, searched linearly (there is usually one): the lookup compares the
/// caller's options in place, without building (cloning the user agent) or hashing a key. Bounded: a
/// program that cycles through many distinct settings gets fresh pools rather than unbounded growth.
static POOLS: Lazy<Mutex<Vec<(PoolKey, Pool)>>> = Lazy::new(|| Mutex::new(Vec::new()));
const MAX_POOLS: usize = 32;

/// The agents of one transport setting and the proxy they go through (to name the proxy in messages, and to
/// send the hosts it does not apply to direct). Plain http requests use `plain`, whose TLS settings trust
/// nothing and read no store; the https agent is made by the first request that needs it, which is when the
/// system's trust store is read (once per process). A bad `ca_file` is refused when the pool is made.
#[derive(Debug, Clone)]
pub(super) struct Pool {
    plain: Agent,
    tls: Arc<TlsAgent>,
    pub route: Option<Route>,
}

/// The https agent of a pool, made on first use from what the pool was made with.
#[derive(Debug)]
struct TlsAgent {
    agent: OnceCell<Agent>,
    key: PoolKey,
    extra: Vec<Certificate<'static>>,
    proxy: Option<ureq::Proxy>,
}

impl Pool {
    /// The agent for a request to `uri`: the plain one for `http://` (unless the proxy itself is reached
    /// over TLS), else the https one, made now if this is the first.
    pub fn agent(&self, uri: &ureq::http::Uri) -> &Agent {
        let plain = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("http"))
            && !self
                .tls
                .proxy
                .as_ref()
                .is_some_and(|p| p.protocol() == ureq::ProxyProtocol::Https);
        if plain {
            return &self.plain;
        }
        let t = &self.tls;
        t.agent.get_or_init(|| {
            let (config, _) = crate::tls::config_from_extra(t.extra.clone());
            build_agent(&t.key, t.proxy.as_ref(), config)
        })
    }

    /// `host:port` of the proxy that a request to `uri` goes through, if any (never its user name or
    /// password), and whether that proxy leaves name resolution to this machine (`socks5://`,
    /// `socks4://`). `None` also for a host that `no_proxy` (or, for a proxy from the environment, being
    /// loopback) sends direct, which the request's own config then says ([`request_config`]).
    pub fn proxy_for(&self, uri: &ureq::http::Uri) -> Option<(String, bool)> {
        let route = self.route.as_ref()?;
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => 80,
            _ => 443,
        });
        if !route.applies_to(uri.host().unwrap_or(""), port) {
            return None;
        }
        let proxy = &route.proxy;
        Some((
            format!("{}:{}", proxy.host(), proxy.port()),
            proxy.resolve_target(),
        ))
    }
}

/// A request's own config where it differs from the agent's: a shorter timeout (the rest of a wait's
/// deadline) and no proxy for a host that goes direct.
pub(super) fn request_config<B>(
    r: ureq::RequestBuilder<B>,
    timeout: Duration,
    agent_timeout: Duration,
    direct: bool,
) -> ureq::RequestBuilder<B> {
    if timeout >= agent_timeout && !direct {
        return r;
    }
    let mut c = r.config();
    if timeout < agent_timeout {
        c = c.timeout_global(Some(timeout));
    }
    if direct {
        c = c.proxy(None);
    }
    c.build()
}

/// The response head ureq parses may not exceed this. It holds only the header lines the library reads
/// (`head::HeadGuard` drops the others first, and bounds the head as sent to `head::MAX_RAW_HEAD`).
pub(super) const MAX_HEAD_BYTES: usize = 60 * 1024;
/// Input buffer of each layer of a connection (TCP, TLS): more than a header line may hold
/// (`head::MAX_LINE`), so that the head guard above always sees a whole line. The TCP layer's starts at
/// `buf::FIRST_INPUT` and grows to this size when a line or record needs it (`tcp::TcpTransport`).
const INPUT_BUFFER: usize = 32 * 1024;
/// Output buffer of each layer below the head guard (TCP, TLS, and the hop to a CONNECT proxy, whose
/// `CONNECT` request is written here): requests are written into the head guard's own 64 KiB buffer
/// (`head::OUTPUT_BUFFER`, the largest request head), which hands them down in pieces of this size, so a
/// connection does not fill 64 KiB per layer with zeros.
pub(super) const LAYER_OUTPUT_BUFFER: usize = 8 * 1024;

pub(super) fn agent_for(options: &Options) -> Result<Pool> {
    const DIRECT: &ProxySetting = &ProxySetting::Direct;
    let proxy = match (&options.proxy, options.base_url.is_loopback()) {
        // The environment's proxy is for reaching the outside; loopback stays direct.
        (ProxySetting::FromEnvironment, true) => DIRECT,
        (p, _) => p,
    };
    let mut pools = POOLS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let found = pools.iter().find(|(key, _)| {
        key.timeout == options.timeout
            && key.proxy == *proxy
            && key.user_agent == user_agent(options)
            && key.ca_file == options.ca_file
    });
    if let Some((_, pool)) = found {
        return Ok(pool.clone());
    }
    let key = PoolKey {
        timeout: options.timeout,
        user_agent: user_agent(options).to_owned(),
        proxy: proxy.clone(),
        ca_file: options.ca_file.clone(),
    };
    let route = match &key.proxy {
        ProxySetting::FromEnvironment => super::proxy::from_env()?,
        ProxySetting::Direct => None,
        ProxySetting::Url(url) => Some(super::proxy::from_option(url)?),
    };
    let proxy = route.as_ref().map(|r| r.proxy.clone());
    let extra = crate::tls::ca_certificates(key.ca_file.as_deref())?;
    let plain = build_agent(&key, proxy.as_ref(), crate::tls::config_trusting_nothing());
    if pools.len() >= MAX_POOLS {
        pools.clear();
    }
    let pool = Pool {
        plain,
        tls: Arc::new(TlsAgent {
            agent: OnceCell::new(),
            key: key.clone(),
            extra,
            proxy,
        }),
        route,
    };
    pools.push((key, pool.clone()));
    Ok(pool)
}

/// An agent of the settings `key`, through `proxy`, with the TLS settings `tls`.
fn build_agent(key: &PoolKey, proxy: Option<&ureq::Proxy>, tls: TlsConfig) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(key.timeout))
        .user_agent(key.user_agent.as_str())
        .proxy(proxy.cloned())
        .max_response_header_size(MAX_HEAD_BYTES)
        // Each layer of a connection (TCP, TLS) has buffers of these sizes (ureq's default is 128 KiB each):
        // answers are small, and a head is read line by line out of the input (`head::HeadGuard`, whose
        // own input buffer holds the parsed head), so 32 KiB in is enough; requests are written into the
        // head guard's own buffer, so 8 KiB out.
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(LAYER_OUTPUT_BUFFER)
        .max_idle_connections(256)
        .max_idle_connections_per_host(64)
        .tls_config(tls)
        .build();
    Agent::with_parts(
        config,
        // ureq's default chain (SOCKS, CONNECT proxy, TCP, TLS), with the library's TCP layer in place of
        // ureq's (`super::tcp`), then the head guard outermost.
        ().chain(SocksConnector::default())
            .chain(ConnectProxyConnector::default())
            .chain(super::tcp::TcpConnector)
            .chain(RustlsConnector::default())
            .chain(Boxed)
            .chain(super::head::HeadGuardConnector::new(proxy)),
        LiteralFirstResolver::default(),
    )
}

/// Erases the chain's transport type: the head guard takes any transport.
#[derive(Debug)]
struct Boxed;

impl<In: Transport> Connector<In> for Boxed {
    type Out = Box<dyn Transport>;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|t| Box::new(t) as Box<dyn Transport>))
    }
}

/// The User-Agent of a call: the `user_agent` option, else the browser identity's.
pub(super) fn user_agent(options: &Options) -> &str {
    options
        .user_agent
        .as_deref()
        .unwrap_or(super::identity::USER_AGENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The addresses `r` resolves `url` to, as text.
    fn resolved(r: &LiteralFirstResolver, url: &str) -> Vec<String> {
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::NotHappening,
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let uri: ureq::http::Uri = url.parse().unwrap();
        r.resolve(&uri, &ureq::config::Config::default(), timeout)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn literal_hosts_resolve_without_lookup() {
        let resolve = |url: &str| resolved(&LiteralFirstResolver::default(), url);
        assert_eq!(resolve("http://127.0.0.1:5/x"), ["127.0.0.1:5"]);
        assert_eq!(resolve("http://[::1]/x"), ["[::1]:80"]);
        assert_eq!(resolve("https://10.1.2.3/"), ["10.1.2.3:443"]);
        assert_eq!(resolve("http://LOCALHOST:7/"), ["127.0.0.1:7", "[::1]:7"]);
        // The last literal is remembered by host and port: asking again, or for another, is answered right.
        let r = LiteralFirstResolver::default();
        let ask = |url: &str| resolved(&r, url);
        for _ in 0..2 {
            assert_eq!(ask("http://127.0.0.1:5/x"), ["127.0.0.1:5"]);
            assert_eq!(ask("http://127.0.0.1:6/x"), ["127.0.0.1:6"]);
            assert_eq!(ask("http://127.0.0.2:6/x"), ["127.0.0.2:6"]);
            assert_eq!(ask("http://[::1]:6/x"), ["[::1]:6"]);
        }
    }

    #[test]
    fn names_are_looked_up_once_a_minute_and_failures_not_remembered() {
        let cache = DnsCache::default();
        let calls = std::cell::Cell::new(0);
        // The address the cache hands out for host:443 at time `at`, with `last` as what a lookup would answer.
        let ask = |host: &str, port: u16, at: Instant, last: u8| {
            cache
                .lookup(host, port, at, || {
                    calls.set(calls.get() + 1);
                    let mut a = ResolvedSocketAddrs::from_fn(|_| SocketAddr::from(([0; 4], 0)));
                    a.push(SocketAddr::from(([192, 0, 2, last], port)));
                    Ok(a)
                })
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        let t0 = Instant::now();
        assert_eq!(ask("passport.example", 443, t0, 1), ["192.0.2.1:443"]);
        // Within the minute, any letter case: no lookup.
        let soon = t0 + Duration::from_secs(59);
        assert_eq!(ask("PASSPORT.example", 443, soon, 2), ["192.0.2.1:443"]);
        assert_eq!(calls.get(), 1);
        // Another port is another entry.
        assert_eq!(ask("passport.example", 8443, t0, 3), ["192.0.2.3:8443"]);
        assert_eq!(calls.get(), 2);
        // After the minute: looked up again, and the new answer replaces the old one.
        let later = t0 + DNS_CACHE_TTL;
        assert_eq!(ask("passport.example", 443, later, 4), ["192.0.2.4:443"]);
        assert_eq!(ask("passport.example", 443, later, 5), ["192.0.2.4:443"]);
        assert_eq!(calls.get(), 3);
        // A failure is passed on and not remembered.
        let failed = cache.lookup("gone.example", 443, t0, || Err(ureq::Error::HostNotFound));
        assert!(matches!(failed, Err(ureq::Error::HostNotFound)));
        assert_eq!(ask("gone.example", 443, t0, 6), ["192.0.2.6:443"]);
        assert_eq!(calls.get(), 4);
        // Bounded.
        for i in 0..20 {
            ask(&format!("h{i}.example"), 443, later, 7);
        }
        assert_eq!(cache.entries.lock().unwrap().len(), DNS_CACHE_HOSTS);
    }
}
