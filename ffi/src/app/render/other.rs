// SPDX-License-Identifier: MPL-2.0
//! The header, confirmations, and the screens around the round.

use crate::app::config::SignInPolicy;
use crate::app::event::NfcState;
use crate::app::labels;
use crate::app::model::{EnrolState, Model, Pending, Phase, Recovery, ResetStage, SyncBlock};
use crate::app::update::{current_staff, sign_in_required};
use crate::app::view::{
    Confirmation, EnrolView, Header, NfcLine, QueueRow, QueueView, ReceptionStepOption,
    ReceptionView, RecoveryView, ResultOption, Screen, SettingsView, SignInView, StaffChoice,
};
use crate::reception::{
    assess_reception, CannotCheck, CardStatus, CareSetting, OnlineCheck, PresentedDocument,
    ReceptionSituation, ReceptionStep, StepResult, VisitHistory,
};
use crate::records::{QueueEntry, VisitKind};

pub(super) fn header(m: &Model, screen: &Screen) -> Header {
    let title = match screen {
        Screen::Opening => "起動しています",
        Screen::Recovery { .. } => "端末内のデータを開けません",
        Screen::Enrol { .. } => "端末の登録",
        Screen::SignIn { .. } => "サインイン",
        Screen::Round { .. } => "訪問予定",
        Screen::Visit { .. } => "本人確認",
        Screen::Reception { .. } => "受付ガイド",
        Screen::Queue { .. } => "未送信の記録",
        Screen::Settings { .. } => "設定",
    }
    .to_owned();
    let ready = matches!(m.phase, Phase::Ready);
    let staff_line = ready.then(|| match (&m.signed_in, current_staff(m)) {
        (Some(s), _) => format!("{} さん({} サインイン)", s.name, labels::time(s.at)),
        (None, Some((_, name))) => format!("{name} さんの端末"),
        (None, None) => "サインインしていません".to_owned(),
    });
    let pending = m.queue.pending.len() as u32;
    let wedged = m.queue.wedged.len() as u32;
    let mut sync_line = match (m.online, pending) {
        (false, 0) => format!("{}: 送信待ちはありません", labels::OFFLINE),
        (false, n) => format!("{}: 未送信 {n}件(電波が戻ったら送信します)", labels::OFFLINE),
        (true, 0) => "送信待ちはありません".to_owned(),
        (true, n) => format!("未送信 {n}件"),
    };
    if m.sync.running {
        sync_line.push_str(" / 送信中…");
    }
    if wedged > 0 {
        sync_line.push_str(&format!(" / 要確認 {wedged}件"));
    }
    if let Some(e) = &m.sync.last_error {
        sync_line.push_str(" / ");
        sync_line.push_str(e);
    }
    Header {
        title,
        staff_line,
        offline: !m.online,
        sync_line,
        pending,
        wedged,
        blocked: m.sync.blocked.map(|b| match b {
            SyncBlock::Revoked => "この端末の登録は取り消されています。記録は送信されません。クリニックの管理者に連絡してください(記録は端末に残っています)。".to_owned(),
        }),
    }
}

pub(super) fn confirmation(m: &Model) -> Option<Confirmation> {
    let c = |title: &str, message: String, confirm: &str, destructive| Confirmation {
        title: title.into(),
        message,
        confirm_label: confirm.into(),
        dismiss_label: "やめる".into(),
        destructive,
    };
    Some(match m.pending.as_ref()? {
        Pending::Discard { id } => c(
            "この記録を破棄しますか",
            format!("記録 {id} はクリニックに届いていません。破棄すると端末からも消え、元に戻せません。"),
            "破棄する",
            true,
        ),
        Pending::SignOutWithCardsOut => c(
            "返却していないカードがあります",
            "施設から預かったカードがまだ返却されていません。返却を記録してからサインアウトしてください。このままサインアウトしますか。".into(),
            "サインアウトする",
            false,
        ),
        Pending::LeaveVisit => c(
            "確認を中止しますか",
            "この訪問の本人確認はまだ保存されていません。中止すると、もう一度カードの読み取りからやり直します。".into(),
            "中止する",
            true,
        ),
        Pending::Reset { .. } => {
            let unsent = match &m.phase {
                Phase::Recovery(r) => r.unsent,
                _ => None,
            };
            c(
                "端末のデータを消して登録し直しますか",
                match unsent {
                    Some(0) => "この端末には未送信の記録はありません。端末内のデータを消去し、読み取ったQRコードで登録し直します。".into(),
                    Some(n) => format!("クリニックに届いていない記録 {n}件が失われます。元に戻せません。消去して、読み取ったQRコードで登録し直します。"),
                    None => "未送信の記録があるかどうか確認できません。あれば失われ、元に戻せません。消去して、読み取ったQRコードで登録し直します。".into(),
                },
                "消去して登録し直す",
                true,
            )
        }
    })
}

pub(super) fn nfc(m: &Model) -> NfcLine {
    match m.nfc {
        NfcState::On => NfcLine { state: NfcState::On, message: None, offer_settings: false },
        NfcState::Off => NfcLine {
            state: NfcState::Off,
            message: Some("NFCがオフです。カードを読み取るには、設定でNFCをオンにしてください。".into()),
            offer_settings: true,
        },
        NfcState::Unsupported => NfcLine {
            state: NfcState::Unsupported,
            message: Some("この端末はNFCに対応していないため、カードを読み取れません。受付ガイドに従って確認してください。".into()),
            offer_settings: false,
        },
    }
}

pub(super) fn recovery(r: &Recovery) -> RecoveryView {
    RecoveryView {
        title: "端末内のデータを開けません".into(),
        message: r.problem.message.clone(),
        code: r.problem.code.clone(),
        unsent: r.unsent,
        reset_step: match &r.stage {
            ResetStage::Problem => None,
            ResetStage::AwaitingAdminCode => Some("データを消して登録し直すには、クリニックの管理者が管理画面で発行した登録用QRコードを読み取ってください。".into()),
            ResetStage::Confirming { .. } => Some("確認の画面で消去してよいかを選んでください。".into()),
            ResetStage::Resetting { .. } => Some("端末内のデータを消去して、登録し直しています…".into()),
        },
        retry_label: "再試行".into(),
        reset_label: "この端末のデータを消して登録し直す".into(),
    }
}

pub(super) fn enrol(e: &EnrolState) -> EnrolView {
    EnrolView {
        title: "この端末をクリニックに登録します".into(),
        explanation: "クリニックの管理画面で発行された登録用QRコードを読み取ってください。QRコードの有効期限は発行から数分です。".into(),
        busy: e.busy,
        error: e.error.clone(),
    }
}

pub(super) fn sign_in(m: &Model) -> SignInView {
    let staff =
        m.round
            .as_ref()
            .map(|r| {
                r.staff()
                    .iter()
                    .map(|s| StaffChoice {
                        staff_id: s.staff_id.clone(),
                        name: s.name.clone(),
                        can_sign_in: s.sign_in.is_some(),
                        note: s.sign_in.is_none().then(|| {
                            "サインインコードが未設定です(管理者に依頼してください)".into()
                        }),
                    })
                    .collect()
            })
            .unwrap_or_default();
    SignInView {
        title: "本日この端末を使う職員".into(),
        explanation: "ご自分の名前を選び、サインインコードを入力してください。目視確認やカードの預かりは、サインインした職員の記録になります。".into(),
        staff,
        checking: m.sign_in.checking,
        error: m.sign_in.error.clone(),
        code_min: 6,
        code_max: 12,
    }
}

fn situation(m: &Model) -> Option<ReceptionSituation> {
    let r = m.reception.as_ref()?;
    let birth = r.patient.as_ref().map(|p| p.entry.birth_date);
    let history = match r.patient.as_ref().filter(|p| p.eligibility.checked_at.is_some()) {
        Some(p) => VisitHistory::ReturnVisit { share_on_file: p.eligibility.share_wari },
        None => VisitHistory::FirstVisit,
    };
    Some(ReceptionSituation {
        date: m.today.into(),
        birth_date: birth.map(Into::into),
        age: birth.map(|b| labels::age(b, m.today)),
        insurer_kind: None,
        history,
        online_check: OnlineCheck::Later,
        documents: vec![PresentedDocument::MynaCard {
            status: CardStatus::CannotCheck { reason: CannotCheck::DeviceOrCardFault },
            certificate_expiry: r.certificate_expiry.map(Into::into),
            card_kind: r.card_kind,
            carrier: None,
        }],
        identity: r.identity,
        tried: r.tried.clone(),
        setting: match r.kind {
            VisitKind::Facility => CareSetting::Facility,
            VisitKind::Consultation => CareSetting::Consultation,
            _ => CareSetting::Home,
        },
        general_purpose_reader: false,
    })
}

pub(super) fn reception(m: &Model) -> ReceptionView {
    let tried = m.reception.as_ref().map(|r| r.tried.clone()).unwrap_or_default();
    let (guidance, error) = match situation(m).map(|s| assess_reception(s, None)) {
        Some(Ok(g)) => (Some(g), None),
        Some(Err(e)) => (None, Some(crate::app::model::Problem::from(e).message)),
        None => (None, None),
    };
    ReceptionView {
        patient_line: m
            .reception
            .as_ref()
            .and_then(|r| r.patient.as_ref())
            .map(|p| format!("{} さん", p.entry.name))
            .unwrap_or_else(|| "予定外の訪問".into()),
        guidance,
        steps: [
            ReceptionStep::AskCard,
            ReceptionStep::VisualCheck,
            ReceptionStep::FamilyBringsDocument,
            ReceptionStep::PhoneInsurer,
            ReceptionStep::OnlineQuery,
            ReceptionStep::WelfareOffice,
        ]
        .into_iter()
        .map(|step| ReceptionStepOption {
            step,
            label: labels::reception_step(step).into(),
            result: tried.iter().find(|t| t.step == step).map(|t| t.result),
        })
        .collect(),
        result_options: [StepResult::Confirmed, StepResult::Failed, StepResult::Pending]
            .into_iter()
            .map(|result| ResultOption { result, label: labels::step_result(result).into() })
            .collect(),
        tried,
        error,
    }
}

fn queue_row(e: &QueueEntry) -> QueueRow {
    QueueRow {
        id: e.id.clone(),
        created_line: labels::day_time(e.created_at.into()),
        attempts: e.attempts,
        // The server's reason is 「code: 日本語」: staff read the words.
        reason: e
            .wedge_reason
            .as_ref()
            .map(|r| r.split_once(": ").map_or(r.as_str(), |(_, text)| text).to_owned()),
        entry: e.clone(),
    }
}

pub(super) fn queue(m: &Model) -> QueueView {
    let (p, w) = (m.queue.pending.len(), m.queue.wedged.len());
    QueueView {
        pending: m.queue.pending.iter().map(queue_row).collect(),
        wedged: m.queue.wedged.iter().map(queue_row).collect(),
        summary: match (p, w) {
            (0, 0) => "すべての記録がクリニックに届いています。".into(),
            (p, 0) => format!("未送信 {p}件。電波のある場所で自動的に送信します。"),
            (p, w) => format!("未送信 {p}件、要確認 {w}件。要確認の記録は理由を確認し、再送または破棄してください。"),
        },
        next_try_line: m.sync.next_at.map(|t| format!("次の送信: {} ごろ", labels::time(t))),
    }
}

pub(super) fn settings(m: &Model) -> SettingsView {
    let mut lines = Vec::new();
    if let Some(e) = &m.enrolment {
        lines.push(format!("端末ID: {}", e.device_id));
        lines.push(format!("登録した職員: {}", e.staff_id));
        lines.push(format!("クリニックのサーバー: {}", e.server_url));
    }
    lines.push(match m.policy.sign_in {
        SignInPolicy::WhenShared => "サインイン: 複数の職員がこの端末を使う日に必要".into(),
        SignInPolicy::Always => "サインイン: 常に必要".into(),
        SignInPolicy::Never => "サインイン: 不要(登録した職員の記録になります)".into(),
    });
    if sign_in_required(m) {
        lines.push(format!(
            "{}分操作がないと、また勤務開始から{}時間でサインアウトします",
            m.policy.idle_sign_out_minutes, m.policy.shift_hours
        ));
    }
    if !m.policy.allow_pin {
        lines.push("暗証番号による確認: クリニックの設定で使いません".into());
    }
    if !m.policy.allow_visual {
        lines.push("目視確認: クリニックの設定で使いません".into());
    }
    SettingsView {
        enrolment: m.enrolment.clone(),
        lines,
        careful_reading: m.careful_reading,
        careful_reading_label: "慎重な読み取り(カードが外れやすい端末向け。少しずつ読み取ります)"
            .into(),
        signed_in: m.signed_in.as_ref().map(|s| s.name.clone()),
    }
}
