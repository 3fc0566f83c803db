// SPDX-License-Identifier: MPL-2.0
//! Identity evidence the clinic server can check later, offline-first.
//! It never contains the PIN, 照合番号B or the 個人番号.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::context::{VisitContext, VisualReason};

/// The bytes the card signs (as SHA-256 DigestInfo) in PIN mode. Binding
/// visit, device, time and a random nonce makes a signature useless for any
/// other visit; the server refuses a nonce it has seen. The anchor (the
/// server-time token from the phone's last contact) is signed too, so the
/// server can bound the claimed time by a time it issued itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    pub visit_id: String,
    pub device_id: String,
    pub time: DateTime<Utc>,
    /// 128 random bits, hex.
    pub nonce: String,
    /// The server-time token the phone holds (empty if it has none).
    pub anchor: String,
}

impl Challenge {
    pub fn new(ctx: &VisitContext, time: DateTime<Utc>) -> Self {
        let nonce: [u8; 16] = rand::random();
        Challenge {
            visit_id: ctx.visit_id.clone(),
            device_id: ctx.device_id.clone(),
            // Whole seconds, so that the fields rebuild the signed bytes exactly.
            time: time.trunc_subsecs(0),
            nonce: nonce.iter().map(|b| format!("{b:02x}")).collect(),
            anchor: ctx.time_anchor.clone().unwrap_or_default(),
        }
    }

    /// The canonical bytes: one `key=value` per line, fixed order.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "houmon-pin-challenge/2\nvisit={}\ndevice={}\ntime={}\nnonce={}\nanchor={}\n",
            self.visit_id,
            self.device_id,
            self.time.to_rfc3339_opts(SecondsFormat::Secs, true),
            self.nonce,
            self.anchor
        )
        .into_bytes()
    }
}

/// PIN mode: the card signed the challenge with its 利用者証明用 key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinEvidence {
    /// The 利用者証明用 certificate, DER.
    #[serde(with = "b64")]
    pub certificate: Vec<u8>,
    pub challenge: Challenge,
    /// The exact signed bytes (`challenge.to_bytes()`), kept verbatim.
    #[serde(with = "b64")]
    pub signed_message: Vec<u8>,
    /// RSASSA-PKCS1-v1_5 / SHA-256.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    pub pin_tries_before: u8,
}

/// 目視 mode: no card signature is possible without the PIN; the evidence
/// is the certificate (read without a PIN) and the staff attestation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisualEvidence {
    #[serde(with = "b64")]
    pub certificate: Vec<u8>,
    pub checked_by: String,
    pub reason: VisualReason,
    pub note: String,
    /// SHA-256 of the photo as read from the chip (JPEG 2000), hex.
    pub photo_sha256: String,
    /// The photo itself, only if the clinic turned that on: the chip's own
    /// JPEG 2000 bytes, the very bytes `photo_sha256` covers (smaller than
    /// a PNG; the server checks the hash and decodes them).
    #[serde(default, with = "b64_opt", skip_serializing_if = "Option::is_none")]
    pub photo_jp2: Option<Vec<u8>>,
    pub collation_tries_before: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Evidence {
    Pin(PinEvidence),
    Visual(VisualEvidence),
}

impl Evidence {
    pub fn certificate(&self) -> &[u8] {
        match self {
            Evidence::Pin(p) => &p.certificate,
            Evidence::Visual(v) => &v.certificate,
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

mod b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        STANDARD.decode(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

mod b64_opt {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Visit v-1 by s-1 on phone d-1, with the server-time token given.
    fn context(time_anchor: Option<&str>) -> VisitContext {
        VisitContext {
            visit_id: "v-1".into(),
            patient_id: None,
            kind: super::super::VisitKind::HomeCare,
            staff_id: "s-1".into(),
            device_id: "d-1".into(),
            started_at: Utc::now(),
            first_visit_on: None,
            time_anchor: time_anchor.map(str::to_owned),
        }
    }

    #[test]
    fn the_challenge_binds_visit_device_time_and_nonce() {
        let ctx = context(Some("v1.d-1.1790000000.ab"));
        let t = DateTime::parse_from_rfc3339("2026-11-25T01:02:03Z").unwrap().with_timezone(&Utc);
        let a = Challenge::new(&ctx, t);
        let b = Challenge::new(&ctx, t);
        assert_ne!(a.nonce, b.nonce);
        let text = String::from_utf8(a.to_bytes()).unwrap();
        assert!(text.contains("visit=v-1\ndevice=d-1\ntime=2026-11-25T01:02:03Z\nnonce="));
        assert!(text.ends_with("\nanchor=v1.d-1.1790000000.ab\n"), "{text}");
    }

    #[test]
    fn sha256_hex_is_the_digest_in_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pin_evidence_gives_the_certificate_it_carries() {
        let e = Evidence::Pin(PinEvidence {
            certificate: vec![0x30, 0x82, 7],
            challenge: Challenge::new(&context(None), Utc::now()),
            signed_message: vec![],
            signature: vec![],
            pin_tries_before: 3,
        });
        assert_eq!(e.certificate(), [0x30, 0x82, 7]);
    }

    #[test]
    fn a_visual_photo_travels_in_base64_or_not_at_all() {
        let visual = |photo_jp2| VisualEvidence {
            certificate: vec![1, 2, 3],
            checked_by: "看護 花子".into(),
            reason: VisualReason::Condition,
            note: String::new(),
            photo_sha256: "00".repeat(32),
            photo_jp2,
            collation_tries_before: 3,
        };
        for photo in [None, Some(vec![0xFF, 0x4F, 0xFF, 0x51])] {
            let e = Evidence::Visual(visual(photo.clone()));
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json.contains("photo_jp2"), photo.is_some(), "{json}");
            assert_eq!(serde_json::from_str::<Evidence>(&json).unwrap(), e);
        }
        assert_eq!(Evidence::Visual(visual(None)).certificate(), [1, 2, 3], "the one it carries");
        let bad = serde_json::to_string(&Evidence::Visual(visual(Some(vec![1]))))
            .unwrap()
            .replace("\"AQ==\"", "\"not base64!\"");
        assert!(serde_json::from_str::<Evidence>(&bad).is_err());
    }
}
