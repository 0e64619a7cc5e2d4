//! HTTP: requests with the ABI's rules, redirects followed by hand, one deadline per call.
//!
//! # API (for the login flow, the session functions and the sso step)
//! ```ignore
//! use crate::transport::{Call, Mode, Request};
//! // One call context per library call: `wait` passes its deadline and its cancel signal; `poll`,
//! // `start`, `check`, `logout` pass `Call::default()` (each request is then bounded by timeout_ms alone).
//! let call = Call { deadline: Some(deadline), cancel: Some(signal) };
//! let answer = Request::get(&url)                  // or Request::post_form(&url, "csrf=…")
//!     .mode(Mode::Api)                             // or Mode::Follow (go_url, sso URLs)
//!     .cookie(Some("SESSDATA=…; bili_jct=…"))      // a Cookie header value, sent to the first URL's origin
//!     .label("the go_url host")                    // how to name the first host if it is not a known one
//!     .send(&options, &call);
//! match answer {
//!     Ok(a) => { a.status; a.retry_after; a.body; for hop in &a.hops { hop.host; hop.set_cookies; } }
//!     Err(f) => { f.error; for hop in &f.hops { /* the cookies of the hops answered before it failed */ } }
//! }
//! ```
//! - [`Call`]: every hop (the first request and each redirect) first checks the cancel signal (then
//!   `ErrorKind::Cancelled`) and the deadline (then `ErrorKind::Timeout`), and gets
//!   `min(timeout_ms, time left)` as its whole timeout. So a wait ends within its deadline plus nothing,
//!   and a cancel is seen before the next hop.
//! - [`Answer`]: `status` (2xx for `Mode::Api`; any final status for `Mode::Follow`), `retry_after` (the
//!   `Retry-After` of the final answer, seconds or HTTP date), `body` (read up to 1 MiB in `Mode::Api`, empty
//!   in `Mode::Follow`), `hops`: one [`Hop`] per response in order, redirects included, each with the host
//!   that answered (the host of host-only cookies) and its `Set-Cookie` lines.
//! - [`Failure`]: the error, and the hops answered before it (a later hop that fails, times out, is
//!   refused or points at an untrusted host never loses the cookies of the earlier ones). `Failure`
//!   converts into [`Error`] with `?`. An HTTP error status (`Mode::Api`) is `ErrorKind::Http` with
//!   `http_status()` and, for a 429/503 with `Retry-After`, `retry_after()`; the message says the delay.
//! - Modes: `Api` follows redirects to https anywhere or http to a loopback host; `Follow` also only to
//!   hosts under bilibili.tv / biliintl.com (https) or the host and port of `base_url` / `api_base_url`.
//!   At most [`MAX_REDIRECTS`] redirects. 301/302 after a POST and every 303 continue as GET, 307/308
//!   repeat the POST (as browsers do).
//! - Headers: those of [`identity`] (a desktop Chrome; a custom `user_agent` drops the client hints), and
//!   the given `Cookie` only on hops to the first URL's scheme, host and port.
//! - Messages name a host only when it is the `base_url` or `api_base_url` host or one of
//!   [`KNOWN_HOSTS`]; any other host is named by the request's label ("the go_url host") or "a redirect
//!   target", since a server-chosen host name can carry a secret (`https://<SESSDATA>.bilibili.tv/`).
//!   Never a URL, path or query.

mod buf;
mod decode;
mod errors;
mod head;
pub mod identity;
mod pool;
mod proxy;
mod tcp;

pub use errors::parse_retry_after;

use crate::cancellation::Signal;
use crate::error::{Error, ErrorKind};
use crate::options::Options;
use crate::url::{BaseUrl, Url};
use errors::{http_error, map_error, Target};
use std::time::{Duration, Instant, SystemTime};
use ureq::http::header::{self, HeaderMap, HeaderValue};

/// The largest body read from the service.
pub const MAX_BODY: u64 = 1 << 20;
/// The most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
/// Hosts that messages may name even when they are not the configured base hosts.
pub const KNOWN_HOSTS: [&str; 9] = [
    "passport.bilibili.tv",
    "api.bilibili.tv",
    "www.bilibili.tv",
    "m.bilibili.tv",
    "bilibili.tv",
    "passport.biliintl.com",
    "api.biliintl.com",
    "www.biliintl.com",
    "biliintl.com",
];
/// A redirect's body is read (and dropped) up to this much, so that the connection can be reused.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// The context of one library call: its absolute deadline and its cancel signal, carried into every
/// request and every redirect hop.
#[derive(Debug, Clone, Copy, Default)]
pub struct Call<'a> {
    pub deadline: Option<Instant>,
    pub cancel: Option<&'a Signal>,
}

impl Call<'_> {
    /// Before a hop: cancelled or past the deadline is an error; else the hop's timeout.
    fn hop_timeout(&self, timeout: Duration, host: &str) -> Result<Duration, Error> {
        if self.cancel.is_some_and(Signal::is_cancelled) {
            return Err(Error::new(
                ErrorKind::Cancelled,
                "the wait was cancelled by bili_qr_cancel",
            ));
        }
        match self.deadline {
            None => Ok(timeout),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!("the wait's deadline (wait_timeout_ms) passed before the request to {host}"),
                    ));
                }
                Ok(timeout.min(left))
            }
        }
    }
}

/// What a request is for, which decides where it and its redirects may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An API call: https anywhere, plain http only to loopback hosts. The final answer must be 2xx (else
    /// an HTTP error); its body (at most 1 MiB) is read.
    Api,
    /// Following `go_url` or an sso URL: additionally only to hosts under bilibili.tv / biliintl.com or the
    /// host and port of `base_url` / `api_base_url`. Any final status is an answer; no body is kept.
    Follow,
}

#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // PostForm: for bili_qr_logout (the session functions land separately)
enum Method<'a> {
    Get,
    PostForm(&'a str),
}

/// One response of a request's chain (a redirect or the final answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The host that answered (lowercase, no brackets): the host of its host-only cookies.
    pub host: String,
    pub port: u16,
    pub status: u16,
    /// Its `Set-Cookie` header values, in order (values that are not UTF-8 are skipped).
    pub set_cookies: Vec<String>,
    /// A redirect's `Location` header as sent (credentials in its query are read even when its host is not
    /// requested).
    pub location: Option<String>,
}

/// A complete answer.
#[derive(Debug, Clone)]
#[allow(dead_code)] // status, retry_after: read by the session functions and the sso step
pub struct Answer {
    /// The final status (2xx in `Mode::Api`).
    pub status: u16,
    /// The final answer's `Retry-After`.
    pub retry_after: Option<Duration>,
    /// The final body (`Mode::Api` only).
    pub body: Vec<u8>,
    /// Every response, redirects first, the final one last.
    pub hops: Vec<Hop>,
}

impl Answer {
    /// The `Set-Cookie` lines of the final response.
    pub fn final_set_cookies(&self) -> &[String] {
        self.hops.last().map_or(&[], |h| h.set_cookies.as_slice())
    }
}

/// A request that failed, with the responses that came before the failure.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: Error,
    pub hops: Vec<Hop>,
}

impl From<Failure> for Error {
    fn from(f: Failure) -> Error {
        f.error
    }
}

/// A request to send; see the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    url: &'a str,
    /// The URL already parsed ([`Request::get_url`]): `url` is then its text.
    parsed: Option<&'a Url>,
    method: Method<'a>,
    mode: Mode,
    cookie: Option<&'a str>,
    label: &'a str,
    /// `Mode::Follow` only: a redirect ends the chain (its answer is the final one; see `stop_at_redirect`).
    stop_at_redirect: bool,
}

#[allow(dead_code)] // post_form, cookie: for the session functions and a ticket's browser session
impl<'a> Request<'a> {
    pub fn get(url: &'a str) -> Self {
        Request {
            url,
            parsed: None,
            method: Method::Get,
            mode: Mode::Api,
            cookie: None,
            label: "the requested host",
            stop_at_redirect: false,
        }
    }

    /// A GET of a URL already parsed and checked (a poll's, `passport::fetch_url`): not parsed again.
    pub fn get_url(url: &'a Url) -> Self {
        Request {
            parsed: Some(url),
            ..Request::get(url.as_str())
        }
    }

    /// A POST whose body is `form`, already `application/x-www-form-urlencoded`.
    pub fn post_form(url: &'a str, form: &'a str) -> Self {
        Request {
            method: Method::PostForm(form),
            ..Request::get(url)
        }
    }

    pub fn mode(self, mode: Mode) -> Self {
        Request { mode, ..self }
    }

    /// A `Cookie` header value to send (on hops to the first URL's origin only).
    pub fn cookie(self, cookie: Option<&'a str>) -> Self {
        Request { cookie, ..self }
    }

    /// How messages name the first URL's host when it is not a known one (e.g. "the go_url host").
    pub fn label(self, label: &'a str) -> Self {
        Request { label, ..self }
    }

    /// In `Mode::Follow`: the first redirect is not followed but is the final answer (its `Set-Cookie`
    /// collected). For a page that sets the cookies in its own answer and then sends the browser to the
    /// site's home page (the mainland crossDomain step), which sets none of the session's.
    pub fn stop_at_redirect(self) -> Self {
        Request {
            stop_at_redirect: true,
            ..self
        }
    }

    pub fn send(&self, options: &Options, call: &Call<'_>) -> Result<Answer, Failure> {
        let mut hops = Vec::new();
        let result = self.run(options, call, &mut hops);
        // Every `Set-Cookie` value received is a secret of the call, whatever a jar later makes of it; an
        // error built before the last of them arrived is scrubbed again (crate::redact).
        for header in hops.iter().flat_map(|h| &h.set_cookies) {
            crate::redact::see_set_cookie(header);
        }
        match result {
            Ok(mut answer) => {
                answer.hops = hops;
                Ok(answer)
            }
            Err(error) => Err(Failure {
                error: error.scrub_again(),
                hops,
            }),
        }
    }

    fn run(
        &self,
        options: &Options,
        call: &Call<'_>,
        hops: &mut Vec<Hop>,
    ) -> Result<Answer, Error> {
        let parsed;
        let first = match self.parsed {
            Some(url) => url,
            None => {
                parsed = Url::parse(self.url).map_err(|why| match self.mode {
                    Mode::Api => invalid_request_url(why),
                    Mode::Follow => Error::network(format!(
                        "{} URL is not valid: {}; it was not requested",
                        self.label,
                        why.reason()
                    )),
                })?;
                &parsed
            }
        };
        if let Some(c) = self.cookie {
            if c.bytes().any(|b| !(0x20..0x7f).contains(&b)) {
                return Err(Error::argument(
                    "the cookies to send hold characters a Cookie header cannot carry",
                ));
            }
        }
        let bases = Bases::new(options, self.mode);
        let mut label = name_host(first, options, self.label);
        check_hop(first, self.mode, &bases, &label)?;
        let pool = pool::agent_for(options)?;
        let mut method = self.method;
        // The URL of the hop: `first`, then each redirect's target.
        let mut redirected: Option<Url> = None;
        for _ in 0..=MAX_REDIRECTS {
            let url = redirected.as_ref().unwrap_or(first);
            let timeout = call.hop_timeout(options.timeout, &label)?;
            let proxy = pool.proxy_for(url.uri());
            let option = || option_of(first, options);
            let target = Target {
                host: &label,
                option: &option,
                proxy: proxy.as_ref().map(|(p, _)| p.as_str()),
                local_dns: proxy.as_ref().is_some_and(|(_, local)| *local),
            };
            let cookie = self.cookie.filter(|_| url.same_origin(first));
            // A host the proxy does not apply to (no_proxy, loopback) goes direct.
            let direct = proxy.is_none() && pool.route.is_some();
            let result = match method {
                Method::Get => {
                    let mut r = pool.agent(url.uri()).get(url.uri().clone());
                    with_headers(&mut r, identity::header_map(options), cookie);
                    r = pool::request_config(r, timeout, options.timeout, direct);
                    r.call()
                }
                Method::PostForm(form) => {
                    let mut r = pool.agent(url.uri()).post(url.uri().clone());
                    with_headers(&mut r, identity::header_map(options), cookie);
                    r = r.header("Content-Type", "application/x-www-form-urlencoded");
                    r = pool::request_config(r, timeout, options.timeout, direct);
                    r.send(form.as_bytes())
                }
            };
            let mut response = result.map_err(|e| map_error(e, &target))?;
            let status = response.status().as_u16();
            let headers = response.headers();
            let set_cookies = headers
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| std::str::from_utf8(v.as_bytes()).ok().map(str::to_owned))
                .collect();
            let retry_after = headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            let encoding = headers
                .get(header::CONTENT_ENCODING)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let redirect = (300..400).contains(&status) && status != 304;
            let location = headers
                .get(header::LOCATION)
                .filter(|_| redirect)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            hops.push(Hop {
                host: url.host().to_owned(),
                port: url.port(),
                status,
                set_cookies,
                location: location.clone(),
            });
            let stop = self.stop_at_redirect && self.mode == Mode::Follow;
            if redirect && !stop {
                let _ = response
                    .body_mut()
                    .with_config()
                    .limit(DRAIN_LIMIT)
                    .read_to_vec();
                let Some(location) = location else {
                    return Err(Error::network(format!(
                        "HTTP {status} from {label} without a Location header: the redirect cannot be followed"
                    )));
                };
                let next = url.join(&location).map_err(|why| {
                    Error::network(format!(
                        "HTTP {status} from {label} with an invalid Location header ({}): the redirect was not followed",
                        why.reason()
                    ))
                })?;
                let next_label = name_host(&next, options, "a redirect target");
                check_hop(&next, self.mode, &bases, &next_label)?;
                method = match (method, status) {
                    (Method::PostForm(_), 301..=303) | (_, 303) => Method::Get,
                    (m, _) => m,
                };
                redirected = Some(next);
                label = next_label;
                continue;
            }
            if self.mode == Mode::Follow {
                let _ = response
                    .body_mut()
                    .with_config()
                    .limit(DRAIN_LIMIT)
                    .read_to_vec();
                return Ok(Answer {
                    status,
                    retry_after,
                    body: Vec::new(),
                    hops: Vec::new(),
                });
            }
            if !(200..300).contains(&status) {
                return Err(http_error(status, &target, retry_after));
            }
            let body = read_body(response.body_mut()).map_err(|e| map_error(e, &target))?;
            let body = decode::decode(encoding.as_deref(), body, MAX_BODY).map_err(|why| {
                Error::protocol(format!(
                    "the answer of {label} was not read: {}",
                    why.reason()
                ))
            })?;
            return Ok(Answer {
                status,
                retry_after,
                body,
                hops: Vec::new(),
            });
        }
        Err(Error::network(format!(
            "too many redirects (more than {MAX_REDIRECTS}) starting from {}",
            name_host(first, options, self.label)
        )))
    }
}

/// The error of a request URL that is not valid (`Mode::Api`: a URL built from `base_url`).
pub fn invalid_request_url(why: crate::url::UrlError) -> Error {
    Error::argument(format!(
        "the request URL is not valid: {}; check base_url",
        why.reason()
    ))
}

/// Puts the identity headers (`fixed`: a copy of the ready map, `identity::header_map`) and the `Cookie`
/// header, if any, on a request. The cookie was checked to be printable ASCII, which a header value carries;
/// were it refused, the request goes without it rather than with a broken header.
fn with_headers<B>(r: &mut ureq::RequestBuilder<B>, fixed: HeaderMap, cookie: Option<&str>) {
    if let Some(headers) = r.headers_mut() {
        *headers = fixed;
        if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(c).ok()) {
            headers.append(header::COOKIE, value);
        }
    }
}

/// A body as sent, at most [`MAX_BODY`] bytes (more is an error), as ureq's `read_to_vec` reads it but into
/// a buffer sized from the `Content-Length`: read in one pass, with no regrowth and no first probe read.
fn read_body(body: &mut ureq::Body) -> Result<Vec<u8>, ureq::Error> {
    use std::io::Read;
    let size = body.content_length().map_or(0, |n| n.min(MAX_BODY));
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    body.with_config()
        .limit(MAX_BODY)
        .reader()
        .read_to_end(&mut out)
        .map_err(ureq::Error::from)?;
    Ok(out)
}

/// The configured origins a `Mode::Follow` chain may also go to.
struct Bases<'o> {
    urls: Vec<&'o BaseUrl>,
    /// Whose domains a `Mode::Follow` chain may go to (`crate::site`).
    site: crate::site::Site,
}

impl<'o> Bases<'o> {
    fn new(options: &'o Options, mode: Mode) -> Bases<'o> {
        let urls = match mode {
            Mode::Api => Vec::new(),
            Mode::Follow => [&options.base_url, &options.api_base_url]
                .into_iter()
                .chain(options.site.follows_www().then_some(&options.www_base_url))
                .collect(),
        };
        Bases {
            urls,
            site: options.site,
        }
    }
}

/// The host as messages may show it: configured and known hosts by name, others by `otherwise`.
fn name_host(url: &Url, options: &Options, otherwise: &str) -> String {
    let host = url.host();
    if host == options.base_url.host()
        || host == options.api_base_url.host()
        || KNOWN_HOSTS.contains(&host)
        || options.site.names_host(options.www_base_url.host(), host)
    {
        host.to_owned()
    } else {
        otherwise.to_owned()
    }
}

/// The option whose URL a request starts at, for a message to name: `api_base_url` or `www_base_url` when
/// `url` is on that host and port and `base_url` is not, else `base_url` (also for a URL the service handed
/// out: a go_url, an sso URL).
fn option_of(url: &Url, options: &Options) -> &'static str {
    if options.base_url.same_host_port(url) {
        "base_url"
    } else if options.api_base_url.same_host_port(url) {
        "api_base_url"
    } else if options.www_base_url.same_host_port(url) {
        "www_base_url"
    } else {
        "base_url"
    }
}

/// Whether `url` may be requested in `mode`; the error names the host only by `label`.
fn check_hop(url: &Url, mode: Mode, bases: &Bases<'_>, label: &str) -> Result<(), Error> {
    if !url.is_https() && !url.is_loopback() {
        return Err(Error::network(format!(
            "refused to request {label} over plain http://: only https, or http to a loopback host, is allowed"
        )));
    }
    if mode == Mode::Follow {
        let trusted = (url.is_https() && bases.site.is_site_host(url.host()))
            || bases.urls.iter().any(|b| b.same_host_port(url));
        if !trusted {
            return Err(Error::network(format!(
                "refused to request {label}: only hosts under {}, or the base_url host and port, are followed",
                bases.site.domains().join(" or ")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_named_is_the_one_of_the_host_and_port() {
        let o = Options::from_json(Some(
            r#"{"base_url":"http://127.0.0.1:1","api_base_url":"http://127.0.0.1:2","www_base_url":"http://127.0.0.1:3/w"}"#,
        ))
        .unwrap();
        for (url, option) in [
            ("http://127.0.0.1:1/x", "base_url"),
            ("http://127.0.0.1:2/x/web-interface/nav", "api_base_url"),
            ("http://127.0.0.1:3/correspond/1/a", "www_base_url"),
            ("https://www.bilibili.tv/sso", "base_url"),
        ] {
            assert_eq!(option_of(&Url::parse(url).unwrap(), &o), option, "{url}");
        }
        // The same host and port for two options: base_url.
        let o = Options::from_json(Some(
            r#"{"base_url":"http://127.0.0.1:1","api_base_url":"http://127.0.0.1:1/api"}"#,
        ))
        .unwrap();
        let url = Url::parse("http://127.0.0.1:1/api/x").unwrap();
        assert_eq!(option_of(&url, &o), "base_url");
    }

    #[test]
    fn hop_rules() {
        let o = Options::from_json(Some(r#"{"base_url":"http://127.0.0.1:7/p"}"#)).unwrap();
        let check = |u: &str, mode| {
            let url = Url::parse(u).unwrap();
            check_hop(&url, mode, &Bases::new(&o, mode), "x")
        };
        assert!(check("https://example.com/x", Mode::Api).is_ok());
        assert!(check("http://example.com/x", Mode::Api).is_err());
        assert!(check("http://127.0.0.1:5/x", Mode::Api).is_ok());
        assert!(check("http://[::1]:5/x", Mode::Api).is_ok());
        assert!(check("https://www.bilibili.tv/x", Mode::Follow).is_ok());
        assert!(check("http://www.bilibili.tv/x", Mode::Follow).is_err());
        assert!(check("https://evil.example.com/x", Mode::Follow).is_err());
        assert!(check("http://127.0.0.1:7/x", Mode::Follow).is_ok());
        // The base host on another port is another server.
        assert!(check("http://127.0.0.1:8/x", Mode::Follow).is_err());
    }

    #[test]
    fn only_configured_and_known_hosts_are_named() {
        let o = Options::from_json(Some(r#"{"base_url":"http://127.0.0.1:7"}"#)).unwrap();
        let name = |u: &str| name_host(&Url::parse(u).unwrap(), &o, "the go_url host");
        assert_eq!(name("http://127.0.0.1:9/"), "127.0.0.1");
        assert_eq!(name("https://www.bilibili.tv/"), "www.bilibili.tv");
        assert_eq!(name("https://api.bilibili.tv/"), "api.bilibili.tv");
        assert_eq!(
            name("https://9f3c1a2b2c1811061062.bilibili.tv/"),
            "the go_url host"
        );
    }

    #[test]
    fn a_cancelled_or_expired_call_sends_nothing() {
        let signal = Signal::default();
        signal.cancel();
        let call = Call {
            deadline: None,
            cancel: Some(&signal),
        };
        let e = call.hop_timeout(Duration::from_secs(1), "h").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        let call = Call {
            deadline: Some(Instant::now()),
            cancel: None,
        };
        let e = call.hop_timeout(Duration::from_secs(1), "h").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let call = Call {
            deadline: Some(Instant::now() + Duration::from_secs(100)),
            cancel: None,
        };
        assert_eq!(
            call.hop_timeout(Duration::from_secs(1), "h").unwrap(),
            Duration::from_secs(1)
        );
        let t = Call {
            deadline: Some(Instant::now() + Duration::from_millis(300)),
            cancel: None,
        }
        .hop_timeout(Duration::from_secs(10), "h")
        .unwrap();
        assert!(t <= Duration::from_millis(300));
    }
}

#[cfg(test)]
mod tests_live;
