// SPDX-License-Identifier: MPL-2.0
//! Every transport-limit combination against the virtual card: each flow
//! succeeds, never sends a command longer than the phone takes, never asks
//! for an answer longer than it trusts (the virtual card drops the tag on
//! one, as some iPhones do), and uses exactly the APDUs `plan.rs` says —
//! the fewest those limits allow.

use houmon_core::card::error::CardError;
use houmon_core::card::plan::ReadPlan;
use houmon_core::card::reader::CardReader;
use houmon_core::card::transport::TransportLimits;
use houmon_core::visit::*;
use houmon_tests::*;
use houmon_vcard::{Holder, Variant, VirtualCard};

const MESSAGE: &[u8] = b"challenge";

fn matrix() -> Vec<TransportLimits> {
    let mut all = Vec::new();
    for extended_length in [true, false] {
        for max_response in [258, 300, 1024, 1700, 4096, 65_538] {
            for max_command in [TransportLimits::MIN_COMMAND, 261, 65_544] {
                all.push(TransportLimits { extended_length, max_command, max_response });
            }
        }
    }
    all
}

fn assert_within(card: &VirtualCard, limits: TransportLimits) {
    assert_eq!(card.oversized_answers(), 0, "{limits:?}: an answer over the limit");
    for e in card.log() {
        let le = e.le.unwrap_or(0);
        assert!(le + 2 <= limits.max_response, "{limits:?}: Le {le} asked");
        if !limits.extended_length {
            assert!(!e.extended, "{limits:?}: an extended APDU on a short-only reader");
        }
    }
}

#[test]
fn pin_mode_fits_every_limit_in_the_planned_number_of_apdus() {
    for limits in matrix() {
        let card = VirtualCard::behind(limits, Variant::Standard);
        let r = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), false, MESSAGE, now()))
            .unwrap_or_else(|e| panic!("{limits:?}: {e}"));
        assert_eq!(r.signature.len(), 256);
        assert_within(&card, limits);
        let planned = ReadPlan::new(limits).pin_mode(Some(card.auth_certificate_der().len()));
        assert_eq!(card.log().len() as u32, planned, "{limits:?}");
    }
}

#[test]
fn visual_mode_fits_every_limit_in_the_planned_number_of_apdus() {
    for limits in matrix() {
        let card = VirtualCard::behind(limits, Variant::Standard);
        let b = collation(&Holder::default());
        let r = block_on(CardReader::new(&card).read_visual_mode(&b, false, now()))
            .unwrap_or_else(|e| panic!("{limits:?}: {e}"));
        assert_eq!(r.face.photo_jp2.as_deref(), Some(houmon_vcard::SAMPLE_PHOTO_JP2));
        assert_eq!(r.face.card_expiry.as_deref(), Some("20350217"));
        assert_within(&card, limits);
        let planned = ReadPlan::new(limits)
            .visual_mode(Some(card.auth_certificate_der().len()), Some(card.face_span()));
        assert_eq!(card.log().len() as u32, planned, "{limits:?}");
    }
}

#[test]
fn fewer_limits_never_mean_more_round_trips() {
    let n = |l: TransportLimits| {
        let card = VirtualCard::behind(l, Variant::Standard);
        let b = collation(&Holder::default());
        block_on(CardReader::new(&card).read_visual_mode(&b, false, now())).unwrap();
        card.log().len()
    };
    let ext = n(TransportLimits::EXTENDED);
    let ext_1k = n(TransportLimits { extended_length: true, ..TransportLimits::IPHONE });
    let iphone = n(TransportLimits::IPHONE);
    let short = n(TransportLimits::SHORT);
    assert!(
        ext <= ext_1k && ext_1k <= iphone && iphone <= short,
        "{ext} {ext_1k} {iphone} {short}"
    );
    assert_eq!(iphone, short, "an iPhone without extended length reads in 256-byte pieces");
}

#[test]
fn limits_below_a_signature_are_refused_before_any_apdu() {
    let tiny = TransportLimits { max_response: 200, ..TransportLimits::SHORT };
    let card = VirtualCard::behind(tiny, Variant::Standard);
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), false, MESSAGE, now()))
        .unwrap_err();
    assert!(matches!(err, CardError::TransportTooLimited { .. }), "{err:?}");
    assert!(card.log().is_empty(), "nothing reached the card");
    assert!(err.staff_message().contains("別の端末"));
}

#[test]
fn an_iphone_like_visit_survives_a_pulled_card_and_resumes() {
    let limits = TransportLimits::IPHONE;
    let card = VirtualCard::new(houmon_vcard::CardConfig {
        extended_length: false,
        max_response: limits.max_response,
        max_command: limits.max_command,
        faults: houmon_vcard::Faults { tag_lost_at: Some(9), ..Default::default() },
        ..Default::default()
    });
    let ctx = VisitContext {
        visit_id: new_id("v"),
        patient_id: Some("p".into()),
        kind: VisitKind::Facility,
        staff_id: "s".into(),
        device_id: "d".into(),
        started_at: now(),
        first_visit_on: None,
        time_anchor: None,
    };
    let mut s = VisitSession::new(ctx, SessionOptions::default());
    s.choose_mode(IdentityMode::Visual).unwrap();
    s.enter_collation(&Holder::default().collation_b()).unwrap();
    let step = block_on(s.read_card(&card, now())).unwrap().clone();
    assert!(matches!(step, Step::HoldCard { message: Some(_), .. }), "{step:?}");
    card.reinsert();
    let step = block_on(s.read_card(&card, now())).unwrap().clone();
    assert!(matches!(step, Step::ComparePhoto { .. }), "{step:?}");
    assert_eq!(card.oversized_answers(), 0);
}
