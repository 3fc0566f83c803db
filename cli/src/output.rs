// SPDX-License-Identifier: MPL-2.0
//! What `houmon card` prints: text for people, JSON for scripts. The JSON
//! carries everything needed to check the signature with openssl.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use houmon_core::card::cert::AuthCertificate;
use houmon_core::card::guard::Stats;
use houmon_core::card::reader::{validity_label, CardInfo, PinReading, VisualReading};
use houmon_core::card::variant::{CardVariant, CounterState};
use serde_json::{json, Value};

fn cert_json(c: &AuthCertificate, v: &CardVariant) -> Value {
    json!({
        "der_base64": B64.encode(c.der()),
        "serial": c.serial_hex,
        "subject": c.subject(),
        "issuer": c.issuer(),
        "not_before": c.not_before.to_rfc3339(),
        "not_after": c.not_after.to_rfc3339(),
        "validity": validity_label(v.certificate),
        "sha256_fingerprint": c.fingerprint_sha256(),
    })
}

fn tries(v: &CardVariant) -> Value {
    match v.pin {
        Some(CounterState::Available { tries }) => json!(tries),
        Some(CounterState::Locked) => json!(0),
        Some(CounterState::NotSet) | None => Value::Null,
    }
}

fn stats_json(s: Stats) -> Value {
    json!({ "apdus": s.round_trips, "bytes_sent": s.bytes_out, "bytes_received": s.bytes_in })
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn tries_text(v: &CardVariant) -> String {
    match v.pin {
        Some(CounterState::Available { tries }) => format!("{tries} 回"),
        Some(CounterState::Locked) => "0 回(ロック中)".into(),
        Some(CounterState::NotSet) => "PIN未設定(顔認証マイナンバーカード)".into(),
        None => "未読取".into(),
    }
}

fn print_common(c: &AuthCertificate, v: &CardVariant, s: Stats) {
    println!("カード種別 variant      : {}", v.labels().join(", "));
    println!("証明書 certificate     : serial {} / {}", c.serial_hex, c.issuer());
    println!(
        "有効期間 validity       : {} – {} ({})",
        c.not_before,
        c.not_after,
        validity_label(v.certificate)
    );
    println!("PIN mode / 目視 mode   : {} / {}", v.pin_mode_available(), v.visual_mode_available());
    println!(
        "APDU                   : {} round trips, {} bytes out, {} bytes in",
        s.round_trips, s.bytes_out, s.bytes_in
    );
}

pub fn print_info(info: &CardInfo, s: Stats, as_json: bool) {
    if as_json {
        print_json(&json!({
            "variant": info.variant.labels(),
            "pin_tries_left": tries(&info.variant),
            "pin_mode_available": info.variant.pin_mode_available(),
            "certificate": cert_json(&info.certificate, &info.variant),
            "stats": stats_json(s),
        }));
        return;
    }
    print_common(&info.certificate, &info.variant, s);
    println!("PIN残り回数 tries left  : {}", tries_text(&info.variant));
}

pub fn print_pin_reading(r: &PinReading, s: Stats, as_json: bool) {
    if as_json {
        print_json(&json!({
            "mode": "pin",
            "variant": r.variant.labels(),
            "pin_tries_before": r.tries_before,
            "certificate": cert_json(&r.certificate, &r.variant),
            "signed_message_base64": B64.encode(&r.signed_message),
            "signature_algorithm": "RSASSA-PKCS1-v1_5 with SHA-256",
            "signature_base64": B64.encode(&r.signature),
            "stats": stats_json(s),
        }));
        return;
    }
    print_common(&r.certificate, &r.variant, s);
    println!("本人確認 identity      : PIN 照合成功、署名を証明書で検証済み (verified)");
    println!("署名対象 signed message : {}", String::from_utf8_lossy(&r.signed_message));
}

pub fn print_visual_reading(r: &VisualReading, s: Stats, as_json: bool) {
    if as_json {
        print_json(&json!({
            "mode": "visual",
            "variant": r.variant.labels(),
            "collation_tries_before": r.collation_tries_before,
            "certificate": cert_json(&r.certificate, &r.variant),
            "face": {
                "birth_date": r.face.birth_date,
                "sex": r.face.sex,
                "card_expiry": r.face.card_expiry,
            },
            "photo": {
                "width": r.photo.width,
                "height": r.photo.height,
                "png_base64": B64.encode(&r.photo.png),
            },
            "stats": stats_json(s),
        }));
        return;
    }
    print_common(&r.certificate, &r.variant, s);
    println!(
        "券面 card face         : 生年月日 {} / 性別 {} / 有効期限 {}",
        r.face.birth_date,
        r.face.sex,
        r.face.card_expiry.as_deref().unwrap_or("-")
    );
    println!(
        "顔写真 photo           : {}×{} PNG {} bytes (--json で取得)",
        r.photo.width,
        r.photo.height,
        r.photo.png.len()
    );
}
