//! `--tls`: a freshly generated self-signed certificate for 127.0.0.1 / localhost.

use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

/// The server configuration and the certificate's DER bytes.
pub fn server_config() -> Result<(Arc<ServerConfig>, Vec<u8>), String> {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(|e| format!("certificate generation failed: {e}"))?;
    let cert = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS config failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .map_err(|e| format!("TLS config failed: {e}"))?;
    Ok((Arc::new(cfg), cert.as_ref().to_vec()))
}
