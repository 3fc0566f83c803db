// SPDX-License-Identifier: MPL-2.0
//! The second factor of console logins (安全管理ガイドライン 第6.0版): a
//! time-based one-time code (RFC 6238 — SHA-1, 6 digits, 30-second steps,
//! one step of clock drift either way; the `totp-rs` crate), set up by
//! scanning a QR code into an authenticator app and confirming one code,
//! with ten one-time recovery codes for a lost phone. A code is accepted
//! once (the last accepted step is kept). Required for administrators, and
//! for every staff member when the clinic's policy says so ([`required`]).
//! Setting up, resetting and the policy are audit entries; so is every
//! wrong code.

use chrono::Utc;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use zeroize::Zeroizing;

use crate::app::App;
use crate::db::audit::{self, Actor, Entry};
use crate::db::staff::Role;
use crate::db::{meta, totp as tdb, Conn, DbResult};
use crate::secrets::token_hash;

/// The clinic's policy: a second factor for every staff member, not only
/// administrators (`meta` key).
const POLICY_KEY: &str = "console.totp_for_all";
/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Houmon";

fn totp(secret: &[u8], account: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

fn unix_now() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or_default()
}

/// A fresh secret (160 bits, as RFC 4226 recommends).
pub fn new_secret() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(rand::random::<[u8; 20]>().to_vec())
}

/// The secret as an authenticator app takes it by hand: base32 in groups
/// of four.
pub fn secret_text(secret: &[u8]) -> String {
    let b32 = Secret::from(secret.to_vec()).to_base32();
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` URI the QR code carries.
pub fn uri(secret: &[u8], staff_id: &str) -> String {
    totp(secret, staff_id).and_then(|t| t.to_url().ok()).unwrap_or_default()
}

/// The code of `secret` (base32, spaces allowed) at `unix` seconds: what
/// an authenticator app shows (for tests and the setup page's check).
pub fn code_at(secret_base32: &str, unix: u64) -> String {
    let cleaned: String = secret_base32.chars().filter(|c| !c.is_whitespace()).collect();
    Secret::try_from_base32(&cleaned)
        .ok()
        .and_then(|s| totp(s.as_ref(), "x"))
        .map(|t| t.generate(unix).to_string())
        .unwrap_or_default()
}

/// The time step a typed code matches (now, or one step either side).
fn step_of(secret: &[u8], code: &str) -> Option<u64> {
    let digits: String =
        super::dates::half_width(code).chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 6 {
        return None;
    }
    totp(secret, "x")?.check(&digits, unix_now())
}

/// Whether `role` must log in with a second factor at this clinic.
pub fn required(c: Conn<'_>, role: Role) -> DbResult<bool> {
    Ok(role == Role::Admin || policy_all(c)?)
}

/// Whether the clinic asks every staff member for a second factor.
pub fn policy_all(c: Conn<'_>) -> DbResult<bool> {
    Ok(meta::get(c, POLICY_KEY)?.as_deref() == Some("1"))
}

/// Sets the clinic's policy (an administrator's decision, audited).
pub fn set_policy(app: &App, by: &Actor, all: bool) -> DbResult<()> {
    let now = Utc::now();
    let entry = Entry::new(by.clone(), "clinic.totp-policy", "ok").detail(if all {
        "all staff"
    } else {
        "administrators"
    });
    app.db.write(|tx, s| {
        meta::put(tx, POLICY_KEY, if all { "1" } else { "0" })?;
        audit::append(tx, s, &entry, now)
    })
}

/// Where a staff member's second factor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Set up: a code is asked at every login.
    On,
    /// Not set up (or being set up).
    Off,
}

pub fn state(app: &App, staff_id: &str) -> DbResult<State> {
    Ok(match app.db.read(|c, s| tdb::get(c, s, staff_id))? {
        Some(t) if t.confirmed => State::On,
        _ => State::Off,
    })
}

/// Starts setting up: a new secret, kept sealed, not yet confirmed.
pub fn begin_setup(app: &App, staff_id: &str) -> DbResult<Zeroizing<Vec<u8>>> {
    let secret = new_secret();
    app.db.write(|tx, s| tdb::begin(tx, s, staff_id, &secret, Utc::now()))?;
    Ok(secret)
}

/// The secret being set up (to draw its QR code again).
pub fn pending_secret(app: &App, staff_id: &str) -> DbResult<Option<Zeroizing<Vec<u8>>>> {
    Ok(app.db.read(|c, s| tdb::get(c, s, staff_id))?.filter(|t| !t.confirmed).map(|t| t.secret))
}

/// Why a code was not accepted, for the person typing it.
pub const WRONG_CODE: &str =
    "確認コードが違うか、時間が過ぎています。認証アプリに表示されている6桁の数字を入力してください。";

/// Confirms the setup with a code from the app: on success the new
/// recovery codes (shown once), audited.
pub fn confirm_setup(
    app: &App,
    staff_id: &str,
    code: &str,
) -> DbResult<Result<Vec<String>, &'static str>> {
    let Some(secret) = pending_secret(app, staff_id)? else {
        return Ok(Err("2段階認証の設定を最初からやり直してください。"));
    };
    let now = Utc::now();
    let Some(step) = step_of(&secret, code) else {
        let entry = Entry::new(Actor::Staff(staff_id.into()), "staff.totp", "refused:bad-code")
            .staff(staff_id);
        app.db.write(|tx, s| audit::append(tx, s, &entry, now))?;
        return Ok(Err(WRONG_CODE));
    };
    let (codes, hashes) = recovery_codes();
    let entry = Entry::new(Actor::Staff(staff_id.into()), "staff.totp", "ok").staff(staff_id);
    let ok = app.db.write(|tx, s| {
        if !tdb::accept_step(tx, staff_id, step as i64, now)? {
            return Ok(false);
        }
        tdb::set_recovery_codes(tx, staff_id, &hashes, now)?;
        audit::append(tx, s, &entry, now)?;
        Ok(true)
    })?;
    Ok(if ok { Ok(codes) } else { Err(WRONG_CODE) })
}

/// Checks a login's second factor: a code from the app (each accepted
/// once) or an unused recovery code. Every wrong one is audited.
pub fn verify(app: &App, staff_id: &str, typed: &str) -> DbResult<Result<(), &'static str>> {
    let now = Utc::now();
    let Some(t) = app.db.read(|c, s| tdb::get(c, s, staff_id))?.filter(|t| t.confirmed) else {
        return Ok(Err("2段階認証が設定されていません。管理者に確認してください。"));
    };
    let accepted = match step_of(&t.secret, typed) {
        Some(step) => app.db.write(|tx, _| tdb::accept_step(tx, staff_id, step as i64, now))?,
        None => {
            let hash = recovery_hash(typed);
            !hash.is_empty()
                && app.db.write(|tx, _| tdb::use_recovery_code(tx, staff_id, &hash, now))?
        }
    };
    if accepted {
        return Ok(Ok(()));
    }
    let entry =
        Entry::new(Actor::Staff(staff_id.into()), "console.second-factor", "refused:bad-code")
            .staff(staff_id);
    app.db.write(|tx, s| audit::append(tx, s, &entry, now))?;
    Ok(Err(WRONG_CODE))
}

/// Takes a staff member's second factor away (a lost phone): set up again
/// at the next login. An administrator's action, audited.
pub fn reset(app: &App, by: &Actor, staff_id: &str) -> DbResult<bool> {
    let now = Utc::now();
    let entry = Entry::new(by.clone(), "staff.totp-reset", "ok").target(staff_id);
    app.db.write(|tx, s| {
        let had = tdb::remove(tx, staff_id)?;
        crate::db::console::end_sessions_of(tx, staff_id, now)?;
        audit::append(tx, s, &entry, now)?;
        Ok(had)
    })
}

/// New recovery codes for a staff member who proves the second factor
/// with a current code; the old ones stop working. Audited.
pub fn renew_recovery_codes(
    app: &App,
    staff_id: &str,
    code: &str,
) -> DbResult<Result<Vec<String>, &'static str>> {
    if let Err(why) = verify(app, staff_id, code)? {
        return Ok(Err(why));
    }
    let now = Utc::now();
    let (codes, hashes) = recovery_codes();
    let entry =
        Entry::new(Actor::Staff(staff_id.into()), "staff.recovery-codes", "ok").staff(staff_id);
    app.db.write(|tx, s| {
        tdb::set_recovery_codes(tx, staff_id, &hashes, now)?;
        audit::append(tx, s, &entry, now)
    })?;
    Ok(Ok(codes))
}

/// The alphabet of recovery codes: no 0/O, 1/I/L to misread.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Ten codes (`XXXX-XXXX-XXXX`, 59 bits each) and their hashes.
fn recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = (0..12)
                .map(|_| ALPHABET[rand::random::<usize>() % ALPHABET.len()] as char)
                .collect();
            format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// The hash a recovery code is kept as (case, hyphens, spaces and width
/// ignored); empty for text that cannot be one.
fn recovery_hash(typed: &str) -> String {
    let t: String = super::dates::half_width(typed)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if t.len() != 12 {
        return String::new();
    }
    token_hash(&format!("recovery:{t}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238_and_the_setup_text_round_trips() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890",
        // T = 59 s → 94287082 (8 digits); its last 6 digits are 287082.
        let secret = b"12345678901234567890";
        let text = secret_text(secret);
        assert_eq!(code_at(&text, 59), "287082");
        assert_eq!(code_at(&text, 1_111_111_109), "081804");
        let uri = uri(secret, "admin");
        assert!(uri.starts_with("otpauth://totp/Houmon:admin?"), "{uri}");
        assert!(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{uri}");
    }

    #[test]
    fn recovery_codes_are_read_however_they_are_typed() {
        let (codes, hashes) = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let c = &codes[0];
        assert_eq!(recovery_hash(&c.to_lowercase().replace('-', " ")), hashes[0]);
        assert_eq!(recovery_hash(c), hashes[0]);
        assert_eq!(recovery_hash("123456"), "");
    }
}
