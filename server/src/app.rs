// SPDX-License-Identifier: MPL-2.0
//! What the HTTP handlers, the eligibility worker and the admin commands
//! share.

use std::time::Duration;

use houmon_core::cert::AuthCertificate;
use houmon_core::protocol::EnrolmentLink;

use crate::crl::CrlStore;
use crate::db::audit::{self, Actor, Entry};
use crate::db::{devices, Db, DbResult};
use crate::limiter::Limiter;
use crate::oqs::OqsDirs;
use crate::secrets::random_hex;

pub struct App {
    pub db: Db,
    pub anchors: Vec<AuthCertificate>,
    pub crl: CrlStore,
    pub oqs: OqsDirs,
    /// 医療機関コード (10 digits), written into terminal requests.
    pub institution_code: String,
    /// How long to wait for the terminal before reporting a time-out.
    pub check_timeout: Duration,
    pub limiter: Limiter,
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

impl App {
    /// Issues a one-time enrolment code for one device carried by
    /// `staff_id`, valid for `minutes`; returns the link the QR code shows.
    pub fn issue_enrolment(
        &self,
        staff_id: &str,
        issued_by: &Actor,
        minutes: i64,
    ) -> DbResult<EnrolmentLink> {
        let code = new_code();
        let now = chrono::Utc::now();
        let hash = self.db.secrets().code_hash(&code);
        let issuer = match issued_by {
            Actor::Staff(s) => s.clone(),
            other => format!("{other:?}"),
        };
        self.db.write(|tx, s| {
            devices::issue_code(
                tx,
                &hash,
                staff_id,
                &issuer,
                now,
                now + chrono::Duration::minutes(minutes),
            )?;
            let entry = Entry::new(issued_by.clone(), "device.enrolment-issued", "ok")
                .target(staff_id)
                .detail(format!("valid {minutes} min, ref {}", &hash[..8]));
            audit::append(tx, s, &entry, now)
        })?;
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
