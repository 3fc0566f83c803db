// SPDX-License-Identifier: MPL-2.0
//! What is on the virtual card: applications, files, keys and their access
//! conditions, built for a [`Holder`] and a [`Variant`].
//!
//! Facts and their confidence are in `docs/card-protocol.md`; where a fact
//! is unknown (how a 顔認証 card answers, physical EF sizes, filler), the
//! choice made here is marked `Hypothesis:` and mirrors the core's.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use houmon_core::card::ids::{self, jpki, kenmen};
use rsa::traits::PublicKeyParts;
use rsa::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

use crate::ca::{TestCa, TestKeys};
use crate::SAMPLE_PHOTO_JP2;

const DAY: Duration = Duration::from_secs(86_400);

/// A kind of card, as the issue and the reference describe them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// PIN set (3 tries), photo, certificate valid.
    Standard,
    /// 顔認証マイナンバーカード: no PIN set, no 署名用 certificate.
    FaceRecognition,
    /// No face photo (issued to a child under one).
    NoPhoto,
    /// 利用者証明用 certificate expired 20 days ago: inside the 3-month grace.
    CertificateExpiredInGrace,
    /// Certificate expired 200 days ago: past the grace.
    CertificateExpiredPastGrace,
    /// One PIN try left.
    PinOneTryLeft,
    /// PIN locked (0 tries).
    PinLocked,
    /// One 照合番号B try left.
    CollationOneTryLeft,
}

impl Variant {
    pub const ALL: [Variant; 8] = [
        Variant::Standard,
        Variant::FaceRecognition,
        Variant::NoPhoto,
        Variant::CertificateExpiredInGrace,
        Variant::CertificateExpiredPastGrace,
        Variant::PinOneTryLeft,
        Variant::PinLocked,
        Variant::CollationOneTryLeft,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Standard => "standard",
            Variant::FaceRecognition => "face-recognition",
            Variant::NoPhoto => "no-photo",
            Variant::CertificateExpiredInGrace => "expired-in-grace",
            Variant::CertificateExpiredPastGrace => "expired",
            Variant::PinOneTryLeft => "one-try-left",
            Variant::PinLocked => "locked",
            Variant::CollationOneTryLeft => "collation-one-try-left",
        }
    }

    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// The synthetic card holder. The defaults are the public worked example
/// of 照合番号B (born 昭和55年2月17日, card expiry 2035, code 2285).
#[derive(Debug, Clone)]
pub struct Holder {
    /// 生年月日 as stored on the chip: Gregorian YYYYMMDD.
    pub birth_date: String,
    /// 生年月日 as printed (和暦 YYMMDD), the first part of 照合番号B.
    pub birth_printed: String,
    pub sex: String,
    pub card_expiry: String,
    pub security_code: String,
    pub pin: String,
}

impl Default for Holder {
    fn default() -> Self {
        Holder {
            birth_date: "19800217".into(),
            birth_printed: "550217".into(),
            sex: "1".into(),
            card_expiry: "20350217".into(),
            security_code: "2285".into(),
            pin: "1234".into(),
        }
    }
}

impl Holder {
    /// The 14 digits of 照合番号B for this holder.
    pub fn collation_b(&self) -> String {
        format!("{}{}{}", self.birth_printed, &self.card_expiry[..4], self.security_code)
    }
}

/// Who may read an EF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Free,
    /// After a successful VERIFY of any of these keys in this application.
    AnyOf(&'static [u16]),
}

#[derive(Debug, Clone)]
pub(crate) struct Ef {
    pub data: Vec<u8>,
    pub read: Access,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A PIN or 照合番号: VERIFY target.
    Secret,
    /// A private key: COMPUTE DIGITAL SIGNATURE needs this key verified first.
    Signing { needs: u16 },
}

#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub kind: KeyKind,
    /// `None`: no secret set (顔認証 card's PIN).
    pub secret: Option<Vec<u8>>,
    pub tries: u8,
    pub max_tries: u8,
}

#[derive(Debug, Clone)]
pub(crate) struct App {
    pub aid: [u8; 10],
    pub name: &'static str,
    pub efs: BTreeMap<u16, Ef>,
    pub keys: BTreeMap<u16, Key>,
}

fn secret(value: &str, tries: u8, max_tries: u8) -> Key {
    Key { kind: KeyKind::Secret, secret: Some(value.as_bytes().to_vec()), tries, max_tries }
}

/// Pads a DER object with filler up to the physical EF size.
/// Hypothesis: filler is `FF`, EF sizes are a round number above the object.
fn with_filler(mut data: Vec<u8>, size: usize) -> Vec<u8> {
    if data.len() < size {
        data.resize(size, 0xFF);
    }
    data
}

fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut v = tag.to_be_bytes().to_vec();
    match value.len() {
        n if n < 0x80 => v.push(n as u8),
        n if n < 0x100 => v.extend_from_slice(&[0x81, n as u8]),
        n => v.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    v.extend_from_slice(value);
    v
}

/// EF 0002 of the 券面AP: `FF 20 { DF21 offsets, DF22 … DF2A }`, signed.
fn card_face(holder: &Holder, photo: &[u8]) -> Vec<u8> {
    let keys = TestKeys::shared();
    let face_pub = keys.card_face.to_public_key();
    let mut pubkey = tlv(0x90, &face_pub.e().to_bytes_be());
    pubkey.extend(tlv(0x91, &face_pub.n().to_bytes_be()));
    // Name, address and security-code images are 1-bit PNGs on a real card;
    // here they are placeholders of a realistic size (never read by Houmon).
    let image = |label: &[u8], len: usize| {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(label);
        v.resize(len, 0);
        v
    };
    let items_before_sig = [
        tlv(0xDF22, holder.birth_date.as_bytes()),
        tlv(0xDF23, holder.sex.as_bytes()),
        tlv(0xDF24, &pubkey),
        tlv(0xDF25, &image(b"name", 900)),
        tlv(0xDF26, &image(b"address", 1400)),
        tlv(0xDF27, photo),
    ];
    // Signature over three SHA-256 values: (DF22‖DF23‖DF24), (DF25‖DF26), (DF27).
    let h = |parts: &[&Vec<u8>]| {
        let mut d = Sha256::new();
        for p in parts {
            d.update(p);
        }
        d.finalize()
    };
    let i = &items_before_sig;
    let mut digest = h(&[&i[0], &i[1], &i[2]]).to_vec();
    digest.extend(h(&[&i[3], &i[4]]));
    digest.extend(h(&[&i[5]]));
    let mut digest_info = houmon_core::card::cert::SHA256_DIGEST_INFO_PREFIX.to_vec();
    digest_info[1] = 0x11 + 0x60; // DigestInfo length for a 96-byte digest
    digest_info[18] = 0x60;
    digest_info.extend(digest);
    let sig =
        keys.card_face.sign(Pkcs1v15Sign::new_unprefixed(), &digest_info).expect("face signature");
    let after = [
        tlv(0xDF28, &sig),
        tlv(0xDF29, holder.card_expiry.as_bytes()),
        tlv(0xDF2A, &image(b"code", 120)),
    ];
    let items: Vec<&Vec<u8>> = items_before_sig.iter().chain(after.iter()).collect();
    // Offsets are absolute from the start of the file: FF 20 82 HH LL, then
    // DF21 12 <18 bytes>, then the items.
    let mut offsets = Vec::new();
    let mut pos = 5 + 3 + 18;
    for it in &items {
        offsets.extend_from_slice(&(pos as u16).to_be_bytes());
        pos += it.len();
    }
    let mut body = tlv(0xDF21, &offsets);
    for it in items {
        body.extend_from_slice(it);
    }
    let mut rec = vec![0xFF, 0x20, 0x82];
    rec.extend_from_slice(&(body.len() as u16).to_be_bytes());
    rec.extend(body);
    let size = rec.len().div_ceil(1024) * 1024;
    with_filler(rec, size)
}

/// Builds the applications of a card.
pub(crate) fn build(holder: &Holder, variant: Variant, now: SystemTime) -> Vec<App> {
    let ca = TestCa::shared();
    let (not_before, not_after) = match variant {
        Variant::CertificateExpiredInGrace => (now - 1800 * DAY, now - 20 * DAY),
        Variant::CertificateExpiredPastGrace => (now - 1980 * DAY, now - 200 * DAY),
        _ => (now - 365 * DAY, now + 4 * 365 * DAY),
    };
    let serial = u32::from_be_bytes(rand::random::<[u8; 4]>()) >> 1;
    let auth_cert =
        ca.issue(&format!("C=JP,CN=HOUMONVIRTUAL{serial:010}"), serial, not_before, not_after);
    let sign_cert = ca.issue(
        &format!("C=JP,CN=VIRTUAL TARO {serial:010}"),
        serial.wrapping_add(1),
        not_before,
        not_after,
    );
    let face_card = variant == Variant::FaceRecognition;

    let mut token = format!("{:<32}", "JPKIAPICCTOKEN2").into_bytes();
    token.resize(160, 0);
    // Hypothesis: a 顔認証 card has no 署名用 certificate (byte 0 = 00).
    let availability = if face_card { vec![0x00, 0x8F, 0x00] } else { vec![0x8F, 0x8F, 0x00] };

    let auth_tries = match variant {
        Variant::PinOneTryLeft => 1,
        Variant::PinLocked => 0,
        _ => 3,
    };
    let mut auth_pin = secret(&holder.pin, auth_tries, 3);
    if face_card {
        auth_pin.secret = None; // Hypothesis: answers 6A88, see the core's variant.rs
    }
    let mut jpki_efs = BTreeMap::new();
    jpki_efs
        .insert(jpki::EF_AUTH_CERT, Ef { data: with_filler(auth_cert, 2048), read: Access::Free });
    jpki_efs.insert(
        jpki::EF_AUTH_CA_CERT,
        Ef { data: with_filler(ca.cert_der.clone(), 2048), read: Access::Free },
    );
    jpki_efs.insert(
        jpki::EF_SIGN_CA_CERT,
        Ef { data: with_filler(ca.cert_der.clone(), 2048), read: Access::Free },
    );
    jpki_efs.insert(jpki::EF_TOKEN_INFO, Ef { data: token, read: Access::Free });
    jpki_efs.insert(jpki::EF_CERT_AVAILABILITY, Ef { data: availability, read: Access::Free });
    if !face_card {
        jpki_efs.insert(
            jpki::EF_SIGN_CERT,
            Ef { data: with_filler(sign_cert, 2048), read: Access::AnyOf(&[jpki::PIN_SIGN]) },
        );
    }
    let mut jpki_keys = BTreeMap::new();
    jpki_keys.insert(jpki::PIN_AUTH, auth_pin);
    jpki_keys.insert(
        jpki::KEY_AUTH,
        Key {
            kind: KeyKind::Signing { needs: jpki::PIN_AUTH },
            secret: None,
            tries: 0,
            max_tries: 0,
        },
    );
    if !face_card {
        jpki_keys.insert(jpki::PIN_SIGN, secret("ABC123", 5, 5));
        jpki_keys.insert(
            jpki::KEY_SIGN,
            Key {
                kind: KeyKind::Signing { needs: jpki::PIN_SIGN },
                secret: None,
                tries: 0,
                max_tries: 0,
            },
        );
    }

    let photo: &[u8] = if variant == Variant::NoPhoto { &[] } else { SAMPLE_PHOTO_JP2 };
    let b_or_a: &[u16] = &[kenmen::KEY_COLLATION_B, kenmen::KEY_COLLATION_A];
    let mut face_efs = BTreeMap::new();
    face_efs.insert(
        kenmen::EF_FRONT,
        Ef { data: card_face(holder, photo), read: Access::AnyOf(b_or_a) },
    );
    let mut age = tlv(0xDF11, holder.birth_date.as_bytes());
    age.splice(0..0, [0xFF, 0x10, age.len() as u8]);
    face_efs.insert(kenmen::EF_AGE, Ef { data: age, read: Access::AnyOf(&[kenmen::KEY_BIRTH]) });
    face_efs.insert(
        kenmen::EF_NUMBER_IMAGE,
        // Holds the 個人番号 image on a real card; here only a marker.
        Ef { data: b"\xFF\x40\x05NEVER".to_vec(), read: Access::AnyOf(&[kenmen::KEY_COLLATION_A]) },
    );
    let collation_tries = if variant == Variant::CollationOneTryLeft { 1 } else { 10 };
    let mut face_keys = BTreeMap::new();
    face_keys.insert(kenmen::KEY_BIRTH, secret(&holder.birth_printed, 10, 10));
    face_keys.insert(kenmen::KEY_COLLATION_B, secret(&holder.collation_b(), collation_tries, 10));
    face_keys.insert(kenmen::KEY_COLLATION_A, secret("000000000000", 10, 10));

    vec![
        App { aid: ids::AID_JPKI, name: "JPKI", efs: jpki_efs, keys: jpki_keys },
        App { aid: ids::AID_KENMEN, name: "KENMEN", efs: face_efs, keys: face_keys },
        App { aid: ids::AID_COMMON, name: "COMMON", efs: BTreeMap::new(), keys: BTreeMap::new() },
    ]
}
