//! The pages a confirmed answer's `go_url` leads to (`gourl=1`, `hop404`, `hopforeign`, `slowchain`).

use super::{pause, Ctx};
use crate::cookies::{self, Creds};
use crate::resp::Resp;
use crate::scenario::{Browser, GoUrl};

/// The credentials of the scenario's latest confirmed login (fresh ones when there is none).
fn creds(cx: &Ctx<'_>) -> Creds {
    cx.sh
        .sessions()
        .latest(cx.key)
        .unwrap_or_else(|| Creds::new(cx.sc.mid, &cx.sc.name, cx.sc.longsess))
}

pub(crate) fn hop1(cx: &Ctx<'_>) -> Resp {
    let c = creds(cx);
    let exp = cookies::expires();
    let [bili_jct, joy_jct] = cookies::jct_pair(&c, &exp);
    let prefix = &cx.prefix;
    if cx.sc.browser == Some(Browser::Location) {
        // The session's credentials in the query of a redirect to a host no client requests.
        return Resp::redirect(super::passport::cross_domain_url(&c));
    }
    match cx.sc.gourl {
        Some(GoUrl::Hop404) => {
            let mut r = Resp::redirect(format!("{prefix}/gourl/gone"));
            r.cookies = vec![bili_jct, cookies::dede_user_id(c.mid)];
            r
        }
        Some(GoUrl::HopForeign) => {
            let mut r = Resp::redirect("https://evil.example.com/gourl/next".to_string());
            r.cookies = vec![
                bili_jct,
                joy_jct,
                cookies::dede_user_id(c.mid),
                cookies::ck_md5(&c, &exp),
            ];
            r
        }
        _ => {
            let mut r = Resp::redirect(format!("{prefix}/gourl/hop2"));
            r.cookies = vec![bili_jct, joy_jct];
            r
        }
    }
}

pub(crate) fn hop2(cx: &Ctx<'_>) -> Resp {
    let c = creds(cx);
    let exp = cookies::expires();
    let mut r = page();
    r.cookies = vec![cookies::dede_user_id(c.mid), cookies::ck_md5(&c, &exp)];
    r
}

/// `gourl=slowchain`: `slow/N` waits `delay` ms, then redirects to `slow/N+1`; `slow/{hops}` answers 200.
pub(crate) fn slow(cx: &Ctx<'_>, n: u64) -> Resp {
    if !pause(cx.sh, cx.sc.delay) {
        return Resp::reset();
    }
    if n >= cx.sc.hops {
        page()
    } else {
        Resp::redirect(format!(
            "{}{}/gourl/slow/{}",
            cx.sh.origin,
            cx.prefix,
            n + 1
        ))
    }
}

fn page() -> Resp {
    Resp::html(
        200,
        "<html><head><title>bilibili</title></head><body>ok</body></html>".to_string(),
    )
}
