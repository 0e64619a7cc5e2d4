//! TLS policy: rustls with *ring*'s algorithms, certificates always verified (there is no option to turn that
//! off), and no client certificates.
//!
//! Trust roots, in this order:
//! 1. the operating system's trust store, loaded once per process: on Linux (and the BSDs) the distribution's
//!    PEM bundle (`/etc/ssl/certs/ca-certificates.crt`, or where other distributions keep it), read here; on
//!    Windows the user's and machine's "ROOT" stores and on macOS the keychains' trust settings, through
//!    `rustls-native-certs`. `SSL_CERT_FILE` and `SSL_CERT_DIR`, when set, replace the system's locations (as
//!    for OpenSSL and curl; `SSL_CERT_DIR` only on Windows and macOS);
//! 2. when that yields no certificate at all (a container without `ca-certificates`), the Mozilla roots compiled
//!    into the library (`webpki-roots`);
//! 3. plus the certificates of the `ca_file` option (a PEM bundle), for a TLS-inspecting proxy's or a local CA.
//!
//! Why not `rustls-platform-verifier`: ureq 3 takes it only as a whole verifier without extra roots (no
//! `ca_file`), and on Linux it reads the same files as `rustls-native-certs`. See BENCHMARKS.md for the size and
//! cold-start cost of the choice.
//!
//! The crypto provider is *ring*'s default one with its key provider replaced: the library never presents a
//! client certificate, so the code that loads and signs with private keys (RSA, ECDSA, Ed25519) is not linked
//! in (-47 KB stripped; BENCHMARKS.md). Cipher suites, key exchange groups and signature verification are
//! exactly *ring*'s defaults.

use crate::error::{Error, Result};
use once_cell::sync::Lazy;
use rustls::crypto::{CryptoProvider, KeyProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::SigningKey;
use std::sync::Arc;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

static PROVIDER: Lazy<Arc<CryptoProvider>> = Lazy::new(|| {
    Arc::new(CryptoProvider {
        key_provider: &NoClientCertificates,
        ..rustls::crypto::ring::default_provider()
    })
});

/// The system's roots (DER), read once; empty when the store has none (or could not be read).
static SYSTEM_ROOTS: Lazy<Arc<Vec<Certificate<'static>>>> = Lazy::new(|| {
    Arc::new(
        system_store()
            .into_iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect(),
    )
});

/// Windows and macOS: the platform's store through `rustls-native-certs` (which also honours `SSL_CERT_FILE`
/// and `SSL_CERT_DIR`). Certificates it cannot read are skipped, like the platform's own clients do.
#[cfg(any(windows, target_os = "macos"))]
fn system_store() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

/// Where Linux distributions and the BSDs keep their PEM bundle (the list Go's crypto/x509 searches; the first
/// one that holds certificates is used).
#[cfg(not(any(windows, target_os = "macos")))]
const BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",             // openSUSE
    "/etc/pki/tls/cacert.pem",            // OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7+
    "/etc/ssl/cert.pem",                  // Alpine, FreeBSD, OpenBSD
    "/usr/local/share/certs/ca-root-nss.crt", // FreeBSD
];

/// Linux and the other Unix systems: the file named by `SSL_CERT_FILE` when it is set (OpenSSL's variable,
/// replacing the default as it does for OpenSSL and curl), else the distribution's bundle. This is what
/// `rustls-native-certs` does in less code (25 KB less): it also reads the hashed directory beside the bundle (the same
/// certificates again, ~300 more files to open) and sorts out the duplicates. `SSL_CERT_DIR` is not read (every
/// distribution writes the bundle; `ca_file` takes a bundle too).
#[cfg(not(any(windows, target_os = "macos")))]
fn system_store() -> Vec<CertificateDer<'static>> {
    match std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        Some(file) => pem_certificates(std::path::Path::new(&file)),
        None => BUNDLES
            .iter()
            .map(|f| pem_certificates(std::path::Path::new(f)))
            .find(|c| !c.is_empty())
            .unwrap_or_default(),
    }
}

/// The certificates of one PEM file; none when it cannot be read. Blocks that do not decode are skipped.
#[cfg(not(any(windows, target_os = "macos")))]
fn pem_certificates(path: &std::path::Path) -> Vec<CertificateDer<'static>> {
    match std::fs::read(path) {
        Ok(bytes) => CertificateDer::pem_slice_iter(&bytes)
            .filter_map(|c| c.ok())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Where the roots of a configuration come from (for tests and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// The system's store (or `SSL_CERT_FILE`/`SSL_CERT_DIR`), plus `ca_file` if given.
    System,
    /// The compiled-in Mozilla roots: the system store was empty and no `ca_file` was given.
    Mozilla,
    /// Only `ca_file`: the system store was empty (the compiled-in roots are trust anchors, not certificates,
    /// and cannot be merged with a bundle).
    CaFileOnly,
}

/// The certificates of the `ca_file` option (none without it). A `ca_file` that cannot be read, or holds no PEM
/// certificate, is `ERR_ARGUMENT`. Read when an agent is made, so that a bad `ca_file` is `ERR_ARGUMENT` before anything is sent, over http too.
pub fn ca_certificates(ca_file: Option<&str>) -> Result<Vec<Certificate<'static>>> {
    match ca_file {
        Some(path) => read_ca_file(path),
        None => Ok(Vec::new()),
    }
}

/// The TLS settings from `ca_file`'s certificates (from [`ca_certificates`]) and the system's store. This is
/// what reads the system's store, once per process: the transport calls it for its first https connection
/// only, so loading the library and talking plain http read no trust store.
pub fn config_from_extra(extra: Vec<Certificate<'static>>) -> (TlsConfig, Roots) {
    let (roots, kind) = choose(&SYSTEM_ROOTS, extra);
    let config = TlsConfig::builder()
        .root_certs(roots)
        .unversioned_rustls_crypto_provider(PROVIDER.clone())
        .build();
    (config, kind)
}

/// TLS settings that trust nothing, without reading any store: for the agent that carries plain http only,
/// which never starts a TLS session (were it ever to, verification would fail, never pass).
pub fn config_trusting_nothing() -> TlsConfig {
    TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(Vec::new())))
        .unversioned_rustls_crypto_provider(PROVIDER.clone())
        .build()
}

/// The roots of a configuration from the system's certificates and `ca_file`'s (see the module doc).
fn choose(
    system: &Arc<Vec<Certificate<'static>>>,
    extra: Vec<Certificate<'static>>,
) -> (RootCerts, Roots) {
    match (system.is_empty(), extra.is_empty()) {
        (true, true) => (RootCerts::WebPki, Roots::Mozilla),
        (true, false) => (RootCerts::Specific(Arc::new(extra)), Roots::CaFileOnly),
        (false, true) => (RootCerts::Specific(Arc::clone(system)), Roots::System),
        (false, false) => {
            let mut all = Vec::with_capacity(system.len() + extra.len());
            all.extend(system.iter().cloned());
            all.extend(extra);
            (RootCerts::Specific(Arc::new(all)), Roots::System)
        }
    }
}

/// The certificates of a PEM file. The message names the option and the path the caller gave, never the file's
/// contents.
fn read_ca_file(path: &str) -> Result<Vec<Certificate<'static>>> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(Error::argument(format!(
            "option ca_file: {path:?} is a directory, not a PEM file"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::argument(format!(
            "option ca_file: cannot read {path:?}: {}",
            io_reason(&e)
        ))
    })?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        match item {
            Ok(der) => certs.push(Certificate::from_der(der.as_ref()).to_owned()),
            Err(_) => {
                return Err(Error::argument(format!(
                    "option ca_file: {path:?} is not a valid PEM file"
                )))
            }
        }
    }
    // A certificate that rustls cannot use as a trust anchor is refused here rather than silently ignored.
    let mut store = rustls::RootCertStore::empty();
    let (_, ignored) = store.add_parsable_certificates(
        certs
            .iter()
            .map(|c| CertificateDer::from(c.der()).into_owned()),
    );
    if certs.is_empty() {
        return Err(Error::argument(format!(
            "option ca_file: {path:?} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        )));
    }
    if ignored > 0 {
        return Err(Error::argument(format!(
            "option ca_file: {ignored} certificate(s) in {path:?} cannot be parsed"
        )));
    }
    Ok(certs)
}

fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        _ => "read error",
    }
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
        let (config, _) = config_from_extra(Vec::new());
        assert!(!config.disable_verification());
        // The plain-http agent's settings verify too (against no root at all).
        assert!(!config_trusting_nothing().disable_verification());
    }

    fn cert(n: u8) -> Certificate<'static> {
        Certificate::from_der(&[0x30, 0x03, 0x02, 0x01, n]).to_owned()
    }

    fn ders(roots: &RootCerts) -> Vec<Vec<u8>> {
        match roots {
            RootCerts::Specific(list) => list.iter().map(|c| c.der().to_vec()).collect(),
            other => panic!("expected specific roots, got {other:?}"),
        }
    }

    #[test]
    fn roots_are_the_system_store_plus_ca_file_and_mozilla_only_when_the_store_is_empty() {
        let system = Arc::new(vec![cert(1), cert(2)]);
        let (roots, kind) = choose(&system, Vec::new());
        assert_eq!(kind, Roots::System);
        assert_eq!(ders(&roots), ders(&RootCerts::Specific(system.clone())));

        let (roots, kind) = choose(&system, vec![cert(3)]);
        assert_eq!(kind, Roots::System);
        assert_eq!(ders(&roots).len(), 3, "ca_file is added, not substituted");
        assert_eq!(ders(&roots)[2], cert(3).der());

        let empty = Arc::new(Vec::new());
        let (roots, kind) = choose(&empty, Vec::new());
        assert_eq!(kind, Roots::Mozilla);
        assert!(matches!(roots, RootCerts::WebPki));

        let (roots, kind) = choose(&empty, vec![cert(4)]);
        assert_eq!(kind, Roots::CaFileOnly);
        assert_eq!(ders(&roots), vec![cert(4).der().to_vec()]);
    }

    #[test]
    fn ca_file_errors_are_argument_errors_naming_the_option() {
        let dir = std::env::temp_dir().join(format!("bili-qr-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, body: &str| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            p.to_string_lossy().into_owned()
        };
        let cases = [
            (
                dir.join("missing.pem").to_string_lossy().into_owned(),
                "no such file",
            ),
            (dir.to_string_lossy().into_owned(), "directory"),
            (write("empty.pem", ""), "no PEM certificate"),
            (
                write("text.pem", "not a certificate\n"),
                "no PEM certificate",
            ),
            (
                write(
                    "key.pem",
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                ),
                "no PEM certificate",
            ),
            (
                write(
                    "bad.pem",
                    "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                ),
                "not a valid PEM file",
            ),
            (
                write(
                    "junk.pem",
                    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                ),
                "cannot be parsed",
            ),
        ];
        for (path, needle) in cases {
            let e = match ca_certificates(Some(&path)) {
                Err(e) => e,
                Ok(_) => panic!("{path} was accepted"),
            };
            let text = e.message().to_owned();
            assert_eq!(
                e.kind(),
                crate::error::ErrorKind::Argument,
                "{path}: {text}"
            );
            assert!(
                text.contains("ca_file") && text.contains(needle),
                "{path}: {text}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
