// SPDX-License-Identifier: MPL-2.0
//! `houmon demo`: a home-visit round on embedded defaults, nothing
//! installed. On loopback it starts the clinic server and a simulated
//! 資格確認端末; the "phone" is the same app core the Android and iOS apps
//! render (`houmon_ffi::AppCore`), driven screen by screen as staff would:
//! it enrols with the clinic's QR text, takes the day's round, visits
//! patients with virtual cards (PIN, 目視, a 顔認証 card, a wrong PIN, a
//! card pulled away, the last try, a certificate in its grace, a facility
//! resident's card taken from and put back into safekeeping), goes without
//! signal for part of the round, comes back, syncs, and prints each visit
//! with the eligibility the clinic server obtained.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use houmon_core::protocol::InsuranceNumbers;
use houmon_core::visit::VisitKind;
use houmon_ffi::*;
use houmon_server::loopback::{LoopbackClinic, Options, NURSE};
use houmon_server::terminal::TerminalEntry;
use houmon_server::PatientSeed;
use houmon_vcard::{CardConfig, Faults, Holder, TestCa, Variant, VirtualCard};

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

struct Keys([u8; 32]);
impl KeyProvider for Keys {
    fn database_key(&self) -> Result<Vec<u8>, KeyProviderFailure> {
        Ok(self.0.to_vec())
    }
    fn reset_database_key(&self) -> Result<(), KeyProviderFailure> {
        Ok(())
    }
}

/// The demo's "shell": it draws nothing; the demo reads the views.
struct Shell;
impl AppShell for Shell {
    fn render(&self, _: AppView) {}
    fn run(&self, _: Effect) {}
}

/// The phone's NFC transport over a virtual card.
struct Tag(VirtualCard);

#[async_trait::async_trait]
impl CardTransport for Tag {
    async fn transceive(&self, apdu: Vec<u8>) -> Result<Vec<u8>, TransportFailure> {
        use houmon_core::card::transport::TransportError as E;
        self.0.exchange(&apdu).map_err(|e| match e {
            E::TagLost => TransportFailure::TagLost,
            E::Timeout => TransportFailure::Timeout,
            E::Io { reason } => TransportFailure::Io { reason },
        })
    }
    fn limits(&self) -> TransportLimits {
        let l = houmon_core::card::transport::CardTransport::limits(&self.0);
        TransportLimits {
            extended_length: l.extended_length,
            max_command: l.max_command as u32,
            max_response: l.max_response as u32,
        }
    }
}

/// The phone: the same app core the Android and iOS apps render.
struct Phone(Arc<AppCore>);

impl Phone {
    async fn send(&self, e: AppEvent) {
        self.0.send(e);
        self.0.settle().await;
    }
    async fn tap(&self, tag: &Arc<Tag>) {
        self.0.card_tapped(tag.clone());
        self.0.settle().await;
    }
    fn view(&self) -> AppView {
        self.0.view()
    }
    fn visit(&self) -> Option<VisitView> {
        match self.view().screen {
            Screen::Visit { visit } => Some(visit),
            _ => None,
        }
    }
    fn round(&self) -> Option<RoundView> {
        match self.view().screen {
            Screen::Round { round } => Some(round),
            _ => None,
        }
    }
}

/// What happened at one door.
struct Outcome {
    mode: &'static str,
    notes: Vec<String>,
    delivery: String,
}

/// One visit, as staff walk the phone's screens.
async fn visit(phone: &Phone, v: &Visit) -> Result<Outcome, String> {
    let holder = Holder::default();
    let faults = if v.story.contains("離れ") {
        Faults { tag_lost_at: Some(2), ..Faults::default() }
    } else {
        Faults::default()
    };
    let tag = Arc::new(Tag(VirtualCard::new(CardConfig {
        variant: v.variant,
        faults,
        ..CardConfig::default()
    })));
    // The patient in the "wrong PIN" story types 9999 first.
    let mut pin = if v.story.contains("間違") { "9999".to_owned() } else { holder.pin.clone() };
    let mut notes = Vec::new();
    let mut mode = "";
    phone.send(AppEvent::OpenPatient { patient_id: v.patient.into() }).await;
    for _ in 0..16 {
        let Some(view) = phone.visit() else {
            return Err(format!("想定外の画面: {:?}", phone.view().screen));
        };
        if let Some(e) = &view.error {
            notes.push(e.clone());
        }
        match view.screen {
            VisitScreen::Starting => phone.0.settle().await,
            VisitScreen::ChooseMode { options } => {
                for o in options.iter().filter(|o| !o.enabled) {
                    notes.push(o.why_not.clone().unwrap_or_default());
                }
                let pick = options
                    .iter()
                    .find(|o| o.enabled && o.mode == IdentityMode::Pin)
                    .or_else(|| options.iter().find(|o| o.enabled))
                    .ok_or("このカードでは本人確認できません")?;
                mode = if pick.mode == IdentityMode::Pin { "PIN" } else { "目視" };
                phone.send(AppEvent::ChooseMode { mode: pick.mode }).await;
            }
            VisitScreen::EnterPin { warning, .. } => {
                notes.extend(warning);
                let typed = std::mem::replace(&mut pin, holder.pin.clone());
                phone.send(AppEvent::SubmitPin { pin: typed }).await;
            }
            VisitScreen::EnterCollation { .. } => {
                phone.send(AppEvent::SubmitCollation { value: holder.collation_b() }).await;
            }
            VisitScreen::HoldCard { line, .. } => {
                if line.contains("もう一度") {
                    notes.push(format!("中断: {line} → かざし直し"));
                    tag.0.reinsert();
                }
                phone.tap(&tag).await;
            }
            VisitScreen::ConfirmLastTry { message, .. } => {
                notes.push(message);
                notes.push("本人が確認したうえで入力".into());
                phone.send(AppEvent::ConfirmLastTry).await;
            }
            VisitScreen::ComparePhoto { width, height, checker, .. } => {
                notes.push(format!("顔写真 {width}×{height} を表示、{checker}"));
                phone
                    .send(AppEvent::PhotoMatches {
                        reason: VisualReason::FaceFailedAndPinUnavailable,
                        note: String::new(),
                    })
                    .await;
            }
            VisitScreen::Consent { term, .. } => {
                notes.push(format!("同意: 包括 / {}", term.description));
                phone
                    .send(AppEvent::GiveConsent {
                        consent: ConsentInput {
                            comprehensive: true,
                            categories: vec![],
                            prescription: Prescription::Electronic,
                        },
                    })
                    .await;
            }
            VisitScreen::Done { delivery_line, renewal, .. } => {
                if let Some(r) = renewal {
                    notes.push(format!("電子証明書: {}", r.title));
                }
                phone.send(AppEvent::FinishVisit).await;
                // A screen's message and its error may say the same thing.
                notes.dedup();
                return Ok(Outcome { mode, notes, delivery: delivery_line });
            }
            VisitScreen::Refused { message, .. } => {
                phone.send(AppEvent::FinishVisit).await;
                return Err(message);
            }
            other => return Err(format!("想定外の画面: {other:?}")),
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

fn seeds() -> (Vec<PatientSeed>, Vec<TerminalEntry>) {
    let patients = ROUND
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
    let data = ROUND
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
    (patients, data)
}

async fn round() -> Result<(), String> {
    println!(
        "Houmon demo — 在宅訪問の1巡(すべてこの端末内のループバック、仮想マイナンバーカード)\n"
    );
    let today = Utc::now().with_timezone(&houmon_core::card::cert::jst()).date_naive();
    let (patients, data) = seeds();
    let dir = std::env::temp_dir().join(format!("houmon-demo-{}", std::process::id()));
    let options = Options {
        trust_anchors: vec![TestCa::shared().cert_der.clone()],
        check_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    let clinic = LoopbackClinic::start(dir.clone(), options, patients, data).await?;
    println!(
        "クリニックサーバー: {} / 資格確認端末(シミュレーター): {}",
        clinic.url,
        clinic.config.oqs_dir.display()
    );

    // The phone: the app core both apps render, with its own encrypted store.
    let core = AppCore::new(
        AppConfig {
            db_path: dir.join("phone.sqlite").to_string_lossy().into_owned(),
            platform: PlatformInfo {
                phone_model: "demo".into(),
                os: "houmon demo".into(),
                antenna_hint: "背面".into(),
                device_name: "訪問用スマートフォン".into(),
            },
            policy: default_clinic_policy(),
        },
        Arc::new(Keys(rand::random())),
        Arc::new(Shell),
    );
    let phone = Phone(core);
    phone.0.settle().await;
    phone.send(AppEvent::EnrolmentScanned { text: clinic.enrolment(NURSE).to_uri() }).await;
    phone.send(AppEvent::OpenSettings).await;
    let device = match phone.view().screen {
        Screen::Settings { settings } => settings.enrolment.map(|e| e.device_id),
        _ => None,
    }
    .ok_or("端末を登録できませんでした")?;
    phone.send(AppEvent::Back).await;
    let ids: Vec<&str> = ROUND.iter().map(|v| v.patient).collect();
    clinic.assign(today, &device, &ids);
    phone.send(AppEvent::Refresh).await;
    let round = phone.round().ok_or("訪問予定を表示できませんでした")?;
    println!("端末を登録し、{}({}名)を暗号化して保存しました。\n", round.title, ids.len());

    let mut rows = Vec::new();
    for v in &ROUND {
        phone.send(AppEvent::NetworkChanged { online: v.online }).await;
        if !v.online {
            println!("  (電波なし)");
        }
        let facility = v.kind == VisitKind::Facility;
        if facility {
            phone.send(AppEvent::TakeCard { patient_id: v.patient.into() }).await;
        }
        let outcome = visit(&phone, v).await;
        if facility {
            phone.send(AppEvent::ReturnCard { patient_id: v.patient.into() }).await;
        }
        match outcome {
            Ok(o) => {
                println!("■ {} {} ({}) — {}", v.patient, v.name, v.kind.name_ja(), v.story);
                println!("  本人確認: {} / 記録: {}", o.mode, o.delivery);
                if facility {
                    println!("  - 施設からカードを預かり、確認後に返却(預かりの記録はクリニックの監査ログへ)");
                }
                for n in o.notes.iter().filter(|n| !n.is_empty()) {
                    println!("  - {n}");
                }
                rows.push((v, o.mode));
            }
            Err(e) => println!("■ {} {} — 本人確認できませんでした: {e}", v.patient, v.name),
        }
    }

    println!("\n(電波回復)");
    phone.send(AppEvent::NetworkChanged { online: true }).await;
    // Wait for the sync and the clinic server's checks through the terminal.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let round = phone.round();
        let answered = round.as_ref().map_or(0, |r| {
            r.groups
                .iter()
                .flat_map(|g| &g.patients)
                .filter(|p| {
                    !matches!(
                        p.eligibility.status,
                        EligibilityStatus::Unknown | EligibilityStatus::Checking
                    )
                })
                .count()
        });
        if (phone.view().header.pending == 0 && answered == rows.len()) || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        phone.send(AppEvent::SyncDue).await;
    }
    let header = phone.view().header;
    println!("同期: {}\n", header.sync_line);
    println!("本日の訪問のまとめ(資格はクリニックサーバーが資格確認端末で確認した結果のみを表示)");
    println!("患者   氏名       確認   資格");
    let round = phone.round().ok_or("訪問予定を表示できませんでした")?;
    let mut valid = 0;
    for (v, mode) in &rows {
        let Some(p) =
            round.groups.iter().flat_map(|g| &g.patients).find(|p| p.patient_id == v.patient)
        else {
            continue;
        };
        if !matches!(p.eligibility.status, EligibilityStatus::Unknown | EligibilityStatus::Checking)
        {
            valid += 1;
        }
        println!("{:<6} {:<10} {:<6} {}", v.patient, v.name, mode, p.eligibility.label);
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
