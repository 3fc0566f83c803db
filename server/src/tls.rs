// SPDX-License-Identifier: MPL-2.0
//! The server's TLS identity (rustls on ring).
//!
//! Either the clinic gives a certificate chain and key in files
//! (`--tls-cert`, `--tls-key`), or on first start the server makes a
//! **clinic CA** and a server certificate for its names and keeps them in
//! `<data-dir>/tls/` (owner-only: `files.rs`). Phones pin what the enrolment QR
//! tells them: the SHA-256 of the clinic CA (or of the last certificate of
//! a given chain), so the server certificate can be renewed — it is, when
//! its names change or it nears expiry — without touching any phone. No
//! public CA or OS trust store is involved.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::files::{create_private_dir, replace_private, write_private};
use crate::secrets::hex;

/// What the server presents and what phones pin.
pub struct ServerTls {
    pub config: Arc<rustls::ServerConfig>,
    /// `sha256:<hex>` of the certificate phones pin.
    pub pin: String,
}

const CA_NAME: &str = "Houmon clinic CA";
const SERVER_YEARS: i32 = 2;
const CA_YEARS: i32 = 20;

fn pin_of(der: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(der)))
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(Arc::new(config))
}

/// A chain and key from the clinic's files. Phones pin the chain's last
/// certificate (its CA) or, for a lone certificate, that one.
pub fn from_files(cert: &Path, key: &Path) -> Result<ServerTls, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let last = chain.last().ok_or_else(|| format!("{}: no certificate", cert.display()))?;
    let pin = pin_of(last);
    crate::files::refuse_loose(key)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    Ok(ServerTls { config: server_config(chain, key)?, pin })
}

struct Paths {
    ca_cert: PathBuf,
    ca_key: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    names: PathBuf,
}

fn paths(dir: &Path) -> Paths {
    Paths {
        ca_cert: dir.join("clinic-ca.pem"),
        ca_key: dir.join("clinic-ca.key"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        names: dir.join("server.names"),
    }
}

fn ca_params() -> rcgen::CertificateParams {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("no names");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    ca.distinguished_name = rcgen::DistinguishedName::new();
    ca.distinguished_name.push(rcgen::DnType::CommonName, CA_NAME);
    ca
}

fn years_from_now(years: i32) -> time::OffsetDateTime {
    use chrono::Datelike;
    let d = chrono::Utc::now().date_naive();
    rcgen::date_time_ymd(d.year() + years, d.month() as u8, d.day().min(28) as u8)
}

/// The clinic CA and server certificate in `dir`, made on first start; the
/// server certificate is made again (same CA) when `names` change or it
/// has less than 30 days left.
pub fn generated(dir: &Path, names: &[String]) -> Result<ServerTls, String> {
    let p = paths(dir);
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    create_private_dir(dir).map_err(|e| io(dir, e))?;
    // The CA: made once, kept.
    let (ca_key, ca_der) = if p.ca_cert.exists() && p.ca_key.exists() {
        let key_pem = std::fs::read_to_string(&p.ca_key).map_err(|e| io(&p.ca_key, e))?;
        let key = rcgen::KeyPair::from_pem(&key_pem).map_err(|e| format!("clinic CA key: {e}"))?;
        let der =
            CertificateDer::from_pem_file(&p.ca_cert).map_err(|e| format!("clinic CA: {e}"))?;
        (key, der)
    } else {
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let mut params = ca_params();
        params.not_after = years_from_now(CA_YEARS);
        let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
        write_private(&p.ca_key, key.serialize_pem().as_bytes())?;
        replace_private(&p.ca_cert, cert.pem().as_bytes()).map_err(|e| io(&p.ca_cert, e))?;
        tracing::info!(dir = ?dir, "made the clinic CA");
        (key, cert.der().clone())
    };
    // The server certificate.
    let wanted = names.join("\n");
    let current_names = std::fs::read_to_string(&p.names).unwrap_or_default();
    let fresh_enough = || -> bool {
        use der::Decode;
        let Ok(der) = CertificateDer::from_pem_file(&p.cert) else { return false };
        x509_cert::Certificate::from_der(&der)
            .map(|c| {
                let end = c.tbs_certificate.validity.not_after.to_unix_duration().as_secs() as i64;
                end - chrono::Utc::now().timestamp() > 30 * 86_400
            })
            .unwrap_or(false)
    };
    if !(p.cert.exists() && p.key.exists() && current_names == wanted && fresh_enough()) {
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let mut params = rcgen::CertificateParams::new(names.to_vec())
            .map_err(|e| format!("server names {names:?}: {e}"))?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::CommonName, "Houmon clinic server");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.not_after = years_from_now(SERVER_YEARS);
        let ca_params = ca_params();
        let ca = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let cert = params.signed_by(&key, &ca).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(&p.key);
        write_private(&p.key, key.serialize_pem().as_bytes())?;
        replace_private(&p.cert, cert.pem().as_bytes()).map_err(|e| io(&p.cert, e))?;
        replace_private(&p.names, wanted.as_bytes()).map_err(|e| io(&p.names, e))?;
        tracing::info!(names = ?names, "made the server certificate");
    }
    let leaf =
        CertificateDer::from_pem_file(&p.cert).map_err(|e| format!("server certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(&p.key).map_err(|e| format!("server key: {e}"))?;
    let pin = pin_of(&ca_der);
    Ok(ServerTls { config: server_config(vec![leaf, ca_der], key)?, pin })
}
