// SPDX-License-Identifier: MPL-2.0
//! Sealing payloads at rest: XChaCha20-Poly1305 with a random 24-byte nonce
//! per payload, the row id as associated data (a payload moved to another
//! row does not open). Layout: `version(1) ‖ nonce(24) ‖ ciphertext+tag`.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::StoreError;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// The 32-byte database key, from Android Keystore / iOS Keychain through
/// the shell's `KeyProvider`. Wiped on drop.
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| StoreError::BadKeyLength(bytes.len()))?;
        Ok(StoreKey(Zeroizing::new(arr)))
    }

    /// A fresh random key (for a KeyProvider that has none yet, and tests).
    pub fn generate() -> Self {
        StoreKey(Zeroizing::new(rand::random()))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.0).into())
    }

    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ct = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a sealed payload; `None` if it does not authenticate (wrong key,
    /// wrong row, or damage).
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
            return None;
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .ok()
            .map(Zeroizing::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_payloads_open_only_with_the_same_key_and_row() {
        let k = StoreKey::generate();
        let sealed = k.seal(b"visit record", b"row-1");
        assert_eq!(&k.open(&sealed, b"row-1").unwrap()[..], b"visit record");
        assert!(k.open(&sealed, b"row-2").is_none(), "moved to another row");
        assert!(StoreKey::generate().open(&sealed, b"row-1").is_none(), "another key");
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(k.open(&flipped, b"row-1").is_none(), "tampered");
        assert!(k.open(&sealed[..10], b"row-1").is_none(), "truncated");
        assert_ne!(k.seal(b"x", b"r"), k.seal(b"x", b"r"), "fresh nonce each time");
    }

    #[test]
    fn a_key_of_the_wrong_length_is_refused() {
        assert!(matches!(StoreKey::from_bytes(&[0; 16]), Err(StoreError::BadKeyLength(16))));
    }
}
