// SPDX-License-Identifier: MPL-2.0
//! What the HTTP handlers, the eligibility worker and the admin commands
//! share.

use std::time::Duration;

use houmon_core::card::cert::AuthCertificate;
use houmon_core::protocol::EnrolmentLink;

use crate::crl::CrlStore;
use crate::db::audit::{self, Actor, Entry};
use crate::db::{devices, staff, Db, DbError, DbResult};
use crate::limiter::{Logins, Throttle};
use crate::oqs::OqsDirs;
use crate::peer::Source;
use crate::secrets::random_hex;

pub struct App {
    pub db: Db,
    /// The audit trail's head, kept outside the database.
    pub audit_head: crate::audit_head::AuditHead,
    pub anchors: Vec<AuthCertificate>,
    pub crl: CrlStore,
    pub oqs: OqsDirs,
    /// 医療機関コード (10 digits), written into terminal requests.
    pub institution_code: String,
    /// How long to wait for the terminal before reporting a time-out.
    pub check_timeout: Duration,
    /// Wrong enrolment codes, per source address.
    pub enrolments: Throttle<Source>,
    /// Wrong console passwords (`limiter::Logins`).
    pub logins: Logins,
    /// The address phones use, and the fingerprint they pin (from `tls.rs`).
    pub public_url: String,
    pub pin: Option<String>,
    /// One batch at a time is prepared (on all the cores), so that batches
    /// finish preparing one after another and each is committed while the
    /// next is prepared — rather than all finishing together and queueing
    /// at the writer (`ingest/mod.rs`).
    pub prepare_gate: std::sync::Mutex<()>,
}

/// The alphabet of enrolment codes: no 0/O, 1/I/L to misread.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A fresh enrolment code: 12 characters (~59 bits) in three groups.
pub fn new_code() -> String {
    let chars: Vec<char> = (0..12)
        .map(|_| CODE_ALPHABET[rand::random::<u32>() as usize % CODE_ALPHABET.len()] as char)
        .collect();
    format!(
        "{}-{}-{}",
        chars[..4].iter().collect::<String>(),
        chars[4..8].iter().collect::<String>(),
        chars[8..].iter().collect::<String>()
    )
}

/// How long an enrolment code may be valid, in minutes: the one bound
/// the command line, the console and every other caller are held to.
pub const ENROLMENT_MINUTES: std::ops::RangeInclusive<i64> = 1..=60;

/// Why no enrolment code was issued.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    #[error("有効時間は{lo}〜{hi}分にしてください({0}分は指定できません)", lo = ENROLMENT_MINUTES.start(), hi = ENROLMENT_MINUTES.end())]
    Minutes(i64),
    #[error("職員 {0} は登録されていないか、無効です")]
    UnknownStaff(String),
    #[error("端末 {0} は取り消されていません(取り消した端末だけを再登録できます)")]
    NotRevoked(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl App {
    /// Issues a one-time enrolment code for one device carried by
    /// `staff_id`, valid for `minutes` (within [`ENROLMENT_MINUTES`]);
    /// returns the link the QR code shows.
    pub fn issue_enrolment(
        &self,
        staff_id: &str,
        issued_by: &Actor,
        minutes: i64,
    ) -> Result<EnrolmentLink, EnrolmentError> {
        self.issue_enrolment_for(staff_id, None, issued_by, minutes)
    }

    /// The same, to enrol the revoked device `for_device` again (an
    /// administrator's choice): the code registers that device id only.
    pub fn issue_enrolment_for(
        &self,
        staff_id: &str,
        for_device: Option<&str>,
        issued_by: &Actor,
        minutes: i64,
    ) -> Result<EnrolmentLink, EnrolmentError> {
        if !ENROLMENT_MINUTES.contains(&minutes) {
            return Err(EnrolmentError::Minutes(minutes));
        }
        let code = new_code();
        let now = chrono::Utc::now();
        let hash = self.db.secrets().code_hash(&code);
        let issuer = match issued_by {
            Actor::Staff(s) => s.clone(),
            other => format!("{other:?}"),
        };
        let issued: Result<(), EnrolmentError> = self.db.write(|tx, s| {
            if staff::get(tx, staff_id)?.is_none_or(|s| s.disabled) {
                return Ok(Err(EnrolmentError::UnknownStaff(staff_id.to_owned())));
            }
            if let Some(d) = for_device {
                if devices::state(tx, d)? != Some(true) {
                    return Ok(Err(EnrolmentError::NotRevoked(d.to_owned())));
                }
            }
            devices::issue_code(
                tx,
                &hash,
                staff_id,
                for_device,
                &issuer,
                now,
                now + chrono::Duration::minutes(minutes),
            )?;
            let again = for_device.map(|d| format!(", enrols {d} again")).unwrap_or_default();
            let entry = Entry::new(issued_by.clone(), "device.enrolment-issued", "ok")
                .target(staff_id)
                .detail(format!("valid {minutes} min, ref {}{again}", &hash[..8]));
            audit::append(tx, s, &entry, now)?;
            Ok(Ok(()))
        })?;
        issued?;
        Ok(EnrolmentLink { url: self.public_url.clone(), pin: self.pin.clone(), code })
    }

    /// Revokes a device at once (a lost phone).
    pub fn revoke_device(&self, device_id: &str, by: &Actor) -> DbResult<bool> {
        let now = chrono::Utc::now();
        let by_label = match by {
            Actor::Staff(s) => s.clone(),
            _ => "system".into(),
        };
        self.db.write(|tx, s| {
            let done = devices::revoke(tx, device_id, &by_label, now)?;
            let entry =
                Entry::new(by.clone(), "device.revoke", if done { "ok" } else { "not-found" })
                    .target(device_id);
            audit::append(tx, s, &entry, now)?;
            Ok(done)
        })
    }
}

/// A random check id.
pub fn check_id() -> String {
    format!("chk-{}", random_hex(12))
}
