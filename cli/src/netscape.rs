//! The Netscape cookies.txt format, as read by curl (`-b FILE`), yt-dlp (`--cookies FILE`) and wget.
//!
//! One line per cookie, seven fields separated by tabs:
//! `domain  include_subdomains  path  secure  expiry  name  value`.
//! A cookie sent with a `Domain` attribute is written as `.domain` with `TRUE` (sent to every subdomain); a
//! host-only cookie (no `Domain`) is written for the host it came from (the `base_url` host) with `FALSE`.
//! An http-only cookie gets the `#HttpOnly_` prefix on its domain, which curl and yt-dlp understand (older
//! readers skip the line as a comment). Expiry is Unix seconds, `0` for a session cookie.

use bili_qr::Cookie;
use std::net::IpAddr;

pub const HEADER: &str = "# Netscape HTTP Cookie File";

/// The file's text, and the names of the cookies left out because a field holds a tab or a line break
/// (which the format cannot carry).
pub fn format(cookies: &[Cookie], base_host: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    out.push_str(concat!(
        "# Written by bili-qr ",
        env!("CARGO_PKG_VERSION"),
        " after a bilibili.tv QR login. It logs in as you: keep it private.\n\n"
    ));
    let mut skipped = Vec::new();
    for c in cookies {
        match line(c, base_host) {
            Some(l) => {
                out.push_str(&l);
                out.push('\n');
            }
            None => skipped.push(c.name.clone()),
        }
    }
    (out, skipped)
}

fn unsafe_field(s: &str) -> bool {
    s.contains(['\t', '\n', '\r'])
}

/// One cookie's line (without the line break), or `None` if it cannot be written.
pub fn line(c: &Cookie, base_host: &str) -> Option<String> {
    // A Domain attribute that is an IP address only ever matches that exact host (RFC 6265 5.1.3).
    let (domain, subdomains) = match c.domain.as_deref().map(|d| d.trim_start_matches('.')) {
        Some(d) if !d.is_empty() && d.parse::<IpAddr>().is_err() => (format!(".{d}"), true),
        Some(d) if !d.is_empty() => (d.to_owned(), false),
        _ => (base_host.to_owned(), false),
    };
    let path = if c.path.is_empty() {
        "/"
    } else {
        c.path.as_str()
    };
    if c.name.is_empty()
        || [&domain, path, &c.name, &c.value]
            .iter()
            .any(|f| unsafe_field(f))
    {
        return None;
    }
    let flag = |b: bool| if b { "TRUE" } else { "FALSE" };
    Some(format!(
        "{}{domain}\t{}\t{path}\t{}\t{}\t{}\t{}",
        if c.http_only { "#HttpOnly_" } else { "" },
        flag(subdomains),
        flag(c.secure),
        c.expires.unwrap_or(0).max(0),
        c.name,
        c.value
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(
        name: &str,
        value: &str,
        domain: Option<&str>,
        expires: Option<i64>,
        secure: bool,
        http_only: bool,
    ) -> Cookie {
        Cookie {
            name: name.into(),
            value: value.into(),
            domain: domain.map(Into::into),
            path: "/".into(),
            expires,
            secure,
            http_only,
        }
    }

    #[test]
    fn lines() {
        let sess = cookie(
            "SESSDATA",
            "9f3c1a2b%2C1811061062%2C5e7d1%2A51",
            Some("bilibili.tv"),
            Some(1811061062),
            true,
            true,
        );
        assert_eq!(
            line(&sess, "passport.bilibili.tv").unwrap(),
            "#HttpOnly_.bilibili.tv\tTRUE\t/\tTRUE\t1811061062\tSESSDATA\t9f3c1a2b%2C1811061062%2C5e7d1%2A51"
        );
        let jct = cookie(
            "bili_jct",
            "abc",
            Some(".bilibili.tv"),
            Some(5),
            true,
            false,
        );
        assert_eq!(
            line(&jct, "h").unwrap(),
            ".bilibili.tv\tTRUE\t/\tTRUE\t5\tbili_jct\tabc"
        );
        // Host-only session cookie: the base host, FALSE, expiry 0.
        let sid = cookie("sid", "s1", None, None, false, false);
        assert_eq!(
            line(&sid, "127.0.0.1").unwrap(),
            "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\ts1"
        );
        // An IP address Domain stays host-only.
        let ip = cookie("h", "1", Some("127.0.0.1"), None, false, false);
        assert_eq!(
            line(&ip, "127.0.0.1").unwrap(),
            "127.0.0.1\tFALSE\t/\tFALSE\t0\th\t1"
        );
        let mut p = cookie("p", "", Some("biliintl.com"), None, false, false);
        p.path = "/x/y".into();
        assert_eq!(
            line(&p, "h").unwrap(),
            ".biliintl.com\tTRUE\t/x/y\tFALSE\t0\tp\t"
        );
    }

    #[test]
    fn unwritable_cookies_are_skipped_by_name() {
        let cookies = vec![
            cookie("ok", "1", None, None, false, false),
            cookie("tab", "a\tb", None, None, false, false),
            cookie("nl", "a\nb", None, None, false, false),
            cookie("", "x", None, None, false, false),
        ];
        let (text, skipped) = format(&cookies, "h");
        assert_eq!(skipped, ["tab", "nl", ""]);
        let data: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# "))
            .collect();
        assert_eq!(data, ["h\tFALSE\t/\tFALSE\t0\tok\t1"]);
    }

    #[test]
    fn file_layout() {
        let cookies = vec![
            cookie("SESSDATA", "s", Some("bilibili.tv"), Some(100), true, true),
            cookie("bili_jct", "j", Some("bilibili.tv"), Some(100), true, false),
            cookie("sid", "x", None, None, false, false),
        ];
        let (text, skipped) = format(&cookies, "passport.bilibili.tv");
        assert!(skipped.is_empty());
        assert!(text.starts_with("# Netscape HTTP Cookie File\n"));
        assert!(text.ends_with('\n'));
        let data: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("# "))
            .collect();
        assert_eq!(data.len(), 3);
        assert!(data.iter().all(|l| l.split('\t').count() == 7));
        assert!(data[0].starts_with("#HttpOnly_.bilibili.tv\t"));
        assert!(data[2].starts_with("passport.bilibili.tv\tFALSE\t"));
    }
}
