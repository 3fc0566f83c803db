// SPDX-License-Identifier: MPL-2.0
//! Revocation: J-LIS certificate revocation lists, from a folder the
//! clinic keeps up to date (`--crl-dir`). J-LIS publishes its CRLs only to
//! registered verifiers (the certificates' CRL distribution point is a
//! directory name, not a URL), so the server reads files; it never fetches.
//!
//! Every `*.crl`, `*.der` or `*.pem` file in the folder is read (DER or PEM
//! `X509 CRL`). A list counts only if its signature verifies under one of
//! the trust anchors with the list's issuer name (the J-LIS generations
//! share one name: every matching anchor is tried). The folder is read
//! again when a file in it changes. A certificate whose issuer and serial
//! number are on a list is refused (`certificate-revoked`). A list past its
//! `nextUpdate` still counts, and the server logs that it is stale.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use houmon_core::card::cert::AuthCertificate;
use x509_cert::crl::CertificateList;

use crate::secrets::hex;

/// The revoked serial numbers, by issuer name.
#[derive(Debug, Default, Clone)]
pub struct Revoked {
    by_issuer: HashMap<String, HashSet<String>>,
    /// (file, nextUpdate) of each list loaded.
    pub lists: Vec<(PathBuf, Option<DateTime<Utc>>)>,
}

impl Revoked {
    pub fn is_revoked(&self, cert: &AuthCertificate) -> bool {
        !self.by_issuer.is_empty()
            && self.by_issuer.get(cert.issuer()).is_some_and(|s| s.contains(&cert.serial_hex))
    }

    pub fn serials(&self) -> usize {
        self.by_issuer.values().map(HashSet::len).sum()
    }
}

/// A list's issuer name, revoked serials (hex) and `nextUpdate`.
pub type ParsedList = (String, Vec<String>, Option<DateTime<Utc>>);

/// Parses and checks one list; its issuer name and revoked serials.
pub fn parse(bytes: &[u8], anchors: &[AuthCertificate]) -> Result<ParsedList, String> {
    let der = crate::verify::pem_block(bytes, "X509 CRL").unwrap_or_else(|| bytes.to_vec());
    let crl = CertificateList::from_der(&der).map_err(|e| format!("not a CRL: {e}"))?;
    let issuer = crl.tbs_cert_list.issuer.to_string();
    let tbs = crl.tbs_cert_list.to_der().map_err(|e| e.to_string())?;
    let sig = crl.signature.as_bytes().ok_or("signature has unused bits")?;
    let signed_by_anchor =
        anchors.iter().any(|a| a.subject() == issuer && a.verify_signature(&tbs, sig).is_ok());
    if !signed_by_anchor {
        return Err(format!("not signed by a trust anchor named {issuer}"));
    }
    let serials = crl
        .tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|r| hex(r.serial_number.as_bytes()))
        .collect();
    let next = crl
        .tbs_cert_list
        .next_update
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0));
    Ok((issuer, serials, next))
}

/// The lists in a folder, reloaded when the folder changes.
pub struct CrlStore {
    dir: Option<PathBuf>,
    anchors: Vec<AuthCertificate>,
    state: RwLock<(Revoked, Option<SystemTime>)>,
}

fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    let mut newest = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        if let Ok(t) = e.metadata().and_then(|m| m.modified()) {
            newest = newest.max(Some(t));
        }
    }
    newest
}

impl CrlStore {
    pub fn new(dir: Option<PathBuf>, anchors: Vec<AuthCertificate>) -> CrlStore {
        let store = CrlStore { dir, anchors, state: RwLock::new((Revoked::default(), None)) };
        store.refresh();
        store
    }

    /// Reads the folder again if anything in it changed.
    pub fn refresh(&self) {
        let Some(dir) = &self.dir else { return };
        let mtime = newest_mtime(dir);
        if self.state.read().map(|s| s.1 == mtime && mtime.is_some()).unwrap_or(false) {
            return;
        }
        let mut revoked = Revoked::default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        for path in files {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if !matches!(ext, "crl" | "der" | "pem") {
                continue;
            }
            let loaded = std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| parse(&b, &self.anchors));
            match loaded {
                Ok((issuer, serials, next)) => {
                    if next.is_some_and(|n| n < Utc::now()) {
                        tracing::warn!(file = ?path, "revocation list is past its nextUpdate: ask J-LIS for a new one");
                    }
                    revoked.by_issuer.entry(issuer).or_default().extend(serials);
                    revoked.lists.push((path, next));
                }
                Err(e) => tracing::warn!(file = ?path, error = %e, "revocation list ignored"),
            }
        }
        tracing::info!(
            lists = revoked.lists.len(),
            serials = revoked.serials(),
            "revocation lists loaded"
        );
        if let Ok(mut s) = self.state.write() {
            *s = (revoked, mtime);
        }
    }

    pub fn is_revoked(&self, cert: &AuthCertificate) -> bool {
        self.state.read().map(|s| s.0.is_revoked(cert)).unwrap_or(false)
    }

    pub fn snapshot(&self) -> Revoked {
        self.state.read().map(|s| s.0.clone()).unwrap_or_default()
    }
}
