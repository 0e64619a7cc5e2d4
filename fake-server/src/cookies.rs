//! Realistic session cookies (fresh random values on every confirmed answer).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const HEX: &[u8; 16] = b"0123456789abcdef";
const ALNUM: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// 180 days, the lifetime of every persistent cookie.
pub const LIFETIME_SECS: u64 = 180 * 24 * 3600;

fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    if getrandom::getrandom(&mut b).is_err() {
        // Dev tooling only: fall back to the clock rather than failing a request.
        let mut x = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15)
            | 1;
        for v in b.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = x as u8;
        }
    }
    b
}

/// `n` random lowercase hex characters.
pub fn hex(n: usize) -> String {
    random_bytes(n)
        .into_iter()
        .map(|b| HEX[(b & 15) as usize] as char)
        .collect()
}

/// `n` random ASCII letters and digits.
pub fn alnum(n: usize) -> String {
    random_bytes(n)
        .into_iter()
        .map(|b| ALNUM[(b as usize) % ALNUM.len()] as char)
        .collect()
}

pub fn expiry_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + LIFETIME_SECS
}

/// `Expires` value: now + 180 days, IMF-fixdate.
pub fn expires() -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(LIFETIME_SECS))
}

/// `SESSDATA` as the service sends it: already percent-encoded,
/// `<8 hex>%2C<unix expiry>%2C<5 hex>%2A<tail>`; the tail is 2 characters, or 138 with `long`
/// (170 characters in all, the length seen on the real service since 2023).
pub fn sessdata_value(long: bool) -> String {
    let tail = if long { b64ish(138) } else { alnum(2) };
    format!("{}%2C{}%2C{}%2A{tail}", hex(8), expiry_unix(), hex(5))
}

/// `n` random characters of `[A-Za-z0-9_-]`.
fn b64ish(n: usize) -> String {
    const B64: &[u8; 64] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
    random_bytes(n)
        .into_iter()
        .map(|b| B64[(b & 63) as usize] as char)
        .collect()
}

/// The credentials of one login: what every channel (Set-Cookie, go_url query, hops, sso) hands out.
#[derive(Clone, Debug)]
pub struct Creds {
    pub sessdata: String,
    pub jct: String,
    pub md5: String,
    pub mid: u64,
    pub name: String,
}

impl Creds {
    pub fn new(mid: u64, name: &str, long: bool) -> Creds {
        Creds {
            sessdata: sessdata_value(long),
            jct: hex(32),
            md5: hex(16),
            mid,
            name: name.to_string(),
        }
    }
}

pub fn sessdata(c: &Creds, exp: &str) -> String {
    sessdata_at(&c.sessdata, "bilibili.tv", exp)
}

pub fn sessdata_at(value: &str, domain: &str, exp: &str) -> String {
    format!("SESSDATA={value}; Path=/; Domain={domain}; Expires={exp}; HttpOnly; Secure")
}

pub fn jct_pair(c: &Creds, exp: &str) -> [String; 2] {
    let jct = &c.jct;
    [
        format!("bili_jct={jct}; Path=/; Domain=.bilibili.tv; Expires={exp}; Secure"),
        format!("joy_jct={jct}; Path=/; Domain=bilibili.tv; Expires={exp}; Secure"),
    ]
}

pub fn dede_user_id(mid: u64) -> String {
    format!("DedeUserID={mid}; Path=/; Domain=bilibili.tv; Max-Age={LIFETIME_SECS}; Secure")
}

pub fn ck_md5(c: &Creds, exp: &str) -> String {
    format!(
        "DedeUserID__ckMd5={}; Path=/; Domain=bilibili.tv; Expires={exp}; Secure",
        c.md5
    )
}

/// The cookies a correct client must drop silently (a Max-Age=0 deletion, an expired one).
pub fn droppable() -> [String; 2] {
    [
        "buvid3=deleted; Path=/; Domain=bilibili.tv; Max-Age=0".to_string(),
        "old_tracker=x; Path=/; Domain=bilibili.tv; Expires=Thu, 01 Jan 1970 00:00:01 GMT"
            .to_string(),
    ]
}

/// `foreign=1`: a cookie for a foreign domain (a client drops it and warns), set right after the droppable
/// ones.
pub fn foreign() -> String {
    "ad_track=1; Path=/; Domain=evil.example.com".to_string()
}

/// `cookiedomain=hostile`: Domain attributes that end with an allowed suffix but are not host names.
pub fn hostile_domains() -> [String; 4] {
    [
        "evil1=1; Path=/; Domain=evil.example/.bilibili.tv".to_string(),
        "evil2=1; Path=/; Domain=evil.example .bilibili.tv".to_string(),
        "evil3=1; Path=/; Domain=*.bilibili.tv".to_string(),
        "evil4=1; Path=/; Domain=evil.example:1.bilibili.tv".to_string(),
    ]
}

/// The full confirmed set, in the documented order.
pub fn full_set(c: &Creds) -> Vec<String> {
    let exp = expires();
    let [bili_jct, joy_jct] = jct_pair(c, &exp);
    let [d1, d2] = droppable();
    let mid = c.mid;
    vec![
        sessdata(c, &exp),
        bili_jct,
        dede_user_id(mid),
        ck_md5(c, &exp),
        joy_jct,
        format!("mid={mid}; Path=/; Domain=biliintl.com; Expires={exp}"),
        format!("sid={}", alnum(8)),
        d1,
        d2,
    ]
}

/// The `sso=1` loopback page's cookies: the session for the other domain.
pub fn sso_set(c: &Creds) -> Vec<String> {
    let exp = expires();
    vec![
        sessdata_at(&c.sessdata, "biliintl.com", &exp),
        format!(
            "bili_jct={}; Path=/; Domain=biliintl.com; Expires={exp}; Secure",
            c.jct
        ),
        format!(
            "DedeUserID={}; Path=/; Domain=biliintl.com; Expires={exp}; Secure",
            c.mid
        ),
    ]
}

/// `name=value` pairs of a request's `Cookie` header (`; `-separated; pairs without `=` are skipped).
pub fn parse_cookie_header(h: &str) -> Vec<(String, String)> {
    h.split(';')
        .filter_map(|p| {
            let (n, v) = p.trim().split_once('=')?;
            Some((n.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let long = sessdata_value(true);
        assert_eq!(long.len(), 170, "{long}");
        let v = sessdata_value(false);
        let parts: Vec<&str> = v.split("%2C").collect();
        assert_eq!(parts.len(), 3, "{v}");
        assert_eq!(parts[0].len(), 8);
        assert_eq!(parts[1].len(), 10);
        assert!(parts[2].contains("%2A"));
        assert_eq!(hex(32).len(), 32);
        assert!(hex(64)
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(hex(32), hex(32));
        let set = full_set(&Creds::new(5, "n", false));
        assert_eq!(set.len(), 9);
        assert!(set[0].starts_with("SESSDATA=") && set[0].contains("GMT; HttpOnly; Secure"));
        let jct = set[1]
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_start_matches("bili_jct=");
        assert!(set[4].starts_with(&format!("joy_jct={jct};")));
        assert!(expires().ends_with(" GMT"));
        assert_eq!(
            parse_cookie_header("a=1; b = x=y ;junk; SESSDATA=ab%2C"),
            [
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "x=y".to_string()),
                ("SESSDATA".to_string(), "ab%2C".to_string())
            ]
        );
    }
}
