//! Parsing of the `/s/{scenario}` string: `key=value,key=value,…`.

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::State;

/// A fault mode (`fault=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP status with an HTML body (412 gets a risk-control page).
    Status(u16),
    /// HTTP 200 JSON with this negative `code`.
    Api(i32),
    Slow,
    Truncated,
    Huge,
    HugeChunked,
    NotJson,
    Empty,
    BadTypes,
    Missing,
    NoTicket,
    NoCookies,
    PartialCookies,
    Redirect,
    RedirectLoop,
    RedirectForeign,
    Reset,
    /// HTTP 200, code -401 with `ga_data` / `v_voucher` (a captcha demand).
    Captcha,
    /// 302 with a Location of this kind.
    Location(BadLocation),
    /// A chain of `hops` redirects, each after `delay` ms.
    SlowChain,
    /// The normal answer with this many extra headers.
    ExtraHeaders(usize),
    /// The normal answer with one 64 KiB header line.
    LongHeader,
}

/// The hostile `Location` values of the `location-*` faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadLocation {
    NonAscii,
    BadHost,
    Space,
    BadPort,
}

impl BadLocation {
    pub fn value(self) -> &'static str {
        match self {
            BadLocation::NonAscii => "/abcdef\u{e9}",
            BadLocation::BadHost => "http://\u{e9}/",
            BadLocation::Space => "/r/bad location",
            BadLocation::BadPort => "http://127.0.0.1:99999/x",
        }
    }
}

impl Fault {
    fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "412" => Fault::Status(412),
            "429" => Fault::Status(429),
            "500" => Fault::Status(500),
            "502" => Fault::Status(502),
            "503" => Fault::Status(503),
            "404" => Fault::Status(404),
            "api-412" => Fault::Api(-412),
            "api-352" => Fault::Api(-352),
            "api-400" => Fault::Api(-400),
            "api-799" => Fault::Api(-799),
            "slow" => Fault::Slow,
            "truncated" => Fault::Truncated,
            "huge" => Fault::Huge,
            "huge-chunked" => Fault::HugeChunked,
            "notjson" => Fault::NotJson,
            "empty" => Fault::Empty,
            "badtypes" => Fault::BadTypes,
            "missing" => Fault::Missing,
            "noticket" => Fault::NoTicket,
            "nocookies" => Fault::NoCookies,
            "partialcookies" => Fault::PartialCookies,
            "redirect" => Fault::Redirect,
            "redirect-loop" => Fault::RedirectLoop,
            "redirect-foreign" => Fault::RedirectForeign,
            "reset" => Fault::Reset,
            "captcha" => Fault::Captcha,
            "location-nonascii" => Fault::Location(BadLocation::NonAscii),
            "location-badhost" => Fault::Location(BadLocation::BadHost),
            "location-space" => Fault::Location(BadLocation::Space),
            "location-badport" => Fault::Location(BadLocation::BadPort),
            "slowchain" => Fault::SlowChain,
            "manyheaders" => Fault::ExtraHeaders(200),
            "toomanyheaders" => Fault::ExtraHeaders(1000),
            "longheader" => Fault::LongHeader,
            _ => return None,
        })
    }
}

/// Which of the two documented endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Url,
    Fetch,
}

/// `gourl=`: how the confirmed answer's `go_url` looks and what its hops do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GoUrl {
    /// `1`: hop1 → hop2, the missing cookies set along the way.
    #[serde(rename = "1")]
    Hops,
    /// `foreign`: an https URL on a foreign host.
    Foreign,
    /// `query`: the credentials in go_url's query, the page itself 404.
    Query,
    /// `hop404`: hop1 sets some cookies, then 302 to a page that answers 404.
    Hop404,
    /// `hopforeign`: hop1 sets the missing cookies, then 302 to a foreign https host.
    HopForeign,
    /// `nonascii`: a relative go_url with raw non-ASCII characters.
    NonAscii,
    /// `badport`: port 99999.
    BadPort,
    /// `slowchain`: `hops` redirects, each after `delay` ms.
    SlowChain,
    /// `secrethost`: `https://<SESSDATA value>.bilibili.tv/`.
    SecretHost,
}

impl GoUrl {
    /// Whether the confirmed answer leaves cookies to the hops (sets only SESSDATA).
    pub fn hops(self) -> bool {
        matches!(self, GoUrl::Hops | GoUrl::Hop404 | GoUrl::HopForeign)
    }
}

/// `cookieinfo=`: what `data.cookie_info` carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieInfo {
    Normal,
    Foreign,
    Mixed,
    Hostile,
    Many,
}

/// `confirm=`: the shape of the confirmed `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confirm {
    Sparse,
    Nulls,
    Empty,
}

/// `sso=`: what `web/sso/list` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sso {
    #[serde(rename = "1")]
    List,
    Fail,
    #[serde(rename = "500")]
    Status500,
}

/// `verify=`: how v2/user treats every session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verify {
    Reject,
    Down,
}

/// `qrurl=`: a hostile `qr_url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QrUrl {
    Javascript,
    Foreign,
}

/// `browser=`: the last mile of behaving like a browser. Each value is one shape a browser takes in its
/// stride and a client must too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Browser {
    /// `pathdelete`: the confirmed set, then deletions of SESSDATA and bili_jct at other paths (which
    /// delete nothing: a cookie is its name, domain and path).
    PathDelete,
    /// `shadow`: the confirmed set, then other SESSDATA and bili_jct values for `www.bilibili.tv` (which
    /// api.bilibili.tv never receives).
    Shadow,
    /// `crossdomain`: no cookies; go_url is the mainland's crossDomain URL on `passport.biligame.com`
    /// (a host no client requests) with the credentials in its query.
    CrossDomain,
    /// `location`: no cookies; go_url (hop1) redirects to that crossDomain URL.
    Location,
    /// `bom`: every passport answer starts with a UTF-8 byte order mark.
    Bom,
    /// `floats`: every `code` (and `data.mid`) written as a float: `0.0`, `10018101e0`.
    Floats,
    /// `surrogate`: the profile name holds escaped lone surrogates (`\ud83d`, `\udc00`).
    Surrogate,
    /// `cututf8`: the profile name ends in a cut UTF-8 sequence (two bytes of three).
    CutUtf8,
    /// `gzip`: every passport answer gzip-encoded, whatever the request's Accept-Encoding.
    Gzip,
    /// `deflate`: every passport answer deflate-encoded (zlib), whatever the request's Accept-Encoding.
    Deflate,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub flow: Vec<State>,
    pub phone: Option<(u64, u64)>,
    pub expire: Option<u64>,
    pub mid: u64,
    pub name: String,
    pub fault: Option<Fault>,
    pub on: Option<Endpoint>,
    pub times: Option<u64>,
    pub delay: u64,
    pub gourl: Option<GoUrl>,
    pub cookieinfo: Option<CookieInfo>,
    pub confirm: Option<Confirm>,
    pub codestr: bool,
    pub folded: bool,
    pub longsess: bool,
    pub gate: bool,
    pub sso: Option<Sso>,
    pub expired101: bool,
    pub renew: bool,
    pub verify: Option<Verify>,
    pub retry: Option<u64>,
    pub retrydate: bool,
    pub hops: u64,
    pub hostile_domains: bool,
    pub qrurl: Option<QrUrl>,
    /// The mainland / TV keys and `foreign=` (`scenario_main.rs`).
    pub main: crate::scenario_main::MainScenario,
    pub browser: Option<Browser>,
}

pub const DEFAULT_MID: u64 = 1_709_658_507;

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            flow: vec![State::Waiting, State::Scanned, State::Confirmed],
            phone: None,
            expire: None,
            mid: DEFAULT_MID,
            name: "DemoUser".to_string(),
            fault: None,
            on: None,
            times: None,
            delay: 3000,
            gourl: None,
            cookieinfo: None,
            confirm: None,
            codestr: false,
            folded: false,
            longsess: false,
            gate: false,
            sso: None,
            expired101: false,
            renew: false,
            verify: None,
            retry: None,
            retrydate: false,
            hops: 6,
            hostile_domains: false,
            qrurl: None,
            main: Default::default(),
            browser: None,
        }
    }
}

/// `1`/`0` flags.
pub(crate) fn flag(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(format!("`{key}` wants 1 or 0, got `{v}`")),
    }
}

/// One of `choices` (`(value, result)`), or an error naming them.
fn pick<T: Copy>(key: &str, v: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| *name == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            format!("`{key}` wants one of {}, got `{v}`", names.join(" "))
        })
}

/// One of the enum `T`'s spellings (a variant's name in lowercase, or its `serde(rename)`), or an error naming
/// them all.
fn spelled<T: DeserializeOwned>(key: &str, v: &str) -> Result<T, String> {
    T::deserialize(StrDeserializer::<ValueError>::new(v)).map_err(|e| format!("`{key}`: {e}"))
}

fn num(key: &str, v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .map_err(|_| format!("`{key}` wants a non-negative integer, got `{v}`"))
}

impl Scenario {
    /// Parses a scenario string. An unknown key or a bad value is an error (answered with HTTP 400),
    /// so that a typo in a test fails loudly instead of silently testing the default.
    pub fn parse(s: &str) -> Result<Scenario, String> {
        let mut sc = Scenario::default();
        for part in s.split(',') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = match part.split_once('=') {
                Some(kv) => kv,
                None => return Err(format!("`{part}` is not key=value")),
            };
            let v = v.to_string();
            match k {
                "id" => {}
                "flow" => {
                    let mut flow = Vec::with_capacity(v.len());
                    for ch in v.chars() {
                        flow.push(match ch {
                            'w' => State::Waiting,
                            's' => State::Scanned,
                            'c' => State::Confirmed,
                            'e' => State::Expired,
                            _ => return Err(format!("flow letter `{ch}` is not one of w s c e")),
                        });
                    }
                    if flow.is_empty() {
                        return Err("empty flow".to_string());
                    }
                    sc.flow = flow;
                }
                "phone" => {
                    let (a, b) = v
                        .split_once(':')
                        .ok_or_else(|| format!("phone wants SCAN_MS:CONFIRM_MS, got `{v}`"))?;
                    let (a, b) = (num("phone", a)?, num("phone", b)?);
                    if b < a {
                        return Err("phone: CONFIRM_MS must not be less than SCAN_MS".to_string());
                    }
                    sc.phone = Some((a, b));
                }
                "expire" => sc.expire = Some(num(k, &v)?),
                "mid" => sc.mid = num(k, &v)?,
                "name" => sc.name = v,
                "fault" => {
                    sc.fault =
                        Some(Fault::parse(&v).ok_or_else(|| format!("unknown fault mode `{v}`"))?)
                }
                "on" => {
                    sc.on = Some(match v.as_str() {
                        "url" => Endpoint::Url,
                        "fetch" => Endpoint::Fetch,
                        _ => return Err(format!("`on` wants url or fetch, got `{v}`")),
                    })
                }
                "times" => sc.times = Some(num(k, &v)?),
                "delay" => sc.delay = num(k, &v)?,
                "gourl" => sc.gourl = Some(spelled(k, &v)?),
                "cookieinfo" => {
                    sc.cookieinfo = pick(
                        k,
                        &v,
                        &[
                            ("0", None),
                            ("1", Some(CookieInfo::Normal)),
                            ("foreign", Some(CookieInfo::Foreign)),
                            ("mixed", Some(CookieInfo::Mixed)),
                            ("hostile", Some(CookieInfo::Hostile)),
                            ("many", Some(CookieInfo::Many)),
                        ],
                    )?
                }
                "confirm" => sc.confirm = Some(spelled(k, &v)?),
                "codestr" => sc.codestr = flag(k, &v)?,
                "folded" => sc.folded = flag(k, &v)?,
                "longsess" => sc.longsess = flag(k, &v)?,
                "gate" => sc.gate = flag(k, &v)?,
                "renew" => sc.renew = flag(k, &v)?,
                "retrydate" => sc.retrydate = flag(k, &v)?,
                "sso" => sc.sso = Some(spelled(k, &v)?),
                "expired" => sc.expired101 = pick(k, &v, &[("101", true), ("0", false)])?,
                "verify" => sc.verify = Some(spelled(k, &v)?),
                "retry" => sc.retry = Some(num(k, &v)?),
                "hops" => {
                    sc.hops = num(k, &v)?;
                    if !(1..=20).contains(&sc.hops) {
                        return Err(format!("`hops` wants 1 to 20, got `{v}`"));
                    }
                }
                "cookiedomain" => sc.hostile_domains = pick(k, &v, &[("hostile", true)])?,
                "qrurl" => sc.qrurl = Some(spelled(k, &v)?),
                "browser" => sc.browser = Some(spelled(k, &v)?),
                _ => {
                    if !sc.main.set(k, &v)? {
                        return Err(format!("unknown scenario key `{k}`"));
                    }
                }
            }
        }
        Ok(sc)
    }

    /// The `Retry-After` value for `fault=429`/`503`, if any: seconds, or an HTTP-date (`retrydate=1`).
    pub fn retry_after(&self) -> Option<String> {
        if self.retrydate {
            let secs = self.retry.unwrap_or(2);
            let at = std::time::SystemTime::now().checked_add(std::time::Duration::from_secs(
                secs.min(10 * 365 * 86400) + 1,
            ))?;
            Some(httpdate::fmt_http_date(at))
        } else {
            self.retry.map(|n| n.to_string())
        }
    }

    /// Whether the scenario's fault mode concerns this endpoint at all (before `times`).
    pub fn fault_applies(&self, ep: Endpoint) -> Option<Fault> {
        let f = self.fault?;
        if let Some(on) = self.on {
            if on != ep {
                return None;
            }
        }
        match (f, ep) {
            (Fault::NoTicket, Endpoint::Fetch) => None,
            (Fault::NoCookies | Fault::PartialCookies, Endpoint::Url) => None,
            _ => Some(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        let sc = Scenario::parse(
            "id=a,flow=wwsc,fault=api-412,on=fetch,times=2,delay=5,mid=7,name=Zoe X",
        )
        .expect("valid");
        assert_eq!(sc.flow.len(), 4);
        assert_eq!(sc.fault, Some(Fault::Api(-412)));
        assert_eq!(sc.on, Some(Endpoint::Fetch));
        assert_eq!(sc.times, Some(2));
        assert_eq!(sc.delay, 5);
        assert_eq!(sc.mid, 7);
        assert_eq!(sc.name, "Zoe X");
        assert_eq!(sc.fault_applies(Endpoint::Url), None);
        assert!(Scenario::parse("flow=wx").is_err());
        assert!(Scenario::parse("bogus=1").is_err());
        assert!(Scenario::parse("fault=nope").is_err());
        assert!(Scenario::parse("phone=5:1").is_err());
        assert!(Scenario::parse("").is_ok());
        let sc = Scenario::parse("confirm=nulls,codestr=1,gourl=hop404,cookieinfo=many,sso=fail,verify=down,hops=3,retry=4,fault=location-space")
            .expect("valid");
        assert_eq!(sc.confirm, Some(Confirm::Nulls));
        assert!(sc.codestr);
        assert_eq!(sc.gourl, Some(GoUrl::Hop404));
        assert_eq!(sc.cookieinfo, Some(CookieInfo::Many));
        assert_eq!(sc.sso, Some(Sso::Fail));
        assert_eq!(sc.verify, Some(Verify::Down));
        assert_eq!(sc.hops, 3);
        assert_eq!(sc.retry_after().as_deref(), Some("4"));
        assert_eq!(sc.fault, Some(Fault::Location(BadLocation::Space)));
        assert!(Scenario::parse("hops=0").is_err());
        assert!(Scenario::parse("confirm=odd").is_err());
        assert!(Scenario::parse("cookiedomain=1").is_err());
        let b = Scenario::parse("browser=crossdomain").expect("valid");
        assert_eq!(b.browser, Some(Browser::CrossDomain));
        let err = Scenario::parse("browser=br").expect_err("not a browser shape");
        assert!(err.contains("`br`") && err.contains("`cututf8`"), "{err}");
        // The renamed spellings, and a lowercase name that is not a spelling.
        let r = Scenario::parse("gourl=1,sso=500,browser=cututf8").expect("valid");
        assert_eq!(r.gourl, Some(GoUrl::Hops));
        assert_eq!(r.sso, Some(Sso::Status500));
        assert_eq!(r.browser, Some(Browser::CutUtf8));
        assert!(Scenario::parse("sso=status500").is_err());
        assert!(Scenario::parse("gourl=Query").is_err());
        let d = Scenario::parse("retrydate=1,retry=30").expect("valid");
        let when = httpdate::parse_http_date(&d.retry_after().expect("a date")).expect("HTTP-date");
        let ahead = when
            .duration_since(std::time::SystemTime::now())
            .expect("in the future")
            .as_secs();
        assert!((29..=31).contains(&ahead), "{ahead}");
    }
}
