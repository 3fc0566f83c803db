// SPDX-License-Identifier: MPL-2.0
//! Staff sign-in on a shared phone, checked offline and re-checked by the
//! clinic server.
//!
//! Each staff member has a sign-in code (6–12 digits) set at the clinic.
//! The server keeps the key derived from it (PBKDF2-HMAC-SHA256, sealed
//! at rest) and puts only a **verifier** in the roster of the phones whose
//! rounds that staff member is on: the salt, the iteration count and a
//! check value (SHA-256 of the key). The phone never holds the code or the
//! key at rest: at sign-in it derives the key from the typed code, checks
//! the check value (an HMAC under the key), and keeps the key in memory (sealed in the phone's
//! store across a restart) for the shift. Every record made while signed in
//! carries a [`SignIn`]: when, and an HMAC of the record's id, the device
//! and the staff member under that key. The server recomputes the HMAC
//! with its own copy of the key and accepts the record only for staff on
//! that device's rounds that day (`server/src/ingest/`).
//!
//! What the verifier gives an attacker who has unsealed a phone's roster:
//! an offline guess of a 6-digit code costs 10⁶ × [`ITERATIONS`] HMACs.
//! The sign-in attributes work to a person; the clinic's data is protected
//! by the phone's enrolment and its sealed store, not by this code.

use chrono::{DateTime, Utc};
use ring::{hmac, pbkdf2};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const CHECK_MESSAGE: &[u8] = b"houmon-signin-check/1";

/// PBKDF2 iterations for a new code (the verifier carries its own count,
/// so this can be raised without breaking codes already set).
pub const ITERATIONS: u32 = 100_000;

/// What a phone may hold to check a staff member's code offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInVerifier {
    /// 16 random bytes, hex.
    pub salt: String,
    pub iterations: u32,
    /// HMAC-SHA256 of a fixed text under the derived key, hex.
    pub check: String,
}

/// What a record made while a staff member was signed in carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// When the staff member signed in on the phone (the phone's clock:
    /// shown, never trusted for anything the server decides).
    pub signed_in_at: DateTime<Utc>,
    /// HMAC-SHA256 under the staff member's key of [`proof_message`], hex.
    pub proof: String,
}

/// The derived key, wiped on drop.
pub struct StaffKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for StaffKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaffKey(…)")
    }
}

/// Why a code was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("the code is not 6 to 12 digits")]
    BadShape,
    #[error("the code does not match")]
    Mismatch,
    #[error("the verifier is malformed")]
    BadVerifier,
}

impl SignInError {
    pub fn staff_message(self) -> String {
        match self {
            SignInError::BadShape => "サインインコードは6〜12桁の数字です。".into(),
            SignInError::Mismatch => {
                "サインインコードが違います。もう一度入力してください。忘れた場合はクリニックの管理者に再設定を依頼してください。".into()
            }
            SignInError::BadVerifier => {
                "この職員のサインイン情報を確認できません。予定を更新してから、もう一度お試しください。".into()
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Checks a code's shape: 6 to 12 ASCII digits.
pub fn check_shape(code: &str) -> Result<(), SignInError> {
    if (6..=12).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(SignInError::BadShape)
    }
}

impl StaffKey {
    /// Derives the key from a code (6–12 digits) and its salt.
    pub fn derive(code: &str, salt: &[u8], iterations: u32) -> Result<StaffKey, SignInError> {
        check_shape(code)?;
        let iterations = std::num::NonZeroU32::new(iterations).ok_or(SignInError::BadVerifier)?;
        let mut out = Zeroizing::new([0u8; 32]);
        pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, code.as_bytes(), &mut *out);
        Ok(StaffKey(out))
    }

    /// A key kept sealed (the phone's store, the server's column).
    pub fn from_bytes(bytes: &[u8]) -> Option<StaffKey> {
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(StaffKey(Zeroizing::new(arr)))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, &*self.0)
    }

    fn check_value(&self) -> String {
        hex(hmac::sign(&self.hmac_key(), CHECK_MESSAGE).as_ref())
    }

    /// A new code: a fresh salt, the key and the verifier phones get.
    pub fn new_code(code: &str) -> Result<(StaffKey, SignInVerifier), SignInError> {
        let salt: [u8; 16] = rand::random();
        let key = StaffKey::derive(code, &salt, ITERATIONS)?;
        let verifier =
            SignInVerifier { salt: hex(&salt), iterations: ITERATIONS, check: key.check_value() };
        Ok((key, verifier))
    }

    /// The phone's check of a typed code against the roster's verifier.
    pub fn sign_in(code: &str, verifier: &SignInVerifier) -> Result<StaffKey, SignInError> {
        check_shape(code)?;
        let salt = unhex(&verifier.salt).ok_or(SignInError::BadVerifier)?;
        if !(1_000..=10_000_000).contains(&verifier.iterations) {
            return Err(SignInError::BadVerifier);
        }
        let want = unhex(&verifier.check).ok_or(SignInError::BadVerifier)?;
        let key = StaffKey::derive(code, &salt, verifier.iterations)?;
        // Constant time: the check value is an HMAC under the key.
        hmac::verify(&key.hmac_key(), CHECK_MESSAGE, &want).map_err(|_| SignInError::Mismatch)?;
        Ok(key)
    }

    /// The proof a record (visit, custody entry) carries.
    pub fn attest(
        &self,
        device_id: &str,
        staff_id: &str,
        item_id: &str,
        signed_in_at: DateTime<Utc>,
    ) -> SignIn {
        let tag = hmac::sign(&self.hmac_key(), &proof_message(device_id, staff_id, item_id));
        SignIn { signed_in_at, proof: hex(tag.as_ref()) }
    }

    /// The server's re-check of a record's proof.
    pub fn verify(&self, device_id: &str, staff_id: &str, item_id: &str, sign_in: &SignIn) -> bool {
        let Some(tag) = unhex(&sign_in.proof) else { return false };
        hmac::verify(&self.hmac_key(), &proof_message(device_id, staff_id, item_id), &tag).is_ok()
    }
}

/// The bytes a proof covers: which item, on which phone, by whom.
pub fn proof_message(device_id: &str, staff_id: &str, item_id: &str) -> Vec<u8> {
    format!("houmon-signin/1\ndevice={device_id}\nstaff={staff_id}\nitem={item_id}\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(code: &str) -> (StaffKey, SignInVerifier) {
        // Fewer iterations keep the test fast; the count travels with the verifier.
        let salt = [7u8; 16];
        let key = StaffKey::derive(code, &salt, 1_000).unwrap();
        let v = SignInVerifier { salt: hex(&salt), iterations: 1_000, check: key.check_value() };
        (key, v)
    }

    #[test]
    fn the_right_code_signs_in_and_its_proof_verifies_with_the_servers_key() {
        let (server_key, v) = verifier("482915");
        let phone_key = StaffKey::sign_in("482915", &v).unwrap();
        let now = Utc::now();
        let s = phone_key.attest("d-1", "nurse-7", "v-1", now);
        assert!(server_key.verify("d-1", "nurse-7", "v-1", &s));
        assert!(!server_key.verify("d-1", "nurse-8", "v-1", &s), "another staff member");
        assert!(!server_key.verify("d-2", "nurse-7", "v-1", &s), "another phone");
        assert!(!server_key.verify("d-1", "nurse-7", "v-2", &s), "another record");
    }

    #[test]
    fn a_wrong_or_misshapen_code_is_refused() {
        let (_, v) = verifier("482915");
        assert_eq!(StaffKey::sign_in("482916", &v).unwrap_err(), SignInError::Mismatch);
        assert_eq!(StaffKey::sign_in("4829", &v).unwrap_err(), SignInError::BadShape);
        assert_eq!(StaffKey::sign_in("48291a", &v).unwrap_err(), SignInError::BadShape);
        let bad = SignInVerifier { iterations: 0, ..v.clone() };
        assert_eq!(StaffKey::sign_in("482915", &bad).unwrap_err(), SignInError::BadVerifier);
        let bad = SignInVerifier { check: "zz".into(), ..v };
        assert_eq!(StaffKey::sign_in("482915", &bad).unwrap_err(), SignInError::BadVerifier);
    }

    #[test]
    fn a_key_kept_as_its_bytes_comes_back_as_the_same_key_and_nothing_else_does() {
        let (key, v) = verifier("482915");
        let kept = StaffKey::from_bytes(key.bytes()).expect("32 bytes");
        assert_eq!(kept.check_value(), v.check, "the same key, so the same check value");
        let s = kept.attest("d-1", "nurse-7", "v-1", Utc::now());
        assert!(key.verify("d-1", "nurse-7", "v-1", &s));
        assert!(StaffKey::from_bytes(&key.bytes()[..31]).is_none(), "too short");
        assert!(StaffKey::from_bytes(&[0u8; 33]).is_none(), "too long");
    }

    #[test]
    fn a_key_never_shows_its_bytes_in_a_log() {
        let (key, _) = verifier("482915");
        let shown = format!("{key:?}");
        assert_eq!(shown, "StaffKey(…)");
        assert!(!shown.contains(&hex(key.bytes())[..8]));
    }

    #[test]
    fn each_sign_in_refusal_tells_staff_in_japanese_what_to_do() {
        let said: Vec<_> = [SignInError::BadShape, SignInError::Mismatch, SignInError::BadVerifier]
            .map(|e| e.staff_message())
            .into();
        assert!(said[0].contains("6〜12桁の数字"), "{}", said[0]);
        assert!(said[1].contains("違います") && said[1].contains("再設定"), "{}", said[1]);
        assert!(said[2].contains("予定を更新"), "{}", said[2]);
    }

    #[test]
    fn a_forged_proof_does_not_verify() {
        let (key, _) = verifier("482915");
        let forged = SignIn { signed_in_at: Utc::now(), proof: "00".repeat(32) };
        assert!(!key.verify("d-1", "nurse-7", "v-1", &forged));
        let junk = SignIn { signed_in_at: Utc::now(), proof: "not hex".into() };
        assert!(!key.verify("d-1", "nurse-7", "v-1", &junk));
    }

    #[test]
    fn a_new_code_gets_a_fresh_salt_and_the_current_iterations() {
        let (_, a) = StaffKey::new_code("123456").unwrap();
        let (_, b) = StaffKey::new_code("123456").unwrap();
        assert_ne!(a.salt, b.salt);
        assert_eq!(a.iterations, ITERATIONS);
        assert!(StaffKey::sign_in("123456", &a).is_ok());
    }
}
