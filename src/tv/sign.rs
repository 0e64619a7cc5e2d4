//! The app request signature: the fields and `appkey` sorted by key, `application/x-www-form-urlencoded`,
//! then `sign = md5(query + app_secret)` in lowercase hex appended as the **last** field. The same text is
//! a POST's form body or a GET's query: the service hashes the bytes it receives.

use md5::{Digest, Md5};
use zeroize::Zeroizing;

/// `application/x-www-form-urlencoded` encoding of one name or value (`A-Z a-z 0-9 * - . _` pass, a space
/// is `+`, every other byte `%XX`), as the service's form decoder reads it.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// The fields in the order they are signed and sent: `fields` plus `("appkey", app_key)`, sorted by key
/// (bytewise; a stable sort keeps equal keys in their given order).
pub fn ordered<'a>(fields: &[(&'a str, &'a str)], app_key: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(k, _)| *k != "appkey")
        .collect();
    all.push(("appkey", app_key));
    all.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    all
}

/// `k=v&…` of `fields` in the order given, each name and value form-encoded.
pub fn query_of(fields: &[(&str, &str)]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect();
    parts.join("&")
}

/// Lowercase hex md5 of `query` followed by `app_secret`.
pub fn sign_of(query: &str, app_secret: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(query.as_bytes());
    hasher.update(app_secret.as_bytes());
    let digest = hasher.finalize();
    let mut out = String::with_capacity(32);
    for b in digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// The signed text of `fields` (without `appkey`, which is added): sorted, encoded, `&sign=…` last. It
/// holds tokens, so it is zeroed when dropped.
pub fn signed(fields: &[(&str, &str)], app_key: &str, app_secret: &str) -> Zeroizing<String> {
    let query = Zeroizing::new(query_of(&ordered(fields, app_key)));
    let sign = sign_of(&query, app_secret);
    Zeroizing::new(format!("{}&sign={sign}", query.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_signature() {
        // md5("a=1&appkey=4409e2ce8ffd12b8&b=x+y" + TV secret), computed independently with coreutils md5sum.
        let s = signed(
            &[("b", "x y"), ("a", "1")],
            super::super::TV_APP_KEY,
            super::super::TV_APP_SECRET,
        );
        assert!(s.starts_with("a=1&appkey=4409e2ce8ffd12b8&b=x+y&sign="));
        assert!(
            s.ends_with("&sign=6e7fcf608320c5673e8b7e21ca3df4ca"),
            "{}",
            s.as_str()
        );
        assert_eq!(sign_of("", ""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(sign_of("a", "bc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn ordering_and_encoding() {
        let o = ordered(
            &[
                ("ts", "1"),
                ("local_id", "0"),
                ("appkey", "x"),
                ("auth_code", "c"),
            ],
            "k",
        );
        let keys: Vec<&str> = o.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["appkey", "auth_code", "local_id", "ts"]);
        assert_eq!(o[0].1, "k");
        // Sorted as bytes: access_key, actionKey, appkey.
        let o = ordered(
            &[
                ("appkey", "x"),
                ("actionKey", "appkey"),
                ("access_key", "t"),
            ],
            "k",
        );
        let keys: Vec<&str> = o.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["access_key", "actionKey", "appkey"]);
        assert_eq!(form_encode("a b/c~é*"), "a+b%2Fc%7E%C3%A9*");
    }
}
