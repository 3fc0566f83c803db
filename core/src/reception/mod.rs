// SPDX-License-Identifier: MPL-2.0
//! Reception guidance: what to do at the door when the patient presents a
//! マイナ保険証, a 資格確認書, an old 保険証, a お知らせ — or nothing — on a
//! given date, in a given context.
//!
//! - [`policy`]: the dated rules as data, with sources (`core/policy/`).
//! - [`situation`]: the input — documents, how identity was checked, the
//!   steps already tried, the setting — validated (contradictions are
//!   errors that name the field).
//! - [`assess()`]: the engine; returns an [`Assessment`] in Japanese, in
//!   the order staff act (what to try, then what to charge).
//!
//! Rules are listed, with sources, in `docs/reception-rules.md`.

mod assess;
pub mod policy;
pub mod situation;

pub use assess::{
    assess, AppliedRule, Assessment, ClaimStep, Decision, Declaration, Share, ShareKind, Warning,
};
pub use policy::{Policy, RuleId};
pub use situation::{
    Attempt, CannotCheck, CardAbsence, CardKind, CardStatus, CertificateCarrier, Document, History,
    Identity, InsurerKind, OnlineCheck, PinUnavailable, Setting, Situation, Step, StepResult,
};

/// Why an assessment could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceptionError {
    /// The situation is impossible or contradictory; nothing was guessed.
    #[error("invalid input {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    /// A policy table (e.g. from the server) is not usable.
    #[error("policy table: {reason}")]
    Policy { reason: String },
}

impl ReceptionError {
    /// What staff see.
    pub fn staff_message(&self) -> String {
        match self {
            ReceptionError::InvalidInput { reason, .. } => {
                format!("入力内容を確認してください: {reason}。書類の記載をもう一度見て入力し直してください。")
            }
            ReceptionError::Policy { .. } => {
                "受付ルール表を読み込めませんでした。アプリに同梱の表で案内します。\
                 続く場合はクリニックの管理者に連絡してください。"
                    .into()
            }
        }
    }
}
