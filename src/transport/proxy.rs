//! The proxy of a pool: the `proxy` option, or the standard environment variables read the way curl reads
//! them for an https URL, and which hosts go direct.
//!
//! - The proxy URL: the first non-empty of `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY`,
//!   `http_proxy`, `HTTP_PROXY` (`http://`, `https://`, `socks5://`, `socks5h://`, `socks4://`,
//!   `socks4a://`; no scheme is `http://`). A value that is not a valid proxy URL is an argument error
//!   naming the variable, never its value (it can hold a password): a proxy that is silently skipped
//!   would leave the requests going direct, where they may only time out.
//! - `no_proxy`, else `NO_PROXY`: entries separated by commas or spaces, matched against each request's
//!   host (redirects included), letter case aside. `*` alone matches every host; `example.com` and
//!   `.example.com` both match `example.com` and every host under it (a leading `.` or `*.` is
//!   ignored, as curl does); an IP address matches itself, `10.0.0.0/8` or `fd00::/8` the addresses in
//!   it; `host:port` (`[::1]:8443`) matches that port only.
//! - Loopback hosts (127.0.0.0/8, ::1, localhost) never go through a proxy from the environment: it is for
//!   reaching the outside (Go's rule). A `proxy` option applies to every request.

use crate::error::{Error, Result};
use std::net::IpAddr;

/// The environment variables naming a proxy, in the order they are tried.
pub(super) const PROXY_VARS: [&str; 6] = [
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "http_proxy",
    "HTTP_PROXY",
];
/// The environment variables listing the hosts that go direct, in the order they are tried.
pub(super) const NO_PROXY_VARS: [&str; 2] = ["no_proxy", "NO_PROXY"];

/// A proxy and the hosts that bypass it.
#[derive(Debug, Clone)]
pub(super) struct Route {
    pub proxy: ureq::Proxy,
    /// Hosts that go direct (`no_proxy`); empty for a `proxy` option.
    pub bypass: NoProxy,
    /// Taken from the environment (then loopback hosts go direct as well).
    pub from_env: bool,
}

impl Route {
    /// Whether a request to `host` (as a URI gives it: IPv6 in brackets) on `port` goes through the
    /// proxy.
    pub fn applies_to(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if self.from_env && crate::options::is_loopback_host(&host.to_ascii_lowercase()) {
            return false;
        }
        !self.bypass.matches(host, port)
    }
}

/// The `proxy` option's URL (already validated by the options).
pub(super) fn from_option(url: &str) -> Result<Route> {
    let proxy = ureq::Proxy::new(url)
        .map_err(|_| Error::argument("option proxy is not a valid proxy URL"))?;
    Ok(Route {
        proxy,
        bypass: NoProxy::default(),
        from_env: false,
    })
}

/// The proxy the environment names, with its `no_proxy` list; `None` when no variable is set.
pub(super) fn from_env() -> Result<Option<Route>> {
    from_lookup(|name| std::env::var_os(name))
}

/// [`from_env`] over any variable lookup (the tests pass a map).
fn from_lookup(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<Option<Route>> {
    let Some((name, value)) = PROXY_VARS
        .iter()
        .find_map(|n| get(n).filter(|v| !v.is_empty()).map(|v| (*n, v)))
    else {
        return Ok(None);
    };
    let invalid = || {
        Error::argument(format!(
            "the environment variable {name} is not a valid proxy URL (http://, https://, socks5:// or socks5h://, with a port of 1 to 65535 when written); fix or unset it, or set the proxy option"
        ))
    };
    let value = value.into_string().map_err(|_| invalid())?;
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let lower = with_scheme.to_ascii_lowercase();
    let scheme_ok = [
        "http://",
        "https://",
        "socks5://",
        "socks5h://",
        "socks4://",
        "socks4a://",
        "socks://",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    if !scheme_ok || with_scheme.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(invalid());
    }
    crate::url::check_proxy_authority(&with_scheme).map_err(|_| invalid())?;
    let proxy = ureq::Proxy::new(&with_scheme).map_err(|_| invalid())?;
    let bypass = NO_PROXY_VARS
        .iter()
        .find_map(|n| get(n))
        .map(|v| NoProxy::parse(&v.to_string_lossy()))
        .unwrap_or_default();
    Ok(Some(Route {
        proxy,
        bypass,
        from_env: true,
    }))
}

/// A `no_proxy` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct NoProxy {
    /// `*`: every host.
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    pattern: Pattern,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// A host name (lowercase, without a leading dot): itself and every host under it.
    Domain(String),
    /// An address range (an address alone is a range of one).
    Net(IpAddr, u8),
}

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for item in list.split([',', ' ', '\t']).filter(|s| !s.is_empty()) {
            if item == "*" {
                out.all = true;
                continue;
            }
            if let Some(entry) = Entry::parse(item) {
                out.entries.push(entry);
            }
        }
        out
    }

    /// Whether `host` (without brackets) on `port` bypasses the proxy.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.all {
            return true;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let ip = host.parse::<IpAddr>().ok();
        self.entries.iter().any(|e| {
            e.port.map_or(true, |p| p == port)
                && match (&e.pattern, ip) {
                    (Pattern::Net(net, bits), Some(ip)) => in_net(ip, *net, *bits),
                    (Pattern::Domain(d), None) => {
                        host == *d
                            || host
                                .strip_suffix(d.as_str())
                                .is_some_and(|rest| rest.ends_with('.'))
                    }
                    _ => false,
                }
        })
    }
}

impl Entry {
    fn parse(item: &str) -> Option<Entry> {
        let item = item.trim();
        // `[v6]` or `[v6]:port`
        if let Some(rest) = item.strip_prefix('[') {
            let (addr, after) = rest.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p.parse::<u16>().ok()?),
                None if after.is_empty() => None,
                None => return None,
            };
            let (ip, bits) = parse_net(addr)?;
            return Some(Entry {
                pattern: Pattern::Net(ip, bits),
                port,
            });
        }
        // A bare IPv6 address or range (holds more than one ':').
        if item.matches(':').count() > 1 {
            let (ip, bits) = parse_net(item)?;
            return Some(Entry {
                pattern: Pattern::Net(ip, bits),
                port: None,
            });
        }
        let (name, port) = match item.rsplit_once(':') {
            Some((n, p)) => (n, Some(p.parse::<u16>().ok()?)),
            None => (item, None),
        };
        if let Some((ip, bits)) = parse_net(name) {
            return Some(Entry {
                pattern: Pattern::Net(ip, bits),
                port,
            });
        }
        let name = name
            .strip_prefix("*.")
            .or_else(|| name.strip_prefix('.'))
            .unwrap_or(name)
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if name.is_empty() || name.contains(['/', '*']) {
            return None;
        }
        Some(Entry {
            pattern: Pattern::Domain(name),
            port,
        })
    }
}

/// `addr` or `addr/bits`.
fn parse_net(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip = addr.parse::<IpAddr>().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn env(vars: &[(&str, &str)]) -> Result<Option<Route>> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(*v)))
            .collect();
        from_lookup(|n| map.get(n).cloned())
    }

    fn proxy_of(vars: &[(&str, &str)]) -> Option<String> {
        env(vars)
            .unwrap()
            .map(|r| format!("{}:{}", r.proxy.host(), r.proxy.port()))
    }

    #[test]
    fn the_https_variables_come_first_lowercase_before_uppercase() {
        assert_eq!(proxy_of(&[]), None);
        assert_eq!(proxy_of(&[("https_proxy", "")]), None);
        assert_eq!(
            proxy_of(&[("HTTPS_PROXY", "http://u:p@h1:3128")]).as_deref(),
            Some("h1:3128")
        );
        assert_eq!(
            proxy_of(&[("https_proxy", "h2:8080"), ("HTTPS_PROXY", "http://h1:1")]).as_deref(),
            Some("h2:8080")
        );
        assert_eq!(
            proxy_of(&[
                ("ALL_PROXY", "socks5h://s:1080"),
                ("HTTPS_PROXY", "http://h1:1")
            ])
            .as_deref(),
            Some("h1:1")
        );
        assert_eq!(
            proxy_of(&[("HTTP_PROXY", "http://h3:3"), ("all_proxy", "socks5://s:9")]).as_deref(),
            Some("s:9")
        );
        assert_eq!(
            proxy_of(&[("https_proxy", ""), ("http_proxy", "http://h3:3")]).as_deref(),
            Some("h3:3")
        );
    }

    #[test]
    fn an_invalid_variable_is_named_without_its_value() {
        for bad in [
            "ftp://h:1",
            "http://h:99999",
            "http://secretpw@:1",
            "http://h:1/ x",
        ] {
            let e = env(&[("HTTPS_PROXY", bad)]).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Argument);
            assert!(e.message().contains("HTTPS_PROXY"), "{}", e.message());
            assert!(!e.message().contains("secretpw"), "{}", e.message());
            assert!(!e.message().contains(bad), "{}", e.message());
        }
    }

    #[test]
    fn no_proxy_hosts_suffixes_ranges_ports_and_star() {
        let route = |list: &str| {
            env(&[("https_proxy", "http://p:1"), ("no_proxy", list)])
                .unwrap()
                .unwrap()
        };
        let r = route("passport.example.com, .corp.example , 10.0.0.0/8,[::2]:8443 intra:444");
        // A host: itself and the hosts under it, letter case aside.
        assert!(!r.applies_to("passport.example.com", 443));
        assert!(!r.applies_to("PASSPORT.Example.com", 443));
        assert!(!r.applies_to("a.passport.example.com", 443));
        assert!(r.applies_to("example.com", 443));
        assert!(r.applies_to("xpassport.example.com", 443));
        // A suffix: the domain itself and under it.
        assert!(!r.applies_to("corp.example", 443));
        assert!(!r.applies_to("www.corp.example", 443));
        assert!(r.applies_to("notcorp.example", 443));
        // Ranges and ports.
        assert!(!r.applies_to("10.20.30.40", 443));
        assert!(r.applies_to("11.0.0.1", 443));
        assert!(!r.applies_to("[::2]", 8443));
        assert!(r.applies_to("[::2]", 443));
        assert!(!r.applies_to("intra", 444));
        assert!(r.applies_to("intra", 443));
        // Loopback never goes through a proxy from the environment.
        assert!(!r.applies_to("localhost", 443));
        assert!(!r.applies_to("127.0.0.2", 443));
        assert!(!r.applies_to("[::1]", 443));
        assert!(r.applies_to("passport.bilibili.tv", 443));
        // `*` alone: everything; `*.x` is a suffix; NO_PROXY when no_proxy is unset.
        assert!(!route("*").applies_to("passport.bilibili.tv", 443));
        assert!(!route("*.bilibili.tv").applies_to("passport.bilibili.tv", 443));
        assert!(route("*.bilibili.tv").applies_to("bilibili.com", 443));
        let upper = env(&[("https_proxy", "p:1"), ("NO_PROXY", "bilibili.tv")])
            .unwrap()
            .unwrap();
        assert!(!upper.applies_to("passport.bilibili.tv", 443));
        // Nonsense entries are skipped, the rest still apply.
        let odd = route("a/b, x:notaport, 10.0.0.0/99, ,bilibili.tv");
        assert!(!odd.applies_to("www.bilibili.tv", 443));
        assert!(odd.applies_to("x", 443));
    }

    #[test]
    fn an_option_proxy_applies_to_every_host() {
        let r = from_option("socks5h://127.0.0.1:1080").unwrap();
        assert!(r.applies_to("localhost", 443));
        assert!(r.applies_to("passport.bilibili.tv", 443));
    }
}
