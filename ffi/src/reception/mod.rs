// SPDX-License-Identifier: MPL-2.0
//! Reception guidance for the shells' guidance screen: the situation at the
//! door as typed records (`input.rs`, the same inputs as `houmon assess`),
//! the answer ready to render, in the order staff act.

mod input;

use houmon_core::reception::{self as r, assess, Policy};
pub use input::*;

use crate::HoumonError;

/// What staff do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReceptionDecision {
    /// Care goes ahead at the share shown.
    Accept,
    /// Try the steps first; the share is decided after them.
    TryFirst,
    /// Every step failed: 10割 (療養費).
    FullCharge,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidanceWarning {
    pub text: String,
    /// Rests on a fact marked uncertain: show as 要確認.
    pub uncertain: bool,
}

/// The assessment, ready to render (Japanese).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionGuidance {
    pub decision: ReceptionDecision,
    /// The first line staff read.
    pub headline: String,
    pub accepted: bool,
    pub basis: String,
    pub share_text: String,
    /// In 割 (0–3, 10 for the full charge), when known now.
    pub share_wari: Option<u8>,
    /// In order: what to do now, before the charge is decided.
    pub next_checks: Vec<String>,
    /// The steps already taken, as entered.
    pub tried: Vec<String>,
    /// Fields of the 被保険者資格申立書, when one is needed.
    pub declaration_fields: Vec<String>,
    pub follow_up: Vec<String>,
    pub claim_steps: Vec<String>,
    pub tekiyo: Option<String>,
    pub warnings: Vec<GuidanceWarning>,
    pub rule_ids: Vec<String>,
    /// The whole guidance as plain text.
    pub text: String,
}

/// Assesses a situation against the policy table shipped with the core, or
/// a newer one from the clinic server (`policy_json`; a broken one falls
/// back to the shipped table).
#[uniffi::export]
pub fn assess_reception(
    situation: ReceptionSituation,
    policy_json: Option<String>,
) -> Result<ReceptionGuidance, HoumonError> {
    let situation: r::Situation = situation.try_into()?;
    let policy = match policy_json {
        Some(json) => match Policy::from_json(&json) {
            Ok(p) => Policy::embedded().newer(p),
            Err(e) => {
                tracing::warn!(error = %e, "server policy table refused; using the embedded one");
                Policy::embedded()
            }
        },
        None => Policy::embedded(),
    };
    let a = assess(&situation, &policy)?;
    Ok(ReceptionGuidance {
        decision: match a.decision {
            r::Decision::Accept => ReceptionDecision::Accept,
            r::Decision::TryFirst => ReceptionDecision::TryFirst,
            r::Decision::FullCharge => ReceptionDecision::FullCharge,
        },
        headline: a.headline().into(),
        accepted: a.accepted,
        basis: a.basis.clone(),
        share_text: a.share.text.clone(),
        share_wari: a.share.wari,
        next_checks: a.next_checks.clone(),
        tried: a.tried.clone(),
        declaration_fields: a.declaration.as_ref().map(|d| d.fields.clone()).unwrap_or_default(),
        follow_up: a.follow_up.clone(),
        claim_steps: a.claim_path.iter().map(|c| c.text.clone()).collect(),
        tekiyo: a.tekiyo.clone(),
        warnings: a
            .warnings
            .iter()
            .map(|w| GuidanceWarning { text: w.text.clone(), uncertain: w.uncertain })
            .collect(),
        rule_ids: a.rules.iter().map(|r| r.id.clone()).collect(),
        text: a.to_text(),
    })
}
