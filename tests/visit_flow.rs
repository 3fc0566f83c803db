// SPDX-License-Identifier: MPL-2.0
//! The visit session end to end on the virtual card: every step, every
//! branch, the card variants and a card pulled away at every APDU.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::card::cert::AuthCertificate;
use houmon_core::card::error::{CardError, Secret};
use houmon_core::card::progress::{Progress, ReadPhase, ReadProgress};
use houmon_core::renewal::RenewalKind;
use houmon_core::visit::evidence::sha256_hex;
use houmon_core::visit::{
    CardCheck, CardMatch, ConsentCategory, ConsentChoice, ConsentScope, ConsentValidity, Evidence,
    IdentityMode, KnownCard, Prescription, RefusalReason, SessionOptions, Step, VisitContext,
    VisitError, VisitKind, VisitRecord, VisitSession, VisualReason,
};
use houmon_tests::*;
use houmon_vcard::{CardConfig, Faults, Variant, VirtualCard, SAMPLE_PHOTO_JP2};

const COLLATION: &str = "55021720352285";

fn context(kind: VisitKind) -> VisitContext {
    VisitContext {
        visit_id: houmon_core::visit::new_id("v"),
        patient_id: Some("p-001".into()),
        kind,
        staff_id: "nurse-7".into(),
        device_id: "device-3".into(),
        started_at: now(),
        first_visit_on: None,
        time_anchor: None,
    }
}

fn session(kind: VisitKind) -> VisitSession {
    VisitSession::new(context(kind), SessionOptions::default())
}

/// A session at "hold the card", PIN mode, 1234 typed.
fn pin_entered(kind: VisitKind) -> VisitSession {
    let mut s = session(kind);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234").unwrap();
    s
}

fn all_consent() -> ConsentChoice {
    ConsentChoice { scope: ConsentScope::Comprehensive, prescription: Prescription::Electronic }
}

fn offered(s: &VisitSession) -> Vec<IdentityMode> {
    match s.step() {
        Step::ChooseMode { offered, .. } => offered.clone(),
        other => panic!("expected ChooseMode, got {other:?}"),
    }
}

fn verifies(card: &VirtualCard) -> usize {
    card.log().iter().filter(|e| e.is_verify_with_secret()).count()
}

#[test]
fn a_pin_visit_goes_from_mode_choice_to_a_signed_record() {
    let card = card(Variant::Standard, true);
    let mut s = session(VisitKind::HomeCare);
    assert_eq!(offered(&s), [IdentityMode::Pin, IdentityMode::Visual]);
    assert!(matches!(
        s.choose_mode(IdentityMode::Pin).unwrap(),
        Step::EnterPin { tries_left: None, .. }
    ));
    assert!(matches!(
        s.enter_pin("1234").unwrap(),
        Step::HoldCard { mode: IdentityMode::Pin, message: None }
    ));
    let t = now();
    match block_on(s.read_card(&card, t)).unwrap() {
        Step::IdentityConfirmed { mode: IdentityMode::Pin, consent_validity } => {
            assert!(matches!(consent_validity, ConsentValidity::UntilThenWhileMonthlyCare { .. }))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.give_consent(all_consent(), t).unwrap(), Step::Done { .. }));
    let record = s.record().unwrap();
    assert_eq!(record.id, s.context().visit_id);
    let Evidence::Pin(p) = &record.evidence else { panic!("PIN evidence expected") };
    assert_eq!(
        p.signed_message,
        p.challenge.to_bytes(),
        "the signed bytes are the challenge, rebuilt from its fields"
    );
    let text = String::from_utf8(p.signed_message.clone()).unwrap();
    assert!(text.contains(&format!("visit={}", record.id)) && text.contains("device=device-3"));
    let cert = AuthCertificate::from_der(&p.certificate).unwrap();
    cert.verify_signature(&p.signed_message, &p.signature).unwrap();
    cert.verify_issued_by(&test_ca()).unwrap();
    assert_eq!(record.consent.categories.len(), 5);
    assert_eq!(record.certificate_validity, "valid");
    assert_eq!(record.renewal, None, "a certificate four years from its expiry needs no advice");
    // The record round-trips through JSON and carries no secret field.
    let json = record.to_json();
    assert_eq!(&VisitRecord::from_json(&json).unwrap(), record);
    for forbidden in ["\"pin\":", "collation\":", "個人番号", "my_number"] {
        assert!(!json.contains(forbidden), "{forbidden} in {json}");
    }
}

#[test]
fn a_read_in_flight_keeps_the_session_until_its_outcome_comes_back() {
    let card = card(Variant::Standard, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    assert!(!s.is_reading());
    let read = s.begin_read(now()).unwrap();
    assert!(s.is_reading(), "the read is out");
    let shown = format!("{read:?}");
    assert!(shown.starts_with("CardRead") && shown.contains("Pin"), "{shown}");
    assert!(!shown.contains("1234"), "the PIN never reaches a log: {shown}");
    // While it runs, nothing else may move the session.
    assert_eq!(s.back_to_mode_choice().unwrap_err(), VisitError::ReadRunning);
    assert_eq!(s.begin_read(now()).unwrap_err(), VisitError::ReadRunning);
    assert!(matches!(s.step(), Step::HoldCard { mode: IdentityMode::Pin, .. }));
    let outcome = block_on(read.run(&card, None));
    assert!(outcome.succeeded());
    assert!(matches!(s.finish_read(outcome, now()), Step::IdentityConfirmed { .. }));
    assert!(!s.is_reading(), "the outcome is back");
}

#[test]
fn a_visual_visit_shows_the_photo_and_records_who_checked_and_why() {
    for keep_photo in [false, true] {
        let card = card(Variant::Standard, true);
        let mut s = VisitSession::new(context(VisitKind::Facility), SessionOptions { keep_photo });
        s.choose_mode(IdentityMode::Visual).unwrap();
        assert!(matches!(
            s.enter_collation(COLLATION).unwrap(),
            Step::HoldCard { mode: IdentityMode::Visual, .. }
        ));
        match block_on(s.read_card(&card, now())).unwrap() {
            Step::ComparePhoto { png, width: 150, height: 200 } => {
                assert_eq!(&png[..4], b"\x89PNG")
            }
            other => panic!("{other:?}"),
        }
        s.photo_matches("nurse-7", VisualReason::DementiaOrDisability, "", now()).unwrap();
        s.give_consent(all_consent(), now()).unwrap();
        let Evidence::Visual(v) = &s.record().unwrap().evidence else {
            panic!("visual evidence expected")
        };
        assert_eq!(v.checked_by, "nurse-7");
        assert_eq!(v.reason, VisualReason::DementiaOrDisability);
        assert_eq!(v.photo_sha256, sha256_hex(SAMPLE_PHOTO_JP2));
        assert_eq!(
            v.photo_jp2.is_some(),
            keep_photo,
            "the photo is kept only if the clinic turns it on"
        );
        // What is kept is what the hash covers: the chip's own bytes.
        if let Some(kept) = &v.photo_jp2 {
            assert_eq!(sha256_hex(kept), v.photo_sha256);
        }
        assert_eq!(v.certificate, card.auth_certificate_der());
    }
}

#[test]
fn other_as_the_visual_reason_needs_a_note() {
    let card = card(Variant::Standard, true);
    let mut s = session(VisitKind::HomeCare);
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    block_on(s.read_card(&card, now())).unwrap();
    assert_eq!(
        s.photo_matches("n", VisualReason::Other, "  ", now()).unwrap_err(),
        VisitError::NoteRequired
    );
    assert!(matches!(s.step(), Step::ComparePhoto { .. }), "unchanged");
    s.photo_matches("n", VisualReason::Other, "聴覚障害のため筆談", now()).unwrap();
}

#[test]
fn a_photo_that_does_not_match_refuses_identity() {
    let card = card(Variant::Standard, true);
    let mut s = session(VisitKind::HomeCare);
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    block_on(s.read_card(&card, now())).unwrap();
    assert_eq!(
        s.photo_does_not_match().unwrap(),
        &Step::IdentityRefused { reason: RefusalReason::PhotoMismatch }
    );
    assert!(matches!(s.give_consent(all_consent(), now()), Err(VisitError::WrongStep { .. })));
}

#[test]
fn a_face_recognition_card_takes_pin_mode_away_without_sending_the_pin() {
    let card = card(Variant::FaceRecognition, true);
    let mut s = pin_entered(VisitKind::Facility);
    block_on(s.read_card(&card, now())).unwrap();
    assert_eq!(offered(&s), [IdentityMode::Visual]);
    let Step::ChooseMode { unavailable, .. } = s.step() else { unreachable!() };
    assert!(unavailable[0].reason_ja.contains("顔認証"));
    let kept: Vec<_> = s.unavailable().iter().map(|u| (u.mode, &u.reason_ja)).collect();
    assert_eq!(kept, [(IdentityMode::Pin, &unavailable[0].reason_ja)], "the session keeps why");
    assert_eq!(verifies(&card), 0);
    assert_eq!(
        s.choose_mode(IdentityMode::Pin).unwrap_err(),
        VisitError::ModeNotOffered(IdentityMode::Pin)
    );
    // 目視 works on the same card.
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::ComparePhoto { .. }));
}

#[test]
fn a_card_without_a_photo_takes_visual_mode_away() {
    let card = card(Variant::NoPhoto, true);
    let mut s = session(VisitKind::HomeCare);
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    block_on(s.read_card(&card, now())).unwrap();
    assert_eq!(offered(&s), [IdentityMode::Pin]);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234").unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::IdentityConfirmed { .. }));
}

#[test]
fn a_locked_pin_leaves_only_visual_mode() {
    let card = card(Variant::PinLocked, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card, now())).unwrap();
    assert_eq!(offered(&s), [IdentityMode::Visual]);
    assert_eq!(verifies(&card), 0);
}

#[test]
fn no_mode_left_refuses_identity_and_points_to_the_reception_guide() {
    // A locked PIN, then a card without a photo: nothing is left.
    let locked = card(Variant::PinLocked, true);
    let no_photo = card(Variant::NoPhoto, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&locked, now())).unwrap();
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    let step = block_on(s.read_card(&no_photo, now())).unwrap();
    let Step::IdentityRefused { reason } = step else { panic!("{step:?}") };
    assert_eq!(*reason, RefusalReason::NoModeAvailable);
    assert!(reason.message_ja().contains("受付ガイド"));
}

#[test]
fn a_wrong_pin_asks_again_with_the_tries_left() {
    let card = card(Variant::Standard, true);
    let mut s = session(VisitKind::HomeCare);
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("9999").unwrap();
    match block_on(s.read_card(&card, now())).unwrap() {
        Step::EnterPin { tries_left: Some(2), message: Some(m) } => assert!(m.contains("残り2回")),
        other => panic!("{other:?}"),
    }
    // Why the read stopped is kept for the app's view, until a read goes through.
    assert!(matches!(
        s.last_card_error(),
        Some(CardError::WrongSecret { secret: Secret::AuthPin, remaining: 2 })
    ));
    s.enter_pin("1234").unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::IdentityConfirmed { .. }));
    assert!(s.last_card_error().is_none(), "{:?}", s.last_card_error());
}

/// The number of the first APDU of a clean PIN read that `is_it` picks.
fn apdu_of_a_pin_read(is_it: impl Fn(&houmon_vcard::LogEntry) -> bool) -> usize {
    let card = card(Variant::Standard, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card, now())).unwrap();
    card.log().iter().find(|e| is_it(e)).expect("the read sends it").n
}

/// A PIN read of a card that answers `answer` in place of APDU `at`.
fn pin_read_answered(at: usize, answer: Vec<u8>) -> (VisitSession, VirtualCard) {
    let card =
        card_with_faults(Faults { garbage_at: Some((at, answer)), ..Faults::default() }, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card, now())).unwrap();
    (s, card)
}

#[test]
fn a_card_without_its_user_certificate_refuses_identity_without_sending_the_pin() {
    // The certificate's first READ BINARY (SFI 0x0A) answered 6A82.
    let at = apdu_of_a_pin_read(|e| e.header[1] == 0xB0 && e.header[2] == 0x8A);
    let (s, card) = pin_read_answered(at, vec![0x6A, 0x82]);
    match s.step() {
        Step::IdentityRefused { reason: RefusalReason::NoCertificate } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(verifies(&card), 0, "no PIN was sent for a card that cannot sign");
}

#[test]
fn a_signature_that_does_not_verify_refuses_identity_and_is_not_retried() {
    // The signature's answer replaced by 256 bytes that are no signature.
    let at = apdu_of_a_pin_read(|e| e.header[0] == 0x80 && e.header[1] == 0x2A);
    let mut forged = vec![0x5A; 256];
    forged.extend_from_slice(&[0x90, 0x00]);
    let (s, _) = pin_read_answered(at, forged);
    match s.step() {
        Step::IdentityRefused { reason: RefusalReason::BadSignature } => {
            assert!(RefusalReason::BadSignature.message_ja().contains("署名"));
        }
        other => panic!("{other:?}"),
    }
    assert!(s.record().is_none());
}

#[test]
fn a_wrong_collation_number_asks_for_it_again_with_the_tries_left() {
    let card = card(Variant::Standard, false);
    let mut s = session(VisitKind::Facility);
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation("55021720352286").unwrap();
    match block_on(s.read_card(&card, now())).unwrap() {
        Step::EnterCollation { tries_left: Some(n), message: Some(m) } => {
            assert!(m.contains(&format!("残り{n}回")), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.last_card_error(),
        Some(CardError::WrongSecret { secret: Secret::CollationB, .. })
    ));
    // 目視 is still offered: a wrong number is not a lock.
    assert!(s.unavailable().is_empty(), "{:?}", s.unavailable());
    s.enter_collation(COLLATION).unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::ComparePhoto { .. }));
    assert!(s.last_card_error().is_none());
}

#[test]
fn the_last_try_needs_the_patients_explicit_confirmation() {
    let card = card(Variant::PinOneTryLeft, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    match block_on(s.read_card(&card, now())).unwrap() {
        Step::ConfirmLastTry { mode: IdentityMode::Pin, message } => {
            assert!(message.contains("ロック"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(verifies(&card), 0, "nothing was tried before the confirmation");
    s.confirm_last_try().unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::IdentityConfirmed { .. }));
}

#[test]
fn the_patient_may_decline_the_last_try_and_switch_to_visual() {
    let card = card(Variant::PinOneTryLeft, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card, now())).unwrap();
    s.back_to_mode_choice().unwrap();
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::ComparePhoto { .. }));
    assert_eq!(verifies(&card), 1, "only the 照合番号B");
    assert_eq!(
        card.tries_left(&houmon_core::card::ids::AID_JPKI, houmon_core::card::ids::jpki::PIN_AUTH),
        Some(1)
    );
}

#[test]
fn a_confirmation_of_the_last_try_does_not_outlive_going_back_to_the_mode_choice() {
    let card = card(Variant::PinOneTryLeft, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card, now())).unwrap();
    s.confirm_last_try().unwrap();
    // The patient changes their mind, then comes back to the PIN: they are
    // asked again, and nothing reaches the card before they answer.
    s.back_to_mode_choice().unwrap();
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234").unwrap();
    assert!(matches!(
        block_on(s.read_card(&card, now())).unwrap(),
        Step::ConfirmLastTry { mode: IdentityMode::Pin, .. }
    ));
    assert_eq!(verifies(&card), 0);
}

#[test]
fn the_last_collation_try_needs_confirmation_too() {
    let card = card(Variant::CollationOneTryLeft, true);
    let mut s = session(VisitKind::HomeCare);
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    assert!(matches!(
        block_on(s.read_card(&card, now())).unwrap(),
        Step::ConfirmLastTry { mode: IdentityMode::Visual, .. }
    ));
    s.confirm_last_try().unwrap();
    assert!(matches!(block_on(s.read_card(&card, now())).unwrap(), Step::ComparePhoto { .. }));
}

#[test]
fn a_card_pulled_away_at_any_apdu_resumes_from_the_same_step() {
    for mode in [IdentityMode::Pin, IdentityMode::Visual] {
        let apdus = match mode {
            IdentityMode::Pin => 6,
            IdentityMode::Visual => 9,
        };
        for at in 0..apdus {
            let card = VirtualCard::new(CardConfig {
                faults: Faults { tag_lost_at: Some(at), ..Faults::default() },
                ..CardConfig::default()
            });
            let mut s = session(VisitKind::HomeCare);
            s.choose_mode(mode).unwrap();
            match mode {
                IdentityMode::Pin => s.enter_pin("1234").unwrap(),
                IdentityMode::Visual => s.enter_collation(COLLATION).unwrap(),
            };
            match block_on(s.read_card(&card, now())).unwrap() {
                Step::HoldCard { mode: m, message: Some(msg) } => {
                    assert_eq!(*m, mode);
                    assert!(msg.contains("カード"), "{msg}");
                }
                other => panic!("{mode:?} at {at}: {other:?}"),
            }
            // Held again: no PIN or 照合番号B to type again.
            card.reinsert();
            let step = block_on(s.read_card(&card, now())).unwrap();
            assert!(
                matches!(step, Step::IdentityConfirmed { .. } | Step::ComparePhoto { .. }),
                "{mode:?} at {at}: {step:?}"
            );
        }
    }
}

#[test]
fn cancel_works_at_every_step_and_stops_the_flow() {
    let card = card(Variant::PinOneTryLeft, true);
    let steps: [fn(&mut VisitSession, &VirtualCard); 5] = [
        |_, _| {},
        |s, _| {
            s.choose_mode(IdentityMode::Pin).unwrap();
        },
        |s, _| {
            s.choose_mode(IdentityMode::Pin).unwrap();
            s.enter_pin("1234").unwrap();
        },
        |s, c| {
            s.choose_mode(IdentityMode::Pin).unwrap();
            s.enter_pin("1234").unwrap();
            block_on(s.read_card(c, now())).unwrap(); // ConfirmLastTry
        },
        |s, c| {
            s.choose_mode(IdentityMode::Visual).unwrap();
            s.enter_collation(COLLATION).unwrap();
            block_on(s.read_card(c, now())).unwrap(); // ComparePhoto
        },
    ];
    for (i, go) in steps.iter().enumerate() {
        let mut s = session(VisitKind::HomeCare);
        go(&mut s, &card);
        assert_eq!(s.cancel(), &Step::Cancelled, "step {i}");
        assert!(matches!(block_on(s.read_card(&card, now())), Err(VisitError::WrongStep { .. })));
        assert!(matches!(s.choose_mode(IdentityMode::Pin), Err(VisitError::WrongStep { .. })));
        assert!(s.record().is_none());
    }
}

#[test]
fn calls_out_of_order_are_errors_and_change_nothing() {
    let card = card(Variant::Standard, true);
    let mut s = session(VisitKind::HomeCare);
    assert!(matches!(
        s.enter_pin("1234"),
        Err(VisitError::WrongStep { action: "enter_pin", step: "choose-mode" })
    ));
    assert!(matches!(block_on(s.read_card(&card, now())), Err(VisitError::WrongStep { .. })));
    assert!(card.log().is_empty(), "nothing reached the card");
    s.choose_mode(IdentityMode::Pin).unwrap();
    let e = s.enter_pin("12a4").unwrap_err();
    assert!(e.staff_message().contains("暗証番号"), "{}", e.staff_message());
    assert!(matches!(s.step(), Step::EnterPin { .. }));
}

#[test]
fn an_expired_certificate_past_its_grace_refuses_and_in_grace_confirms() {
    let card_past = card(Variant::CertificateExpiredPastGrace, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    let step = block_on(s.read_card(&card_past, now())).unwrap();
    assert!(
        matches!(step, Step::IdentityRefused { reason: RefusalReason::CertificateExpired { .. } }),
        "{step:?}"
    );

    let card_grace = card(Variant::CertificateExpiredInGrace, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card_grace, now())).unwrap();
    // The session has the advice as soon as the card is read (the consent
    // screen shows it), and the record carries the same.
    let read_advice = s.renewal().cloned().expect("advice once the card is read");
    assert_eq!(read_advice.kind, RenewalKind::InGrace);
    s.give_consent(all_consent(), now()).unwrap();
    let record = s.record().unwrap();
    assert!(record.certificate_validity.starts_with("expired-in-grace"));
    assert_eq!(record.renewal.as_ref(), Some(&read_advice));
    // The renewal coach's advice rides on the record (the done screen and
    // the console show it): in grace, renew at the 市区町村, a 代理人 may go.
    let advice = record.renewal.as_ref().expect("the renewal advice");
    assert_eq!(advice.kind, RenewalKind::InGrace);
    assert!(advice.steps.iter().any(|s| s.contains("代理人")), "{:?}", advice.steps);
    assert_eq!(&VisitRecord::from_json(&record.to_json()).unwrap(), record);
    // A record made before the field existed still parses.
    let mut old: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
    old.as_object_mut().unwrap().remove("renewal");
    assert_eq!(VisitRecord::from_json(&old.to_string()).unwrap().renewal, None);
}

#[test]
fn consent_lapses_by_visit_kind_and_individual_choices_are_kept() {
    let card = card(Variant::Standard, true);
    let t: DateTime<Utc> = "2026-11-25T03:00:00Z".parse().unwrap();
    let that_day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    for (kind, expect) in [
        (VisitKind::HouseCall, ConsentValidity::ThisVisit { day: that_day }),
        (VisitKind::Consultation, ConsentValidity::ThisVisit { day: that_day }),
        (
            VisitKind::HomeCare,
            ConsentValidity::UntilThenWhileMonthlyCare {
                until: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
            },
        ),
    ] {
        let mut s = session(kind);
        s.choose_mode(IdentityMode::Pin).unwrap();
        s.enter_pin("1234").unwrap();
        match block_on(s.read_card(&card, t)).unwrap() {
            Step::IdentityConfirmed { consent_validity, .. } => {
                assert_eq!(consent_validity, &expect, "{kind:?}")
            }
            other => panic!("{other:?}"),
        }
        let choice = ConsentChoice {
            scope: ConsentScope::Individual { categories: vec![ConsentCategory::Yzk] },
            prescription: Prescription::Paper,
        };
        s.give_consent(choice, t).unwrap();
        let c = &s.record().unwrap().consent;
        assert_eq!(c.categories, [ConsentCategory::Yzk]);
        assert_eq!(c.validity, expect);
    }
}

#[derive(Default)]
struct Recorded(Mutex<Vec<Progress>>);
impl ReadProgress for Recorded {
    fn progress(&self, p: Progress) {
        self.0.lock().unwrap().push(p);
    }
}

fn phases(seen: &[Progress]) -> Vec<ReadPhase> {
    let mut v: Vec<ReadPhase> = seen.iter().map(|p| p.phase).collect();
    v.dedup();
    v
}

#[test]
fn pin_read_progress_names_each_phase_in_japanese_and_reaches_the_end() {
    let card = card(Variant::Standard, true);
    let mut s = pin_entered(VisitKind::HomeCare);
    let p = Arc::new(Recorded::default());
    block_on(s.read_card_with_progress(&card, now(), Some(p.clone()))).unwrap();
    let seen = p.0.lock().unwrap().clone();
    assert_eq!(
        phases(&seen),
        [ReadPhase::ReadingCertificate, ReadPhase::CheckingPin, ReadPhase::Signing]
    );
    assert_eq!(seen[0].message_ja(), "証明書を読んでいます");
    assert_eq!(seen.last().unwrap().message_ja(), "署名しています");
    assert_eq!((seen[0].done, seen.last().unwrap().done), (1, 6));
    assert!(seen.iter().all(|p| p.done <= p.expected), "done never passes expected");
    assert_eq!(seen.last().unwrap().expected, 6, "exact once the lengths are known");
    assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    // Each phase is announced before its first APDU: the line says
    // 署名しています while the card signs (5 APDUs done, the 6th running).
    let signing = seen.iter().find(|p| p.phase == ReadPhase::Signing).unwrap();
    assert_eq!(signing.done, 5, "{seen:?}");
    let pin = seen.iter().find(|p| p.phase == ReadPhase::CheckingPin).unwrap();
    assert!(pin.done < 5, "{seen:?}");
}

#[test]
fn visual_read_progress_names_the_collation_and_photo_phases() {
    let card = card(Variant::Standard, false);
    let mut s = session(VisitKind::Facility);
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(COLLATION).unwrap();
    let p = Arc::new(Recorded::default());
    block_on(s.read_card_with_progress(&card, now(), Some(p.clone()))).unwrap();
    let seen = p.0.lock().unwrap().clone();
    assert_eq!(
        phases(&seen),
        [ReadPhase::ReadingCertificate, ReadPhase::CheckingCollation, ReadPhase::ReadingPhoto]
    );
    assert!(seen.iter().any(|p| p.message_ja() == "顔写真を読んでいます"));
    let last = seen.last().unwrap();
    assert_eq!(last.done, last.expected);
    assert_eq!(last.done, card.log().len() as u32);
    // Once the photo's length is read, the bar knows the whole read: the
    // second half of the photo's reports already expect the final count
    // (no jump at the end).
    let photo: Vec<_> = seen.iter().filter(|p| p.phase == ReadPhase::ReadingPhoto).collect();
    assert!(photo.len() >= 4, "{photo:?}");
    let total = card.log().len() as u32;
    let late = &photo[photo.len() / 2..];
    assert!(late.iter().all(|p| p.expected == total), "{late:?} (total {total})");
}

fn roster_check(expected: Option<&VirtualCard>, other: &VirtualCard) -> CardCheck {
    let fp = |c: &VirtualCard| sha256_hex(&c.auth_certificate_der());
    CardCheck {
        expected: expected.map(fp),
        others: vec![KnownCard {
            patient_id: "p-002".into(),
            patient_name: "鈴木 花子".into(),
            fingerprint: fp(other),
        }],
    }
}

#[test]
fn another_patients_card_stops_the_visit_before_any_secret_is_sent() {
    for mode in [IdentityMode::Pin, IdentityMode::Visual] {
        let mine = VirtualCard::standard();
        let hers = VirtualCard::standard();
        let mut s = session(VisitKind::Facility).with_card_check(roster_check(Some(&mine), &hers));
        s.choose_mode(mode).unwrap();
        match mode {
            IdentityMode::Pin => s.enter_pin("1234").map(|_| ()).unwrap(),
            IdentityMode::Visual => s.enter_collation(COLLATION).map(|_| ()).unwrap(),
        }
        match block_on(s.read_card(&hers, now())).unwrap() {
            Step::WrongCard { belongs_to, message, .. } => {
                assert_eq!(belongs_to.patient_id, "p-002");
                assert!(message.contains("鈴木 花子"), "{message}");
            }
            other => panic!("{mode:?}: {other:?}"),
        }
        assert!(hers.log().iter().all(|e| !e.is_verify_with_secret() && !e.is_empty_verify()));
        s.hold_another_card().unwrap();
        let step = block_on(s.read_card(&mine, now())).unwrap().clone();
        if mode == IdentityMode::Visual {
            assert!(matches!(step, Step::ComparePhoto { .. }), "{step:?}");
            s.photo_matches("nurse-7", VisualReason::Condition, "", now()).unwrap();
        }
        s.give_consent(all_consent(), now()).unwrap();
        assert_eq!(s.record().unwrap().card_match, CardMatch::Enrolled);
    }
}

#[test]
fn an_unknown_card_for_a_patient_with_a_known_one_needs_staff_confirmation() {
    let mine = VirtualCard::standard();
    let reissued = VirtualCard::standard();
    let someone = VirtualCard::standard();
    let mut s = session(VisitKind::HomeCare).with_card_check(roster_check(Some(&mine), &someone));
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234").unwrap();
    assert!(matches!(
        block_on(s.read_card(&reissued, now())).unwrap(),
        Step::ConfirmNewCard { message, .. } if message.contains("再発行")
    ));
    assert_eq!(reissued.log().iter().filter(|e| e.is_verify_with_secret()).count(), 0);
    // Holding another card forgets the question; the same card asks again.
    s.hold_another_card().unwrap();
    assert!(matches!(
        block_on(s.read_card(&reissued, now())).unwrap(),
        Step::ConfirmNewCard { .. }
    ));
    assert!(matches!(s.confirm_new_card().unwrap(), Step::HoldCard { .. }));
    assert!(matches!(
        block_on(s.read_card(&reissued, now())).unwrap(),
        Step::IdentityConfirmed { .. }
    ));
    s.give_consent(all_consent(), now()).unwrap();
    let expected = sha256_hex(&mine.auth_certificate_der());
    assert_eq!(
        s.record().unwrap().card_match,
        CardMatch::NewCardConfirmed { previous_fingerprint: expected }
    );
}

#[test]
fn a_first_card_goes_on_and_no_roster_means_not_checked() {
    let card = VirtualCard::standard();
    let someone = VirtualCard::standard();
    let mut s = session(VisitKind::HomeCare).with_card_check(roster_check(None, &someone));
    s.choose_mode(IdentityMode::Pin).unwrap();
    s.enter_pin("1234").unwrap();
    block_on(s.read_card(&card, now())).unwrap();
    s.give_consent(all_consent(), now()).unwrap();
    assert_eq!(s.record().unwrap().card_match, CardMatch::FirstCard);
    let mut s = pin_entered(VisitKind::HomeCare);
    block_on(s.read_card(&card, now())).unwrap();
    s.give_consent(all_consent(), now()).unwrap();
    assert_eq!(s.record().unwrap().card_match, CardMatch::NotChecked);
}
