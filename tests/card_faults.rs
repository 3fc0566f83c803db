// SPDX-License-Identifier: MPL-2.0
//! Every injected fault at every APDU of both read flows: the card pulled
//! away, a time-out, garbage and wrong status words, truncated answers and
//! latency. The core must return a clear, typed error (never panic), never
//! spend a PIN try on its own, and succeed when the card is held again.

use std::time::{Duration, Instant};

use houmon_core::card::error::{CardError, Secret};
use houmon_core::card::ids::{self, jpki};
use houmon_core::card::reader::CardReader;
use houmon_core::card::transport::{CardTransport, TransportError};
use houmon_tests::*;
use houmon_vcard::{Faults, Holder};

const MESSAGE: &[u8] = b"challenge";

#[derive(Clone, Copy, Debug)]
enum Flow {
    Pin,
    Visual,
}

fn run<T: CardTransport>(flow: Flow, transport: T) -> Result<(), CardError> {
    let mut reader = CardReader::new(transport);
    match flow {
        Flow::Pin => {
            block_on(reader.read_pin_mode(&pin("1234"), false, MESSAGE, now())).map(|_| ())
        }
        Flow::Visual => {
            block_on(reader.read_visual_mode(&collation(&Holder::default()), false, now()))
                .map(|_| ())
        }
    }
}

/// How many APDUs a clean run of `flow` sends.
fn apdu_count(flow: Flow, extended: bool) -> usize {
    let card = card_with_faults(Faults::default(), extended);
    run(flow, &card).unwrap();
    card.log().len()
}

fn assert_japanese_message(e: &CardError) {
    let m = e.staff_message();
    assert!(m.chars().any(|c| ('\u{3040}'..='\u{9FFF}').contains(&c)), "{e:?}: {m}");
}

fn each_position(mut check: impl FnMut(Flow, bool, usize)) {
    for flow in [Flow::Pin, Flow::Visual] {
        for extended in [true, false] {
            for at in 0..apdu_count(flow, extended) {
                check(flow, extended, at);
            }
        }
    }
}

#[test]
fn a_card_pulled_away_at_any_apdu_is_a_tap_again_error_and_the_retry_succeeds() {
    each_position(|flow, extended, at| {
        let card =
            card_with_faults(Faults { tag_lost_at: Some(at), ..Faults::default() }, extended);
        let err = run(flow, &card).unwrap_err();
        assert!(
            matches!(
                err,
                CardError::Transport(TransportError::TagLost) | CardError::VerifyInterrupted { .. }
            ),
            "{flow:?} at {at}: {err:?}"
        );
        assert!(err.is_retryable_by_tapping_again());
        assert_japanese_message(&err);
        // Held to the phone again: the card lost its selection and security
        // status, the core starts that read again and completes it.
        card.reinsert();
        let resumed = run(flow, &card);
        assert!(resumed.is_ok(), "{flow:?} at {at}: {resumed:?}");
        assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), Some(3));
    });
}

#[test]
fn a_time_out_at_any_apdu_is_a_clear_error_and_nothing_is_retried_blindly() {
    each_position(|flow, extended, at| {
        let card = card_with_faults(Faults { timeout_at: Some(at), ..Faults::default() }, extended);
        let err = run(flow, &card).unwrap_err();
        assert!(
            matches!(
                err,
                CardError::Transport(TransportError::Timeout) | CardError::VerifyInterrupted { .. }
            ),
            "{flow:?} at {at}: {err:?}"
        );
        assert_japanese_message(&err);
        // The flow stopped at the fault: nothing after it reached the card.
        assert_eq!(card.log().len(), at + 1);
        // The same card, next attempt (the fault has passed): succeeds.
        assert!(run(flow, &card).is_ok(), "{flow:?} retry after time-out at {at}");
    });
}

#[test]
fn a_response_shorter_than_a_status_word_is_a_malformed_response() {
    each_position(|flow, extended, at| {
        for garbage in [vec![], vec![0x42]] {
            let card = card_with_faults(
                Faults { garbage_at: Some((at, garbage)), ..Faults::default() },
                extended,
            );
            let err = run(flow, &card).unwrap_err();
            assert!(
                matches!(err, CardError::MalformedResponse { .. }),
                "{flow:?} at {at}: {err:?}"
            );
            assert!(err.is_retryable_by_tapping_again());
            assert_japanese_message(&err);
        }
    });
}

#[test]
fn wrong_status_words_at_any_apdu_are_typed_errors_and_spend_no_try() {
    // 6F00: no precise diagnosis; 6A82: file not found; 6982: security
    // status; 63C0 where a counter is not expected; 9000 for a command the
    // card never carried out.
    for sw in [[0x6F, 0x00], [0x6A, 0x82], [0x69, 0x82], [0x63, 0xC0], [0x90, 0x00], [0x61, 0x10]] {
        each_position(|flow, extended, at| {
            let card = card_with_faults(
                Faults { garbage_at: Some((at, sw.to_vec())), ..Faults::default() },
                extended,
            );
            match run(flow, &card) {
                Err(e) => assert_japanese_message(&e),
                // Only an OK status in place of an OK status can pass unseen,
                // and the signature is still checked against the certificate.
                Ok(()) => assert_eq!(sw, [0x90, 0x00], "{flow:?} at {at}"),
            }
            assert_eq!(card.tries_left(&ids::AID_JPKI, jpki::PIN_AUTH), Some(3));
            assert!(card.log().iter().filter(|e| e.is_verify_with_secret()).count() <= 1);
        });
    }
}

#[test]
fn a_truncated_answer_at_any_apdu_is_an_error_not_a_panic() {
    each_position(|flow, extended, at| {
        for keep in [1, 2, 100] {
            let card = card_with_faults(
                Faults { truncate_at: Some((at, keep)), ..Faults::default() },
                extended,
            );
            match run(flow, &card) {
                Err(e) => assert_japanese_message(&e),
                // A 2- or 100-byte cut of an answer that was that short anyway.
                Ok(()) => assert!(keep > 1, "{flow:?} at {at} keep {keep}"),
            }
        }
    });
}

#[test]
fn a_wrong_pin_after_a_pulled_card_rereads_the_counter_first() {
    // The VERIFY is carried out but its answer is lost: the core must not
    // assume anything about the counter; the next attempt reads it again.
    let at = 4; // SELECT, READ, READ, VERIFY(counter), VERIFY(PIN)
    let card = card_with_faults(Faults { tag_lost_at: Some(at), ..Faults::default() }, true);
    let err = block_on(CardReader::new(&card).read_pin_mode(&pin("9999"), false, MESSAGE, now()))
        .unwrap_err();
    assert_eq!(err, CardError::VerifyInterrupted { secret: Secret::AuthPin });
    assert!(err.staff_message().contains("回数"), "{}", err.staff_message());
    card.reinsert();
    let info = block_on(CardReader::new(&card).info(now())).unwrap();
    assert_eq!(
        info.variant.pin,
        Some(houmon_core::card::variant::CounterState::Available { tries: 2 })
    );
}

#[test]
fn latency_slows_the_flow_but_changes_nothing_else() {
    let per_apdu = Duration::from_millis(3);
    let card = card_with_faults(Faults { latency: per_apdu, ..Faults::default() }, true);
    let t = Instant::now();
    run(Flow::Pin, &card).unwrap();
    assert!(t.elapsed() >= per_apdu * card.log().len() as u32);
}
