// SPDX-License-Identifier: MPL-2.0
//! Helpers for the crash tests: a pool of records to enqueue (PIN visits
//! for patients on the round, each with its own card, and 目視 visits), and
//! the check that what the server stored is exactly what was acknowledged,
//! once, compared by content.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use houmon_core::visit::*;
use houmon_server::App;
use houmon_vcard::VirtualCard;
use sha2::{Digest, Sha256};

use crate::clinic::{Phone, STAFF};

/// The patients of the crash tests, one card each.
pub const PATIENTS: [&str; 3] = ["c0", "c1", "c2"];

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` records for `phone` (whose server-time token they carry): even ones
/// PIN visits to the patients in turn, odd ones 目視 visits.
pub async fn record_pool(phone: &Phone, cards: &[VirtualCard], n: usize) -> Vec<VisitRecord> {
    let anchor = phone.sync.time_anchor().await.expect("anchor");
    let cert = cards[0].auth_certificate_der();
    (0..n)
        .map(|i| {
            let id = format!("v-crash-{i:06}");
            if i % 2 == 1 {
                return houmon_vcard::records::visual_record(
                    &id,
                    &phone.device_id,
                    STAFF,
                    None,
                    &cert,
                    anchor.clone(),
                );
            }
            let k = (i / 2) % PATIENTS.len();
            let ctx = VisitContext {
                visit_id: id,
                patient_id: Some(PATIENTS[k].into()),
                kind: VisitKind::HomeCare,
                staff_id: STAFF.into(),
                device_id: phone.device_id.clone(),
                started_at: Utc::now(),
                first_visit_on: None,
                time_anchor: anchor.clone(),
            };
            let challenge = Challenge::new(&ctx, Utc::now());
            cards[k].reinsert();
            crate::signed_pin_record(&cards[k], ctx, challenge)
        })
        .collect()
}

/// What a record says, apart from its id: two stored records with the same
/// content key are the same visit stored twice.
pub fn content_key(json: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("a stored record");
    v["id"] = serde_json::Value::Null;
    v["context"]["visit_id"] = serde_json::Value::Null;
    if v["evidence"]["mode"] == "pin" {
        v["evidence"]["challenge"]["visit_id"] = serde_json::Value::Null;
        v["evidence"]["signed_message"] = serde_json::Value::Null;
        v["evidence"]["signature"] = serde_json::Value::Null;
    }
    sha256_hex(v.to_string().as_bytes())
}

/// Every acknowledged record (id → SHA-256 of its JSON) is on the server
/// with that exact content, and no visit is stored twice (by id or content).
pub fn assert_stored_exactly_once(app: &App, acked: &BTreeMap<String, String>) -> usize {
    let (ids, records) = app
        .db
        .read(|c, s| {
            let ids = houmon_server::db::visits::all_ids(c)?;
            let mut records = Vec::new();
            for id in &ids {
                records.push(houmon_server::db::visits::record_json(c, s, id)?.expect("stored"));
            }
            Ok((ids, records))
        })
        .expect("the server's records");
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no id twice");
    let keys: BTreeSet<String> = records.iter().map(|r| content_key(r)).collect();
    assert_eq!(keys.len(), records.len(), "no visit stored twice under another id");
    let stored: BTreeMap<&String, String> =
        ids.iter().zip(records.iter().map(|r| sha256_hex(r.as_bytes()))).collect();
    for (id, digest) in acked {
        let got = stored.get(id).unwrap_or_else(|| panic!("acknowledged but lost: {id}"));
        assert_eq!(got, digest, "{id}: stored content differs from what was acknowledged");
    }
    ids.len()
}
