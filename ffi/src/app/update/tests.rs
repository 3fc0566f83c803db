// SPDX-License-Identifier: MPL-2.0
//! The state machine alone: messages in, commands and views out, in
//! milliseconds (the journeys with a card and a clinic are in
//! `ffi/tests/app_journeys.rs`).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use houmon_core::protocol::{CustodyAction, Roster, RosterEntry, RosterStaff};
use houmon_core::visit::{SignInVerifier, StaffKey};
use houmon_store::{ItemKind, ItemState};

use super::{card_tapped, update};
use crate::app::command::Command;
use crate::app::config::{AppConfig, ClinicPolicy, PlatformInfo};
use crate::app::event::{AppEvent, Ctx, Msg};
use crate::app::model::{DayItem, DayNote, Model, PatientInfo, Problem, RoundData, SyncOutcome};
use crate::app::runtime::Saved;
use crate::app::view::{AppView, Effect, Screen, TapAnswer, VisitScreen};
use crate::app::{new_model, render};
use crate::records::{EligibilityStatus, EligibilityView, Enrolment, QueueEntry, QueueState};

fn t0() -> DateTime<Utc> {
    // 2026-12-02 10:00 in Japan.
    Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap()
}

fn ctx(at: DateTime<Utc>) -> Ctx {
    Ctx { now: at, random: 0.5 }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
}

fn config(policy: ClinicPolicy) -> AppConfig {
    AppConfig {
        db_path: ":memory:".into(),
        platform: PlatformInfo {
            phone_model: "Pixel 8".into(),
            os: "Android 15".into(),
            antenna_hint: "背面の上部".into(),
            device_name: "訪問用1".into(),
        },
        policy,
    }
}

fn entry(id: &str, name: &str, facility: Option<&str>, unit: Option<&str>) -> RosterEntry {
    RosterEntry {
        patient_id: id.into(),
        name: name.into(),
        address: "東京都".into(),
        birth_date: NaiveDate::from_ymd_opt(1940, 1, 2).unwrap(),
        facility: facility.map(Into::into),
        unit: unit.map(Into::into),
        insurance: None,
        last_eligibility: None,
        consent_until: None,
        enrolled_certificate: None,
    }
}

fn unknown() -> EligibilityView {
    EligibilityView {
        status: EligibilityStatus::Unknown,
        share_wari: None,
        checked_at: None,
        offline: false,
        label: "資格: 未確認".into(),
    }
}

fn round(entries: Vec<RosterEntry>, staff: Vec<RosterStaff>) -> RoundData {
    RoundData {
        day: day(),
        fetched_at: t0(),
        fresh: true,
        patients: entries
            .iter()
            .map(|e| PatientInfo { entry: e.clone(), eligibility: unknown() })
            .collect(),
        roster: Roster { day: day(), entries, staff },
    }
}

fn staff(id: &str, name: &str, verifier: Option<SignInVerifier>) -> RosterStaff {
    RosterStaff { staff_id: id.into(), name: name.into(), sign_in: verifier }
}

fn enrolment() -> Enrolment {
    Enrolment {
        device_id: "d-1".into(),
        staff_id: "nurse-7".into(),
        server_url: "https://clinic".into(),
        server_pin: None,
    }
}

/// An enrolled phone, opened at `t0`, with `round` loaded.
fn ready(policy: ClinicPolicy, data: RoundData) -> Model {
    let mut m = new_model(config(policy));
    m.today = day();
    update(
        &mut m,
        Msg::Opened { enrolment: Some(enrolment()), saved: Saved::default() },
        ctx(t0()),
    );
    update(&mut m, Msg::RosterLoaded { day: day(), result: Ok(data) }, ctx(t0()));
    m
}

fn home_round() -> RoundData {
    round(
        vec![
            entry("p1", "患者 一", None, None),
            entry("p2", "患者 二", None, None),
            entry("p3", "患者 三", None, None),
        ],
        vec![staff("nurse-7", "訪問 看護師", None)],
    )
}

fn send(m: &mut Model, e: AppEvent, at: DateTime<Utc>) -> Vec<Command> {
    update(m, Msg::Shell(e), ctx(at))
}

fn view(m: &Model, at: DateTime<Utc>) -> AppView {
    render::view(m, at)
}

fn has(cmds: &[Command], f: impl Fn(&Command) -> bool) -> bool {
    cmds.iter().any(f)
}

fn scheduled(cmds: &[Command]) -> Option<DateTime<Utc>> {
    cmds.iter().rev().find_map(|c| match c {
        Command::Shell(Effect::ScheduleSync { at }) => Some(DateTime::<Utc>::from(*at)),
        _ => None,
    })
}

fn pending(n: usize) -> Vec<QueueEntry> {
    (0..n)
        .map(|i| QueueEntry {
            id: format!("v-{i}"),
            state: QueueState::Pending,
            attempts: 0,
            created_at: t0().into(),
            last_error: None,
            wedge_reason: None,
            sent_at: None,
        })
        .collect()
}

fn failed_network() -> Msg {
    Msg::SyncFinished(Err(Problem {
        code: "sync.network".into(),
        message: "通信できません。".into(),
    }))
}

#[test]
fn an_events_debug_text_never_shows_a_secret() {
    let shown = format!(
        "{:?} {:?} {:?}",
        AppEvent::SubmitPin { pin: "4821".into() },
        AppEvent::SubmitCollation { value: "55021720352285".into() },
        AppEvent::SignIn { staff_id: "nurse-8".into(), code: "482915".into() }
    );
    assert_eq!(shown, "SubmitPin SubmitCollation SignIn");
    assert_eq!(format!("{:?}", AppEvent::NetworkChanged { online: true }), "NetworkChanged");
}

#[test]
fn a_round_that_fails_before_sending_anything_is_tried_again_later_never_at_once() {
    let mut m = ready(ClinicPolicy::default(), home_round());
    m.sync.running = false;
    // Something waits, due now.
    update(
        &mut m,
        Msg::QueueLoaded { pending: pending(2), wedged: vec![], next_wakeup: Some(t0()) },
        ctx(t0()),
    );
    let mut delays = Vec::new();
    for i in 1..=7 {
        let now = t0() + Duration::minutes(i);
        m.sync.running = true;
        let cmds = update(&mut m, failed_network(), ctx(now));
        let at = m.sync.next_at.expect("a next try");
        assert!(!has(&cmds, |c| matches!(c, Command::Sync)), "no round at once after a failure");
        assert_eq!(scheduled(&cmds), Some(at), "the OS is told the same time");
        delays.push((at - now).num_seconds());
    }
    // 30 s, doubling, up to 15 min (the jitter is ±20%; this test's is 0).
    assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900]);
    assert_eq!(m.sync.failures, 7);
    // Whatever the jitter, never sooner than 30 s.
    for random in [0.0, 0.999] {
        m.sync.failures = 1;
        m.sync.next_at = None;
        let at = crate::app::update::sync::next_sync_at(&m, Ctx { now: t0(), random });
        assert!(at.unwrap() >= t0() + Duration::seconds(30), "{random}: {at:?}");
    }
}

#[test]
fn a_revoked_phone_stops_syncing_and_says_why() {
    let mut m = ready(ClinicPolicy::default(), home_round());
    m.sync.running = false;
    update(
        &mut m,
        Msg::QueueLoaded { pending: pending(1), wedged: vec![], next_wakeup: Some(t0()) },
        ctx(t0()),
    );
    assert!(m.sync.next_at.is_some());
    m.sync.running = true;
    let cmds = update(
        &mut m,
        Msg::SyncFinished(Err(Problem {
            code: "sync.unauthorized".into(),
            message: "登録が取り消されています".into(),
        })),
        ctx(t0()),
    );
    assert!(m.sync.next_at.is_none());
    assert!(has(&cmds, |c| matches!(c, Command::Shell(Effect::CancelScheduledSync))));
    let v = view(&m, t0());
    assert!(
        v.header.blocked.as_deref().unwrap_or_default().contains("取り消されています"),
        "{:?}",
        v.header
    );
    // The OS job, the network coming back, a refresh: nothing is sent.
    for e in [AppEvent::SyncDue, AppEvent::NetworkChanged { online: true }, AppEvent::Refresh] {
        let cmds = send(&mut m, e, t0() + Duration::minutes(1));
        assert!(!has(&cmds, |c| matches!(c, Command::Sync)));
        assert!(scheduled(&cmds).is_none());
    }
}

#[test]
fn a_record_just_stored_is_sent_at_once_and_a_second_request_waits_for_the_first() {
    let mut m = ready(ClinicPolicy::default(), home_round());
    m.sync.running = false;
    let cmds = send(&mut m, AppEvent::SyncDue, t0());
    assert_eq!(cmds.iter().filter(|c| matches!(c, Command::Sync)).count(), 1);
    // While that round runs, two more requests: one more round after it, not two.
    assert!(!has(&send(&mut m, AppEvent::SyncDue, t0()), |c| matches!(c, Command::Sync)));
    assert!(!has(&send(&mut m, AppEvent::Refresh, t0()), |c| matches!(c, Command::Sync)));
    let done = SyncOutcome {
        sent: 1,
        held: 0,
        wedged: 0,
        deferred: None,
        next_retry_at: None,
        results_error: None,
        pending_after: 0,
    };
    let cmds = update(&mut m, Msg::SyncFinished(Ok(done.clone())), ctx(t0()));
    assert_eq!(cmds.iter().filter(|c| matches!(c, Command::Sync)).count(), 1);
    let cmds = update(&mut m, Msg::SyncFinished(Ok(done)), ctx(t0()));
    assert!(!has(&cmds, |c| matches!(c, Command::Sync)), "and then no more");
}

fn visit_item(id: &str, patient: &str, at: DateTime<Utc>, state: ItemState) -> DayItem {
    DayItem {
        id: id.into(),
        kind: ItemKind::Visit,
        state,
        at,
        wedge_reason: None,
        note: DayNote::Visit { patient_id: Some(patient.into()), staff_id: "nurse-7".into() },
    }
}

#[test]
fn after_a_kill_the_round_is_rebuilt_from_the_day_log_with_its_visits_and_next_patient() {
    // A fresh process: nothing in memory but what the store gives back.
    let mut m = ready(ClinicPolicy::default(), home_round());
    let v = view(&m, t0());
    let Screen::Round { round } = &v.screen else { panic!("{:?}", v.screen) };
    assert_eq!(round.next_patient_id.as_deref(), Some("p1"));
    update(
        &mut m,
        Msg::DayLogLoaded {
            day: day(),
            items: vec![
                visit_item("v-a", "p1", t0(), ItemState::Sent),
                visit_item("v-b", "p2", t0() + Duration::minutes(40), ItemState::Pending),
            ],
        },
        ctx(t0()),
    );
    let v = view(&m, t0());
    let Screen::Round { round } = &v.screen else { panic!() };
    let rows: Vec<_> = round.groups.iter().flat_map(|g| g.patients.iter()).collect();
    assert!(rows[0].visited && rows[1].visited && !rows[2].visited);
    assert_eq!(rows[0].visited_line.as_deref(), Some("本日訪問済み 10:00(送信済み)"));
    assert_eq!(rows[1].visited_line.as_deref(), Some("本日訪問済み 10:40(未送信)"));
    assert_eq!(round.next_patient_id.as_deref(), Some("p3"));
    assert!(rows[2].next);
}

fn verifier(code: &str) -> SignInVerifier {
    let (_, v) = StaffKey::new_code(code).unwrap();
    v
}

fn shared_round() -> RoundData {
    round(
        vec![entry("p1", "患者 一", None, None)],
        vec![
            staff("nurse-7", "訪問 看護師", Some(verifier("111111"))),
            staff("nurse-8", "在宅 花子", Some(verifier("222222"))),
        ],
    )
}

#[test]
fn on_a_shared_phone_a_visit_waits_for_a_sign_in_and_belongs_to_who_signed_in() {
    let mut m = ready(ClinicPolicy::default(), shared_round());
    let v = view(&m, t0());
    let Screen::Round { round } = &v.screen else { panic!() };
    assert!(round.sign_in_needed);
    assert_eq!(v.header.staff_line.as_deref(), Some("サインインしていません"));
    send(&mut m, AppEvent::OpenPatient { patient_id: "p1".into() }, t0());
    let v = view(&m, t0());
    let Screen::SignIn { sign_in } = &v.screen else { panic!("{:?}", v.screen) };
    assert_eq!(sign_in.staff.len(), 2);
    // A wrong code is refused by the check the runtime runs.
    let cmds =
        send(&mut m, AppEvent::SignIn { staff_id: "nurse-8".into(), code: "222222".into() }, t0());
    let Some(Command::CheckSignIn { staff_id, code, verifier }) =
        cmds.into_iter().find(|c| matches!(c, Command::CheckSignIn { .. }))
    else {
        panic!("a check")
    };
    let key = StaffKey::sign_in(&code, &verifier).expect("the right code");
    let cmds = update(&mut m, Msg::SignInChecked { staff_id, result: Ok(key) }, ctx(t0()));
    assert!(
        has(&cmds, |c| matches!(c, Command::SaveSignIn(Some(_)))),
        "kept sealed across a restart"
    );
    // The patient tapped before signing in opens now, as hers.
    assert!(has(&cmds, |c| matches!(c, Command::PrepareVisit { .. })));
    assert_eq!(m.visit.as_ref().unwrap().staff_id, "nurse-8");
    let v = view(&m, t0());
    assert!(v.header.staff_line.unwrap().starts_with("在宅 花子 さん"));
}

#[test]
fn a_wrong_sign_in_code_is_said_and_nobody_is_signed_in() {
    let mut m = ready(ClinicPolicy::default(), shared_round());
    send(&mut m, AppEvent::OpenSignIn, t0());
    let cmds =
        send(&mut m, AppEvent::SignIn { staff_id: "nurse-8".into(), code: "999999".into() }, t0());
    let Some(Command::CheckSignIn { code, verifier, .. }) =
        cmds.into_iter().find(|c| matches!(c, Command::CheckSignIn { .. }))
    else {
        panic!()
    };
    let result = StaffKey::sign_in(&code, &verifier);
    update(&mut m, Msg::SignInChecked { staff_id: "nurse-8".into(), result }, ctx(t0()));
    assert!(m.signed_in.is_none());
    let v = view(&m, t0());
    let Screen::SignIn { sign_in } = &v.screen else { panic!() };
    assert!(sign_in.error.as_deref().unwrap_or_default().contains("サインインコードが違います"));
    // A code of the wrong shape never reaches the check.
    let cmds =
        send(&mut m, AppEvent::SignIn { staff_id: "nurse-8".into(), code: "12".into() }, t0());
    assert!(!has(&cmds, |c| matches!(c, Command::CheckSignIn { .. })));
}

fn sign_in(m: &mut Model, staff_id: &str, code: &str, at: DateTime<Utc>) {
    let cmds = send(m, AppEvent::SignIn { staff_id: staff_id.into(), code: code.into() }, at);
    let Some(Command::CheckSignIn { code, verifier, .. }) =
        cmds.into_iter().find(|c| matches!(c, Command::CheckSignIn { .. }))
    else {
        panic!()
    };
    let key = StaffKey::sign_in(&code, &verifier).unwrap();
    update(m, Msg::SignInChecked { staff_id: staff_id.into(), result: Ok(key) }, ctx(at));
}

#[test]
fn a_sign_in_ends_after_idle_time_and_at_the_shifts_end() {
    let mut m = ready(ClinicPolicy::default(), shared_round());
    sign_in(&mut m, "nurse-7", "111111", t0());
    assert!(m.signed_in.is_some());
    send(&mut m, AppEvent::Refresh, t0() + Duration::minutes(29));
    assert!(m.signed_in.is_some(), "29 minutes idle: still in");
    send(&mut m, AppEvent::Refresh, t0() + Duration::minutes(59));
    assert!(m.signed_in.is_none(), "30 minutes without use: out");
    let v = view(&m, t0());
    assert!(v.notice.unwrap().text.contains("一定時間操作がなかった"));
    // Kept busy, a shift still ends after its hours.
    sign_in(&mut m, "nurse-7", "111111", t0() + Duration::hours(1));
    for i in 1..=12 {
        send(&mut m, AppEvent::Refresh, t0() + Duration::hours(1) + Duration::minutes(20 * i));
    }
    assert!(m.signed_in.is_some(), "4 hours of use");
    let mut at = t0() + Duration::hours(5);
    while at < t0() + Duration::hours(13) + Duration::minutes(1) {
        send(&mut m, AppEvent::Refresh, at);
        at += Duration::minutes(20);
    }
    assert!(m.signed_in.is_none(), "the 12-hour shift ended");
}

fn facility_round() -> RoundData {
    round(
        vec![
            entry("p4", "入居者 四", Some("グループホームさくら"), Some("2階")),
            entry("p1", "患者 一", None, None),
            entry("p3", "入居者 三", Some("グループホームさくら"), Some("1階")),
        ],
        vec![staff("nurse-7", "訪問 看護師", None)],
    )
}

#[test]
fn a_facility_round_groups_residents_by_floor_and_recommends_visual_checks() {
    let mut m = ready(ClinicPolicy::default(), facility_round());
    let v = view(&m, t0());
    let Screen::Round { round } = &v.screen else { panic!() };
    let titles: Vec<_> = round.groups.iter().map(|g| g.title.as_str()).collect();
    assert_eq!(titles, ["居宅", "グループホームさくら 2階", "グループホームさくら 1階"]);
    assert!(
        round.groups[1].patients[0].can_take_card && !round.groups[0].patients[0].can_take_card
    );
    send(&mut m, AppEvent::OpenPatient { patient_id: "p4".into() }, t0());
    let id = m.visit.as_ref().unwrap().id.clone();
    update(&mut m, Msg::VisitReady { visit_id: id, anchor: Ok(None) }, ctx(t0()));
    let v = view(&m, t0());
    let Screen::Visit { visit } = &v.screen else { panic!() };
    let VisitScreen::ChooseMode { options } = &visit.screen else { panic!("{:?}", visit.screen) };
    let recommended: Vec<_> = options.iter().filter(|o| o.recommended).map(|o| o.mode).collect();
    assert_eq!(recommended, [crate::records::IdentityMode::Visual]);
    assert_eq!(visit.kind_label, "施設");
}

fn custody_item(id: &str, patient: &str, action: CustodyAction, at: DateTime<Utc>) -> DayItem {
    DayItem {
        id: id.into(),
        kind: ItemKind::Custody,
        state: ItemState::Pending,
        at,
        wedge_reason: None,
        note: DayNote::Custody {
            patient_id: patient.into(),
            action,
            staff_id: "nurse-7".into(),
            staff_name: "訪問 看護師".into(),
        },
    }
}

#[test]
fn a_card_taken_from_the_facility_shows_until_it_is_put_back_and_cannot_be_taken_twice() {
    let mut m = ready(ClinicPolicy::default(), facility_round());
    let cmds = send(&mut m, AppEvent::TakeCard { patient_id: "p4".into() }, t0());
    let Some(Command::StoreCustody { event, .. }) =
        cmds.into_iter().find(|c| matches!(c, Command::StoreCustody { .. }))
    else {
        panic!("stored")
    };
    assert_eq!(event.action, CustodyAction::Taken);
    assert_eq!(event.staff_id, "nurse-7");
    assert!(event.sign_in.is_none(), "the enrolled staff member needs no sign-in proof");
    // Not a resident: nothing to record.
    let cmds = send(&mut m, AppEvent::TakeCard { patient_id: "p1".into() }, t0());
    assert!(!has(&cmds, |c| matches!(c, Command::StoreCustody { .. })));
    update(
        &mut m,
        Msg::DayLogLoaded {
            day: day(),
            items: vec![custody_item("c-1", "p4", CustodyAction::Taken, t0())],
        },
        ctx(t0()),
    );
    let v = view(&m, t0());
    let Screen::Round { round } = &v.screen else { panic!() };
    assert_eq!(round.cards_out, 1);
    let row = &round.groups[1].patients[0];
    assert_eq!(row.custody.as_ref().unwrap().text, "カード預かり中(訪問 看護師 10:00〜)");
    assert!(row.can_return_card && !row.can_take_card);
    let cmds = send(&mut m, AppEvent::TakeCard { patient_id: "p4".into() }, t0());
    assert!(!has(&cmds, |c| matches!(c, Command::StoreCustody { .. })), "already out");
    let cmds = send(&mut m, AppEvent::ReturnCard { patient_id: "p4".into() }, t0());
    assert!(has(
        &cmds,
        |c| matches!(c, Command::StoreCustody { event, .. } if event.action == CustodyAction::Returned)
    ));
}

#[test]
fn a_store_that_does_not_open_offers_retry_and_a_reset_that_needs_the_administrators_code() {
    let mut m = new_model(config(ClinicPolicy::default()));
    update(
        &mut m,
        Msg::OpenFailed {
            problem: Problem {
                code: "store.wrong-key".into(),
                message: "端末内のデータを開けません".into(),
            },
            unsent: Some(3),
        },
        ctx(t0()),
    );
    let v = view(&m, t0());
    let Screen::Recovery { recovery } = &v.screen else { panic!("{:?}", v.screen) };
    assert_eq!((recovery.code.as_str(), recovery.unsent), ("store.wrong-key", Some(3)));
    assert!(has(&send(&mut m, AppEvent::RetryOpen, t0()), |c| matches!(c, Command::OpenStore)));
    update(
        &mut m,
        Msg::OpenFailed {
            problem: Problem { code: "store.wrong-key".into(), message: "x".into() },
            unsent: Some(3),
        },
        ctx(t0()),
    );
    send(&mut m, AppEvent::StartReset, t0());
    // Anything but the clinic's enrolment code is not enough.
    send(&mut m, AppEvent::EnrolmentScanned { text: "https://example.com".into() }, t0());
    assert!(view(&m, t0()).confirmation.is_none());
    let link = houmon_core::protocol::EnrolmentLink {
        url: "https://192.168.1.20:8470".into(),
        pin: Some(format!("sha256:{}", "ab".repeat(32))),
        code: "K7QX-9MWD-2RTP".into(),
    }
    .to_uri();
    let cmds = send(&mut m, AppEvent::EnrolmentScanned { text: link }, t0());
    assert!(
        !has(&cmds, |c| matches!(c, Command::Enrol { .. })),
        "nothing is wiped before the confirmation"
    );
    let c = view(&m, t0()).confirmation.expect("a confirmation");
    assert!(c.message.contains("3件が失われます"), "{}", c.message);
    assert!(c.destructive);
    let cmds = send(&mut m, AppEvent::Confirm, t0());
    assert!(has(&cmds, |c| matches!(c, Command::Enrol { reset_first: true, .. })));
}

#[test]
fn reader_mode_is_on_for_the_whole_visit_and_a_tap_not_wanted_gets_told_so() {
    let mut m = ready(ClinicPolicy::default(), home_round());
    assert!(!view(&m, t0()).reader_mode, "the round wants no card");
    send(&mut m, AppEvent::OpenPatient { patient_id: "p1".into() }, t0());
    let id = m.visit.as_ref().unwrap().id.clone();
    update(&mut m, Msg::VisitReady { visit_id: id, anchor: Ok(None) }, ctx(t0()));
    assert!(view(&m, t0()).reader_mode);
    send(&mut m, AppEvent::ChooseMode { mode: crate::records::IdentityMode::Pin }, t0());
    let v = view(&m, t0());
    assert!(v.reader_mode, "kept on at the PIN pad: patients tap early");
    assert!(v.protect_screen);
    struct NoCard;
    #[async_trait::async_trait]
    impl crate::foreign::CardTransport for NoCard {
        async fn transceive(
            &self,
            _: Vec<u8>,
        ) -> Result<Vec<u8>, crate::foreign::TransportFailure> {
            Err(crate::foreign::TransportFailure::TagLost)
        }
        fn limits(&self) -> crate::foreign::TransportLimits {
            crate::foreign::iphone_transport_limits()
        }
    }
    let (answer, cmds) = card_tapped(&mut m, std::sync::Arc::new(NoCard), ctx(t0()));
    assert_eq!(
        answer,
        TapAnswer::NotNow {
            message: "まだカードは不要です。画面の案内に従ってください。".into()
        }
    );
    assert!(!has(&cmds, |c| matches!(c, Command::ReadCard { .. })));
    assert!(has(&cmds, |c| matches!(c, Command::Shell(Effect::Feedback { .. }))));
    // Back from the pad: the choice of mode; the PIN was never entered.
    send(&mut m, AppEvent::Back, t0());
    let v = view(&m, t0());
    let Screen::Visit { visit } = &v.screen else { panic!() };
    assert!(matches!(visit.screen, VisitScreen::ChooseMode { .. }));
    send(&mut m, AppEvent::Back, t0());
    let v = view(&m, t0());
    assert!(matches!(v.screen, Screen::Round { .. }));
    assert!(!v.can_go_back, "on the round, back leaves the app");
    assert!(!v.reader_mode);
}
