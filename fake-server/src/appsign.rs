//! The TV/app request signature: the fields (with `appkey`) sorted by key and form-urlencoded,
//! `sign = md5(query + appsec)` in lowercase hex, appended as the last field.

use md5::{Digest, Md5};

/// The TV key pair (the QR login for TVs).
pub const TV_APPKEY: &str = "4409e2ce8ffd12b8";
pub const TV_APPSEC: &str = "59b43e04ad6965f34319062b478f83dd";
/// The Android app key pair.
pub const ANDROID_APPKEY: &str = "783bbb7264451d82";
pub const ANDROID_APPSEC: &str = "2653583c8873dea268ab9386918b1d65";

const PAIRS: [(&str, &str); 2] = [(TV_APPKEY, TV_APPSEC), (ANDROID_APPKEY, ANDROID_APPSEC)];

/// Lowercase hex md5 of `text`.
pub(crate) fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a signed query or form body exactly as sent (`k=v&…&sign=…`): `sign` is the last field, the fields
/// before it are sorted by key, `appkey` is one of the known keys, and `sign` is the md5 of the bytes before
/// `&sign=` followed by that key's secret. The server hashes the bytes it received, so a client that encodes a
/// value differently from `application/x-www-form-urlencoded` signs something the server does not recompute.
/// `Some(appkey)` when the signature is good.
pub(crate) fn check(raw: &str) -> Option<&'static str> {
    let (body, sign) = raw.rsplit_once("&sign=")?;
    if sign.contains('&') || sign.contains('=') {
        return None;
    }
    let mut keys = Vec::new();
    let mut appkey = None;
    for pair in body.split('&') {
        let (k, v) = pair.split_once('=')?;
        if k == "sign" {
            return None;
        }
        if k == "appkey" {
            appkey = Some(v);
        }
        keys.push(k);
    }
    if keys.windows(2).any(|w| w[0] > w[1]) {
        return None;
    }
    let (key, sec) = PAIRS.iter().find(|(k, _)| Some(*k) == appkey)?;
    (md5_hex(&format!("{body}{sec}")) == sign).then_some(*key)
}

/// Signs `fields` (already in the order to send, `appkey` among them) like a client: sorted by key,
/// form-urlencoded, `&sign=` appended. For tests and documentation.
pub fn sign(fields: &[(&str, &str)], appsec: &str) -> String {
    let mut f: Vec<(&str, &str)> = fields.to_vec();
    f.sort_by(|a, b| a.0.cmp(b.0));
    let q: Vec<String> = f
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect();
    let q = q.join("&");
    let s = md5_hex(&format!("{q}{appsec}"));
    format!("{q}&sign={s}")
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_checks() {
        // The worked example of the public documentation of the app signature.
        let q = sign(
            &[
                ("id", "114514"),
                ("str", "1919810"),
                ("test", "いいよ，こいよ"),
                ("appkey", "1d8b6e7d45233436"),
            ],
            "560c52ccd288fed045859ed18bffd973",
        );
        assert_eq!(
            q,
            "appkey=1d8b6e7d45233436&id=114514&str=1919810&test=%E3%81%84%E3%81%84%E3%82%88%EF%BC%8C%E3%81%93%E3%81%84%E3%82%88&sign=01479cf20504d865519ac50f33ba3a7d"
        );
        let good = sign(
            &[
                ("local_id", "0"),
                ("ts", "1700000000"),
                ("appkey", TV_APPKEY),
            ],
            TV_APPSEC,
        );
        assert_eq!(check(&good), Some(TV_APPKEY));
        let android = sign(&[("ts", "1"), ("appkey", ANDROID_APPKEY)], ANDROID_APPSEC);
        assert_eq!(check(&android), Some(ANDROID_APPKEY));
        // The other pair's secret, a wrong sign, sign not last, unsorted, unknown key, no sign.
        let cross = sign(&[("ts", "1"), ("appkey", TV_APPKEY)], ANDROID_APPSEC);
        assert_eq!(check(&cross), None);
        assert_eq!(check(&good.replace("&sign=", "&sign=0")), None);
        let (body, s) = good.rsplit_once("&sign=").expect("signed");
        assert_eq!(check(&format!("sign={s}&{body}")), None);
        assert_eq!(check(&format!("{body}&sign={s}&zz=1")), None);
        assert_eq!(check(&format!("{body}&sign={}", s.to_uppercase())), None);
        let unsorted = "ts=1&appkey=4409e2ce8ffd12b8";
        assert_eq!(
            check(&format!(
                "{unsorted}&sign={}",
                md5_hex(&format!("{unsorted}{TV_APPSEC}"))
            )),
            None
        );
        let unknown = sign(&[("ts", "1"), ("appkey", "0000000000000000")], TV_APPSEC);
        assert_eq!(check(&unknown), None);
        assert_eq!(check(body), None);
        assert_eq!(check(""), None);
    }
}
