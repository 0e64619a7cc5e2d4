//! The server's RSA key pair for the mainland cookie refresh (`correspond/1/<hex>`). The real service has its
//! own key (its public half is built into clients); this server holds a committed 1024-bit **test** key, so a
//! client under test must be given [`refresh_public_key_pem`] instead (the binary writes it with
//! `--refresh-public-key-out FILE`). The private half protects nothing: it only lets this server decrypt what a
//! test encrypted.

use rsa::pkcs8::DecodePrivateKey;
use rsa::{Oaep, RsaPrivateKey};
use sha2::Sha256;
use std::sync::OnceLock;

const PRIVATE_PEM: &str = include_str!("refresh_test_key.pem");
const PUBLIC_PEM: &str = include_str!("refresh_test_pub.pem");

/// The public half, PEM `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo), 1024-bit RSA, e = 65537.
pub fn refresh_public_key_pem() -> &'static str {
    PUBLIC_PEM
}

fn private_key() -> Option<&'static RsaPrivateKey> {
    static KEY: OnceLock<Option<RsaPrivateKey>> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::from_pkcs8_pem(PRIVATE_PEM).ok())
        .as_ref()
}

/// Decrypts a `correspondPath`: lowercase hex of RSA-OAEP(SHA-256, MGF1-SHA-256). `None` when it is not
/// lowercase hex or does not decrypt to UTF-8.
pub(crate) fn decrypt_path(hex_text: &str) -> Option<String> {
    let lower_hex = hex_text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !lower_hex || hex_text.len() & 1 != 0 || hex_text.is_empty() || hex_text.len() > 1024 {
        return None;
    }
    let bytes: Option<Vec<u8>> = hex_text
        .as_bytes()
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect();
    let plain = private_key()?
        .decrypt(Oaep::new::<Sha256>(), &bytes?)
        .ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
    use rsa::RsaPublicKey;

    #[test]
    fn halves_match_and_decrypt() {
        let key = private_key().expect("the committed key parses");
        let derived = RsaPublicKey::from(key)
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        assert_eq!(derived.trim(), refresh_public_key_pem().trim());
        let public = RsaPublicKey::from_public_key_pem(refresh_public_key_pem()).expect("spki");
        let mut rng = rand_core::OsRng;
        let ct = public
            .encrypt(&mut rng, Oaep::new::<Sha256>(), b"refresh_1700000000000")
            .expect("encrypt");
        let hex: String = ct.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex.len(), 256);
        assert_eq!(decrypt_path(&hex).as_deref(), Some("refresh_1700000000000"));
        assert_eq!(decrypt_path(&hex.to_uppercase()), None);
        assert_eq!(decrypt_path("zz"), None);
        assert_eq!(decrypt_path(&"00".repeat(128)), None);
    }
}
