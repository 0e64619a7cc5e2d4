//! HTTP: one keep-alive pool (a ureq `Agent`) per distinct transport setting, shared by every call with the
//! same options; manual redirect following with the ABI's rules; the 1 MiB body limit; error mapping.

use crate::error::{Error, ErrorKind, Result};
use crate::options::{is_loopback_host, Options, ProxySetting};
use once_cell::sync::Lazy;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::Agent;

/// The largest body read from the service.
pub const MAX_BODY: u64 = 1 << 20;
/// The most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
pub const REFERER: &str = "https://www.bilibili.tv/";
pub const ORIGIN: &str = "https://www.bilibili.tv";

/// A complete answer: the raw `Set-Cookie` values and the body (2xx API answers only).
#[derive(Debug)]
pub struct Answer {
    pub set_cookies: Vec<String>,
    pub body: Vec<u8>,
}

/// What a request is for, which decides where it and its redirects may go.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// An API call: https anywhere, plain http only to loopback hosts. The final answer must be 2xx; its
    /// body (at most 1 MiB) is read.
    Api,
    /// Following `go_url`: additionally only hosts under bilibili.tv / biliintl.com or the `base_url` host.
    /// The chain stops quietly at a hop it may not follow, at a non-2xx answer or after 5 redirects; every
    /// hop's cookies are collected and no body is kept.
    GoUrl { base_host: &'a str },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolKey {
    timeout: Duration,
    user_agent: String,
    proxy: ProxySetting,
}

/// ureq resolves the host before every request, even one that reuses a pooled connection, and with a
/// timeout set its default resolver does so on a freshly spawned thread: a thread per poll. IP literals
/// (and `localhost`) need no lookup, so they are answered here; other names go to the system resolver
/// (ureq's) at most once a minute per host and port, as libcurl's DNS cache does.
#[derive(Debug, Default)]
struct LiteralFirstResolver {
    system: DefaultResolver,
    cache: DnsCache,
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
        let mut addrs = self.empty();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            addrs.push(SocketAddr::new(ip, port));
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
static POOLS: Lazy<Mutex<Vec<(PoolKey, Agent)>>> = Lazy::new(|| Mutex::new(Vec::new()));
const MAX_POOLS: usize = 32;

fn agent_for(options: &Options) -> Result<Agent> {
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
            && key.user_agent == options.user_agent
    });
    if let Some((_, agent)) = found {
        return Ok(agent.clone());
    }
    let key = PoolKey {
        timeout: options.timeout,
        user_agent: options.user_agent.clone(),
        proxy: proxy.clone(),
    };
    let proxy = match &key.proxy {
        ProxySetting::FromEnvironment => ureq::Proxy::try_from_env(),
        ProxySetting::Direct => None,
        ProxySetting::Url(url) => Some(
            ureq::Proxy::new(url)
                .map_err(|_| Error::argument("option proxy is not a valid proxy URL"))?,
        ),
    };
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(key.timeout))
        .user_agent(key.user_agent.as_str())
        .proxy(proxy)
        .max_idle_connections(256)
        .max_idle_connections_per_host(64)
        .tls_config(crate::tls::config())
        .build();
    let agent = Agent::with_parts(
        config,
        DefaultConnector::default(),
        LiteralFirstResolver::default(),
    );
    if pools.len() >= MAX_POOLS {
        pools.clear();
    }
    pools.push((key, agent.clone()));
    Ok(agent)
}

/// Scheme, host (lowercase, no brackets) and the rest of an absolute http(s) URL.
struct Target<'u> {
    https: bool,
    authority: &'u str,
    host: String,
    path_and_query: &'u str,
}

fn split_url(url: &str) -> Option<Target<'_>> {
    let (https, rest) = if url.len() > 8 && url[..8].eq_ignore_ascii_case("https://") {
        (true, &url[8..])
    } else if url.len() > 7 && url[..7].eq_ignore_ascii_case("http://") {
        (false, &url[7..])
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let host_port = authority;
    let host = if let Some(stripped) = host_port.strip_prefix('[') {
        stripped.split(']').next().unwrap_or("")
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    if host.is_empty() {
        return None;
    }
    Some(Target {
        https,
        authority,
        host: host.to_ascii_lowercase(),
        path_and_query: &rest[end..],
    })
}

/// Resolves a `Location` header against the URL it answered.
pub fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if split_url(location).is_some() {
        return Some(location.to_owned());
    }
    let b = split_url(base)?;
    let scheme = if b.https { "https" } else { "http" };
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{}{location}", b.authority));
    }
    let path = b.path_and_query.split(['?', '#']).next().unwrap_or("");
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    Some(format!("{scheme}://{}{dir}/{location}", b.authority))
}

/// Checks that `url` may be requested in `mode`; the error names only the host.
fn check_hop(url: &str, mode: Mode<'_>) -> Result<String> {
    let target = split_url(url).ok_or_else(|| {
        Error::network("a redirect pointed to something that is not an http(s) URL")
    })?;
    if !target.https && !is_loopback_host(&target.host) {
        return Err(Error::network(format!(
            "refused to follow a redirect to plain http://{}: only https, or http to a loopback host, is allowed",
            target.host
        )));
    }
    if let Mode::GoUrl { base_host } = mode {
        if !crate::cookies::is_trusted(&target.host, base_host) {
            return Err(Error::network(format!(
                "refused to follow go_url to {}: only hosts under bilibili.tv or biliintl.com, or the base_url host, are followed",
                target.host
            )));
        }
    }
    Ok(target.host)
}

/// GETs `url` with the ABI's headers, following up to 5 redirects allowed by `mode`.
/// `timeout_cap` shortens the request timeout (so that a wait ends on time).
pub fn get(
    options: &Options,
    url: &str,
    mode: Mode<'_>,
    timeout_cap: Option<Duration>,
) -> Result<Answer> {
    let go_url = matches!(mode, Mode::GoUrl { .. });
    let mut collected = Vec::new();
    let stop_quietly = |collected: Vec<String>| Answer {
        set_cookies: collected,
        body: Vec::new(),
    };
    let mut host = match check_hop(url, mode) {
        Ok(host) => host,
        Err(_) if go_url => return Ok(stop_quietly(collected)),
        Err(e) => return Err(e),
    };
    let agent = agent_for(options)?;
    let mut current = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        let request = agent
            .get(&current)
            .header("User-Agent", options.user_agent.as_str())
            .header("Referer", REFERER)
            .header("Origin", ORIGIN)
            .header("Accept", "application/json");
        let result = match timeout_cap {
            Some(cap) if cap < options.timeout => request
                .config()
                .timeout_global(Some(cap.max(Duration::from_millis(1))))
                .build()
                .call(),
            _ => request.call(),
        };
        let mut response = result.map_err(|e| map_error(e, &host))?;
        let status = response.status().as_u16();
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok().map(str::to_owned));
        if go_url {
            collected.extend(set_cookies);
        } else if (200..300).contains(&status) {
            collected = set_cookies.collect();
        }
        if (300..400).contains(&status) && status != 304 {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
                .and_then(|loc| resolve(&current, loc));
            // Drain a small body so that the connection can be reused; a failure only costs the reuse.
            let _ = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_vec();
            let Some(location) = location else {
                if go_url {
                    return Ok(stop_quietly(collected));
                }
                return Err(Error::network(format!(
                    "HTTP {status} from {host} without a usable Location header"
                )));
            };
            host = match check_hop(&location, mode) {
                Ok(host) => host,
                Err(_) if go_url => return Ok(stop_quietly(collected)),
                Err(e) => return Err(e),
            };
            current = location;
            continue;
        }
        if go_url {
            let _ = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .read_to_vec();
            return Ok(stop_quietly(collected));
        }
        if !(200..300).contains(&status) {
            return Err(http_error(status, &host));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| map_error(e, &host))?;
        return Ok(Answer {
            set_cookies: collected,
            body,
        });
    }
    if go_url {
        return Ok(stop_quietly(collected));
    }
    Err(Error::network(format!(
        "too many redirects (more than {MAX_REDIRECTS}) starting from {}",
        split_url(url).map_or_else(String::new, |t| t.host)
    )))
}

fn http_error(status: u16, host: &str) -> Error {
    let advice = match status {
        412 => "the request was refused by risk control; slow down or change network",
        429 => "too many requests; slow down and try again later",
        403 => "access was refused; the service may not be available in this region",
        400..=499 => "the service refused the request; check base_url and the options",
        500..=599 => "the service failed; try again later",
        _ => "an unexpected status; check base_url",
    };
    Error::http(status, format!("HTTP {status} from {host}: {advice}"))
}

fn map_error(error: ureq::Error, host: &str) -> Error {
    use ureq::Error as E;
    match error {
        E::Timeout(what) => Error::new(
            ErrorKind::Timeout,
            format!("request to {host} timed out ({what}); raise timeout_ms or check the network"),
        ),
        E::BodyExceedsLimit(_) => Error::protocol(format!(
            "the answer from {host} is larger than 1 MiB: not the documented JSON"
        )),
        E::HostNotFound => Error::network(format!(
            "could not resolve host {host}; check the network or base_url"
        )),
        E::ConnectionFailed => Error::network(format!(
            "could not connect to {host}; check the network, proxy or base_url"
        )),
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Error::new(
                ErrorKind::Timeout,
                format!("request to {host} timed out; raise timeout_ms or check the network"),
            ),
            std::io::ErrorKind::ConnectionRefused => Error::network(format!(
                "connection to {host} refused; check base_url and that the service is reachable"
            )),
            std::io::ErrorKind::UnexpectedEof => Error::network(format!(
                "the connection to {host} closed before the whole answer arrived; try again"
            )),
            _ if io
                .get_ref()
                .is_some_and(|inner| inner.to_string().contains("certificate")) =>
            {
                Error::network(format!(
                    "TLS certificate of {host} refused ({}); the connection is not trusted",
                    io.get_ref().map(|e| e.to_string()).unwrap_or_default()
                ))
            }
            kind => Error::network(format!(
                "network error talking to {host} ({kind}); check the network and try again"
            )),
        },
        E::Rustls(tls) => {
            let what = tls.to_string();
            if what.contains("certificate") {
                Error::network(format!(
                    "TLS certificate of {host} refused ({what}); the connection is not trusted"
                ))
            } else {
                Error::network(format!("TLS failed with {host} ({what})"))
            }
        }
        E::Tls(what) => Error::network(format!("TLS failed with {host} ({what})")),
        E::TooManyRedirects | E::RedirectFailed => {
            Error::network(format!("redirects from {host} could not be followed"))
        }
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => Error::network(format!(
            "the proxy refused or failed the connection to {host}; check the proxy option"
        )),
        E::LargeResponseHeader(_, _) => Error::protocol(format!(
            "the answer from {host} has oversized headers: not the documented service"
        )),
        E::Protocol(_) => Error::network(format!(
            "{host} answered something that is not valid HTTP/1.1; check base_url and the proxy"
        )),
        E::BadUri(_) => Error::argument("the request URL is not valid; check base_url"),
        E::StatusCode(status) => http_error(status, host),
        _ => Error::network(format!(
            "request to {host} failed; check the network and try again"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_locations() {
        let base = "http://127.0.0.1:9/a/b?x=1";
        assert_eq!(resolve(base, "/c").unwrap(), "http://127.0.0.1:9/c");
        assert_eq!(resolve(base, "c?d").unwrap(), "http://127.0.0.1:9/a/c?d");
        assert_eq!(resolve(base, "https://h/x").unwrap(), "https://h/x");
        assert_eq!(resolve(base, "//h/x").unwrap(), "http://h/x");
    }

    #[test]
    fn literal_hosts_resolve_without_lookup() {
        let resolve = |url: &str| {
            let timeout = NextTimeout {
                after: ureq::unversioned::transport::time::Duration::NotHappening,
                reason: ureq::Timeout::Resolve,
                per_read: None,
                per_write: None,
            };
            let uri: ureq::http::Uri = url.parse().unwrap();
            LiteralFirstResolver::default()
                .resolve(&uri, &ureq::config::Config::default(), timeout)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(resolve("http://127.0.0.1:5/x"), ["127.0.0.1:5"]);
        assert_eq!(resolve("http://[::1]/x"), ["[::1]:80"]);
        assert_eq!(resolve("https://10.1.2.3/"), ["10.1.2.3:443"]);
        assert_eq!(resolve("http://LOCALHOST:7/"), ["127.0.0.1:7", "[::1]:7"]);
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

    #[test]
    fn hop_rules() {
        assert!(check_hop("https://example.com/x", Mode::Api).is_ok());
        assert!(check_hop("http://example.com/x", Mode::Api).is_err());
        assert!(check_hop("http://127.0.0.1:5/x", Mode::Api).is_ok());
        assert!(check_hop("http://[::1]:5/x", Mode::Api).is_ok());
        let t = Mode::GoUrl {
            base_host: "127.0.0.1",
        };
        assert!(check_hop("https://www.bilibili.tv/x", t).is_ok());
        assert!(check_hop("https://evil.example.com/x", t).is_err());
        assert!(check_hop("http://127.0.0.1:1/x", t).is_ok());
        assert!(check_hop("ftp://x", t).is_err());
    }
}
