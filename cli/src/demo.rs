// SPDX-License-Identifier: MPL-2.0
//! `houmon demo`: a round of visits on virtual cards, on embedded defaults
//! (no phone, no card, no server). Each visit runs the same core code a
//! phone runs; the virtual card answers the APDUs.

use chrono::Utc;
use houmon_core::credentials::{CollationB, Pin};
use houmon_core::error::CardError;
use houmon_core::reader::{validity_label, CardReader};
use houmon_vcard::{CardConfig, Faults, Holder, Variant, VirtualCard};

struct Visit {
    patient: &'static str,
    variant: Variant,
    story: &'static str,
}

const ROUND: [Visit; 7] = [
    Visit { patient: "患者A", variant: Variant::Standard, story: "PIN で本人確認" },
    Visit {
        patient: "患者B",
        variant: Variant::FaceRecognition,
        story: "顔認証カード: PIN 不可 → 目視",
    },
    Visit {
        patient: "患者C",
        variant: Variant::Standard,
        story: "PIN を1回間違えてから正しく入力",
    },
    Visit {
        patient: "患者D",
        variant: Variant::Standard,
        story: "読み取り中にカードが離れ、かざし直し",
    },
    Visit {
        patient: "患者E",
        variant: Variant::PinOneTryLeft,
        story: "残り1回: 本人の確認を得てから入力",
    },
    Visit {
        patient: "患者F",
        variant: Variant::CertificateExpiredInGrace,
        story: "証明書の有効期限切れ(猶予期間内)",
    },
    Visit { patient: "患者G", variant: Variant::PinLocked, story: "PIN ロック → 目視" },
];

const MESSAGE: &[u8] = b"houmon-demo-challenge";

fn describe(e: &CardError) -> String {
    e.staff_message().lines().next().unwrap_or_default().to_owned()
}

fn visit(v: &Visit) -> Result<(String, u32, Vec<String>), CardError> {
    let holder = Holder::default();
    debug_assert_eq!(holder.pin, "1234");
    let faults = if v.story.contains("離れ") {
        Faults { tag_lost_at: Some(2), ..Faults::default() }
    } else {
        Faults::default()
    };
    let card = VirtualCard::new(CardConfig { variant: v.variant, faults, ..CardConfig::default() });
    let mut notes = Vec::new();
    let mut apdus = 0;
    let now = Utc::now();

    let mut reader = CardReader::new(&card);
    let info = match reader.info(now) {
        Ok(i) => i,
        Err(e) if e.is_retryable_by_tapping_again() => {
            notes.push(format!("中断: {} → かざし直し", describe(&e)));
            apdus += reader.stats().round_trips;
            card.reinsert();
            reader = CardReader::new(&card);
            reader.info(now)?
        }
        Err(e) => return Err(e),
    };
    apdus += reader.stats().round_trips;
    notes.push(format!("証明書: {}", validity_label(info.variant.certificate)));

    if info.variant.pin_mode_available() {
        let mut typed =
            if v.story.contains("間違") { vec!["9999", "1234"] } else { vec!["1234"] };
        let mut confirmed = false;
        while let Some(t) = typed.first().copied() {
            let pin = Pin::new(t)?;
            let mut r = CardReader::new(&card);
            let result = r.read_pin_mode(&pin, confirmed, MESSAGE, now);
            apdus += r.stats().round_trips;
            match result {
                Ok(p) => {
                    notes.push(format!("署名を検証 (試行前の残り {} 回)", p.tries_before));
                    return Ok(("PIN: 本人確認済".into(), apdus, notes));
                }
                Err(e @ CardError::WrongSecret { .. }) => {
                    notes.push(describe(&e));
                    typed.remove(0);
                }
                Err(e @ CardError::LastTryNeedsConfirmation { .. }) if !confirmed => {
                    notes.push(describe(&e));
                    notes.push("本人が確認したうえで入力".into());
                    confirmed = true;
                }
                Err(e) => return Err(e),
            }
        }
    }
    notes.push("PIN モード不可 → 目視確認".into());
    let b = CollationB::new(&holder.collation_b())?;
    let mut r = CardReader::new(&card);
    let seen = r.read_visual_mode(&b, false, now)?;
    apdus += r.stats().round_trips;
    notes.push(format!("顔写真 {}×{} を表示、職員が照合", seen.photo.width, seen.photo.height));
    Ok(("目視: 本人確認済".into(), apdus, notes))
}

pub fn run() -> Result<(), String> {
    println!("Houmon demo — 仮想マイナンバーカードで訪問1巡 (カード読み取りまで)");
    println!("資格の有効性は臨床サーバー経由のオンライン資格確認でのみ判定されます(このデモでは未接続)。\n");
    let mut failures = 0;
    for v in &ROUND {
        match visit(v) {
            Ok((result, apdus, notes)) => {
                println!("■ {} — {}", v.patient, v.story);
                println!("  結果: {result}  (APDU {apdus} 往復)");
                for n in notes {
                    println!("  - {n}");
                }
            }
            Err(e) => {
                failures += 1;
                println!("■ {} — {}\n  失敗: {}", v.patient, v.story, describe(&e));
            }
        }
    }
    println!("\n{} 件中 {} 件で本人確認完了", ROUND.len(), ROUND.len() - failures);
    if failures > 0 {
        return Err(format!("{failures} visit(s) failed"));
    }
    Ok(())
}
