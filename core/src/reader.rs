// SPDX-License-Identifier: MPL-2.0
//! The read flows, end to end, with the fewest round trips the card allows.
//!
//! | flow | APDUs (extended length) |
//! |---|---|
//! | [`CardReader::info`] | SELECT, READ×2, VERIFY(empty) = 4 |
//! | [`CardReader::read_pin_mode`] | SELECT, READ×2, VERIFY(empty), VERIFY, SIGN = 6 |
//! | [`CardReader::read_visual_mode`] | SELECT, SELECT 0012, VERIFY(empty), VERIFY, READ×2, then the cert (SELECT, READ×2) = 9 |
//!
//! With short APDUs only, the certificate and the photo take one READ per
//! 256 bytes; `docs/benchmarks.md` has the measured counts.
//!
//! The 券面AP work comes first in 目視 mode because selecting the JPKI-AP
//! clears its security status. The benchmark in `bench/` counts them against
//! the virtual card.

use chrono::{DateTime, Utc};

use crate::binary::BinaryReader;
use crate::cert::{AuthCertificate, Validity};
use crate::credentials::{CollationB, Pin};
use crate::error::{CardError, Result, Secret};
use crate::guard::{Guard, Stats};
use crate::jpki;
use crate::kenmen::{self, CardFace};
use crate::photo::{jp2_to_png, DecodedPhoto};
use crate::transport::CardTransport;
use crate::variant::{CardVariant, CounterState};

/// What `houmon card info` shows: spends no try.
#[derive(Debug, Clone)]
pub struct CardInfo {
    pub certificate: AuthCertificate,
    pub variant: CardVariant,
}

/// The result of a PIN-mode read.
#[derive(Debug, Clone)]
pub struct PinReading {
    pub certificate: AuthCertificate,
    pub variant: CardVariant,
    /// Tries there were before the successful VERIFY (3 when all is well).
    pub tries_before: u8,
    /// The exact bytes whose SHA-256 DigestInfo the card signed.
    pub signed_message: Vec<u8>,
    /// RSASSA-PKCS1-v1_5 / SHA-256, 256 bytes; already checked against the certificate.
    pub signature: Vec<u8>,
}

/// The result of a 目視-mode read.
#[derive(Debug, Clone)]
pub struct VisualReading {
    pub certificate: AuthCertificate,
    pub variant: CardVariant,
    pub face: CardFace,
    pub photo: DecodedPhoto,
    pub collation_tries_before: u8,
}

/// One card session over one transport.
pub struct CardReader<T: CardTransport> {
    guard: Guard<T>,
    binary: BinaryReader,
}

impl<T: CardTransport> CardReader<T> {
    pub fn new(transport: T) -> Self {
        let extended = transport.supports_extended_length();
        Self { guard: Guard::new(transport), binary: BinaryReader { extended } }
    }

    pub fn stats(&self) -> Stats {
        self.guard.stats()
    }

    pub fn transport(&self) -> &T {
        self.guard.transport()
    }

    fn cert_and_counter(&mut self, now: DateTime<Utc>) -> Result<(AuthCertificate, CardVariant)> {
        jpki::select(&mut self.guard)?;
        let der = jpki::read_auth_cert(&mut self.guard, &mut self.binary)?;
        let certificate = AuthCertificate::from_der(&der)?;
        let pin = jpki::pin_state(&mut self.guard)?;
        let variant = CardVariant {
            pin: Some(pin),
            has_photo: None,
            certificate: certificate.validity_at(now),
        };
        Ok((certificate, variant))
    }

    /// Certificate, validity and PIN counter. Spends nothing.
    pub fn info(&mut self, now: DateTime<Utc>) -> Result<CardInfo> {
        let (certificate, variant) = self.cert_and_counter(now)?;
        Ok(CardInfo { certificate, variant })
    }

    /// PIN mode: certificate, counter, VERIFY, then the card signs `message`.
    /// `confirm_last_try` is the patient's explicit confirmation that they
    /// want to use the try that could lock the card.
    pub fn read_pin_mode(
        &mut self,
        pin: &Pin,
        confirm_last_try: bool,
        message: &[u8],
        now: DateTime<Utc>,
    ) -> Result<PinReading> {
        let (certificate, variant) = self.cert_and_counter(now)?;
        match variant.pin.unwrap_or(CounterState::Locked) {
            CounterState::NotSet => return Err(CardError::PinNotSet),
            CounterState::Locked => return Err(CardError::Locked { secret: Secret::AuthPin }),
            CounterState::Available { .. } => {}
        }
        let tries_before = jpki::verify_pin(&mut self.guard, pin, confirm_last_try)?;
        let signature = jpki::sign(&mut self.guard, message)?;
        certificate.verify_signature(message, &signature)?;
        Ok(PinReading {
            certificate,
            variant,
            tries_before,
            signed_message: message.to_vec(),
            signature,
        })
    }

    /// 目視 mode: unlock the card face with 照合番号B, read the photo and the
    /// printed text items, then the certificate (read without a PIN).
    pub fn read_visual_mode(
        &mut self,
        collation: &CollationB,
        confirm_last_try: bool,
        now: DateTime<Utc>,
    ) -> Result<VisualReading> {
        kenmen::select(&mut self.guard)?;
        let collation_tries_before =
            kenmen::verify_collation(&mut self.guard, collation, confirm_last_try)?;
        let face = kenmen::read_front(&mut self.guard, &mut self.binary)?;
        let Some(jp2) = face.photo_jp2.as_deref() else {
            return Err(CardError::NoPhoto);
        };
        let photo = jp2_to_png(jp2)?;
        jpki::select(&mut self.guard)?;
        let der = jpki::read_auth_cert(&mut self.guard, &mut self.binary)?;
        let certificate = AuthCertificate::from_der(&der)?;
        let variant = CardVariant {
            // Not read in this mode: it would cost a round trip and is not needed.
            pin: None,
            has_photo: Some(true),
            certificate: certificate.validity_at(now),
        };
        Ok(VisualReading { certificate, variant, face, photo, collation_tries_before })
    }
}

/// Where a certificate stands, in words for the CLI and logs.
pub fn validity_label(v: Validity) -> String {
    match v {
        Validity::Valid => "valid".into(),
        Validity::NotYetValid => "not-yet-valid".into(),
        Validity::InGrace { grace_until } => {
            format!("expired-in-grace-until-{}", grace_until.to_rfc3339())
        }
        Validity::Expired { grace_until } => {
            format!("expired-grace-ended-{}", grace_until.to_rfc3339())
        }
    }
}
