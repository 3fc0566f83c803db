// SPDX-License-Identifier: MPL-2.0
//! Every read flow against the virtual card, for every card variant, with
//! and without extended-length APDUs.

use houmon_core::card::apdu::ins;
use houmon_core::card::cert::Validity;
use houmon_core::card::error::{CardError, Secret};
use houmon_core::card::ids::{self, jpki, kenmen};
use houmon_core::card::reader::CardReader;
use houmon_core::card::variant::CounterState;
use houmon_tests::*;
use houmon_vcard::{CardConfig, Holder, Variant, VirtualCard};

const MESSAGE: &[u8] = b"houmon visit 0001 device A nonce 42";

fn verifies_with_secret(card: &VirtualCard) -> usize {
    card.log().iter().filter(|e| e.is_verify_with_secret()).count()
}

#[test]
fn pin_mode_signs_with_the_cards_key_in_six_apdus_with_extended_length() {
    let card = card(Variant::Standard, true);
    let mut reader = CardReader::new(&card);
    let r = block_on(reader.read_pin_mode(&pin("1234"), false, MESSAGE, now())).unwrap();
    assert_eq!(r.tries_before, 3);
    assert_eq!(r.signed_message, MESSAGE);
    r.certificate.verify_signature(MESSAGE, &r.signature).unwrap();
    r.certificate.verify_issued_by(&test_ca()).unwrap();
    assert_eq!(r.certificate.der(), card.auth_certificate_der());
    assert!(r.variant.pin_mode_available());
    assert_eq!(r.variant.labels(), ["standard"]);
    // SELECT, READ (head), READ (rest), VERIFY (counter), VERIFY, SIGN.
    let log = card.log();
    let ins: Vec<u8> = log.iter().map(|e| e.ins()).collect();
    assert_eq!(
        ins,
        [
            ins::SELECT,
            ins::READ_BINARY,
            ins::READ_BINARY,
            ins::VERIFY,
            ins::VERIFY,
            ins::COMPUTE_SIGNATURE
        ]
    );
    assert_eq!(reader.stats().round_trips as usize, log.len());
}

#[test]
fn pin_mode_without_extended_length_uses_the_fewest_short_reads() {
    let card = card(Variant::Standard, false);
    let mut reader = CardReader::new(&card);
    let r = block_on(reader.read_pin_mode(&pin("1234"), false, MESSAGE, now())).unwrap();
    let cert_len = r.certificate.der().len();
    let reads = card.log().iter().filter(|e| e.ins() == ins::READ_BINARY).count();
    assert_eq!(reads, cert_len.div_ceil(256), "certificate of {cert_len} bytes");
    assert!(card.log().iter().all(|e| !e.extended && e.sw != Some(0x6700)));
}

#[test]
fn a_reader_that_claims_extended_length_falls_back_when_the_card_refuses_it() {
    let card = card(Variant::Standard, false);
    let mut reader = CardReader::new(ClaimsExtended(&card));
    let r = block_on(reader.read_pin_mode(&pin("1234"), false, MESSAGE, now())).unwrap();
    assert_eq!(r.certificate.der(), card.auth_certificate_der());
    let refused = card.log().iter().filter(|e| e.sw == Some(0x6700)).count();
    assert_eq!(refused, 1, "one refused extended read, then short reads only");
}

#[test]
fn info_reads_certificate_and_tries_without_spending_one() {
    for variant in Variant::ALL {
        let card = card(variant, true);
        let before = card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH);
        let info = block_on(CardReader::new(&card).info(now())).unwrap();
        assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), before, "{variant:?}");
        assert_eq!(verifies_with_secret(&card), 0);
        let expected_pin = match variant {
            Variant::FaceRecognition => CounterState::NotSet,
            Variant::PinLocked => CounterState::Locked,
            Variant::PinOneTryLeft => CounterState::Available { tries: 1 },
            _ => CounterState::Available { tries: 3 },
        };
        assert_eq!(info.variant.pin, Some(expected_pin), "{variant:?}");
        match variant {
            Variant::CertificateExpiredInGrace => {
                assert!(matches!(info.variant.certificate, Validity::InGrace { .. }));
                assert!(info.variant.pin_mode_available(), "usable in the grace");
            }
            Variant::CertificateExpiredPastGrace => {
                assert!(matches!(info.variant.certificate, Validity::Expired { .. }));
                assert!(!info.variant.pin_mode_available());
                assert!(info.variant.labels().contains(&"certificate-expired"));
            }
            _ => assert_eq!(info.variant.certificate, Validity::Valid, "{variant:?}"),
        }
    }
}

#[test]
fn a_face_recognition_card_offers_no_pin_mode_and_no_pin_is_sent() {
    let card = card(Variant::FaceRecognition, true);
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), true, MESSAGE, now()))
        .unwrap_err();
    assert_eq!(err, CardError::PinNotSet);
    assert_eq!(verifies_with_secret(&card), 0);
    assert!(err.staff_message().contains("目視"), "{}", err.staff_message());
}

#[test]
fn a_locked_pin_is_reported_and_no_pin_is_sent() {
    let card = card(Variant::PinLocked, true);
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), true, MESSAGE, now()))
        .unwrap_err();
    assert_eq!(err, CardError::Locked { secret: Secret::AuthPin });
    assert_eq!(verifies_with_secret(&card), 0);
}

#[test]
fn a_wrong_pin_reports_the_tries_left_and_the_right_one_then_works() {
    let card = card(Variant::Standard, true);
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("9999"), false, MESSAGE, now()))
        .unwrap_err();
    assert_eq!(err, CardError::WrongSecret { secret: Secret::AuthPin, remaining: 2 });
    assert!(err.staff_message().contains('2'), "{}", err.staff_message());
    let r = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), false, MESSAGE, now()))
        .unwrap();
    assert_eq!(r.tries_before, 2);
    assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), Some(3));
}

#[test]
fn the_last_pin_try_is_refused_without_the_patients_confirmation() {
    let card = card(Variant::PinOneTryLeft, true);
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), false, MESSAGE, now()))
        .unwrap_err();
    assert_eq!(err, CardError::LastTryNeedsConfirmation { secret: Secret::AuthPin });
    assert_eq!(verifies_with_secret(&card), 0, "nothing was tried");
    assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), Some(1));
    // Confirmed and right: works, and the counter is back to 3.
    let r =
        block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), true, MESSAGE, now())).unwrap();
    assert_eq!(r.tries_before, 1);
    assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), Some(3));
}

#[test]
fn a_confirmed_wrong_last_try_locks_the_card_and_says_so() {
    let card = VirtualCard::new(CardConfig {
        variant: Variant::PinOneTryLeft,
        allow_lock: true, // the patient confirmed, in this test
        ..CardConfig::default()
    });
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("9999"), true, MESSAGE, now()))
        .unwrap_err();
    assert_eq!(err, CardError::Locked { secret: Secret::AuthPin });
    assert!(err.staff_message().contains("市区町村"), "{}", err.staff_message());
    assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), Some(0));
}

#[test]
fn visual_mode_reads_only_the_photo_range_and_decodes_it() {
    for extended in [true, false] {
        let card = card(Variant::Standard, extended);
        let holder = Holder::default();
        let mut reader = CardReader::new(&card);
        let r = block_on(reader.read_visual_mode(&collation(&holder), false, now())).unwrap();
        assert_eq!(r.face.birth_date, holder.birth_date);
        assert_eq!(r.face.sex, holder.sex);
        assert_eq!(r.face.card_expiry.as_deref(), Some(holder.card_expiry.as_str()));
        assert_eq!(r.face.photo_jp2.as_deref(), Some(houmon_vcard::SAMPLE_PHOTO_JP2));
        assert_eq!((r.photo.width, r.photo.height), (150, 200));
        assert_eq!(&r.photo.png[..4], b"\x89PNG");
        assert_eq!(r.collation_tries_before, 10);
        assert_eq!(r.certificate.der(), card.auth_certificate_der());
        // Bytes read from the 券面AP: the head, the photo, at most the
        // signature between photo and expiry (one extended read), the expiry;
        // never the name and address images (≈ 2.3 KB on this card).
        let face_bytes: usize = card
            .log()
            .iter()
            .filter(|e| e.app == Some("KENMEN") && e.ins() == ins::READ_BINARY)
            .map(|e| e.response_len)
            .sum();
        let photo = houmon_vcard::SAMPLE_PHOTO_JP2.len();
        assert!(
            face_bytes <= 256 + (photo + 5) + (256 + 5) + 11,
            "read {face_bytes} bytes for a {photo}-byte photo"
        );
        if extended {
            // SELECT, SELECT 0012, VERIFY×2, READ head, READ photo+expiry, SELECT JPKI, READ×2.
            assert_eq!(card.log().len(), 9);
        }
    }
}

#[test]
fn visual_mode_on_a_card_without_a_photo_says_so() {
    let card = card(Variant::NoPhoto, true);
    let err = block_on(CardReader::new(&card).read_visual_mode(
        &collation(&Holder::default()),
        false,
        now(),
    ))
    .unwrap_err();
    assert_eq!(err, CardError::NoPhoto);
    assert!(err.staff_message().contains("写真"), "{}", err.staff_message());
}

#[test]
fn a_wrong_collation_number_reports_the_tries_left() {
    let card = card(Variant::Standard, true);
    let wrong = houmon_core::card::credentials::CollationB::new("55021720350000").unwrap();
    let err = block_on(CardReader::new(&card).read_visual_mode(&wrong, false, now())).unwrap_err();
    assert_eq!(err, CardError::WrongSecret { secret: Secret::CollationB, remaining: 9 });
    assert_eq!(card.tries_left(&ids::AID_KENMEN, kenmen::KEY_COLLATION_B), Some(9));
}

#[test]
fn the_last_collation_try_is_refused_without_confirmation() {
    let card = card(Variant::CollationOneTryLeft, true);
    let b = collation(&Holder::default());
    let err = block_on(CardReader::new(&card).read_visual_mode(&b, false, now())).unwrap_err();
    assert_eq!(err, CardError::LastTryNeedsConfirmation { secret: Secret::CollationB });
    assert_eq!(verifies_with_secret(&card), 0);
    let r = block_on(CardReader::new(&card).read_visual_mode(&b, true, now())).unwrap();
    assert_eq!(r.collation_tries_before, 1);
}

#[test]
fn visual_mode_works_on_every_variant_with_a_photo() {
    for variant in Variant::ALL {
        let card = card(variant, true);
        let r = block_on(CardReader::new(&card).read_visual_mode(
            &collation(&Holder::default()),
            variant == Variant::CollationOneTryLeft,
            now(),
        ));
        match variant {
            Variant::NoPhoto => assert_eq!(r.unwrap_err(), CardError::NoPhoto),
            _ => assert!(r.is_ok(), "{variant:?}: {r:?}"),
        }
    }
}

#[test]
fn secrets_of_the_wrong_shape_are_refused_before_the_card_sees_them() {
    for bad in ["123", "12345", "12a4", ""] {
        assert!(matches!(
            houmon_core::card::credentials::Pin::new(bad),
            Err(CardError::BadSecretFormat { secret: Secret::AuthPin, .. })
        ));
    }
    for bad in ["5502172035228", "55133120352285", "55021719992285"] {
        assert!(houmon_core::card::credentials::CollationB::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_second_read_in_the_same_card_session_finds_the_pin_already_verified() {
    // The card stays in the field: re-selecting the JPKI-AP keeps the
    // verified state and the empty VERIFY answers 90 00 (observed on real
    // cards). The core reads that as "counter at its maximum" and goes on.
    let card = card(Variant::Standard, true);
    block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), false, MESSAGE, now())).unwrap();
    let r = block_on(CardReader::new(&card).read_pin_mode(&pin("1234"), false, MESSAGE, now()))
        .unwrap();
    assert_eq!(r.tries_before, 3);
    assert!(card.log().iter().any(|e| e.is_empty_verify() && e.sw == Some(0x9000)));
}

#[test]
fn a_card_certificate_has_the_user_auth_profile_and_the_ca_does_not() {
    let card = VirtualCard::standard();
    let cert =
        houmon_core::card::cert::AuthCertificate::from_der(&card.auth_certificate_der()).unwrap();
    cert.check_user_auth_profile().unwrap();
    let ca = test_ca();
    let err = ca.check_user_auth_profile().unwrap_err();
    assert!(err.to_string().contains("CA") || err.to_string().contains("self-signed"), "{err}");
}
