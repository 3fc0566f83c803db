// SPDX-License-Identifier: MPL-2.0
//! Ready-made visit records for load tests and the crash test: a 目視 record
//! around a real card certificate (no card signature needed, yet the server
//! runs its full certificate checks on it).

use chrono::Utc;
use houmon_core::visit::record::RECORD_VERSION;
use houmon_core::visit::*;

/// A 目視 visit record with id `id`, from `device` carried by `staff`,
/// for `patient`, carrying `certificate` and the server-time token the
/// phone holds.
pub fn visual_record(
    id: &str,
    device: &str,
    staff: &str,
    patient: Option<&str>,
    certificate: &[u8],
    time_anchor: Option<String>,
) -> VisitRecord {
    let ctx = VisitContext {
        visit_id: id.into(),
        patient_id: patient.map(str::to_owned),
        kind: VisitKind::Facility,
        staff_id: staff.into(),
        device_id: device.into(),
        started_at: Utc::now(),
        first_visit_on: None,
        time_anchor,
    };
    let choice =
        ConsentChoice { scope: ConsentScope::Comprehensive, prescription: Prescription::Paper };
    VisitRecord {
        version: RECORD_VERSION,
        id: ctx.visit_id.clone(),
        consent: ConsentRecord::new(choice, ctx.kind, Utc::now(), None),
        context: ctx,
        evidence: Evidence::Visual(VisualEvidence {
            certificate: certificate.to_vec(),
            checked_by: staff.into(),
            reason: VisualReason::DementiaOrDisability,
            note: String::new(),
            photo_sha256: "0".repeat(64),
            photo_png: None,
            collation_tries_before: 10,
        }),
        card_match: CardMatch::NotChecked,
        certificate_validity: "valid".into(),
        completed_at: Utc::now(),
        renewal: None,
        sign_in: None,
        read_timing: None,
    }
}
