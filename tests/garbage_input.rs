// SPDX-License-Identifier: MPL-2.0
//! Bad input gets an error, never a panic: every parser that reads bytes
//! from a card, a server, a terminal or a database, fed random and mutated
//! input (fixed seeds, so a failure replays).

use houmon_core::card::apdu::{Command, Response};
use houmon_core::card::cert::AuthCertificate;
use houmon_core::reception::Situation;
use houmon_core::visit::VisitRecord;
use houmon_vcard::{records::visual_record, VirtualCard};
use rand::{Rng, SeedableRng};

const ROUNDS: usize = 3_000;

fn random_bytes(rng: &mut impl Rng, max: usize) -> Vec<u8> {
    let n = rng.gen_range(0..max);
    (0..n).map(|_| rng.gen()).collect()
}

/// Flips, truncates or splices a valid input.
fn mutate(rng: &mut impl Rng, valid: &[u8]) -> Vec<u8> {
    let mut v = valid.to_vec();
    match rng.gen_range(0..4) {
        0 => {
            let n = rng.gen_range(0..=v.len());
            v.truncate(n);
        }
        1 => {
            for _ in 0..rng.gen_range(1..8) {
                if !v.is_empty() {
                    let i = rng.gen_range(0..v.len());
                    v[i] ^= 1 << rng.gen_range(0..8);
                }
            }
        }
        2 => {
            if !v.is_empty() {
                let i = rng.gen_range(0..v.len());
                v.insert(i, rng.gen());
            }
        }
        _ => {
            if v.len() > 2 {
                let i = rng.gen_range(0..v.len() - 1);
                v.remove(i);
            }
        }
    }
    v
}

#[test]
fn apdu_parsers_never_panic_on_random_bytes() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    for _ in 0..ROUNDS {
        let b = random_bytes(&mut rng, 300);
        let _ = Command::decode(&b);
        let _ = Response::parse(b.clone());
        let _ = houmon_core::card::tlv::der_total_len(&b);
        let pos = rng.gen_range(0..=b.len());
        let _ = houmon_core::card::tlv::header_at(&b, pos);
    }
}

#[test]
fn certificate_parsing_never_panics_on_mutated_certificates() {
    let der = VirtualCard::standard().auth_certificate_der();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let mut refused = 0;
    for _ in 0..ROUNDS {
        if AuthCertificate::from_der(&mutate(&mut rng, &der)).is_err() {
            refused += 1;
        }
    }
    assert!(refused > ROUNDS / 4, "mutations must mostly be refused ({refused})");
}

#[test]
fn record_and_situation_json_never_panic_when_mutated() {
    let cert = VirtualCard::standard().auth_certificate_der();
    let record = visual_record("v-1", "d", "s", None, &cert, None).to_json().into_bytes();
    let situation = br#"{"date":"2026-11-25","age":40,"history":{"kind":"first-visit"},"online_check":"now",
        "documents":[{"kind":"kakuninsho","insurer_kind":"kokuho","valid_until":"2027-07-31","share_printed":3}]}"#;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for _ in 0..ROUNDS {
        let r = mutate(&mut rng, &record);
        let _ = VisitRecord::from_json(&String::from_utf8_lossy(&r));
        let s = mutate(&mut rng, situation);
        if let Ok(sit) = Situation::from_json(&String::from_utf8_lossy(&s)) {
            let _ =
                houmon_core::reception::assess(&sit, &houmon_core::reception::Policy::embedded());
        }
    }
}

#[test]
fn terminal_result_files_never_panic_when_mutated() {
    let valid = houmon_server::terminal::result_file("chk-1", None, "1");
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    for _ in 0..ROUNDS {
        let _ = houmon_server::oqs::parse_result(&mutate(&mut rng, &valid));
        let _ = houmon_server::oqs::parse_result(&random_bytes(&mut rng, 200));
    }
}

#[test]
fn the_card_reader_never_panics_on_a_card_answering_random_bytes() {
    use houmon_core::card::transport::{CardTransport, TransportError};
    use std::sync::Mutex;
    struct Noise(Mutex<rand::rngs::StdRng>);
    #[async_trait::async_trait]
    impl CardTransport for Noise {
        async fn transceive(&self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
            let mut rng = self.0.lock().unwrap();
            // Mostly plausible status words, sometimes data, sometimes nothing.
            let mut v = random_bytes(&mut *rng, 300);
            if rng.gen_bool(0.7) {
                v.extend_from_slice(&[0x90, 0x00]);
            }
            Ok(v)
        }
        fn limits(&self) -> houmon_core::card::transport::TransportLimits {
            houmon_core::card::transport::TransportLimits::EXTENDED
        }
    }
    let noise = Noise(Mutex::new(rand::rngs::StdRng::seed_from_u64(5)));
    let pin = houmon_core::card::credentials::Pin::new("1234").unwrap();
    let b = houmon_core::card::credentials::CollationB::new("55021720352285").unwrap();
    for _ in 0..300 {
        let mut r = houmon_core::card::reader::CardReader::new(&noise);
        let _ = houmon_tests::block_on(r.read_pin_mode(&pin, false, b"m", chrono::Utc::now()));
        let mut r = houmon_core::card::reader::CardReader::new(&noise);
        let _ = houmon_tests::block_on(r.read_visual_mode(&b, false, chrono::Utc::now()));
    }
}
