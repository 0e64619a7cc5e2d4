//! Parsing of the `/s/{scenario}` string: `key=value,key=value,…`.

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
}

impl Fault {
    fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "412" => Fault::Status(412),
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoUrl {
    Hops,
    Foreign,
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
    pub cookieinfo: bool,
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
            cookieinfo: false,
        }
    }
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
                "gourl" => {
                    sc.gourl = Some(match v.as_str() {
                        "1" => GoUrl::Hops,
                        "foreign" => GoUrl::Foreign,
                        _ => return Err(format!("`gourl` wants 1 or foreign, got `{v}`")),
                    })
                }
                "cookieinfo" => {
                    sc.cookieinfo = match v.as_str() {
                        "1" => true,
                        "0" => false,
                        _ => return Err(format!("`cookieinfo` wants 1, got `{v}`")),
                    }
                }
                _ => return Err(format!("unknown scenario key `{k}`")),
            }
        }
        Ok(sc)
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
    }
}
