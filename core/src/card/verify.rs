// SPDX-License-Identifier: MPL-2.0
//! The one counter-checked VERIFY, for the PIN and for 照合番号B alike.
//!
//! Never lock a patient's card: the tries left are read (an empty VERIFY,
//! which spends nothing) right before the VERIFY that carries the secret —
//! the guard refuses it otherwise — and the try that could lock the card is
//! sent only with the patient's explicit confirmation. A link that breaks
//! during the VERIFY may have cost a try: it is reported as such and never
//! retried blindly (the next attempt re-reads the counter).

use crate::card::apdu::{ins, Command};
use crate::card::error::{CardError, Result, Secret};
use crate::card::guard::Guard;
use crate::card::sw::StatusWord;
use crate::card::transport::CardTransport;
use crate::card::variant::{classify_counter, CounterState};

/// A key that a secret the patient knows unlocks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SecretKey {
    pub aid: [u8; 10],
    pub key: u16,
    pub secret: Secret,
    /// P2 of VERIFY for this key (by SFI, or `80`: the selected key).
    pub p2: u8,
    /// For error messages: "VERIFY PIN", "VERIFY 照合番号B".
    pub command: &'static str,
}

impl SecretKey {
    /// What an unset secret means: a 顔認証 card has no PIN; a card without
    /// 照合番号B cannot show its face.
    fn not_set(&self) -> CardError {
        match self.secret {
            Secret::AuthPin => CardError::PinNotSet,
            Secret::CollationB => CardError::Locked { secret: Secret::CollationB },
        }
    }

    /// Reads the counter without spending a try.
    pub async fn counter<T: CardTransport>(&self, g: &mut Guard<T>) -> Result<CounterState> {
        let resp = g.send(&Command::new(0, ins::VERIFY, 0, self.p2)).await?;
        classify_counter(self.secret, resp.sw)
    }

    /// The tries left: from the empty VERIFY just sent, or read now.
    async fn tries<T: CardTransport>(&self, g: &mut Guard<T>) -> Result<u8> {
        if let Some(t) = g.fresh_counter(&self.aid, self.key) {
            return Ok(t);
        }
        match self.counter(g).await? {
            CounterState::Available { tries } => Ok(tries),
            CounterState::Locked => Err(CardError::Locked { secret: self.secret }),
            CounterState::NotSet => Err(self.not_set()),
        }
    }

    /// Verifies `data`, counter first. Returns the tries there were before.
    pub async fn verify<T: CardTransport>(
        &self,
        g: &mut Guard<T>,
        data: &[u8],
        confirm_last_try: bool,
    ) -> Result<u8> {
        let tries = self.tries(g).await?;
        if tries == 0 {
            return Err(CardError::Locked { secret: self.secret });
        }
        if tries == 1 {
            if !confirm_last_try {
                return Err(CardError::LastTryNeedsConfirmation { secret: self.secret });
            }
            g.confirm_last_try();
        }
        let cmd = Command::new(0, ins::VERIFY, 0, self.p2).with_data(data.to_vec());
        let resp = match g.send(&cmd).await {
            Ok(r) => r,
            // The try may have been counted: never retry blindly.
            Err(CardError::Transport(_)) => {
                return Err(CardError::VerifyInterrupted { secret: self.secret })
            }
            Err(e) => return Err(e),
        };
        match resp.sw {
            StatusWord::OK => Ok(tries),
            StatusWord(0x63C0)
            | StatusWord::REFERENCE_DATA_UNUSABLE
            | StatusWord::AUTH_METHOD_BLOCKED => Err(CardError::Locked { secret: self.secret }),
            sw => match sw.retries() {
                Some(remaining) => Err(CardError::WrongSecret { secret: self.secret, remaining }),
                None => Err(CardError::UnexpectedStatus { command: self.command, sw }),
            },
        }
    }
}
