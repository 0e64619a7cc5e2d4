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

/// `SESSDATA` as the service sends it: already percent-encoded.
pub fn sessdata_value() -> String {
    format!("{}%2C{}%2C{}%2A{}", hex(8), expiry_unix(), hex(5), alnum(2))
}

pub fn sessdata(exp: &str) -> String {
    format!(
        "SESSDATA={}; Path=/; Domain=bilibili.tv; Expires={exp}; HttpOnly; Secure",
        sessdata_value()
    )
}

pub fn jct_pair(exp: &str) -> [String; 2] {
    let jct = hex(32);
    [
        format!("bili_jct={jct}; Path=/; Domain=.bilibili.tv; Expires={exp}; Secure"),
        format!("joy_jct={jct}; Path=/; Domain=bilibili.tv; Expires={exp}; Secure"),
    ]
}

pub fn dede_user_id(mid: u64) -> String {
    format!("DedeUserID={mid}; Path=/; Domain=bilibili.tv; Max-Age={LIFETIME_SECS}; Secure")
}

pub fn ck_md5(exp: &str) -> String {
    format!(
        "DedeUserID__ckMd5={}; Path=/; Domain=bilibili.tv; Expires={exp}; Secure",
        hex(16)
    )
}

/// The cookies a correct client must drop (a Max-Age=0 deletion, an expired one, a foreign domain).
pub fn droppable() -> [String; 3] {
    [
        "buvid3=deleted; Path=/; Domain=bilibili.tv; Max-Age=0".to_string(),
        "old_tracker=x; Path=/; Domain=bilibili.tv; Expires=Thu, 01 Jan 1970 00:00:01 GMT"
            .to_string(),
        "ad_track=1; Path=/; Domain=evil.example.com".to_string(),
    ]
}

/// The full confirmed set, in the documented order.
pub fn full_set(mid: u64) -> Vec<String> {
    let exp = expires();
    let [bili_jct, joy_jct] = jct_pair(&exp);
    let [d1, d2, d3] = droppable();
    vec![
        sessdata(&exp),
        bili_jct,
        dede_user_id(mid),
        ck_md5(&exp),
        joy_jct,
        format!("mid={mid}; Path=/; Domain=biliintl.com; Expires={exp}"),
        format!("sid={}", alnum(8)),
        d1,
        d2,
        d3,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let v = sessdata_value();
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
        let set = full_set(5);
        assert_eq!(set.len(), 10);
        assert!(set[0].starts_with("SESSDATA=") && set[0].contains("GMT; HttpOnly; Secure"));
        let jct = set[1]
            .split(';')
            .next()
            .unwrap_or_default()
            .trim_start_matches("bili_jct=");
        assert!(set[4].starts_with(&format!("joy_jct={jct};")));
        assert!(expires().ends_with(" GMT"));
    }
}
