// SPDX-License-Identifier: MPL-2.0
//! Impossible or contradictory input is refused with a message that says
//! which field and why; nothing is guessed.

use chrono::{Datelike, NaiveDate};

use super::*;
use crate::reception::ReceptionError;

fn invalid(field: &'static str, reason: impl Into<String>) -> ReceptionError {
    ReceptionError::InvalidInput { field, reason: reason.into() }
}

fn share_ok(s: u8) -> bool {
    (1..=3).contains(&s)
}

impl Situation {
    /// Refuses impossible or contradictory input instead of guessing.
    pub fn validate(&self, kakuninsho_max_years: u32) -> Result<(), ReceptionError> {
        self.validate_dates()?;
        self.validate_person()?;
        self.validate_card()?;
        self.validate_documents(kakuninsho_max_years)?;
        self.validate_attempts()?;
        if let History::ReturnVisit { share_on_file: Some(s) } = self.history {
            if !share_ok(s) {
                return Err(invalid("history.share_on_file", "負担割合は1〜3割です"));
            }
        }
        Ok(())
    }

    fn validate_dates(&self) -> Result<(), ReceptionError> {
        let plausible = |d: NaiveDate| (1900..=2200).contains(&d.year());
        let mut dates = vec![("date", self.date)];
        dates.extend(self.birth_date.map(|b| ("birth_date", b)));
        for doc in &self.documents {
            match doc {
                Document::MynaCard { certificate_expiry: Some(d), .. } => {
                    dates.push(("certificate_expiry", *d))
                }
                Document::Kakuninsho { valid_until, issued_on, .. } => {
                    dates.push(("kakuninsho.valid_until", *valid_until));
                    dates.extend(issued_on.map(|d| ("kakuninsho.issued_on", d)));
                }
                Document::HealthInsuranceCard { valid_until: Some(d), .. } => {
                    dates.push(("health_insurance_card.valid_until", *d))
                }
                Document::QualificationNotice { share_valid_until: Some(d), .. } => {
                    dates.push(("qualification_notice.share_valid_until", *d))
                }
                Document::ElderlyRecipientCertificate { valid_until, .. }
                | Document::LimitCertificate { valid_until }
                | Document::PublicExpenseCertificate { valid_until, .. } => {
                    dates.push(("valid_until", *valid_until))
                }
                _ => {}
            }
        }
        match dates.into_iter().find(|(_, d)| !plausible(*d)) {
            Some((field, d)) => Err(invalid(field, format!("日付 {d} はありえない値です"))),
            None => Ok(()),
        }
    }

    fn validate_person(&self) -> Result<(), ReceptionError> {
        if let Some(b) = self.birth_date {
            if b > self.date {
                return Err(invalid("birth_date", "生年月日が受付日より後です"));
            }
            if let Some(a) = self.age {
                if a != age_on(b, self.date) {
                    return Err(invalid("age", "年齢が生年月日と合いません"));
                }
            }
        }
        if self.age().is_some_and(|a| a > 130) {
            return Err(invalid("age", "年齢が130歳を超えています"));
        }
        Ok(())
    }

    fn validate_card(&self) -> Result<(), ReceptionError> {
        let cards: Vec<CardStatus> = self
            .documents
            .iter()
            .filter_map(|d| match d {
                Document::MynaCard { status, .. } => Some(*status),
                _ => None,
            })
            .collect();
        let absent = self.documents.iter().any(|d| matches!(d, Document::CardNotHere { .. }));
        if cards.len() > 1 {
            return Err(invalid("documents", "マイナ保険証が2枚あります"));
        }
        if absent && !cards.is_empty() {
            return Err(invalid(
                "documents",
                "マイナ保険証が「ここにない」のに、読み取った結果もあります",
            ));
        }
        let confirmed = cards.first() == Some(&CardStatus::Confirmed);
        if confirmed && matches!(self.online_check, OnlineCheck::None | OnlineCheck::Later) {
            return Err(invalid(
                "online_check",
                "オンライン資格確認が今できないのに、マイナ保険証が「確認済み(有効)」になっています",
            ));
        }
        if let Some(identity) = self.identity {
            if cards.is_empty() {
                return Err(invalid(
                    "identity",
                    "マイナ保険証がないのに本人確認の方法が入力されています",
                ));
            }
            let unconfirmed =
                matches!(identity, Identity::PinUnavailable { .. } | Identity::VisualFailed);
            if confirmed && unconfirmed {
                return Err(invalid(
                    "identity",
                    "本人確認ができていないのに、マイナ保険証が「確認済み(有効)」になっています",
                ));
            }
        }
        Ok(())
    }

    fn validate_documents(&self, kakuninsho_max_years: u32) -> Result<(), ReceptionError> {
        let welfare =
            self.documents.iter().any(|d| matches!(d, Document::MedicalAssistance { .. }));
        if welfare && matches!(self.insurer(), Some(InsurerKind::Kokuho | InsurerKind::Kouki)) {
            return Err(invalid(
                "documents",
                "生活保護を受けている方は国民健康保険・後期高齢者医療には加入しません(保険の種別を確認してください)",
            ));
        }
        for d in &self.documents {
            match d {
                Document::Kakuninsho { valid_until, issued_on, share_printed, insurer_kind } => {
                    if let Some(issued) = issued_on {
                        if valid_until < issued {
                            return Err(invalid(
                                "kakuninsho.valid_until",
                                "資格確認書の有効期限が交付日より前です",
                            ));
                        }
                        let max = issued
                            .with_year(issued.year() + kakuninsho_max_years as i32)
                            .unwrap_or(*issued);
                        if *valid_until > max {
                            return Err(invalid(
                                "kakuninsho.valid_until",
                                format!("資格確認書の有効期間が{kakuninsho_max_years}年を超えています(券面を確認してください)"),
                            ));
                        }
                        if *issued > self.date {
                            return Err(invalid(
                                "kakuninsho.issued_on",
                                "資格確認書の交付日が受付日より後です",
                            ));
                        }
                    }
                    if share_printed.is_some_and(|s| !share_ok(s)) {
                        return Err(invalid("kakuninsho.share_printed", "負担割合は1〜3割です"));
                    }
                    if self.insurer_kind.is_some_and(|k| k != *insurer_kind) {
                        return Err(invalid(
                            "kakuninsho.insurer_kind",
                            "保険の種別が患者情報と合いません",
                        ));
                    }
                }
                Document::HealthInsuranceCard { insurer_kind, .. } => {
                    if self.insurer_kind.is_some_and(|k| k != *insurer_kind) {
                        return Err(invalid(
                            "health_insurance_card.insurer_kind",
                            "保険の種別が患者情報と合いません",
                        ));
                    }
                }
                Document::QualificationNotice { share_printed, share_valid_until } => {
                    if share_printed.is_some_and(|s| !share_ok(s)) {
                        return Err(invalid(
                            "qualification_notice.share_printed",
                            "負担割合は1〜3割です",
                        ));
                    }
                    if share_valid_until.is_some() && share_printed.is_none() {
                        return Err(invalid(
                            "qualification_notice.share_valid_until",
                            "負担割合の適用期間だけがあり、負担割合がありません",
                        ));
                    }
                }
                Document::ElderlyRecipientCertificate { share, .. } => {
                    if !share_ok(*share) {
                        return Err(invalid(
                            "elderly_recipient_certificate.share",
                            "負担割合は1〜3割です",
                        ));
                    }
                    if self.age().is_some_and(|a| !(70..75).contains(&a)) {
                        return Err(invalid(
                            "elderly_recipient_certificate",
                            "高齢受給者証は70〜74歳の方のものです",
                        ));
                    }
                }
                Document::PublicExpenseCertificate { law_number, self_share, .. } => {
                    if law_number.len() != 2 || !law_number.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(invalid(
                            "public_expense_certificate.law_number",
                            "法別番号は受給者証の公費負担者番号の最初の2桁です",
                        ));
                    }
                    if law_number == "12" {
                        return Err(invalid(
                            "public_expense_certificate.law_number",
                            "法別番号12(生活保護)は「生活保護の医療扶助」として入力してください",
                        ));
                    }
                    if self_share.is_some_and(|s| s > 3) {
                        return Err(invalid(
                            "public_expense_certificate.self_share",
                            "公費の自己負担割合は0〜3割です",
                        ));
                    }
                }
                Document::MynaCard { .. }
                | Document::CardNotHere { .. }
                | Document::PortalScreen
                | Document::LimitCertificate { .. }
                | Document::MedicalAssistance { .. } => {}
            }
        }
        Ok(())
    }

    fn validate_attempts(&self) -> Result<(), ReceptionError> {
        for a in &self.tried {
            match (a.result, a.share) {
                (StepResult::Confirmed, Some(s)) if !share_ok(s) => {
                    return Err(invalid("tried.share", "負担割合は1〜3割です"));
                }
                (StepResult::Failed | StepResult::Pending, Some(_)) => {
                    return Err(invalid(
                        "tried.share",
                        "負担割合は「確認できた」手順にだけ入力します",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}
