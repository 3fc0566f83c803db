// SPDX-License-Identifier: MPL-2.0
//! Resolving a follow-up, checked against the item it resolves: it is
//! open now (it exists, it is due, and nobody resolved it yet — so nothing
//! can be hidden before it appears), the decision fits its kind, and the
//! staff member's role may take it. Only a held **PIN** visit whose card
//! differs from the one enrolled may be accepted as a reissued card (ADR
//! 0007: only an accepted PIN visit enrols a card); a card enrolled to
//! another patient, or a 目視 visit, can only be rejected. Every
//! resolution and every refusal is an audit entry.

use chrono::Utc;

use super::followups::{self, Kind};
use crate::app::App;
use crate::db::audit::{self, Entry};
use crate::db::console::{self as cdb, Resolution};
use crate::db::staff::{Role, Staff};
use crate::db::visits::{self, Status};
use crate::db::{eligibility, patients, DbResult};

/// What staff decided about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Done (with the note): every kind but a held card.
    Resolved,
    /// A held card is the patient's reissued card: it becomes their card,
    /// the visit is accepted and its eligibility check queued.
    AcceptAsReissued,
    /// A held card is not accepted (the visit stays held).
    Reject,
}

impl Decision {
    fn outcome(self) -> &'static str {
        match self {
            Decision::Resolved => "resolved",
            Decision::AcceptAsReissued => "accepted-as-reissued",
            Decision::Reject => "rejected",
        }
    }
}

/// Which roles may take `decision` on an item of `kind`: whose card it is
/// (a held card) and how a claim is made are the desk's (事務) and the
/// administrator's; the rest any role that works the list.
pub fn may(role: Role, kind: Kind, decision: Decision) -> bool {
    let desk = matches!(role, Role::Admin | Role::Clerk);
    match (kind, decision) {
        (Kind::HeldCard, Decision::AcceptAsReissued | Decision::Reject) => desk,
        (Kind::HeldCard, Decision::Resolved) => false,
        (_, Decision::AcceptAsReissued | Decision::Reject) => false,
        (Kind::AfterCheck | Kind::ClaimPath, Decision::Resolved) => desk,
        (
            Kind::Undelivered | Kind::ConsentLapsing | Kind::CertificateRenewal,
            Decision::Resolved,
        ) => desk || role == Role::Doctor,
    }
}

/// Why a resolution was refused, for the staff member (and, as a code,
/// for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Note(&'static str),
    /// The role may not take this decision on this kind.
    Role,
    /// The decision does not fit the kind.
    Decision,
    /// No such item is open: it does not exist, is not due, or was resolved.
    NotOpen,
    /// A held card that may not be accepted as reissued.
    NotReissue(&'static str),
}

impl Refused {
    pub fn code(&self) -> &'static str {
        match self {
            Refused::Note(_) => "note",
            Refused::Role => "role",
            Refused::Decision => "decision",
            Refused::NotOpen => "not-open",
            Refused::NotReissue(_) => "not-reissue",
        }
    }

    pub fn message_ja(&self) -> String {
        match self {
            Refused::Note(m) => (*m).to_owned(),
            Refused::Role => "この対応を行う権限がありません。事務または管理者に依頼してください。".into(),
            Refused::Decision => "この項目には選べない対応です。".into(),
            Refused::NotOpen => "この項目は対応待ちの一覧にありません(まだ発生していないか、対応済みです)。一覧を開き直してください。".into(),
            Refused::NotReissue(why) => format!("再発行として承認できません: {why}。却下してください。"),
        }
    }

    /// Whether the refusal is a 403 (not allowed) rather than a 422.
    pub fn forbidden(&self) -> bool {
        matches!(self, Refused::Role)
    }
}

/// The decisions `role` may take on the open item `(kind, key)`, as the
/// page offers them.
pub fn choices(app: &App, role: Role, kind: Kind, key: &str) -> DbResult<Vec<Decision>> {
    let candidates: &[Decision] = match kind {
        Kind::HeldCard => &[Decision::AcceptAsReissued, Decision::Reject],
        _ => &[Decision::Resolved],
    };
    let mut out = Vec::new();
    for d in candidates {
        if may(role, kind, *d)
            && (*d != Decision::AcceptAsReissued || reissue_refusal(app, key)?.is_none())
        {
            out.push(*d);
        }
    }
    Ok(out)
}

/// Why the held visit `visit_id` may not be accepted as a reissued card.
fn reissue_refusal(app: &App, visit_id: &str) -> DbResult<Option<&'static str>> {
    let row = app.db.read(|c, _| visits::get(c, visit_id))?;
    Ok(match row {
        None => Some("訪問記録がありません"),
        Some(r) if r.status != "held" => Some("確認待ちの訪問ではありません"),
        Some(r) if r.mode != "pin" => {
            Some("目視で確認した訪問ではカードを登録できません(暗証番号での本人確認で登録されます)")
        }
        Some(r) if r.held_reason.as_deref() != Some("card-differs-from-enrolled") => {
            Some("このカードは別の患者に登録されています")
        }
        Some(_) => None,
    })
}

/// Resolves the open item `(kind, key)` as `staff` decided, with `note`.
pub fn resolve(
    app: &App,
    staff: &Staff,
    kind: Kind,
    key: &str,
    note: &str,
    decision: Decision,
) -> DbResult<Result<(), Refused>> {
    let checked = check(app, staff, kind, key, note, decision)?;
    let now = Utc::now();
    let actor = audit::Actor::Staff(staff.staff_id.clone());
    // The trail names what was asked for — unless it is no item's key at
    // all (a control character, a NUL PostgreSQL would refuse to store).
    let shown = if plausible_key(key) { key } else { "(invalid id)" };
    let target = format!("{} {}", kind.id(), shown);
    if let Err(why) = checked {
        let entry = Entry::new(actor, "followup.resolve", format!("refused:{}", why.code()))
            .staff(&staff.staff_id)
            .target(target)
            .detail(decision.outcome());
        app.db.write(|tx, s| audit::append(tx, s, &entry, now))?;
        return Ok(Err(why));
    }
    app.db.write(|tx, s| {
        // Checked again inside the transaction, before anything is
        // written: still held, a PIN visit, a card not enrolled elsewhere.
        let held = if decision == Decision::AcceptAsReissued {
            let v = visits::get(tx, key)?.filter(|v| {
                v.status == "held"
                    && v.mode == "pin"
                    && v.held_reason.as_deref() == Some("card-differs-from-enrolled")
            });
            let Some(v) = v.filter(|v| v.patient_id.is_some()) else {
                return Ok(Err(Refused::NotOpen));
            };
            Some(v)
        } else {
            None
        };
        let r = Resolution {
            kind: kind.id().into(),
            item: key.into(),
            outcome: decision.outcome().into(),
            note: note.into(),
            resolved_by: staff.staff_id.clone(),
            resolved_at: None,
        };
        // Resolved meanwhile by someone else: not open any more (and
        // nothing was written).
        if !cdb::resolve(tx, &r, now)? {
            return Ok(Err(Refused::NotOpen));
        }
        if let Some(v) = held {
            let pid = v.patient_id.as_deref().unwrap_or_default();
            visits::set_status(tx, key, Status::Accepted, None)?;
            patients::enrol_card(tx, pid, &v.card_fingerprint, key, now)?;
            if patients::get(tx, s, pid)?.is_some_and(|p| p.personal.insurance.is_some()) {
                eligibility::queue(tx, &crate::app::check_id(), pid, Some(key), now)?;
            }
        }
        let entry = Entry::new(actor.clone(), "followup.resolve", decision.outcome())
            .staff(&staff.staff_id)
            .target(target.clone())
            .detail(note.chars().take(200).collect::<String>());
        audit::append(tx, s, &entry, now)?;
        Ok(Ok(()))
    })
}

/// Whether `key` could be an item's key (a visit id, `device:record`, …).
fn plausible_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 200 && !key.chars().any(char::is_control)
}

fn check(
    app: &App,
    staff: &Staff,
    kind: Kind,
    key: &str,
    note: &str,
    decision: Decision,
) -> DbResult<Result<(), Refused>> {
    if !plausible_key(key) {
        return Ok(Err(Refused::NotOpen));
    }
    if note.trim().is_empty() {
        return Ok(Err(Refused::Note("対応した内容をメモに書いてください。")));
    }
    if note.chars().count() > 1000 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Ok(Err(Refused::Note("メモは1000文字までです。")));
    }
    let fits =
        matches!((kind, decision), (Kind::HeldCard, Decision::AcceptAsReissued | Decision::Reject))
            || (kind != Kind::HeldCard && decision == Decision::Resolved);
    if !fits {
        return Ok(Err(Refused::Decision));
    }
    if !may(staff.role, kind, decision) {
        return Ok(Err(Refused::Role));
    }
    let open = followups::compute(app, Utc::now())?;
    if !open.open.iter().any(|i| i.kind == kind && i.key == key) {
        return Ok(Err(Refused::NotOpen));
    }
    if decision == Decision::AcceptAsReissued {
        if let Some(why) = reissue_refusal(app, key)? {
            return Ok(Err(Refused::NotReissue(why)));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_card_it_is_and_how_a_claim_is_made_are_the_desks_to_decide() {
        for kind in [Kind::HeldCard] {
            for d in [Decision::AcceptAsReissued, Decision::Reject] {
                assert!(may(Role::Clerk, kind, d) && may(Role::Admin, kind, d));
                assert!(!may(Role::Doctor, kind, d) && !may(Role::Nurse, kind, d));
            }
            assert!(!may(Role::Admin, kind, Decision::Resolved), "a held card needs a decision");
        }
        for kind in [Kind::AfterCheck, Kind::ClaimPath] {
            assert!(may(Role::Clerk, kind, Decision::Resolved));
            assert!(!may(Role::Doctor, kind, Decision::Resolved));
            assert!(!may(Role::Admin, kind, Decision::AcceptAsReissued));
        }
        for kind in [Kind::Undelivered, Kind::ConsentLapsing, Kind::CertificateRenewal] {
            assert!(may(Role::Doctor, kind, Decision::Resolved));
            assert!(!may(Role::Nurse, kind, Decision::Resolved));
        }
    }
}
