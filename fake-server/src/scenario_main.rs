//! The scenario keys of the mainland (bilibili.com) and TV/app routes, and `foreign=` (the intl confirmed
//! answer's cookie for a foreign domain). `Scenario::parse` hands every key it does not know to
//! [`MainScenario::set`].

use crate::scenario::flag;

/// `needua=`: what `qrcode/generate` wants to see before it answers (else HTTP 412 with the risk page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeedUa {
    /// `needua=0`: nothing.
    No,
    /// The default: a `User-Agent` header (any value), as the real service rejects a request without one.
    Present,
    /// `needua=1`: a browser's `User-Agent` (`Mozilla/5.0 …`) and `Referer: https://www.bilibili.com/…`.
    Browser,
}

/// `mcookies=`: how a confirmed web QR login hands out its cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MCookies {
    /// `both` (default): Set-Cookie on the confirmed poll answer, and again behind the crossDomain hop.
    Both,
    /// `setcookie`: only on the poll answer; the crossDomain hop sets nothing.
    SetCookie,
    /// `crossdomain`: only behind the crossDomain hop (the poll answer carries none).
    CrossDomain,
    /// `query`: the old form, the credentials in `data.url`'s query; no Set-Cookie anywhere.
    Query,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MainScenario {
    pub needua: NeedUa,
    pub mcookies: MCookies,
    /// `needbuvid=1`: `nav` answers -352 unless a `buvid3` cookie is sent.
    pub needbuvid: bool,
    /// `refresh=1`: `cookie/info` says the cookies need a refresh.
    pub refresh: bool,
    /// `correspond=404`: every `correspond/1/…` page answers 404.
    pub correspond404: bool,
    /// `refresh86095=1`: `cookie/refresh` answers 86095 whatever it is sent.
    pub refresh86095: bool,
    /// `tokenrefresh=1`: `oauth2/info` says the access token needs a refresh.
    pub tokenrefresh: bool,
    /// `foreign=1`: the intl confirmed answer (and the mainland one) also sets `ad_track` for
    /// `evil.example.com`, which a client must drop.
    pub foreign: bool,
}

impl Default for MainScenario {
    fn default() -> Self {
        MainScenario {
            needua: NeedUa::Present,
            mcookies: MCookies::Both,
            needbuvid: false,
            refresh: false,
            correspond404: false,
            refresh86095: false,
            tokenrefresh: false,
            foreign: false,
        }
    }
}

impl MainScenario {
    /// Applies `key=value`; `Ok(false)` when the key is not one of these.
    pub fn set(&mut self, key: &str, v: &str) -> Result<bool, String> {
        match key {
            "needua" => {
                self.needua = match v {
                    "0" => NeedUa::No,
                    "1" => NeedUa::Browser,
                    "ua" => NeedUa::Present,
                    _ => return Err(format!("`needua` wants 0, ua or 1, got `{v}`")),
                }
            }
            "mcookies" => {
                self.mcookies = match v {
                    "both" => MCookies::Both,
                    "setcookie" => MCookies::SetCookie,
                    "crossdomain" => MCookies::CrossDomain,
                    "query" => MCookies::Query,
                    _ => {
                        return Err(format!(
                            "`mcookies` wants one of both setcookie crossdomain query, got `{v}`"
                        ))
                    }
                }
            }
            "needbuvid" => self.needbuvid = flag(key, v)?,
            "refresh" => self.refresh = flag(key, v)?,
            "correspond" => {
                self.correspond404 = match v {
                    "404" => true,
                    "0" => false,
                    _ => return Err(format!("`correspond` wants 404 or 0, got `{v}`")),
                }
            }
            "refresh86095" => self.refresh86095 = flag(key, v)?,
            "tokenrefresh" => self.tokenrefresh = flag(key, v)?,
            "foreign" => self.foreign = flag(key, v)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_main_keys() {
        let mut m = MainScenario::default();
        assert_eq!(m.needua, NeedUa::Present);
        assert_eq!(m.set("needua", "1"), Ok(true));
        assert_eq!(m.needua, NeedUa::Browser);
        assert_eq!(m.set("mcookies", "query"), Ok(true));
        assert_eq!(m.mcookies, MCookies::Query);
        assert_eq!(m.set("correspond", "404"), Ok(true));
        assert!(m.correspond404);
        assert_eq!(m.set("flow", "c"), Ok(false));
        assert!(m.set("mcookies", "x").is_err());
        assert!(m.set("refresh", "2").is_err());
    }
}
