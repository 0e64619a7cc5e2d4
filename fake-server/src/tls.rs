//! `--tls`: a test CA generated at start, and a server certificate for 127.0.0.1 / localhost signed by it.
//! Untrusted by default (nothing trusts a CA made a moment ago); a client that adds the CA (PEM from
//! [`TlsMaterial::ca_pem`]) trusts it.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

pub(crate) struct TlsMaterial {
    pub(crate) config: Arc<ServerConfig>,
    /// The server (leaf) certificate, DER.
    pub(crate) leaf_der: Vec<u8>,
    /// The test CA certificate, DER.
    pub(crate) ca_der: Vec<u8>,
}

fn err(e: impl std::fmt::Display) -> String {
    format!("certificate generation failed: {e}")
}

pub(crate) fn server_config() -> Result<TlsMaterial, String> {
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "bili_qr fake-server test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().map_err(err)?;
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(err)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "bili_qr fake-server");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).map_err(err)?;

    let leaf_der: CertificateDer<'static> = leaf.der().clone();
    let ca_der: CertificateDer<'static> = ca_cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS config failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(vec![leaf_der.clone(), ca_der.clone()], key)
        .map_err(|e| format!("TLS config failed: {e}"))?;
    Ok(TlsMaterial {
        config: Arc::new(config),
        leaf_der: leaf_der.as_ref().to_vec(),
        ca_der: ca_der.as_ref().to_vec(),
    })
}

/// A `-----BEGIN CERTIFICATE-----` block (base64, 64 characters a line).
pub(crate) fn pem(der: &[u8]) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len().div_ceil(3) * 4);
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    let bytes = b64.as_bytes();
    for line in bytes.chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_is_base64() {
        let p = pem(b"Man\x00\xff");
        assert_eq!(
            p,
            "-----BEGIN CERTIFICATE-----\nTWFuAP8=\n-----END CERTIFICATE-----\n"
        );
        assert!(pem(&[0u8; 100])
            .lines()
            .all(|l| l.len() <= 64 || l.starts_with("-----")));
        let m = server_config().expect("certificates");
        assert!(!m.ca_der.is_empty() && !m.leaf_der.is_empty());
        assert_ne!(m.ca_der, m.leaf_der);
    }
}
