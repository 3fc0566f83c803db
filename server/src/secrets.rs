// SPDX-License-Identifier: MPL-2.0
//! The server's secrets: one 32-byte master key, from a file or the
//! environment (never the command line), and the keys derived from it.
//!
//! - `seal`: XChaCha20-Poly1305 for the personal data at rest (patients'
//!   names, addresses, birth dates, insurance numbers; visit records; the
//!   terminal's answers). The row's id is the associated data, so a sealed
//!   value moved to another row does not open.
//! - `time`: HMAC-SHA256 for the server-time tokens the phones put in
//!   their challenges (`time_anchor.rs`).
//! - `codes`: HMAC-SHA256 under which enrolment codes are stored, so that a
//!   copy of the database does not reveal a code still usable.
//! - `audit`: HMAC-SHA256 chaining the audit trail, so that an edit made
//!   without the key cannot be hidden by recomputing the chain.
//!
//! Derivation: HMAC-SHA256(master, "houmon-server/<purpose>/v1"). The key
//! is read from `--key-file FILE` or `HOUMON_SERVER_KEY` (64 hex digits);
//! on first start with neither, a key is made and written to
//! `<data-dir>/server.key` (mode 0600). Back it up apart from the database:
//! the database is unreadable without it (README, `docs/security.md`).

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The environment variable that may hold the master key (64 hex digits).
pub const KEY_ENV: &str = "HOUMON_SERVER_KEY";

const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

type HmacSha256 = Hmac<Sha256>;

/// The master key and its derived keys. Wiped on drop.
pub struct Secrets {
    seal: Zeroizing<[u8; 32]>,
    time: Zeroizing<[u8; 32]>,
    codes: Zeroizing<[u8; 32]>,
    audit: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

fn derive(master: &[u8; 32], purpose: &str) -> Zeroizing<[u8; 32]> {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(format!("houmon-server/{purpose}/v1").as_bytes());
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn parse_hex_key(text: &str) -> Option<Zeroizing<[u8; 32]>> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut key = Zeroizing::new([0u8; 32]);
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// Where the master key came from (said in the start-up log, never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    Environment,
    /// Made now and written to this file.
    Generated(PathBuf),
    /// Given by the caller (tests, the loopback clinic).
    Given,
}

impl Secrets {
    pub fn from_master(master: &[u8; 32]) -> Secrets {
        Secrets {
            seal: derive(master, "seal"),
            time: derive(master, "time"),
            codes: derive(master, "codes"),
            audit: derive(master, "audit"),
        }
    }

    /// A fresh random master key (tests).
    pub fn generate() -> Secrets {
        let master: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
        Secrets::from_master(&master)
    }

    /// Loads the master key: `key_file` if given, else the environment,
    /// else `<data_dir>/server.key`, made on first start — only while
    /// `database` does not exist yet: a new key would not open it.
    pub fn load(
        key_file: Option<&Path>,
        data_dir: &Path,
        database: &Path,
    ) -> Result<(Secrets, KeySource), String> {
        let read = |p: &Path| -> Result<Zeroizing<[u8; 32]>, String> {
            let text = Zeroizing::new(
                std::fs::read_to_string(p).map_err(|e| format!("key file {}: {e}", p.display()))?,
            );
            parse_hex_key(&text)
                .ok_or_else(|| format!("key file {}: not 64 hex digits", p.display()))
        };
        if let Some(p) = key_file {
            crate::files::refuse_loose(p)?;
            return Ok((Secrets::from_master(&*read(p)?), KeySource::File(p.to_owned())));
        }
        if let Ok(v) = std::env::var(KEY_ENV) {
            let key = parse_hex_key(&Zeroizing::new(v))
                .ok_or_else(|| format!("{KEY_ENV}: not 64 hex digits"))?;
            return Ok((Secrets::from_master(&key), KeySource::Environment));
        }
        let path = data_dir.join("server.key");
        if path.exists() {
            return Ok((Secrets::from_master(&*read(&path)?), KeySource::File(path)));
        }
        if database.exists() {
            return Err(format!(
                "no server key for the existing database {}: give --key-file FILE or {KEY_ENV}, \
                 or put the key back at {} (a new key would not open the database)",
                database.display(),
                path.display()
            ));
        }
        if database.exists() {
            return Err(format!(
                "no server key for the existing database {}: give --key-file FILE or {KEY_ENV}, \
                 or put the key back at {} (a new key would not open the database)",
                database.display(),
                path.display()
            ));
        }
        let master: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
        let hex = Zeroizing::new(master.iter().map(|b| format!("{b:02x}")).collect::<String>());
        write_private(&path, hex.as_bytes())?;
        Ok((Secrets::from_master(&master), KeySource::Generated(path)))
    }

    /// Seals `plaintext` for the row `aad`:
    /// `version(1) ‖ nonce(24) ‖ ciphertext+tag`.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ct = XChaCha20Poly1305::new((&*self.seal).into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a sealed value; `None` if it does not authenticate (wrong key,
    /// another row, damage).
    pub fn open(&self, sealed: &[u8], aad: &str) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != SEAL_VERSION {
            return None;
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        XChaCha20Poly1305::new((&*self.seal).into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: aad.as_bytes() })
            .ok()
            .map(Zeroizing::new)
    }

    /// HMAC-SHA256 under the time-token key.
    pub fn time_mac(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&*self.time).expect("any key length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// How an enrolment code is stored: HMAC-SHA256 under the codes key, hex.
    pub fn code_hash(&self, code: &str) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&*self.codes).expect("any key length");
        mac.update(normalise_code(code).as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

impl Secrets {
    /// HMAC-SHA256 under the audit key, hex: one link of the audit chain.
    pub fn audit_link(&self, message: &[u8]) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&*self.audit).expect("any key length");
        mac.update(message);
        hex(&mac.finalize().into_bytes())
    }
}

/// Enrolment codes are typed from paper or a screen: case, spaces and
/// dashes do not matter.
pub fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// How a device token is stored: SHA-256, hex (tokens carry 256 random
/// bits, so no salt or stretching is needed).
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Random bytes as lower-case hex (tokens, ids).
pub fn random_hex(n: usize) -> String {
    (0..n).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

pub use crate::files::write_private;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_row() {
        let s = Secrets::generate();
        let sealed = s.seal(b"name", "patient:p1");
        assert_eq!(&s.open(&sealed, "patient:p1").unwrap()[..], b"name");
        assert!(s.open(&sealed, "patient:p2").is_none());
        assert!(Secrets::generate().open(&sealed, "patient:p1").is_none());
    }

    #[test]
    fn the_key_comes_from_a_file_the_environment_or_is_made_once() {
        let dir = std::env::temp_dir().join(format!("houmon-secrets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = dir.join("clinic.sqlite");
        let (a, src) = Secrets::load(None, &dir, &db).unwrap();
        assert!(matches!(src, KeySource::Generated(_)));
        let (b, src) = Secrets::load(None, &dir, &db).unwrap();
        assert!(matches!(src, KeySource::File(_)));
        let sealed = a.seal(b"x", "r");
        assert!(b.open(&sealed, "r").is_some(), "the same key next time");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("server.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read it");
        }
        std::fs::write(dir.join("bad.key"), "not hex").unwrap();
        assert!(Secrets::load(Some(&dir.join("bad.key")), &dir, &db).is_err());
        // A database without its key: no new key is made.
        std::fs::remove_file(dir.join("server.key")).unwrap();
        std::fs::write(&db, b"").unwrap();
        let err = Secrets::load(None, &dir, &db).expect_err("refused");
        assert!(err.contains("--key-file"), "{err}");
        assert!(!dir.join("server.key").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn codes_are_stored_keyed_and_typed_loosely() {
        let s = Secrets::generate();
        assert_eq!(s.code_hash("abcd-efgh"), s.code_hash("ABCD EFGH"));
        assert_ne!(s.code_hash("ABCDEFGH"), Secrets::generate().code_hash("ABCDEFGH"));
    }
}
