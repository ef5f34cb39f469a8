//! Built-in HTTPS (rustls) from `TLS_CERT` / `TLS_KEY` (PEM files).
use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

pub fn load(cert: &Path, key: &Path) -> anyhow::Result<ServerConfig> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow::anyhow!("TLS_CERT {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("TLS_CERT {}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("TLS_CERT {}: no certificate found", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("TLS_KEY {}: {e}", key.display()))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key)?)
}
