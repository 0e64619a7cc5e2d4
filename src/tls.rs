//! TLS policy: rustls with *ring*'s algorithms, the Mozilla root store of `webpki-roots`, certificates always
//! verified (there is no option to turn that off), and no client certificates.
//!
//! The crypto provider is *ring*'s default one with its key provider replaced: the library never presents a
//! client certificate, so the code that loads and signs with private keys (RSA, ECDSA, Ed25519) is not linked
//! in (-47 KB stripped; BENCHMARKS.md). Cipher suites, key exchange groups and signature verification are
//! exactly *ring*'s defaults.

use once_cell::sync::Lazy;
use rustls::crypto::{CryptoProvider, KeyProvider};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::SigningKey;
use std::sync::Arc;
use ureq::tls::{RootCerts, TlsConfig};

static PROVIDER: Lazy<Arc<CryptoProvider>> = Lazy::new(|| {
    Arc::new(CryptoProvider {
        key_provider: &NoClientCertificates,
        ..rustls::crypto::ring::default_provider()
    })
});

/// The TLS settings of every agent the library builds.
pub fn config() -> TlsConfig {
    TlsConfig::builder()
        .root_certs(RootCerts::WebPki)
        .unversioned_rustls_crypto_provider(PROVIDER.clone())
        .build()
}

/// A key provider that loads no key: nothing in the library asks for one.
#[derive(Debug)]
struct NoClientCertificates;

impl KeyProvider for NoClientCertificates {
    fn load_private_key(
        &self,
        _key: PrivateKeyDer<'static>,
    ) -> std::result::Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "client certificates are not supported".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_rings_defaults_without_private_keys() {
        let ring = rustls::crypto::ring::default_provider();
        let ours = &*PROVIDER;
        let names = |p: &CryptoProvider| {
            p.cipher_suites
                .iter()
                .map(|s| s.suite())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(ours), names(&ring));
        assert_eq!(
            ours.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>(),
            ring.kx_groups.iter().map(|g| g.name()).collect::<Vec<_>>()
        );
        assert_eq!(
            ours.signature_verification_algorithms.mapping.len(),
            ring.signature_verification_algorithms.mapping.len()
        );
        assert!(ours.fips() == ring.fips());
        let key = PrivateKeyDer::Pkcs8(vec![0x30, 0x00].into());
        assert!(ours.key_provider.load_private_key(key).is_err());
        assert!(!config().disable_verification());
    }
}
