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
        if self.insurer() == Some(InsurerKind::Kouki) && self.age().is_some_and(|a| a < 65) {
            return Err(invalid(
                "insurer_kind",
                "後期高齢者医療は75歳以上(一定の障害がある方は65歳以上)の方です。年齢か保険の種別を確認してください",
            ));
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
            if identity == Identity::Face
                && matches!(self.setting, Setting::Home | Setting::Facility)
            {
                return Err(invalid(
                    "identity",
                    "顔認証は医療機関の顔認証付きカードリーダーで行うものです(訪問先では暗証番号か目視確認を選んでください)",
                ));
            }
        }
        self.validate_card_kind()?;
        if self.general_purpose_reader && cards.is_empty() {
            return Err(invalid(
                "general_purpose_reader",
                "汎用カードリーダーは、マイナ保険証を読み取ったときだけ入力します",
            ));
        }
        Ok(())
    }

    /// A photo-less card is PIN-only; a 顔認証 card has no PIN.
    fn validate_card_kind(&self) -> Result<(), ReceptionError> {
        let Some((_, _, kind, _)) = self.card() else { return Ok(()) };
        let visual_tried = self.tried.iter().any(|a| a.step == Step::VisualCheck);
        match (kind, self.identity) {
            (CardKind::NoPhoto, Some(Identity::Visual | Identity::VisualFailed)) => Err(invalid(
                "identity",
                "顔写真のないカードでは目視確認はできません(暗証番号のみで本人確認します)",
            )),
            (CardKind::NoPhoto, Some(Identity::Face)) => Err(invalid(
                "identity",
                "顔写真のないカードでは顔認証はできません(暗証番号のみで本人確認します)",
            )),
            (CardKind::NoPhoto, Some(Identity::PinUnavailable { why: PinUnavailable::NotSet })) => {
                Err(invalid(
                    "identity",
                    "顔写真のないカードには暗証番号があります(暗証番号のないカードは「顔認証」と記載されたカードです)",
                ))
            }
            (CardKind::NoPhoto, _) if visual_tried => Err(invalid(
                "tried",
                "顔写真のないカードでは目視確認はできません(暗証番号のみで本人確認します)",
            )),
            (
                CardKind::FaceRecognition,
                Some(
                    Identity::Pin
                    | Identity::PinUnavailable {
                        why: PinUnavailable::Forgotten | PinUnavailable::Locked,
                    },
                ),
            ) => Err(invalid(
                "identity",
                "「顔認証」と記載されたカードには暗証番号がありません(顔認証か目視確認で本人確認します)",
            )),
            _ => Ok(()),
        }
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
                    let latest = self
                        .date
                        .with_year(self.date.year() + kakuninsho_max_years as i32)
                        .unwrap_or(self.date);
                    if issued_on.is_none() && *valid_until > latest {
                        return Err(invalid(
                            "kakuninsho.valid_until",
                            format!(
                                "資格確認書の有効期限が受付日から{kakuninsho_max_years}年を超えています\
                                 (資格確認書は交付日から最長{kakuninsho_max_years}年です)。券面の有効期限を確かめて入力し直し、\
                                 交付日が書いてあれば交付日も入力してください"
                            ),
                        ));
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
                    if self.insurer() == Some(InsurerKind::Kouki) {
                        return Err(invalid(
                            "elderly_recipient_certificate",
                            "高齢受給者証は後期高齢者医療ではない70〜74歳の方のものです(保険の種別を確認してください)",
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
        let card = self.card().is_some();
        let welfare =
            self.documents.iter().any(|d| matches!(d, Document::MedicalAssistance { .. }));
        for a in &self.tried {
            match a.step {
                Step::VisualCheck | Step::FaceRecognition if !card => {
                    return Err(invalid(
                        "tried",
                        "目視確認・顔認証はマイナ保険証で行います: マイナ保険証(読み取りの結果)も入力してください",
                    ));
                }
                Step::FaceRecognition if self.on_visit() => {
                    return Err(invalid(
                        "tried",
                        "顔認証は医療機関の顔認証付きカードリーダーで行うものです(訪問先の端末にはありません)",
                    ));
                }
                Step::WelfareOffice if !welfare => {
                    return Err(invalid(
                        "tried",
                        "福祉事務所への連絡は、生活保護の方(医療扶助)のときだけ入力します",
                    ));
                }
                _ => {}
            }
        }
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
