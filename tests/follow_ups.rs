// SPDX-License-Identifier: MPL-2.0
//! The follow-up list the receptionist works through (`console::followups`)
//! and the decisions on a held card (`console::resolve`): what each
//! kind of visit puts on the list, with its words; a held card accepted as
//! reissued (enrolled, the visit accepted, its check run) or rejected
//! (nothing changes but the list); the month's ③ 不詳 count in Japanese
//! months; consents about to lapse; and the desk's actions refusing bad
//! ids, names and notes without writing anything.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use houmon_core::card::cert::AuthCertificate;
use houmon_core::protocol::{CheckOutcome, Eligibility, EligibilityResult};
use houmon_server::admin;
use houmon_server::console::followups::{compute, Kind};
use houmon_server::console::resolve::{self, Decision, Refused};
use houmon_server::db::audit::{self, Actor, Filter};
use houmon_server::db::staff::{Role, Staff};
use houmon_server::db::{eligibility, patients, visits};
use houmon_server::PatientSeed;
use houmon_tests::clinic::*;
use houmon_tests::timed::{jst, pin_record_at, refusal, upload_at};
use houmon_vcard::VirtualCard;

const WAIT: Duration = Duration::from_secs(15);

/// A receptionist (事務) of the clinic.
fn clerk(id: &str) -> Staff {
    Staff { staff_id: id.into(), name: id.into(), role: Role::Clerk, disabled: false }
}

/// Resolves the open item as the clerk `by` decided; whether it was.
fn decide(
    app: &houmon_server::App,
    by: &str,
    kind: Kind,
    key: &str,
    note: &str,
    decision: Decision,
) -> Result<(), Refused> {
    resolve::resolve(app, &clerk(by), kind, key, note, decision).unwrap()
}

fn fingerprint(card: &VirtualCard) -> String {
    AuthCertificate::from_der(&card.auth_certificate_der()).unwrap().fingerprint_sha256()
}

fn stored_patient(clinic: &Clinic, id: &str) -> patients::Patient {
    clinic.app().db.read(|c, s| patients::get(c, s, id)).unwrap().expect("the patient")
}

fn visit(clinic: &Clinic, id: &str) -> visits::Row {
    clinic.app().db.read(|c, _| visits::get(c, id)).unwrap().expect("the visit")
}

/// The answer for `visit_id` once the terminal has given one.
async fn answer_for(clinic: &Clinic, visit_id: &str) -> EligibilityResult {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let r = clinic.app().db.read(|c, s| eligibility::for_visit(c, s, visit_id)).unwrap();
        if let Some(r) = r.filter(|r| !matches!(r.outcome, CheckOutcome::Pending)) {
            return r;
        }
        assert!(std::time::Instant::now() < deadline, "no answer for {visit_id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn audit_of(clinic: &Clinic, prefix: &str) -> Vec<audit::Row> {
    let f = Filter { action_prefix: Some(prefix.into()), limit: 1000, ..Default::default() };
    clinic.app().db.read(|c, _| audit::list(c, &f)).unwrap()
}

/// The open items as (kind, key).
fn open(clinic: &Clinic) -> Vec<(Kind, String)> {
    let f = compute(clinic.app(), Utc::now()).unwrap();
    f.open.into_iter().map(|i| (i.kind, i.key)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_card_accepted_as_reissued_becomes_the_patients_card_and_the_visit_is_checked() {
    let clinic = start_clinic(vec![patient("p0", Some(0))], vec![answer(0, "1")], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let old = VirtualCard::standard();
    let first = phone.pin_visit(&old, "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    answer_for(&clinic, &first.id).await;
    // The reissued card: held, not checked.
    let new = VirtualCard::standard();
    let held = phone.pin_visit(&new, "p0", Utc::now()).await;
    assert_eq!(phone.sync.upload_due().await.unwrap().held, vec![held.id.clone()]);
    assert!(!clinic.app().db.read(|c, _| eligibility::has_check(c, &held.id)).unwrap());
    let list = compute(clinic.app(), Utc::now()).unwrap();
    let item = list.open.iter().find(|i| i.key == held.id).expect("on the list");
    assert_eq!(item.kind, Kind::HeldCard);
    assert_eq!(item.who, "患者 p0", "named by the patient's name");
    // Beside the name, the patient's number and age on the day (born
    // 1940-04-01), so the desk tells two patients of one name apart.
    let day = Utc::now().with_timezone(&houmon_core::card::cert::jst()).date_naive();
    let age = day.year() - 1940 - i32::from((day.month(), day.day()) < (4, 1));
    assert_eq!(item.whom, Some(format!("p0・{age}歳")));
    assert!(item.what.contains("登録済みのカードと違う"), "{}", item.what);
    assert_eq!(item.visit_id.as_deref(), Some(held.id.as_str()));

    decide(
        clinic.app(),
        "clerk-1",
        Kind::HeldCard,
        &held.id,
        "再発行のカードを確認",
        Decision::AcceptAsReissued,
    )
    .expect("accepted");
    assert_eq!(visit(&clinic, &held.id).status, "accepted");
    let p0 = stored_patient(&clinic, "p0");
    assert_eq!(p0.enrolled_cert, Some(fingerprint(&new)), "the new card is enrolled");
    assert_eq!(p0.enrolled_by_visit.as_deref(), Some(held.id.as_str()));
    let r = answer_for(&clinic, &held.id).await;
    assert!(
        matches!(r.outcome, CheckOutcome::Answered { eligibility: Eligibility::Valid, .. }),
        "{r:?}"
    );
    // Off the list, among the resolved, audited with who and what.
    assert!(!open(&clinic).contains(&(Kind::HeldCard, held.id.clone())));
    let list = compute(clinic.app(), Utc::now()).unwrap();
    let resolved = list.resolved.iter().find(|r| r.item == held.id).expect("resolved");
    assert_eq!(
        (resolved.outcome.as_str(), resolved.resolved_by.as_str(), resolved.note.as_str()),
        ("accepted-as-reissued", "clerk-1", "再発行のカードを確認")
    );
    let entry = &audit_of(&clinic, "followup.resolve")[0];
    assert_eq!(
        (entry.actor.as_str(), entry.outcome.as_str(), entry.target.as_deref()),
        ("staff:clerk-1", "accepted-as-reissued", Some(format!("held-card {}", held.id).as_str()))
    );
    // Decided once: a second decision changes nothing.
    let again = decide(
        clinic.app(),
        "clerk-2",
        Kind::HeldCard,
        &held.id,
        "やはり別のカード",
        Decision::Reject,
    );
    assert_eq!(again, Err(Refused::NotOpen));
    assert_eq!(visit(&clinic, &held.id).status, "accepted");
    // From now on the new card is the patient's, the old one is held.
    let with_new = phone.pin_visit(&new, "p0", Utc::now()).await;
    let with_old = phone.pin_visit(&old, "p0", Utc::now()).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!((report.sent, report.held), (vec![with_new.id], vec![with_old.id]));
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_renewal_follows_the_certificate_of_the_patients_latest_visit() {
    use houmon_vcard::Variant;
    let clinic = start_clinic(vec![patient("k1", None), patient("k2", None)], vec![], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let in_grace = || VirtualCard::of_variant(Variant::CertificateExpiredInGrace);
    // Two minutes apart: both within what the phone's server time allows.
    let (earlier, later) = (Utc::now() - chrono::Duration::minutes(2), Utc::now());
    // k1 has renewed since: the card in grace first, then a new one.
    phone.pin_visit(in_grace(), "k1", earlier).await;
    phone.pin_visit(VirtualCard::standard(), "k1", later).await;
    // k2 the other way round.
    phone.pin_visit(VirtualCard::standard(), "k2", earlier).await;
    phone.pin_visit(in_grace(), "k2", later).await;
    let report = phone.sync.upload_due().await.unwrap();
    assert_eq!(report.sent.len() + report.held.len(), 4, "every visit taken: {report:?}");
    let list = compute(clinic.app(), Utc::now()).unwrap();
    let renewals: Vec<_> =
        list.open.iter().filter(|i| i.kind == Kind::CertificateRenewal).map(|i| &i.who).collect();
    assert_eq!(renewals, ["患者 k2"]);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_held_card_leaves_the_visit_held_and_enrols_nothing() {
    let patients = vec![patient("p0", Some(0)), patient("p1", Some(1))];
    let clinic = start_clinic(patients, vec![answer(0, "1"), answer(1, "1")], false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let card = VirtualCard::standard();
    phone.pin_visit(&card, "p0", Utc::now()).await;
    phone.sync.upload_due().await.unwrap();
    // p0's card shown for p1.
    let borrowed = phone.pin_visit(&card, "p1", Utc::now()).await;
    assert_eq!(phone.sync.upload_due().await.unwrap().held, vec![borrowed.id.clone()]);
    let list = compute(clinic.app(), Utc::now()).unwrap();
    let item = list.open.iter().find(|i| i.key == borrowed.id).expect("on the list");
    assert!(item.what.contains("別の患者に登録済みのカード"), "{}", item.what);

    decide(
        clinic.app(),
        "clerk-1",
        Kind::HeldCard,
        &borrowed.id,
        "家族のカードだった",
        Decision::Reject,
    )
    .expect("rejected");
    let row = visit(&clinic, &borrowed.id);
    assert_eq!(
        (row.status.as_str(), row.held_reason.as_deref()),
        ("held", Some("card-enrolled-to-another-patient"))
    );
    assert_eq!(stored_patient(&clinic, "p0").enrolled_cert, Some(fingerprint(&card)));
    assert_eq!(stored_patient(&clinic, "p1").enrolled_cert, None);
    assert!(!clinic.app().db.read(|c, _| eligibility::has_check(c, &borrowed.id)).unwrap());
    assert!(!open(&clinic).contains(&(Kind::HeldCard, borrowed.id.clone())));
    assert_eq!(audit_of(&clinic, "followup.resolve")[0].outcome, "rejected");
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_that_needs_the_desk_is_listed_with_what_to_do_and_the_others_are_not() {
    // pA: no insurance numbers on file. The others: the terminal's answers.
    let cases: [(&str, Option<&str>); 7] = [
        ("pa", None),
        ("pe", Some("error")),
        ("pi", Some("2")),
        ("pj", Some("3")),
        ("pn", Some("4")),
        ("pm", Some("5")),
        ("pv", Some("1")),
    ];
    let mut seeds = Vec::new();
    let mut data = Vec::new();
    for (i, (id, answer_code)) in cases.iter().enumerate() {
        let n = i as u32 + 10;
        seeds.push(patient(id, answer_code.map(|_| n)));
        if let Some(code) = answer_code {
            let mut a = answer(n, if *code == "error" { "1" } else { code });
            if *code == "error" {
                a.error = Some(("EQ01".into(), "資格確認端末の照会に失敗".into()));
            }
            data.push(a);
        }
    }
    // pw: numbers on file, the check sent, no answer yet (a slow terminal):
    // waiting is not a follow-up.
    seeds.push(patient("pw", Some(30)));
    let mut slow = answer(30, "1");
    slow.delay_ms = 120_000;
    data.push(slow);
    seeds.push(patient("pc", None));
    seeds.push(patient("px", None));
    seeds.push(patient("py", None));
    let clinic = start_clinic(seeds, data, false).await;
    let phone = Phone::new(&clinic, "dev-1").await;
    let mut ids = BTreeMap::new();
    for (id, _) in cases {
        let r = phone.pin_visit(VirtualCard::standard(), id, Utc::now()).await;
        ids.insert(id, r.id);
    }
    let waiting = phone.pin_visit(VirtualCard::standard(), "pw", Utc::now()).await;
    assert_eq!(phone.sync.upload_due().await.unwrap().sent.len(), cases.len() + 1);
    for (id, code) in cases {
        if code.is_some() {
            answer_for(&clinic, &ids[id]).await;
        }
    }
    // Consents: one ends in a week, one in a month, one ended yesterday.
    let day = today();
    clinic
        .app()
        .db
        .write(|c, _| {
            for (id, days) in [("pc", 7), ("px", 30), ("py", -1)] {
                let until = day + chrono::Duration::days(days);
                patients::record_consent(c, id, Some(until), day, Utc::now())?;
            }
            Ok(())
        })
        .unwrap();

    let list = compute(clinic.app(), Utc::now()).unwrap();
    let got: Vec<(Kind, &str, &str, &str)> = list
        .open
        .iter()
        .map(|i| (i.kind, i.key.as_str(), i.what.as_str(), i.todo.as_str()))
        .collect();
    let find = |key: &str| {
        got.iter().find(|g| g.1 == key).copied().unwrap_or_else(|| panic!("{key} in {got:#?}"))
    };
    let (kind, _, what, todo) = find(&ids["pa"]);
    assert_eq!(kind, Kind::AfterCheck);
    assert!(
        what.contains("被保険者番号が未登録") && todo.contains("被保険者資格申立書"),
        "{what} {todo}"
    );
    let (kind, _, what, todo) = find(&ids["pe"]);
    assert_eq!(kind, Kind::AfterCheck);
    assert_eq!(what, "照会エラー: 資格確認端末の照会に失敗");
    assert!(todo.contains("再照会"), "{todo}");
    for (p, label, step) in [
        ("pi", "資格(無効)", "② 旧資格"),
        ("pj", "資格(無効)", "② 旧資格"),
        ("pn", "該当資格なし", "③ 不詳レセプト"),
        ("pm", "複数該当", "正しい資格で再照会"),
    ] {
        let (kind, _, what, todo) = find(&ids[p]);
        assert_eq!(kind, Kind::ClaimPath, "{p}");
        assert_eq!(what, format!("資格確認端末の回答: {label}"), "{p}");
        assert!(todo.contains(step), "{p}: {todo}");
    }
    let consent = format!("pc:{}", day + chrono::Duration::days(7));
    let (kind, _, what, _) = find(&consent);
    assert_eq!(kind, Kind::ConsentLapsing);
    assert!(what.contains(&(day + chrono::Duration::days(7)).to_string()), "{what}");
    // Nothing else: not the valid answer, not the consents far off or past.
    assert_eq!(got.len(), 7, "{got:#?}");
    assert!(!got
        .iter()
        .any(|g| g.1 == ids["pv"] || g.1.starts_with("px:") || g.1.starts_with("py:")));
    assert!(!got.iter().any(|g| g.1 == waiting.id), "a check still waiting for its answer");
    assert!(clinic.app().db.read(|c, _| eligibility::has_check(c, &waiting.id)).unwrap());
    // In the order of the list: kinds in turn.
    let kinds: Vec<Kind> = got.iter().map(|g| g.0).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(kinds, sorted);
    // One ③ 不詳 this month.
    let month = format!("{:04}-{:02}", day.year(), day.month());
    assert_eq!(list.fushou_by_month, BTreeMap::from([(month, 1)]));
    // A resolved item leaves the list and the others stay.
    decide(clinic.app(), "c", Kind::ClaimPath, &ids["pm"], "再照会済み", Decision::Resolved)
        .expect("resolved");
    let after = open(&clinic);
    assert!(!after.contains(&(Kind::ClaimPath, ids["pm"].clone())));
    assert_eq!(after.len(), 6);
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fushou_count_goes_by_the_month_in_japan_not_in_utc() {
    let seeds = vec![patient("pn", Some(40))];
    let clinic = start_clinic(seeds, vec![answer(40, "4")], false).await;
    let phone = Phone::enrol_only(&clinic, "dev-1").await;
    let app = clinic.app();
    // The 1st of last month, and the evening before it.
    let this_month = today().with_day(1).unwrap();
    let first = (this_month - chrono::Duration::days(1)).with_day(1).unwrap();
    let eve = first - chrono::Duration::days(1);
    clinic.assign(first, "dev-1", &["pn"]);
    let mut stored = Vec::new();
    let card = VirtualCard::standard();
    for at in [jst(eve, 23, 30), jst(first, 8, 30)] {
        let record = pin_record_at(app, &phone, &card, "pn", at).await;
        assert_eq!(refusal(&upload_at(app, &phone, &record, at)), "stored", "{at}");
        stored.push(record.id);
    }
    for id in &stored {
        let r = answer_for(&clinic, id).await;
        assert!(matches!(
            r.outcome,
            CheckOutcome::Answered { eligibility: Eligibility::NoRecord, .. }
        ));
    }
    let label = |d: NaiveDate| format!("{:04}-{:02}", d.year(), d.month());
    let list = compute(app, jst(first, 12, 0)).unwrap();
    assert_eq!(
        list.fushou_by_month,
        BTreeMap::from([(label(eve), 1), (label(first), 1)]),
        "08:30 JST on the 1st is in that month (23:30 UTC the day before)"
    );
    clinic.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desks_actions_refuse_bad_ids_names_and_notes_and_write_nothing() {
    use houmon_server::admin::AdminError;
    use houmon_server::db::rounds::{Stop, ANY_DEVICE};
    use houmon_server::db::staff::Role;
    let clinic = start_clinic(vec![patient("p0", None)], vec![], false).await;
    let app = clinic.app();
    let me = Actor::Staff("admin".into());
    let invalid = |r: Result<(), AdminError>| matches!(r, Err(AdminError::Invalid(_)));
    // Staff: the id and the name must both be good.
    assert!(invalid(admin::add_staff(app, &me, "bad id", "名前", Role::Nurse)));
    assert!(invalid(admin::add_staff(app, &me, "n-1", "two\nlines", Role::Nurse)));
    assert!(invalid(admin::add_staff(app, &me, "n-1", " padded", Role::Nurse)));
    admin::add_staff(app, &me, "n-1", "看護 一", Role::Nurse).unwrap();
    // A password: 12 characters at least, for a known staff member.
    assert!(invalid(admin::set_password(app, &me, "n-1", "elevenchars")));
    assert!(invalid(admin::set_password(app, &me, "nobody", "twelve chars!")));
    assert_eq!("twelve chars".chars().count(), 12);
    admin::set_password(app, &me, "n-1", "twelve chars").expect("exactly 12 is enough");
    // Patients: the id, and a name that is neither blank nor two lines.
    let mut p = patient("p1", None);
    p.name = "  ".into();
    assert!(invalid(admin::add_patient(app, &me, &p)));
    p.name = "山田\n花子".into();
    assert!(invalid(admin::add_patient(app, &me, &p)));
    let bad_id = patient("../p", None);
    assert!(invalid(admin::add_patient(app, &me, &bad_id)));
    // An import: a bad id, a blank name or a control character in any row
    // refuses all of it.
    for bad in [
        patient("../p3", None),
        PatientSeed { name: " ".into(), ..patient("p3", None) },
        PatientSeed { name: "a\u{7}".into(), ..patient("p3", None) },
    ] {
        let rows = vec![patient("p2", None), bad.clone()];
        match admin::import_patients(app, &me, &rows) {
            Err(AdminError::Invalid(m)) => {
                let said = format!("患者ID「{}」の行を取り込めません。", bad.patient_id);
                assert!(m.starts_with(&said), "the row named, in Japanese: {m}");
            }
            other => panic!("{:?} {:?}: {other:?}", bad.patient_id, bad.name),
        }
    }
    let ids: Vec<String> =
        app.db.read(patients::all).unwrap().into_iter().map(|p| p.patient_id).collect();
    assert_eq!(ids, ["p0"], "nothing written by a refused action");
    // Rounds: every id checked; any device of a staff member is allowed.
    let stop = |device: &str, staff: &str, patient: &str| Stop {
        day: today(),
        device_id: device.into(),
        staff_id: staff.into(),
        patient_id: patient.into(),
        position: 0,
    };
    for (d, s, p) in
        [("bad device", "n-1", "p0"), ("d1", "bad staff", "p0"), ("d1", "n-1", "bad/p")]
    {
        assert!(invalid(admin::assign(app, &me, &stop(d, s, p))), "{d} {s} {p}");
    }
    admin::assign(app, &me, &stop(ANY_DEVICE, "n-1", "p0")).unwrap();
    assert!(admin::unassign(app, &me, today(), ANY_DEVICE, "p0").unwrap());
    assert!(!admin::unassign(app, &me, today(), ANY_DEVICE, "p0").unwrap(), "already gone");
    // Follow-ups: only an open item can be resolved (an unknown or odd id
    // is not open), and nothing is written for one that is not.
    for item in ["v1", "", &"x".repeat(201), "v\u{0}1"] {
        let r = decide(app, "c", Kind::ClaimPath, item, "メモ", Decision::Resolved);
        assert_eq!(r, Err(Refused::NotOpen), "{item:?}");
    }
    let done = compute(app, Utc::now()).unwrap().resolved;
    assert!(done.is_empty());
    clinic.shutdown().await;
}
