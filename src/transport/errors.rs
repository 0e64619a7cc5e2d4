//! Errors of the HTTP layer: ureq's errors and HTTP statuses turned into the ABI's kinds, with messages that
//! name the cause (the host label or the proxy), never a URL; and `Retry-After`.

use crate::error::{Error, ErrorKind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest `Retry-After` taken as given (a wait's deadline caps it further).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Where a failed request went: the host label (see `transport` on which hosts are named), the option that
/// configures it, and the proxy.
pub(super) struct Target<'a> {
    pub host: &'a str,
    /// The option whose URL the request went to (`base_url`, `api_base_url`, `www_base_url`): the one a
    /// message tells the caller to check. Worked out only when a message is built (a request that succeeds
    /// does not pay for it).
    pub option: &'a dyn Fn() -> &'static str,
    /// `host:port` of the proxy the request goes through.
    pub proxy: Option<&'a str>,
    /// The proxy is `socks5://` (or socks4): names are resolved on this machine, not by the proxy.
    pub local_dns: bool,
}

pub(super) fn http_error(status: u16, target: &Target<'_>, retry_after: Option<Duration>) -> Error {
    let host = target.host;
    let advice: std::borrow::Cow<'_, str> = match status {
        412 => "the request was refused by risk control; slow down or change network".into(),
        429 => "too many requests; slow down and try again later".into(),
        403 => "access was refused; the service may not be available in this region".into(),
        400..=499 => format!(
            "the service refused the request; check {} and the options",
            (target.option)()
        )
        .into(),
        503 => "the service is unavailable for now; try again later".into(),
        500..=599 => "the service failed; try again later".into(),
        _ => format!("an unexpected status; check {}", (target.option)()).into(),
    };
    let wait = match retry_after {
        Some(d) => format!(" (the service asks to wait {} s: Retry-After)", d.as_secs()),
        None => String::new(),
    };
    Error::http(status, format!("HTTP {status} from {host}{wait}: {advice}"))
        .with_retry_after(retry_after)
}

/// `Retry-After`: delay-seconds, or an HTTP date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) turned into
/// the time left from `now`. Anything else is `None`. Capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    let secs = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Unix seconds of an IMF-fixdate.
fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let [_weekday, day, month, year, time, zone] = parts.as_slice() else {
        return None;
    };
    if *zone != "GMT" {
        return None;
    }
    let day: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as u32 + 1;
    let year: i64 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let hms: Vec<u32> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    if *h > 23 || *m > 59 || *sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(*h) * 3600 + i64::from(*m) * 60 + i64::from(*sec))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn timeout(host: &str, what: &str) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("request to {host} timed out{what}; raise timeout_ms or check the network"),
    )
}

pub(super) fn map_error(error: ureq::Error, target: &Target<'_>) -> Error {
    use ureq::Error as E;
    let host = target.host;
    let lookup_failed = match &error {
        E::HostNotFound => true,
        E::Io(io) => io.to_string().contains("failed to lookup address"),
        _ => false,
    };
    if lookup_failed && (target.proxy.is_none() || target.local_dns) {
        let hint = if target.local_dns {
            " (a socks5:// proxy resolves names on this machine; socks5h:// lets the proxy resolve them)"
        } else {
            ""
        };
        return Error::network(format!(
            "could not resolve host {host}{hint}; check the network or {}",
            (target.option)()
        ));
    }
    // With a proxy, the connection is to the proxy: a refused or unreachable one is named.
    if let Some(proxy) = target.proxy {
        if let E::ConnectProxyFailed(reason) = &error {
            return connect_refused(proxy, host, reason);
        }
        let refused = match &error {
            E::HostNotFound => Some("could not be resolved"),
            E::ConnectionFailed => Some("could not be reached"),
            E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                Some("refused the connection")
            }
            E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionReset => {
                Some("reset the connection")
            }
            E::InvalidProxyUrl => Some("is not a valid proxy URL"),
            _ => None,
        };
        if let Some(what) = refused {
            return Error::network(format!(
                "the proxy {proxy} {what} (on the way to {host}); check the proxy option or the proxy environment variables"
            ));
        }
        // Anything else (a timeout, a tunnel closed or stalled, TLS through the tunnel) is named with
        // the proxy it went through.
        let via = format!("{host} through the proxy {proxy}");
        return map_direct(
            error,
            &Target {
                host: &via,
                option: target.option,
                proxy: None,
                local_dns: false,
            },
        );
    }
    map_direct(error, target)
}

/// The proxy answered the CONNECT with an error status, or closed without answering. `reason` is ureq's
/// ("proxy server responded 407/Proxy Authentication Required", "proxy server did not respond"); it holds
/// no credentials.
fn connect_refused(proxy: &str, host: &str, reason: &str) -> Error {
    let status = reason
        .split_once("responded ")
        .and_then(|(_, rest)| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok());
    let message = match status {
        // 407 is the status for this; tinyproxy answers a CONNECT without valid credentials with 401.
        Some(code @ (401 | 407)) => format!(
            "the proxy {proxy} refused the tunnel to {host} with HTTP {code} (proxy authentication required): the user name and password in the proxy URL are missing or wrong"
        ),
        Some(code) => format!(
            "the proxy {proxy} refused the tunnel to {host} with HTTP {code}; check the proxy, or that it may connect to {host}"
        ),
        None => format!(
            "the proxy {proxy} closed the connection without answering the tunnel request (CONNECT) to {host}; check the proxy option or the proxy environment variables"
        ),
    };
    Error::network(message)
}

/// A ureq error of a request that did not go through a proxy (or whose proxy is already in the host
/// label).
fn map_direct(error: ureq::Error, target: &Target<'_>) -> Error {
    use ureq::Error as E;
    let (host, option) = (target.host, (target.option)());
    match error {
        E::Timeout(what) => timeout(host, &format!(" ({what})")),
        E::BodyExceedsLimit(_) => Error::protocol(format!(
            "the answer from {host} is larger than 1 MiB: not the documented JSON"
        )),
        E::HostNotFound => Error::network(format!(
            "could not resolve host {host}; check the network or {option}"
        )),
        E::ConnectionFailed => Error::network(format!(
            "could not connect to {host}; check the network, proxy or {option}"
        )),
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => timeout(host, ""),
            std::io::ErrorKind::ConnectionRefused => Error::network(format!(
                "connection to {host} refused; check {option} and that the service is reachable"
            )),
            std::io::ErrorKind::UnexpectedEof => Error::network(format!(
                "the connection to {host} closed before the whole answer arrived; try again"
            )),
            _ if io.get_ref().is_some_and(|inner| inner.is::<super::head::HeadLimit>()) => {
                let limit = io
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<super::head::HeadLimit>())
                    .map(ToString::to_string)
                    .unwrap_or_default();
                Error::protocol(format!("the answer from {host} {limit}: refused"))
            }
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
        E::LargeResponseHeader(_, limit) => Error::protocol(format!(
            "the answer from {host} has a response head larger than {} KiB (the header size limit): refused",
            limit / 1024
        )),
        E::Protocol(p) if p.to_string().contains("too many headers") => {
            Error::protocol(format!(
                "the answer from {host} has more headers than the HTTP stack parses (128; the header count limit): refused"
            ))
        }
        E::Protocol(_) => Error::network(format!(
            "{host} answered something that is not valid HTTP/1.1; check {option} and the proxy"
        )),
        E::BadUri(_) => Error::argument(format!("the request URL is not valid; check {option}")),
        E::StatusCode(status) => http_error(status, target, None),
        _ => Error::network(format!(
            "request to {host} failed; check the network and try again"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        for bad in [
            "",
            "-1",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:50:07 PST",
            "Sun, 32 Nov 1994 08:50:07 GMT",
            "é",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn a_refused_tunnel_says_why_and_names_the_proxy() {
        let m = |reason: &str| {
            connect_refused("127.0.0.1:3128", "localhost", reason)
                .message()
                .to_owned()
        };
        for code in ["407/Proxy Authentication Required", "401/Unauthorized"] {
            let text = m(&format!("proxy server responded {code}"));
            assert!(text.contains("the proxy 127.0.0.1:3128"), "{text}");
            assert!(text.contains("user name and password"), "{text}");
        }
        let text = m("proxy server responded 502/Bad Gateway");
        assert!(
            text.contains("HTTP 502") && text.contains("127.0.0.1:3128"),
            "{text}"
        );
        let text = m("proxy server did not respond");
        assert!(text.contains("without answering"), "{text}");
        let e = map_error(
            ureq::Error::ConnectProxyFailed("proxy server responded 403/Forbidden".into()),
            &Target {
                host: "localhost",
                option: &|| "base_url",
                proxy: Some("127.0.0.1:3128"),
                local_dns: false,
            },
        );
        assert_eq!(e.kind(), ErrorKind::Network);
        assert!(e.message().contains("HTTP 403"), "{}", e.message());
        let e = map_error(
            ureq::Error::Timeout(ureq::Timeout::Global),
            &Target {
                host: "localhost",
                option: &|| "base_url",
                proxy: Some("127.0.0.1:3128"),
                local_dns: false,
            },
        );
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(
            e.message()
                .contains("localhost through the proxy 127.0.0.1:3128"),
            "{}",
            e.message()
        );
    }

    fn target<'a>(host: &'a str, option: &'a dyn Fn() -> &'static str) -> Target<'a> {
        Target {
            host,
            option,
            proxy: None,
            local_dns: false,
        }
    }

    #[test]
    fn http_errors_carry_retry_after() {
        let e = http_error(
            429,
            &target("passport.bilibili.tv", &|| "base_url"),
            Some(Duration::from_secs(7)),
        );
        assert_eq!(e.http_status(), Some(429));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.message().contains("Retry-After"), "{}", e.message());
    }

    /// The advice names the option whose URL the request went to, not always base_url.
    #[test]
    fn messages_name_the_option_of_the_host() {
        let t = target("api.bilibili.tv", &|| "api_base_url");
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for e in [
            http_error(404, &t, None),
            http_error(302, &t, None),
            map_error(ureq::Error::HostNotFound, &t),
            map_error(ureq::Error::ConnectionFailed, &t),
            map_error(ureq::Error::Io(refused), &t),
        ] {
            let m = e.message();
            assert!(m.contains("check") && m.contains("api_base_url"), "{m}");
            assert!(!m.contains(" base_url"), "{m}");
        }
    }

    /// Every message this module builds names a host or a proxy a server may have chosen (a redirect's
    /// Location): each is scrubbed of what the call has seen (crate::redact).
    #[test]
    fn every_transport_message_is_scrubbed() {
        use std::io::{Error as IoError, ErrorKind as Io};
        let secret = "9f3c1a2b%2C1811061062";
        let _scope = crate::redact::Scope::enter();
        crate::redact::see(secret);
        let host = format!("bilibili{}.example", &secret[10..]);
        let proxy = format!("{}:1080", &secret[..12]);
        let clean = |m: &str| {
            for p in secret.as_bytes().windows(7) {
                let p = std::str::from_utf8(p).unwrap_or_default();
                assert!(!m.contains(p), "{p:?} in {m:?}");
            }
        };
        let errors = || {
            vec![
                ureq::Error::HostNotFound,
                ureq::Error::ConnectionFailed,
                ureq::Error::Io(IoError::new(Io::ConnectionRefused, "x")),
                ureq::Error::Io(IoError::new(Io::ConnectionReset, "x")),
                ureq::Error::Io(IoError::new(Io::UnexpectedEof, "x")),
                ureq::Error::Io(IoError::other(secret)),
                ureq::Error::Timeout(ureq::Timeout::Global),
                ureq::Error::BodyExceedsLimit(1),
                ureq::Error::StatusCode(500),
                ureq::Error::BadUri(secret.to_owned()),
                ureq::Error::Tls("x"),
                ureq::Error::ConnectProxyFailed(secret.to_owned()),
                ureq::Error::LargeResponseHeader(1, 2),
                ureq::Error::RequireHttpsOnly(secret.to_owned()),
                ureq::Error::InvalidProxyUrl,
                ureq::Error::TooManyRedirects,
            ]
        };
        for proxy in [None, Some(proxy.as_str())] {
            for local_dns in [false, true] {
                for error in errors() {
                    let target = Target {
                        host: &host,
                        option: &|| "base_url",
                        proxy,
                        local_dns,
                    };
                    clean(map_error(error, &target).message());
                }
            }
        }
        for status in [400, 412, 429, 503, 302] {
            let target = target(&host, &|| "base_url");
            clean(http_error(status, &target, Some(Duration::from_secs(1))).message());
        }
        clean(timeout(&host, &format!(" ({secret})")).message());
    }
}
