// SPDX-License-Identifier: MPL-2.0
//! The visit screen, step by step.

use houmon_core::visit as v;
use houmon_store::ItemState;

use crate::app::labels;
use crate::app::model::{Model, VisitModel};
use crate::app::update::NOT_ALLOWED;
use crate::app::view::{
    CategoryOption, DeliveryState, ModeOption, PrescriptionOption, ReasonOption, VisitScreen,
    VisitView,
};
use crate::records::{
    ConsentCategory, ConsentTerm, IdentityMode, Prescription, RefusalReason, VisitKind,
    VisualReason,
};

fn staff_name(m: &Model, id: &str) -> String {
    if let Some(s) = m.signed_in.as_ref().filter(|s| s.staff_id == id) {
        return s.name.clone();
    }
    m.round
        .as_ref()
        .and_then(|r| r.staff().iter().find(|s| s.staff_id == id))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| id.to_owned())
}

fn modes(
    m: &Model,
    visit: &VisitModel,
    offered: &[v::IdentityMode],
    unavailable: &[v::ModeUnavailable],
) -> Vec<ModeOption> {
    let allowed = |mode: IdentityMode| match mode {
        IdentityMode::Pin => m.policy.allow_pin,
        IdentityMode::Visual => m.policy.allow_visual,
    };
    let usable = |mode: IdentityMode| offered.contains(&mode.into()) && allowed(mode);
    // 施設: the facility's staff compare the photo; elsewhere the PIN first.
    let recommended = if visit.kind == VisitKind::Facility && usable(IdentityMode::Visual) {
        Some(IdentityMode::Visual)
    } else if usable(IdentityMode::Pin) {
        Some(IdentityMode::Pin)
    } else {
        None
    };
    [IdentityMode::Pin, IdentityMode::Visual]
        .into_iter()
        .map(|mode| {
            let off = unavailable.iter().find(|u| IdentityMode::from(u.mode) == mode);
            ModeOption {
                mode,
                label: labels::mode(mode).into(),
                enabled: usable(mode),
                reason: off.map(|u| u.reason.into()),
                why_not: off
                    .map(|u| u.reason_ja.clone())
                    .or_else(|| (!allowed(mode)).then(|| NOT_ALLOWED.to_owned())),
                recommended: recommended == Some(mode),
            }
        })
        .collect()
}

fn delivery(m: &Model, record_id: &str) -> (DeliveryState, String) {
    match m.day_log.iter().find(|d| d.id == record_id).map(|d| d.state) {
        Some(ItemState::Sent) => (DeliveryState::Sent, labels::SENT.into()),
        Some(ItemState::Wedged) => (DeliveryState::Wedged, labels::WEDGED.into()),
        Some(ItemState::Pending) => (DeliveryState::Stored, labels::STORED.into()),
        None => (DeliveryState::Storing, labels::STORING.into()),
    }
}

fn screen(m: &Model, visit: &VisitModel, s: &v::VisitSession) -> VisitScreen {
    match s.step() {
        v::Step::ChooseMode { offered, unavailable } => {
            VisitScreen::ChooseMode { options: modes(m, visit, offered, unavailable) }
        }
        v::Step::EnterPin { tries_left, message } => {
            VisitScreen::EnterPin { tries_left: *tries_left, warning: message.clone() }
        }
        v::Step::EnterCollation { tries_left, message } => VisitScreen::EnterCollation {
            tries_left: *tries_left,
            warning: message.clone(),
            hint: labels::COLLATION_HINT.into(),
        },
        v::Step::HoldCard { mode, .. } => {
            let (line, done, expected) = match &visit.reading {
                Some(r) => (
                    r.phase.map_or("読み取りを始めています", |p| p.message_ja()).to_owned(),
                    r.done,
                    r.expected,
                ),
                None if visit.again => (labels::CARD_AGAIN.to_owned(), 0, 0),
                None => (labels::HOLD_CARD.to_owned(), 0, 0),
            };
            VisitScreen::HoldCard {
                mode: (*mode).into(),
                line,
                reading: visit.reading.is_some(),
                done,
                expected,
                antenna_hint: m.config.platform.antenna_hint.clone(),
            }
        }
        v::Step::ConfirmLastTry { mode, message } => {
            VisitScreen::ConfirmLastTry { mode: (*mode).into(), message: message.clone() }
        }
        v::Step::WrongCard { belongs_to, message, .. } => VisitScreen::WrongCard {
            belongs_to_patient_id: belongs_to.patient_id.clone(),
            belongs_to_name: belongs_to.patient_name.clone(),
            message: message.clone(),
        },
        v::Step::ConfirmNewCard { message, .. } => {
            VisitScreen::ConfirmNewCard { message: message.clone() }
        }
        v::Step::ComparePhoto { png, width, height } => VisitScreen::ComparePhoto {
            png: png.clone(),
            width: *width,
            height: *height,
            note: labels::PHOTO_NOTE.into(),
            reasons: [
                VisualReason::FaceFailedAndPinUnavailable,
                VisualReason::DementiaOrDisability,
                VisualReason::Condition,
                VisualReason::DeviceTrouble,
                VisualReason::Other,
            ]
            .into_iter()
            .map(|reason| ReasonOption { reason, label: labels::visual_reason(reason).into() })
            .collect(),
            checker: format!("確認する職員: {} さん", staff_name(m, &visit.staff_id)),
        },
        v::Step::IdentityConfirmed { mode, consent_validity } => VisitScreen::Consent {
            mode: (*mode).into(),
            headline: labels::confirmed_by((*mode).into()).into(),
            term: ConsentTerm::from(consent_validity),
            categories: [
                ConsentCategory::Tkk,
                ConsentCategory::Yzk,
                ConsentCategory::Srj,
                ConsentCategory::Shj,
                ConsentCategory::Tsr,
            ]
            .into_iter()
            .map(|category| CategoryOption { category, label: labels::category(category).into() })
            .collect(),
            prescriptions: [Prescription::Electronic, Prescription::Paper]
                .into_iter()
                .map(|prescription| PrescriptionOption {
                    prescription,
                    label: labels::prescription(prescription).into(),
                })
                .collect(),
            storing: visit.storing,
        },
        v::Step::IdentityRefused { reason } => VisitScreen::Refused {
            reason: RefusalReason::from(reason),
            message: reason.message_ja(),
            renewal: s.renewal().map(Into::into),
        },
        v::Step::Done { record_id } => {
            let (delivery, delivery_line) = delivery(m, record_id);
            VisitScreen::Done {
                record_id: record_id.clone(),
                term: s.record().map(|r| ConsentTerm::from(&r.consent.validity)).unwrap_or(
                    ConsentTerm {
                        lapses_after: m.today.into(),
                        continues_with_monthly_care: false,
                        description: String::new(),
                    },
                ),
                delivery,
                delivery_line,
                renewal: s.renewal().map(Into::into),
            }
        }
        v::Step::Cancelled => VisitScreen::Cancelled {
            message: visit.cancel_note.clone().unwrap_or_else(|| "確認を中止しました。".into()),
        },
    }
}

pub(super) fn view(m: &Model, visit: &VisitModel) -> VisitView {
    let screen = match &visit.session {
        None => VisitScreen::Starting,
        Some(s) => screen(m, visit, s),
    };
    let finished = matches!(screen, VisitScreen::Done { .. } | VisitScreen::Cancelled { .. });
    VisitView {
        patient_id: visit.patient.as_ref().map(|p| p.entry.patient_id.clone()),
        patient_line: visit
            .patient
            .as_ref()
            .map(|p| format!("{} さん", p.entry.name))
            .unwrap_or_else(|| "予定外の訪問".into()),
        kind: visit.kind,
        kind_label: labels::kind(visit.kind).into(),
        guidance_offered: !matches!(screen, VisitScreen::Done { .. }) && visit.reading.is_none(),
        can_cancel: !finished,
        cancel_label: labels::CANCEL_VISIT.into(),
        error: visit.error.clone(),
        screen,
    }
}
