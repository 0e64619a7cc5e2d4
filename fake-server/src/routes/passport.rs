//! The documented passport endpoints (`auth/url`, `auth/fetch`) and the go_url hops.

use std::collections::BTreeMap;

use super::take_fault;
use crate::cookies;
use crate::resp::{json_str, Resp};
use crate::scenario::{Fault, GoUrl, Scenario};
use crate::state::{Shared, State};

pub(crate) fn locale_part(query: &BTreeMap<String, String>) -> String {
    let loc = query.get("s_locale").map(String::as_str).unwrap_or("en_US");
    let lang: String = loc
        .split(['_', '-'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    if lang.is_empty() {
        "en".to_string()
    } else {
        lang
    }
}

pub(crate) fn url_answer(
    sh: &Shared,
    scenario: &str,
    query: &BTreeMap<String, String>,
    noticket: bool,
) -> Resp {
    let lang = locale_part(query);
    if noticket {
        return Resp::json(format!(
            r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/{lang}/qrcode/login","qr_type":"qrcode_login"}}}}"#
        ));
    }
    let ticket = cookies::hex(32);
    sh.inner().ticket_mut(scenario, &ticket);
    let mut r = Resp::json(format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"qr_url":"https://www.bilibili.tv/h5/{lang}/qrcode/login?ticket={ticket}","qr_type":"qrcode_login"}}}}"#
    ));
    r.ticket = Some(ticket);
    r
}

pub(crate) fn fetch_answer(
    sh: &Shared,
    scenario: &str,
    raw_scenario: &str,
    sc: &Scenario,
    query: &BTreeMap<String, String>,
    fault: Option<Fault>,
) -> Resp {
    let ticket = match query.get("ticket") {
        Some(t) if !t.is_empty() => t,
        _ => return Resp::json_static(r#"{"code":-400,"message":"Request error","ttl":1}"#),
    };
    let state = sh.inner().advance(scenario, sc, ticket);
    let mut r = match state {
        State::Waiting => {
            Resp::json_static(r#"{"code":10018101,"message":"Not scanned","ttl":1,"data":null}"#)
        }
        State::Scanned => Resp::json_static(
            r#"{"code":10018102,"message":"Scanned, waiting for confirmation","ttl":1,"data":null}"#,
        ),
        State::Expired => Resp::json_static(
            r#"{"code":10018100,"message":"QR code expired","ttl":1,"data":null}"#,
        ),
        State::Confirmed => {
            // The cookie faults count only confirmed answers.
            let cookie_fault = match fault {
                Some(f @ (Fault::NoCookies | Fault::PartialCookies))
                    if take_fault(sh, scenario, sc) =>
                {
                    Some(f)
                }
                _ => None,
            };
            confirmed(sh, raw_scenario, sc, cookie_fault)
        }
    };
    r.ticket = Some(ticket.clone());
    r
}

/// `raw_scenario` is the scenario path segment as requested (used to build `go_url`).
pub(crate) fn confirmed(
    sh: &Shared,
    raw_scenario: &str,
    sc: &Scenario,
    cookie_fault: Option<Fault>,
) -> Resp {
    let exp = cookies::expires();
    let mut go_url = String::new();
    let mut cookie_info = None;
    let mut info_pairs = Vec::new();
    let cookies: Vec<String> = match (cookie_fault, sc.gourl, sc.cookieinfo) {
        (Some(Fault::NoCookies), _, _) => Vec::new(),
        (Some(_), _, _) => vec![cookies::sessdata(&exp)],
        (None, Some(GoUrl::Hops), _) => {
            go_url = if raw_scenario.is_empty() {
                format!("{}/gourl/hop1", sh.origin)
            } else {
                format!("{}/s/{raw_scenario}/gourl/hop1", sh.origin)
            };
            let mut v = vec![cookies::sessdata(&exp)];
            v.extend(cookies::droppable());
            v
        }
        (None, _, true) => {
            let jct = cookies::hex(32);
            let md5 = cookies::hex(16);
            let expiry = cookies::expiry_unix();
            let mid = sc.mid.to_string();
            let list: Vec<serde_json::Value> = [("bili_jct", &jct), ("DedeUserID", &mid), ("DedeUserID__ckMd5", &md5)]
                .iter()
                .map(|(n, v)| {
                    info_pairs.push(format!("{n}={v}"));
                    serde_json::json!({"name": n, "value": v, "http_only": 0, "expires": expiry, "secure": 0})
                })
                .collect();
            cookie_info = Some(serde_json::json!({"cookies": list, "domains": [".bilibili.tv"]}));
            vec![cookies::sessdata(&exp)]
        }
        (None, Some(GoUrl::Foreign), false) => {
            go_url = "https://evil.example.com/steal".to_string();
            cookies::full_set(sc.mid)
        }
        (None, None, false) => cookies::full_set(sc.mid),
    };
    let cookie_info = match cookie_info {
        Some(ci) => format!(",\"cookie_info\":{ci}"),
        None => String::new(),
    };
    let body = format!(
        r#"{{"code":0,"message":"0","ttl":1,"data":{{"mid":{},"is_new":false,"go_url":{},"user_profile":{{"is_userBlankProfile":false,"name":{},"face":""}}{cookie_info}}}}}"#,
        sc.mid,
        json_str(&go_url),
        json_str(&sc.name)
    );
    let mut r = Resp::json(body);
    r.cookies = cookies;
    r.cookie_info = info_pairs;
    r
}

pub(crate) fn hop1(raw_scenario: &str) -> Resp {
    let exp = cookies::expires();
    let loc = if raw_scenario.is_empty() {
        "/gourl/hop2".to_string()
    } else {
        format!("/s/{raw_scenario}/gourl/hop2")
    };
    let mut r = Resp::redirect(loc);
    r.cookies = cookies::jct_pair(&exp).to_vec();
    r
}

pub(crate) fn hop2(sc: &Scenario) -> Resp {
    let exp = cookies::expires();
    let mut r = Resp::html(
        200,
        "<html><head><title>bilibili</title></head><body>ok</body></html>".to_string(),
    );
    r.cookies = vec![cookies::dede_user_id(sc.mid), cookies::ck_md5(&exp)];
    r
}
