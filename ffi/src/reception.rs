// SPDX-License-Identifier: MPL-2.0
//! Reception guidance for the shells' guidance screen.

use houmon_core::reception::{assess, Policy, Situation};

use crate::HoumonError;

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GuidanceWarning {
    pub text: String,
    /// Rests on a fact marked uncertain: show as 要確認.
    pub uncertain: bool,
}

/// The assessment, ready to render (Japanese).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceptionGuidance {
    pub accepted: bool,
    pub basis: String,
    pub share_text: String,
    /// In 割 (1–3, 10 for the full charge), when known now.
    pub share_wari: Option<u8>,
    pub next_checks: Vec<String>,
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

/// Assesses a situation given as JSON (the schema of
/// `houmon_core::reception::Situation`; see docs/reception-rules.md) against
/// the policy table shipped with the core, or a newer one from the clinic
/// server (`policy_json`).
#[uniffi::export]
pub fn assess_reception(
    situation_json: String,
    policy_json: Option<String>,
) -> Result<ReceptionGuidance, HoumonError> {
    let situation = Situation::from_json(&situation_json)?;
    let policy = match policy_json {
        // A broken table from the server falls back to the shipped one.
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
        accepted: a.accepted,
        basis: a.basis.clone(),
        share_text: a.share.text.clone(),
        share_wari: a.share.wari,
        next_checks: a.next_checks.clone(),
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
