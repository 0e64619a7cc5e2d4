//! A confirmed login's cookies, collected from every source in order (docs/COOKIES.md): the fetch answer's
//! `Set-Cookie`, `data.cookie_info`, every `go_url` hop and the credentials in its query, the sso step
//! (`web/sso/list` and each `data.sso[]` URL), and with `verify_login` the gateway's renewed cookies.

use super::unix_now;
use crate::cookies::{Cookie, CookieJar};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::passport::{self, Collected, ConfirmedData, Login, UserInfo};
use crate::redact::Warnings;
use crate::site::Site;
use crate::transport::{Answer, Call, Hop, Mode, Request};
use crate::url::{Url, UrlError};

/// The credentials a cross-domain URL may carry in its query: bilibili.tv's `go_url`, a redirect's
/// `Location`, the mainland's `data.url` (its crossDomain shape).
pub(crate) const QUERY_CREDENTIALS: [&str; 4] =
    ["DedeUserID", "DedeUserID__ckMd5", "SESSDATA", "bili_jct"];

/// The cookie domain for credentials found in the query of a URL of `host`: host-only (`None`) for the
/// `base_url` host, else the trusted root `host` is under. Reading a query sends nothing, so a URL on any
/// other host is read too (the mainland site hands its cookies to `passport.biligame.com/…/crossDomain`):
/// its credentials are the service's session, so they get the trusted root the `base_url` host is under,
/// or host-only when it is under none (a loopback test server).
fn domain_for_host(host: Option<&str>, base_host: &str) -> Option<String> {
    let root_of = |h: &str| {
        crate::cookies::TRUSTED_DOMAINS
            .iter()
            .find(|root| crate::cookies::domain_matches(h, root))
            .map(|root| (*root).to_owned())
    };
    match host {
        Some(h) if h.eq_ignore_ascii_case(base_host) => None,
        Some(h) => root_of(h).or_else(|| root_of(base_host)),
        None => root_of(base_host),
    }
}

/// The host a `Location` header of a response from `host`:`port` points to (`None` when it does not
/// resolve).
fn location_host(location: &str, host: &str, port: u16) -> Option<String> {
    let shown = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Url::parse(&format!("https://{shown}:{port}/"))
        .and_then(|base| base.join(location))
        .ok()
        .map(|u| u.host().to_owned())
}

/// Reads the credentials `names` in a URL's query (go_url, a redirect's `Location`, the mainland's `data.url`;
/// the text as the service sent it) into the jar for `domain`, values exactly as they stand there. `Expires`
/// (seconds from now, or Unix seconds when that large) sets their expiry; `secure` says which are Secure.
/// Returns how many were kept. The one reader of query credentials, for both sites.
pub(crate) fn apply_query_credentials(
    jar: &mut CookieJar,
    raw_url: &str,
    names: &[&str],
    domain: Option<String>,
    secure: fn(&str) -> bool,
    base_host: &str,
    now: i64,
) -> usize {
    let Some((_, query)) = raw_url.split_once('?') else {
        return 0;
    };
    let query = query.split('#').next().unwrap_or("");
    let pairs: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
    let expires = pairs
        .iter()
        .find(|(k, _)| *k == "Expires")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|e| *e > 0)
        .map(|e| {
            if e < 1_000_000_000 {
                now.saturating_add(e)
            } else {
                e
            }
        });
    let mut found = 0;
    for &name in names {
        let Some((_, value)) = pairs.iter().find(|(k, _)| *k == name) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let kept = jar.add(
            Cookie {
                name: name.to_owned(),
                value: (*value).to_owned(),
                domain: domain.clone(),
                path: "/".to_owned(),
                expires,
                secure: secure(name),
                http_only: name == "SESSDATA",
            },
            base_host,
        );
        found += usize::from(kept);
    }
    found
}

/// A host as messages may show it: a host name [`crate::redact::may_name_host`] allows, else "a host". A host
/// made of a cookie value the call has seen is scrubbed where every message is built as well.
fn shown_host(host: &str) -> String {
    if crate::cookies::valid_domain(host) && crate::redact::may_name_host(host) {
        host.to_owned()
    } else {
        "a host".to_owned()
    }
}

/// Whether an optional step may request `url`: https on a host of the login's site (under bilibili.tv /
/// biliintl.com, or bilibili.com / biligame.com), or the host and port of `base_url` / `api_base_url`
/// (loopback http in tests). The transport checks the same rule on every hop; this one lets the step name
/// the refused host.
fn followable(url: &Url, options: &Options, site: Site) -> bool {
    if url.is_https() && site.is_site_host(url.host()) {
        return true;
    }
    options.base_url.same_host_port(url) || options.api_base_url.same_host_port(url)
}

/// What a step does with a redirect: follows it and reads the credentials in its `Location` query (the
/// bilibili.tv login's go_url and sso URLs), or stops there, the redirect being the final answer (the
/// mainland crossDomain page, which then sends the browser to the site's home page; its `Location` is
/// not read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Redirects {
    Follow,
    Stop,
}

/// The cookies of every response of a chain, host-only ones attributed to the host that set them (the
/// `base_url` host's stay host-only), and with [`Redirects::Follow`] the credentials in each redirect's
/// `Location` query (read also when that host was not requested). Returns how many credentials the
/// `Location`s carried.
fn apply_hops(
    jar: &mut CookieJar,
    hops: &[Hop],
    redirects: Redirects,
    base_host: &str,
    now: i64,
) -> usize {
    let mut found = 0;
    for hop in hops {
        for header in &hop.set_cookies {
            jar.apply_set_cookie_from(header, &hop.host, base_host, now);
        }
        let location = hop
            .location
            .as_deref()
            .filter(|_| redirects == Redirects::Follow);
        if let Some(location) = location {
            let to = location_host(location, &hop.host, hop.port);
            let domain = domain_for_host(to.as_deref(), base_host);
            found += apply_query_credentials(
                jar,
                location,
                &QUERY_CREDENTIALS,
                domain,
                |_| true,
                base_host,
                now,
            );
        }
    }
    found
}

/// One collection under way, for either site: the jar being filled, the optional steps' warnings, and what
/// was tried. The steps of each site's login drive it (here for bilibili.tv, `crate::mainland::login` for
/// bilibili.com); following a URL, merging cookies and verifying the new session are done here, once.
pub(crate) struct Collector<'a, 'c> {
    options: &'a Options,
    call: &'a Call<'c>,
    /// Whose hosts a step may request.
    site: Site,
    /// The `base_url` host (host-only cookies are its own).
    pub(crate) base_host: &'a str,
    pub(crate) now: i64,
    pub(crate) jar: CookieJar,
    pub(crate) warnings: Warnings,
    collected: Collected,
}

/// Collects a confirmed login's cookies from every source, in order (a later cookie replaces an earlier one
/// of the same name and domain): the fetch answer's `Set-Cookie`, `data.cookie_info`, every `go_url` hop,
/// the credentials in `go_url`'s query, then the sso step (`web/sso/list` and each `data.sso[]` URL).
/// Optional steps that fail become warnings; the login is an error only when the three session cookies are
/// still missing (or, with `verify_login`, when the service refuses the new session).
pub(super) fn collect_login(
    options: &Options,
    fetch_url: &str,
    answer: &Answer,
    data: ConfirmedData,
    call: &Call<'_>,
) -> Result<Login> {
    let jar = CookieJar::for_service(options.base_url.host(), options.api_base_url.host());
    let mut c = Collector::new(options, call, Site::Intl, jar);
    c.tried("the fetch answer's Set-Cookie");
    c.apply_hops(&answer.hops, Redirects::Follow);
    if let Some(info) = &data.cookie_info {
        c.tried("data.cookie_info");
        c.jar.apply_cookie_info(info, c.base_host, c.now);
    }
    if let Some(raw) = data.go_url.as_deref().filter(|g| !g.trim().is_empty()) {
        c.go_url_step(fetch_url, raw);
    }
    c.sso_step();

    let mut verified = None;
    if options.verify_login && c.jar.missing_required().is_empty() {
        let path = path_of(&passport::gateway_user_endpoint(options));
        let user = c.verify("v2/user", &path, passport::gateway_user)?;
        verified = Some(user.is_some());
    }
    let mut login = c.finish(data)?;
    login.verified = verified;
    Ok(login)
}

/// The path (without the query) of a URL the library built, for matching cookie paths.
pub(crate) fn path_of(url: &str) -> String {
    Url::parse(url).map_or_else(|_| "/".to_owned(), |u| u.uri().path().to_owned())
}

impl<'a, 'c> Collector<'a, 'c> {
    /// A collection into `jar` (empty, made for the site's domains and the options' hosts).
    pub(crate) fn new(
        options: &'a Options,
        call: &'a Call<'c>,
        site: Site,
        jar: CookieJar,
    ) -> Self {
        Collector {
            options,
            call,
            site,
            base_host: options.base_url.host(),
            now: unix_now(),
            jar,
            warnings: Warnings::default(),
            collected: Collected::default(),
        }
    }

    /// Notes a source among those tried (named in the error when the session cookies are still missing).
    pub(crate) fn tried(&mut self, source: &str) {
        self.collected.tried.push(source.to_owned());
    }

    /// [`apply_hops`], noting the `Location` credentials among the sources tried.
    pub(crate) fn apply_hops(&mut self, hops: &[Hop], redirects: Redirects) {
        if apply_hops(&mut self.jar, hops, redirects, self.base_host, self.now) > 0 {
            let note = "the credentials in a redirect's Location";
            if !self.collected.tried.iter().any(|t| t == note) {
                self.tried(note);
            }
        }
    }

    /// The login from its data and the collected cookies ([`passport::finish_login`]).
    pub(crate) fn finish(self, data: ConfirmedData) -> Result<Login> {
        passport::finish_login(
            data,
            self.jar,
            self.base_host,
            self.warnings,
            &self.collected,
        )
    }

    /// A URL the service handed out (`what`: "go_url", "an sso URL"), resolved, if it may be requested:
    /// `None` with a warning when it does not resolve or its host is not trusted (that host also goes into
    /// `collected.refused`).
    pub(crate) fn target(
        &mut self,
        what: &str,
        joined: std::result::Result<Url, UrlError>,
    ) -> Option<Url> {
        let url = match joined {
            Ok(u) => u,
            Err(why) => {
                self.warnings
                    .push(format!("{what} was not followed: {}", why.reason()));
                return None;
            }
        };
        if !followable(&url, self.options, self.site) {
            let shown = shown_host(url.host());
            self.warnings.push(format!(
                "{what} points to the untrusted host {shown}; it was not requested"
            ));
            self.collected.refused.push(shown);
            return None;
        }
        Some(url)
    }

    /// Follows an optional step's URL (go_url, an sso URL, the mainland's data.url) with the cookies a
    /// browser would send there; `redirects` says what a redirect is. Every response's cookies are merged,
    /// also when a later hop fails; a failure becomes a warning.
    pub(crate) fn follow(&mut self, what: &str, url: &Url, redirects: Redirects) {
        let cookie = self
            .jar
            .header_for(url.host(), url.uri().path(), self.base_host);
        let request = Request::get(url.as_str())
            .mode(Mode::Follow)
            .label(what)
            .cookie(Some(cookie.as_str()).filter(|c| !c.is_empty()));
        let request = match redirects {
            Redirects::Follow => request,
            Redirects::Stop => request.stop_at_redirect(),
        };
        match request.send(self.options, self.call) {
            Ok(answer) => {
                self.apply_hops(&answer.hops, redirects);
                if answer.status >= 400 {
                    self.warnings
                        .push(format!("{what} answered HTTP {}", answer.status));
                }
            }
            Err(failure) => {
                self.apply_hops(&failure.hops, redirects);
                let message = failure.error.message();
                if message.starts_with("refused to request") {
                    self.collected
                        .refused
                        .push(format!("a host that {what} redirected to"));
                }
                self.warnings
                    .push(format!("following {what} failed: {message}"));
            }
        }
    }

    /// `go_url` (resolved against the fetch URL) followed, then the credentials in its query, which are read
    /// also when its host is not one the library requests (reading a query sends nothing).
    fn go_url_step(&mut self, fetch_url: &str, raw: &str) {
        // The credentials in its query are secrets of the call even when go_url is refused.
        if let Some((_, query)) = raw.split_once('?') {
            for (name, value) in query.split(['&', '#']).filter_map(|p| p.split_once('=')) {
                if QUERY_CREDENTIALS.contains(&name) {
                    crate::redact::see(value);
                }
            }
        }
        let joined = Url::parse(fetch_url).and_then(|f| f.join(raw));
        let host = joined.as_ref().ok().map(|u| u.host().to_owned());
        if let Some(go_url) = self.target("go_url", joined) {
            self.tried("go_url");
            self.follow("go_url", &go_url, Redirects::Follow);
        }
        let domain = domain_for_host(host.as_deref(), self.base_host);
        if apply_query_credentials(
            &mut self.jar,
            raw,
            &QUERY_CREDENTIALS,
            domain,
            |_| true,
            self.base_host,
            self.now,
        ) > 0
        {
            self.tried("the credentials in go_url's query");
        }
    }

    /// `GET {base_url}/x/intl/passport-login/web/sso/list` with the new cookies, then each `data.sso[]` URL
    /// on a trusted host; every `Set-Cookie` merged. Failures are warnings.
    fn sso_step(&mut self) {
        let base_host = self.base_host;
        let list_url = passport::sso_list_endpoint(self.options);
        let cookie = self
            .jar
            .header_for(base_host, &path_of(&list_url), base_host);
        self.tried("sso/list");
        let sent = Request::get(&list_url)
            .cookie(Some(cookie.as_str()).filter(|c| !c.is_empty()))
            .send(self.options, self.call);
        let answer = match sent {
            Ok(answer) => answer,
            Err(failure) => {
                self.apply_hops(&failure.hops, Redirects::Follow);
                self.warnings
                    .push(format!("sso/list failed: {}", failure.error.message()));
                return;
            }
        };
        self.apply_hops(&answer.hops, Redirects::Follow);
        let urls = match passport::parse_sso_list(&answer.body) {
            Ok(urls) => urls,
            Err(e) => {
                self.warnings.push(format!("sso/list: {}", e.message()));
                return;
            }
        };
        let Ok(list) = Url::parse(&list_url) else {
            return;
        };
        let mut followed = 0;
        for raw in urls {
            let Some(url) = self.target("an sso URL", list.join(&raw)) else {
                continue;
            };
            followed += 1;
            self.follow("an sso URL", &url, Redirects::Follow);
        }
        if followed > 0 {
            self.tried(&format!("{followed} sso URL(s)"));
        }
    }

    /// With `verify_login`: asks `what` (`ask`: `v2/user`, or the mainland's `nav`) with the cookies for the
    /// `api_base_url` host and `path` whether the service accepts the new session. `Some`: it does (its
    /// renewed cookies merged); `None`: it could not be asked (network, HTTP, another code, a cancel or the
    /// wait's deadline; a warning says why); an error: it refused the session.
    pub(crate) fn verify(
        &mut self,
        what: &str,
        path: &str,
        ask: fn(&str, &Options, &Call<'_>) -> Result<UserInfo>,
    ) -> Result<Option<UserInfo>> {
        let api_host = self.options.api_base_url.host();
        let cookie = self.jar.header_for(api_host, path, self.base_host);
        match ask(&cookie, self.options, self.call) {
            Ok(user) if user.is_login => {
                for header in &user.set_cookies {
                    self.jar
                        .apply_set_cookie_from(header, api_host, self.base_host, self.now);
                }
                Ok(Some(user))
            }
            Ok(user) => Err(Error::protocol(format!(
                "the login was confirmed, but the service does not accept the new session ({what} answered {}); start a new login",
                if user.code == -101 {
                    "code -101, not logged in"
                } else {
                    "is_login false"
                }
            ))),
            // Also a cancel or the wait's deadline: the ticket is spent, so the login is kept, unverified.
            Err(e) => {
                self.warnings.push(format!(
                    "verify_login: the session could not be checked: {}",
                    e.message()
                ));
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The steps' warnings and the refused hosts (a go_url or sso URL made of a cookie value the jar dropped)
    /// reach neither the poll object's warnings nor the "lacks cookies" error.
    #[test]
    fn step_warnings_and_refused_hosts_are_scrubbed() {
        let secret = "1709658507x";
        let options = Options::default();
        let call = Call::default();
        let _scope = crate::redact::Scope::enter();
        let mut c = Collector::new(&options, &call, Site::Intl, CookieJar::default());
        // The value arrives in a Set-Cookie the jar refuses (foreign domain).
        c.jar.apply_set_cookie(
            &format!("SESSDATA={secret}; Domain=evil.example"),
            "passport.bilibili.tv",
            0,
        );
        for raw in [
            format!("https://bilibili{secret}.example/x"),
            format!("https://{secret}.example/?SESSDATA={secret}"),
        ] {
            assert!(c.target("go_url", Url::parse(&raw)).is_none());
        }
        c.go_url_step(
            "https://passport.bilibili.tv/x",
            &format!("https://a{secret}.example/?bili_jct={secret}"),
        );
        let (jar, warnings, collected) = (c.jar, c.warnings, c.collected);
        assert_eq!(collected.refused.len(), 3);
        let data = passport::confirmed_data(&serde_json::json!({}));
        let e = passport::finish_login(data, jar, "passport.bilibili.tv", warnings, &collected)
            .unwrap_err();
        let m = e.message();
        assert!(m.contains("untrusted hosts not requested"), "{m}");
        for p in secret.as_bytes().windows(7) {
            let p = std::str::from_utf8(p).unwrap_or_default();
            assert!(!m.contains(p), "{p:?} in {m:?}");
        }
    }
}
