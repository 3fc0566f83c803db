// SPDX-License-Identifier: MPL-2.0
//! The read flows, end to end, with the fewest round trips the transport
//! allows. How many APDUs each flow takes under given limits is in
//! `plan.rs` (the one place those counts live); `docs/benchmarks.md` has
//! the measured table.
//!
//! Every flow starts the same way: select the JPKI-AP and read the
//! 利用者証明用 certificate ([`CardReader::start`]). The session can then
//! check whose card it is against the day's roster before any secret is
//! sent; [`CardReader::continue_pin_mode`] or
//! [`CardReader::continue_visual_mode`] goes on from there. In 目視 mode the
//! 券面AP comes after the certificate: selecting it leaves the JPKI-AP, which
//! this mode does not need again (selecting the JPKI-AP after the 券面AP
//! would clear the 券面AP's security status).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::card::cert::{AuthCertificate, Validity};
use crate::card::credentials::{CollationB, Pin};
use crate::card::error::{CardError, Result, Secret};
use crate::card::guard::{Guard, Stats};
use crate::card::jpki;
use crate::card::kenmen::{self, CardFace};
use crate::card::photo::{jp2_to_png, DecodedPhoto};
use crate::card::progress::{Flow, ReadPhase, ReadProgress, Tracker};
use crate::card::transport::{CardTransport, TransportLimits};
use crate::card::variant::{CardVariant, CounterState};

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

/// Which flow a read is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Certificate and PIN counter only (`houmon card info`).
    Info,
    Pin,
    Visual,
}

/// One card session over one transport.
pub struct CardReader<T: CardTransport> {
    guard: Guard<T>,
    certificate: Option<AuthCertificate>,
}

impl<T: CardTransport> CardReader<T> {
    pub fn new(transport: T) -> Self {
        Self { guard: Guard::new(transport), certificate: None }
    }

    /// A reader that reports each APDU's phase and progress to `sink`.
    pub fn with_progress(transport: T, sink: Option<Arc<dyn ReadProgress>>) -> Self {
        let mut guard = Guard::new(transport);
        guard.set_progress(Tracker::new(sink));
        Self { guard, certificate: None }
    }

    pub fn stats(&self) -> Stats {
        self.guard.stats()
    }

    /// The limits in force (extended length off once the card refused it).
    pub fn limits(&self) -> TransportLimits {
        self.guard.limits()
    }

    pub fn transport(&self) -> &T {
        self.guard.transport()
    }

    /// Step one of every flow: the JPKI-AP and the 利用者証明用 certificate
    /// (no PIN needed). Spends nothing.
    pub async fn start(&mut self, mode: ReadMode) -> Result<AuthCertificate> {
        self.guard.limits().validate()?;
        self.guard.start_flow(match mode {
            ReadMode::Info => Flow::Info,
            ReadMode::Pin => Flow::Pin,
            ReadMode::Visual => Flow::Visual,
        });
        self.guard.phase(ReadPhase::ReadingCertificate);
        jpki::select(&mut self.guard).await?;
        let der = jpki::read_auth_cert(&mut self.guard).await?;
        let certificate = AuthCertificate::from_der(&der)?;
        self.certificate = Some(certificate.clone());
        Ok(certificate)
    }

    fn started(&self) -> Result<AuthCertificate> {
        self.certificate.clone().ok_or_else(|| CardError::internal("read not started"))
    }

    /// Certificate, validity and PIN counter. Spends nothing.
    pub async fn info(&mut self, now: DateTime<Utc>) -> Result<CardInfo> {
        let certificate = self.start(ReadMode::Info).await?;
        self.guard.phase(ReadPhase::CheckingPin);
        let pin = jpki::pin_state(&mut self.guard).await?;
        self.guard.finish_progress();
        let variant = CardVariant {
            pin: Some(pin),
            has_photo: None,
            certificate: certificate.validity_at(now),
        };
        Ok(CardInfo { certificate, variant })
    }

    /// PIN mode, whole: [`Self::start`] then [`Self::continue_pin_mode`].
    pub async fn read_pin_mode(
        &mut self,
        pin: &Pin,
        confirm_last_try: bool,
        message: &[u8],
        now: DateTime<Utc>,
    ) -> Result<PinReading> {
        self.start(ReadMode::Pin).await?;
        self.continue_pin_mode(pin, confirm_last_try, message, now).await
    }

    /// PIN mode after [`Self::start`]: counter, VERIFY, then the card signs
    /// `message`. `confirm_last_try` is the patient's explicit confirmation
    /// that they want to use the try that could lock the card.
    pub async fn continue_pin_mode(
        &mut self,
        pin: &Pin,
        confirm_last_try: bool,
        message: &[u8],
        now: DateTime<Utc>,
    ) -> Result<PinReading> {
        let certificate = self.started()?;
        self.guard.phase(ReadPhase::CheckingPin);
        let state = jpki::pin_state(&mut self.guard).await?;
        let variant = CardVariant {
            pin: Some(state),
            has_photo: None,
            certificate: certificate.validity_at(now),
        };
        match state {
            CounterState::NotSet => return Err(CardError::PinNotSet),
            CounterState::Locked => return Err(CardError::Locked { secret: Secret::AuthPin }),
            CounterState::Available { .. } => {}
        }
        let tries_before = jpki::verify_pin(&mut self.guard, pin, confirm_last_try).await?;
        self.guard.phase(ReadPhase::Signing);
        let signature = jpki::sign(&mut self.guard, message).await?;
        self.guard.finish_progress();
        certificate.verify_signature(message, &signature)?;
        Ok(PinReading {
            certificate,
            variant,
            tries_before,
            signed_message: message.to_vec(),
            signature,
        })
    }

    /// 目視 mode, whole: [`Self::start`] then [`Self::continue_visual_mode`].
    pub async fn read_visual_mode(
        &mut self,
        collation: &CollationB,
        confirm_last_try: bool,
        now: DateTime<Utc>,
    ) -> Result<VisualReading> {
        self.start(ReadMode::Visual).await?;
        self.continue_visual_mode(collation, confirm_last_try, now).await
    }

    /// 目視 mode after [`Self::start`]: unlock the card face with 照合番号B
    /// and read the photo and the printed text items.
    pub async fn continue_visual_mode(
        &mut self,
        collation: &CollationB,
        confirm_last_try: bool,
        now: DateTime<Utc>,
    ) -> Result<VisualReading> {
        let certificate = self.started()?;
        self.guard.phase(ReadPhase::CheckingCollation);
        kenmen::select(&mut self.guard).await?;
        let collation_tries_before =
            kenmen::verify_collation(&mut self.guard, collation, confirm_last_try).await?;
        self.guard.phase(ReadPhase::ReadingPhoto);
        let face = kenmen::read_front(&mut self.guard).await?;
        self.guard.finish_progress();
        let Some(jp2) = face.photo_jp2.as_deref() else {
            return Err(CardError::NoPhoto);
        };
        let photo = jp2_to_png(jp2)?;
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
