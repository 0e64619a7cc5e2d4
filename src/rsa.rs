//! RSA-OAEP encryption (SHA-256, MGF1-SHA-256, empty label; RFC 8017 section 7.1.1) with a public key read
//! from a PEM (or bare base64) SubjectPublicKeyInfo: the `correspondPath` of the mainland cookie refresh.
//!
//! Only the public operation exists here, on cold code that runs once per refresh: SHA-256 and the random
//! seed come from ring (already linked for TLS; the seed is the operating system's randomness, never a fixed
//! one); the modular exponentiation is a small Montgomery multiplication over 32-bit limbs below (num-bigint
//! did the same for +42 KB of the stripped library; BENCHMARKS.md), and the few DER fields of the key are read
//! by hand. Nothing here is secret (the message is `refresh_<timestamp>`), so constant time does not matter.
//! The tests check the arithmetic against num-bigint and the encryption by decrypting it independently.

use crate::error::{Error, Result};
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

/// The published key of the web's cookie refresh (SPKI, base64), the default of `refresh_public_key`.
pub const PUBLISHED_KEY: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDLgd2OAkcGVtoE3ThUREbio0EgUc/prcajMKXvkCKFCWhJYJcLkcM2DKKcSeFpD/j6Boy538YXnR6VhcuUJOhH2x71nzPjfdTcqMz7djHum0qSZA0AyCBDABUqCrfNgCiJ00Ra7GmRj+YCK1NJEuewlb40JNrRuoEUXpabUzGB8QIDAQAB";

/// The DER of the rsaEncryption object identifier (1.2.840.113549.1.1.1).
const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const HASH_LEN: usize = 32;

/// An RSA public key, its modulus prepared for Montgomery multiplication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The modulus, little-endian 32-bit limbs (odd).
    n: Vec<u32>,
    /// The exponent, big-endian bytes without leading zeros.
    e: Vec<u8>,
    /// The modulus length in bytes.
    k: usize,
    /// `-n^-1 mod 2^32`.
    n0inv: u32,
    /// `R^2 mod n`, `R = 2^(32 * n.len())`.
    rr: Vec<u32>,
}

/// Little-endian 32-bit limbs of big-endian bytes, `len` limbs (zero-padded).
fn limbs(bytes: &[u8], len: usize) -> Vec<u32> {
    let mut out = vec![0u32; len];
    for (i, b) in bytes.iter().rev().enumerate() {
        if let Some(limb) = out.get_mut(i / 4) {
            *limb |= u32::from(*b) << (8 * (i % 4));
        }
    }
    out
}

/// Big-endian bytes of limbs, exactly `len` bytes (the value fits: it is below the modulus).
fn be_bytes(x: &[u32], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for (i, byte) in out.iter_mut().rev().enumerate() {
        *byte = x.get(i / 4).map_or(0, |l| (l >> (8 * (i % 4))) as u8);
    }
    out
}

/// Whether `a >= b` (same length).
fn geq(a: &[u32], b: &[u32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x > y;
        }
    }
    true
}

/// `a -= b` (same length), wrapping.
fn sub_in_place(a: &mut [u32], b: &[u32]) {
    let mut borrow = 0u64;
    for (x, y) in a.iter_mut().zip(b) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(*y))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = (d >> 63) & 1;
    }
}

impl PublicKey {
    /// `a * b * R^-1 mod n` for `a, b < n` (CIOS Montgomery multiplication).
    fn mont_mul(&self, a: &[u32], b: &[u32]) -> Vec<u32> {
        let n = &self.n;
        let s = n.len();
        let mut t = vec![0u32; s + 2];
        for &ai in a.iter().take(s) {
            let mut c = 0u64;
            for (tj, &bj) in t.iter_mut().zip(b.iter()).take(s) {
                let x = u64::from(*tj) + u64::from(ai) * u64::from(bj) + c;
                *tj = x as u32;
                c = x >> 32;
            }
            let x = u64::from(t[s]) + c;
            t[s] = x as u32;
            t[s + 1] = (x >> 32) as u32;
            let m = t[0].wrapping_mul(self.n0inv);
            let x = u64::from(t[0]) + u64::from(m) * u64::from(n[0]);
            let mut c = x >> 32;
            for j in 1..s {
                let x = u64::from(t[j]) + u64::from(m) * u64::from(n[j]) + c;
                t[j - 1] = x as u32;
                c = x >> 32;
            }
            let x = u64::from(t[s]) + c;
            t[s - 1] = x as u32;
            t[s] = t[s + 1].wrapping_add((x >> 32) as u32);
            t[s + 1] = 0;
        }
        if t[s] != 0 || geq(&t[..s], n) {
            sub_in_place(&mut t[..s], n);
        }
        t.truncate(s);
        t
    }

    /// `m^e mod n` for `m < n` (little-endian limbs).
    fn modpow(&self, m: &[u32]) -> Vec<u32> {
        let am = self.mont_mul(m, &self.rr);
        let mut one = vec![0u32; self.n.len()];
        one[0] = 1;
        let mut x = self.mont_mul(&one, &self.rr);
        for byte in &self.e {
            for bit in (0..8).rev() {
                x = self.mont_mul(&x, &x);
                if (byte >> bit) & 1 == 1 {
                    x = self.mont_mul(&x, &am);
                }
            }
        }
        self.mont_mul(&x, &one)
    }
}

fn bad_key(why: &str) -> Error {
    Error::argument(format!(
        "option refresh_public_key is not an RSA public key ({why}): pass a PEM \"PUBLIC KEY\" (SubjectPublicKeyInfo)"
    ))
}

/// Decodes standard base64 (padding optional, whitespace ignored).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Reads one DER element of tag `tag` at the start of `input`: (its content, the rest).
fn der(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let bytes = rest.get(..n)?;
        let len = bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, rest.get(n..)?)
    };
    Some((rest.get(..len)?, rest.get(len..)?))
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), or its bare base64, holding an RSA key of 1024 to
    /// 8192 bits.
    pub fn from_pem(pem: &str) -> Result<PublicKey> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect();
        if pem.contains("-----BEGIN") && !pem.contains("-----BEGIN PUBLIC KEY-----") {
            return Err(bad_key("not a \"PUBLIC KEY\" PEM block"));
        }
        let der_bytes = base64_decode(&body).ok_or_else(|| bad_key("not base64"))?;
        let spki = der(&der_bytes, 0x30).map(|(c, _)| c);
        let spki = spki.ok_or_else(|| bad_key("not a DER sequence"))?;
        let (algorithm, rest) = der(spki, 0x30).ok_or_else(|| bad_key("no algorithm"))?;
        let (oid, _) = der(algorithm, 0x06).ok_or_else(|| bad_key("no algorithm"))?;
        if oid != RSA_ENCRYPTION {
            return Err(bad_key("not an RSA key"));
        }
        let (bits, _) = der(rest, 0x03).ok_or_else(|| bad_key("no key bits"))?;
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(bad_key("malformed key bits")),
        };
        let (seq, _) = der(key, 0x30).ok_or_else(|| bad_key("malformed RSA key"))?;
        let (n, rest) = der(seq, 0x02).ok_or_else(|| bad_key("no modulus"))?;
        let (e, _) = der(rest, 0x02).ok_or_else(|| bad_key("no exponent"))?;
        let strip = |b: &[u8]| -> Vec<u8> { b.iter().copied().skip_while(|x| *x == 0).collect() };
        let (n, e) = (strip(n), strip(e));
        let bits = match n.first() {
            Some(top) => 8 * n.len() - top.leading_zeros() as usize,
            None => 0,
        };
        if !(1024..=8192).contains(&bits) {
            return Err(bad_key("the modulus is not 1024 to 8192 bits"));
        }
        if n.last().is_some_and(|b| b & 1 == 0) {
            return Err(bad_key("the modulus is even"));
        }
        let e_small = e.len() == 1 && e.first().is_some_and(|b| *b < 3);
        let e_ge_n = e.len() > n.len() || (e.len() == n.len() && e >= n);
        if e.is_empty() || e_small || e.last().is_some_and(|b| b & 1 == 0) || e_ge_n {
            return Err(bad_key("the exponent is not valid"));
        }
        let k = n.len();
        let n = limbs(&n, k.div_ceil(4));
        let n0 = n[0];
        // Newton's iteration doubles the correct low bits: 1 -> 32 in five steps (n0 is odd).
        let mut inv: u32 = 1;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inv)));
        }
        // R^2 mod n: 1 doubled 2 * 32 * limbs times, reduced at each step.
        let mut rr = vec![0u32; n.len()];
        rr[0] = 1;
        for _ in 0..64 * n.len() {
            let mut carry = 0u32;
            for limb in rr.iter_mut() {
                let next = *limb >> 31;
                *limb = (*limb << 1) | carry;
                carry = next;
            }
            if carry == 1 || geq(&rr, &n) {
                sub_in_place(&mut rr, &n);
            }
        }
        Ok(PublicKey {
            n,
            e,
            k,
            n0inv: inv.wrapping_neg(),
            rr,
        })
    }

    /// The published key of the mainland web.
    pub fn published() -> PublicKey {
        // The constant is a valid key (tested); a failure could only be a build broken beyond repair.
        PublicKey::from_pem(PUBLISHED_KEY).unwrap_or(PublicKey {
            n: vec![1],
            e: vec![1],
            k: 0,
            n0inv: 0,
            rr: vec![0],
        })
    }

    /// The modulus length in bytes.
    #[cfg(test)]
    pub fn modulus_len(&self) -> usize {
        self.k
    }

    /// RSA-OAEP(SHA-256, MGF1-SHA-256, empty label) of `message`, `len()` bytes.
    pub fn encrypt_oaep_sha256(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut seed = [0u8; HASH_LEN];
        SystemRandom::new().fill(&mut seed).map_err(|_| {
            Error::new(
                crate::ErrorKind::Internal,
                "the operating system gave no random bytes for the refresh's RSA-OAEP",
            )
        })?;
        self.encrypt_with_seed(message, &seed)
    }

    fn encrypt_with_seed(&self, message: &[u8], seed: &[u8; HASH_LEN]) -> Result<Vec<u8>> {
        let k = self.k;
        if k < 2 * HASH_LEN + 2 || message.len() > k - 2 * HASH_LEN - 2 {
            return Err(Error::argument(
                "the refresh message is too long for the refresh_public_key",
            ));
        }
        // DB = lHash || PS || 0x01 || M
        let mut db = Vec::with_capacity(k - HASH_LEN - 1);
        db.extend_from_slice(digest(&SHA256, b"").as_ref());
        db.resize(k - HASH_LEN - 2 - message.len(), 0);
        db.push(1);
        db.extend_from_slice(message);
        let db_mask = mgf1(seed, db.len());
        db.iter_mut().zip(db_mask).for_each(|(d, m)| *d ^= m);
        let seed_mask = mgf1(&db, HASH_LEN);
        let mut em = Vec::with_capacity(k);
        em.push(0);
        em.extend(seed.iter().zip(seed_mask).map(|(s, m)| s ^ m));
        em.extend_from_slice(&db);
        let c = self.modpow(&limbs(&em, self.n.len()));
        Ok(be_bytes(&c, k))
    }
}

/// MGF1 with SHA-256: `len` bytes.
fn mgf1(seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + HASH_LEN);
    let mut counter: u32 = 0;
    while out.len() < len {
        let mut input = Vec::with_capacity(seed.len() + 4);
        input.extend_from_slice(seed);
        input.extend_from_slice(&counter.to_be_bytes());
        out.extend_from_slice(digest(&SHA256, &input).as_ref());
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// The refresh's `correspondPath`: lowercase hex of RSA-OAEP over `refresh_<timestamp>` (the server's ms).
pub fn correspond_path(key: &PublicKey, timestamp_ms: i64) -> Result<String> {
    let message = format!("refresh_{timestamp_ms}");
    Ok(hex(&key.encrypt_oaep_sha256(message.as_bytes())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;

    fn big(limbs: &[u32]) -> BigUint {
        BigUint::from_slice(limbs)
    }

    /// A 1024-bit test key made with `openssl genrsa 1024` for these tests only.
    const TEST_PUB: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDoztlrLZEodDJVDguZjfBxm4wp
Y+Li2XD3E6QwX7GGXh379CXH0TBoT/T1iWHLSdiUt3j0Cd/EsA8g/34oxhGwhapW
2mNObs6fq7sOkMrYIZimsv2PaT9jdHnDi/f0zWzrObv76c1a08oRyfG5F/d5u3Od
Ij4N4JaOqut5+70CLwIDAQAB
-----END PUBLIC KEY-----
";
    /// Its private exponent.
    const TEST_D: &str = "95524f2baa5f677617ee6c02ceabb6a3f7a3cfcc6c731a0a95bf38597a974fdac01aa17f36099ba5dc5afebdee46c887ace37d25f1cb5fc998fa8e4529fbd8cd89ced34eb65cee7514c726e0289d3614f57944687571321a34105ec42c6bf90eb8972ec0c099873cfb247afbf0ce98a9fe9e2ecd89cc060cca358b2754847949";

    /// RFC 8017 7.1.2 decryption, written independently of the encryption above.
    fn decrypt(key: &PublicKey, d: &BigUint, c: &[u8]) -> Vec<u8> {
        let m = BigUint::from_bytes_be(c)
            .modpow(d, &big(&key.n))
            .to_bytes_be();
        let mut em = vec![0u8; key.k - m.len()];
        em.extend_from_slice(&m);
        assert_eq!(em[0], 0);
        let (masked_seed, masked_db) = em[1..].split_at(HASH_LEN);
        let seed: Vec<u8> = masked_seed
            .iter()
            .zip(mgf1(masked_db, HASH_LEN))
            .map(|(a, b)| a ^ b)
            .collect();
        let db: Vec<u8> = masked_db
            .iter()
            .zip(mgf1(&seed, masked_db.len()))
            .map(|(a, b)| a ^ b)
            .collect();
        assert_eq!(&db[..HASH_LEN], digest(&SHA256, b"").as_ref());
        let one = HASH_LEN + db[HASH_LEN..].iter().position(|b| *b != 0).unwrap();
        assert_eq!(db[one], 1);
        db[one + 1..].to_vec()
    }

    #[test]
    fn keys_parse() {
        let published = PublicKey::from_pem(PUBLISHED_KEY).unwrap();
        assert_eq!(published.modulus_len(), 128);
        assert_eq!(published.e, vec![1, 0, 1]);
        assert_eq!(PublicKey::published(), published);
        let test = PublicKey::from_pem(TEST_PUB).unwrap();
        assert_eq!(test.modulus_len(), 128);
        for bad in [
            "",
            "garbage!",
            "-----BEGIN PRIVATE KEY-----\nMIGf\n-----END PRIVATE KEY-----",
            "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDLgd2O",
            "AAAA",
            // A modulus that is even.
            "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgIDAQAB",
        ] {
            let e = PublicKey::from_pem(bad).unwrap_err();
            assert!(e.message().contains("refresh_public_key"), "{bad}");
        }
    }

    #[test]
    fn montgomery_agrees_with_num_bigint() {
        let key = PublicKey::from_pem(PUBLISHED_KEY).unwrap();
        let n = big(&key.n);
        let e = BigUint::from_bytes_be(&key.e);
        let r = BigUint::from(1u32) << (32 * key.n.len());
        assert_eq!(big(&key.rr), (&r * &r) % &n);
        // A simple generator of values below n, and the edge values 0, 1, n - 1.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = vec![
            vec![0u32; 32],
            limbs(&[1], 32),
            limbs(&(&n - 1u32).to_bytes_be(), 32),
        ];
        for _ in 0..20 {
            let v: Vec<u32> = (0..32)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u32
                })
                .collect();
            values.push(limbs(&(big(&v) % &n).to_bytes_be(), 32));
        }
        for v in &values {
            assert_eq!(big(&key.modpow(v)), big(v).modpow(&e, &n));
            let w = values.last().unwrap();
            let prod = big(&key.mont_mul(v, w)) * &r % &n;
            assert_eq!(prod, big(v) * big(w) % &n);
        }
        assert_eq!(be_bytes(&limbs(&[1, 2, 3], 1), 3), vec![1, 2, 3]);
    }

    #[test]
    fn oaep_round_trips_and_is_randomized() {
        let key = PublicKey::from_pem(TEST_PUB).unwrap();
        let d = BigUint::parse_bytes(TEST_D.as_bytes(), 16).unwrap();
        let path = correspond_path(&key, 1_767_225_600_123).unwrap();
        assert_eq!(path.len(), 256);
        assert!(path
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        let c: Vec<u8> = (0..128)
            .map(|i| u8::from_str_radix(&path[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(decrypt(&key, &d, &c), b"refresh_1767225600123");
        // A fresh seed each time: the same message never encrypts the same way twice.
        assert_ne!(path, correspond_path(&key, 1_767_225_600_123).unwrap());
        // With a fixed seed (tests only) the output is deterministic and still decrypts.
        let a = key.encrypt_with_seed(b"x", &[7; 32]).unwrap();
        assert_eq!(a, key.encrypt_with_seed(b"x", &[7; 32]).unwrap());
        assert_eq!(decrypt(&key, &d, &a), b"x");
        assert!(key.encrypt_with_seed(&[0; 63], &[0; 32]).is_err());
    }
}
