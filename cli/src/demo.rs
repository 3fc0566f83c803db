// SPDX-License-Identifier: MPL-2.0
//! `houmon demo`: a home-visit round on embedded defaults, nothing
//! installed. On loopback it starts the clinic server and a simulated
//! 資格確認端末, registers this "phone", syncs the roster, visits patients
//! with virtual cards (PIN, 目視, a 顔認証 card, a wrong PIN, a card pulled
//! away, the last try, a certificate in its grace), goes without signal for
//! part of the round, comes back, syncs, and prints each visit with the
//! eligibility the clinic server obtained.

use crate::block_on;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use houmon_core::protocol::InsuranceNumbers;
use houmon_core::visit::*;
use houmon_server::loopback::{LoopbackClinic, Options, NURSE};
use houmon_server::terminal::TerminalEntry;
use houmon_server::PatientSeed;
use houmon_store::{ItemState, Store, StoreKey};
use houmon_sync::{eligibility_label, SyncClient};
use houmon_vcard::{CardConfig, Faults, Holder, TestCa, Variant, VirtualCard};

const DEVICE: &str = "demo-phone";

struct Visit {
    patient: &'static str,
    name: &'static str,
    kind: VisitKind,
    variant: Variant,
    story: &'static str,
    /// 資格有効性 the simulated terminal will answer, and how.
    validity: &'static str,
    share: &'static str,
    slow: bool,
    online: bool,
}

const ROUND: [Visit; 7] = [
    Visit {
        patient: "P001",
        name: "訪問 一郎",
        kind: VisitKind::HomeCare,
        variant: Variant::Standard,
        story: "PIN で本人確認",
        validity: "1",
        share: "030",
        slow: false,
        online: true,
    },
    Visit {
        patient: "P002",
        name: "施設 花子",
        kind: VisitKind::Facility,
        variant: Variant::FaceRecognition,
        story: "顔認証カード: PIN 不可 → 目視",
        validity: "1",
        share: "010",
        slow: false,
        online: true,
    },
    Visit {
        patient: "P003",
        name: "往診 次郎",
        kind: VisitKind::HouseCall,
        variant: Variant::Standard,
        story: "PIN を1回間違えてから正しく入力",
        validity: "2",
        share: "030",
        slow: false,
        online: true,
    },
    Visit {
        patient: "P007",
        name: "複数 梅",
        kind: VisitKind::HomeCare,
        variant: Variant::PinLocked,
        story: "PIN ロック → 目視",
        validity: "5",
        share: "030",
        slow: false,
        online: true,
    },
    Visit {
        patient: "P004",
        name: "在宅 三郎",
        kind: VisitKind::HomeCare,
        variant: Variant::Standard,
        story: "電波なし・読み取り中にカードが離れ、かざし直し",
        validity: "4",
        share: "030",
        slow: false,
        online: false,
    },
    Visit {
        patient: "P005",
        name: "看護 桜",
        kind: VisitKind::HomeNursing,
        variant: Variant::PinOneTryLeft,
        story: "電波なし・残り1回: 本人の確認を得て入力",
        validity: "1",
        share: "020",
        slow: true,
        online: false,
    },
    Visit {
        patient: "P006",
        name: "猶予 正",
        kind: VisitKind::HomeCare,
        variant: Variant::CertificateExpiredInGrace,
        story: "電波なし・証明書の有効期限切れ(猶予期間内)",
        validity: "1",
        share: "010",
        slow: false,
        online: false,
    },
];

fn numbers(i: usize) -> InsuranceNumbers {
    InsuranceNumbers {
        insurer_number: "06130012".into(),
        symbol: "ほうもん".into(),
        number: format!("{:06}", 100 + i),
        branch: "00".into(),
    }
}

fn context(v: &Visit, anchor: Option<String>) -> VisitContext {
    VisitContext {
        visit_id: new_id("v"),
        patient_id: Some(v.patient.into()),
        kind: v.kind,
        staff_id: NURSE.into(),
        device_id: DEVICE.into(),
        started_at: Utc::now(),
        first_visit_on: None,
        time_anchor: anchor,
    }
}

/// One visit through the core's session, as the phone's screens drive it.
fn visit(
    v: &Visit,
    anchor: Option<String>,
    notes: &mut Vec<String>,
) -> Result<VisitRecord, String> {
    let holder = Holder::default();
    let faults = if v.story.contains("離れ") {
        Faults { tag_lost_at: Some(2), ..Faults::default() }
    } else {
        Faults::default()
    };
    let card = VirtualCard::new(CardConfig { variant: v.variant, faults, ..CardConfig::default() });
    let mut s = VisitSession::new(context(v, anchor), SessionOptions::default());
    let now = Utc::now();
    // The patient in the "wrong PIN" story types 9999 first.
    let first_pin = if v.story.contains("間違") { "9999" } else { holder.pin.as_str() };
    s.choose_mode(IdentityMode::Pin).map_err(|e| e.staff_message())?;
    s.enter_pin(first_pin).map_err(|e| e.staff_message())?;
    for _ in 0..12 {
        let step = s.step().clone();
        match step {
            Step::HoldCard { .. } => {
                block_on(s.read_card(&card, now)).map_err(|e| e.staff_message())?;
            }
            Step::IdentityConfirmed { .. } => {
                let choice = ConsentChoice {
                    scope: ConsentScope::Comprehensive,
                    prescription: Prescription::Electronic,
                };
                let record = s.record_for_consent(choice, now).map_err(|e| e.staff_message())?;
                notes.push(format!("同意: 包括 / {}", record.consent.validity.describe_ja()));
                return Ok(record);
            }
            Step::EnterPin { message, .. } => {
                notes.push(message.unwrap_or_default());
                s.enter_pin(&holder.pin).map_err(|e| e.staff_message())?;
            }
            Step::ConfirmLastTry { message, .. } => {
                notes.push(message);
                notes.push("本人が確認したうえで入力".into());
                s.confirm_last_try().map_err(|e| e.staff_message())?;
            }
            Step::ChooseMode { unavailable, .. } => {
                for u in &unavailable {
                    notes.push(u.reason_ja.clone());
                }
                s.choose_mode(IdentityMode::Visual).map_err(|e| e.staff_message())?;
                s.enter_collation(&holder.collation_b()).map_err(|e| e.staff_message())?;
            }
            Step::ComparePhoto { width, height, .. } => {
                notes.push(format!("顔写真 {width}×{height} を表示、職員が照合"));
                s.photo_matches(NURSE, VisualReason::FaceFailedAndPinUnavailable, "", now)
                    .map_err(|e| e.staff_message())?;
            }
            Step::IdentityRefused { reason } => return Err(reason.message_ja()),
            other => return Err(format!("想定外の画面: {}", other.name())),
        }
        if let (Step::HoldCard { message: Some(m), .. }, Some(e)) = (s.step(), s.last_card_error())
        {
            if e.is_retryable_by_tapping_again() {
                notes.push(format!("中断: {m} → かざし直し"));
                card.reinsert();
            }
        }
    }
    Err("本人確認が終わりませんでした".into())
}

pub fn run() -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(round())
}

async fn round() -> Result<(), String> {
    println!(
        "Houmon demo — 在宅訪問の1巡(すべてこの端末内のループバック、仮想マイナンバーカード)\n"
    );
    let today = Utc::now().with_timezone(&houmon_core::cert::jst()).date_naive();
    let patients: Vec<PatientSeed> = ROUND
        .iter()
        .enumerate()
        .map(|(i, v)| PatientSeed {
            patient_id: v.patient.into(),
            name: v.name.into(),
            kana: String::new(),
            address: format!("東京都千代田区{}-1", i + 1),
            birth_date: NaiveDate::from_ymd_opt(1945 + i as i32, 4, 1).unwrap_or_default(),
            insurance: Some(numbers(i)),
            facility: (v.kind == VisitKind::Facility).then(|| "グループホームさくら".into()),
            unit: (v.kind == VisitKind::Facility).then(|| "2階".into()),
        })
        .collect();
    let data: Vec<TerminalEntry> = ROUND
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let n = numbers(i);
            TerminalEntry {
                insurer_number: n.insurer_number,
                symbol: n.symbol,
                number: n.number,
                branch: n.branch,
                validity: v.validity.into(),
                share: matches!(v.validity, "1" | "6").then(|| v.share.into()),
                elderly_share: None,
                insurer_name: Some("全国健康保険協会".into()),
                delay_ms: if v.slow { 800 } else { 0 },
                processing_first: v.slow,
                error: None,
                garbage: false,
                shift_jis: i % 2 == 0,
                other_person: false,
            }
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("houmon-demo-{}", std::process::id()));
    let options = Options {
        trust_anchors: vec![TestCa::shared().cert_der.clone()],
        check_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let clinic = LoopbackClinic::start(dir.clone(), options, patients, data).await?;
    let ids: Vec<&str> = ROUND.iter().map(|v| v.patient).collect();
    clinic.assign(today, DEVICE, &ids);
    println!(
        "クリニックサーバー: {} / 資格確認端末(シミュレーター): {}",
        clinic.url,
        clinic.config.oqs_dir.display()
    );

    let key = StoreKey::generate();
    let store =
        Arc::new(Store::open(dir.join("phone.sqlite"), key).map_err(|e| e.staff_message())?);
    let link = clinic.enrolment(NURSE);
    let sync = SyncClient::enrol(store.clone(), &link, DEVICE, "訪問用スマートフォン")
        .await
        .map_err(|e| e.staff_message())?;
    let (roster, _, _) = sync.roster(today).await.map_err(|e| e.staff_message())?;
    println!(
        "端末を登録し、本日の訪問予定 {} 名の名簿を暗号化して保存しました。\n",
        roster.entries.len()
    );

    let mut rows = Vec::new();
    for v in &ROUND {
        sync.set_online(v.online).await;
        if !v.online {
            println!("  (電波なし)");
        }
        let mut notes = Vec::new();
        let anchor = sync.time_anchor().await.map_err(|e| e.staff_message())?;
        let outcome = visit(v, anchor, &mut notes);
        match outcome {
            Ok(record) => {
                store
                    .enqueue(&record.id, record.to_json().as_bytes(), Utc::now())
                    .map_err(|e| e.staff_message())?;
                let mode = match record.evidence {
                    Evidence::Pin(_) => "PIN",
                    Evidence::Visual(_) => "目視",
                };
                let sent = match sync.upload_due().await {
                    Ok(r) if r.sent.contains(&record.id) => "送信済",
                    _ => "未送信(端末に暗号化して保存、電波が戻ったら送信)",
                };
                println!("■ {} {} ({}) — {}", v.patient, v.name, v.kind.name_ja(), v.story);
                println!("  本人確認: {mode} / 記録: {sent}");
                for n in notes.iter().filter(|n| !n.is_empty()) {
                    println!("  - {n}");
                }
                rows.push((v, mode, record.id));
            }
            Err(e) => println!("■ {} {} — 本人確認できませんでした: {e}", v.patient, v.name),
        }
    }

    println!("\n(電波回復)");
    sync.set_online(true).await;
    let report = sync.upload_due().await.map_err(|e| e.staff_message())?;
    println!(
        "同期: {} 件を送信 / 保留 {} 件 / 送信済 {} 件\n",
        report.sent.len(),
        store.list(ItemState::Wedged).map_err(|e| e.staff_message())?.len(),
        store.list(ItemState::Sent).map_err(|e| e.staff_message())?.len()
    );

    // Wait for the clinic server's eligibility checks through the terminal.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let _ = sync.pull_results().await;
        let mut done = true;
        for (v, _, _) in &rows {
            done &= sync.last_result(v.patient).await.ok().flatten().is_some();
        }
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("本日の訪問のまとめ(資格はクリニックサーバーが資格確認端末で確認した結果のみを表示)");
    println!("患者   氏名       確認   資格");
    let mut valid = 0;
    for (v, mode, _) in &rows {
        let r = sync.last_result(v.patient).await.map_err(|e| e.staff_message())?;
        if matches!(
            &r,
            Some(houmon_core::protocol::EligibilityResult {
                outcome: houmon_core::protocol::CheckOutcome::Answered { .. },
                ..
            })
        ) {
            valid += 1;
        }
        println!(
            "{:<6} {:<10} {:<6} {}",
            v.patient,
            v.name,
            mode,
            eligibility_label(r.as_ref(), true)
        );
    }
    println!(
        "\n{} 件中 {} 件で本人確認完了、{} 件の資格確認結果を受信",
        ROUND.len(),
        rows.len(),
        valid
    );
    let all = rows.len() == ROUND.len() && valid == rows.len();
    console(&clinic).await;
    clinic.shutdown().await;
    if !all {
        return Err("一部の訪問が完了しませんでした".into());
    }
    Ok(())
}

/// Leaves the clinic's console running with the round's results, with a
/// demo administrator whose password is made now and printed (there is no
/// default password), until Enter or Ctrl-C — when someone is at the
/// terminal; otherwise (tests, CI) it only prints where it was.
async fn console(clinic: &LoopbackClinic) {
    use houmon_server::db::audit::Actor;
    use std::io::IsTerminal;
    let password = format!("demo-{:016x}", rand::random::<u64>());
    let app = clinic.app();
    let made = houmon_server::admin::add_staff(
        app,
        &Actor::System,
        "demo-admin",
        "デモ 管理者",
        houmon_server::db::staff::Role::Admin,
    )
    .and_then(|()| {
        houmon_server::admin::set_password(app, &Actor::System, "demo-admin", &password)
    });
    if let Err(e) = made {
        println!("(管理画面の準備に失敗しました: {e})");
        return;
    }
    println!("\nクリニックの管理画面: {}/console/", clinic.url);
    println!("  職員ID demo-admin / パスワード {password}(このデモのあいだだけ有効)");
    println!("  証明書はこのデモが作ったクリニック専用のものです。ブラウザの警告は、このURLであることを確かめてから進んでください。");
    if std::io::stdin().is_terminal() {
        println!("Enter キー(または Ctrl-C)で終了します。");
        let enter = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        });
        tokio::select! {
            _ = enter => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}
