// SPDX-License-Identifier: MPL-2.0
//! The visit flow: a state machine a Kotlin or Swift UI drives step by step.
//!
//! - [`context`]: who, where, what kind of visit.
//! - [`session`]: the state machine (choose mode → PIN or 照合番号B → hold
//!   the card → identity → consent → done), cancel at any step, resume after
//!   the card was pulled away; [`steps`]: what each step shows and why
//!   things stop; [`read`]: the card read, run outside the session.
//! - [`card_check`]: whose card this is, against the kept roster.
//! - [`evidence`]: what the clinic server can check later (the signed
//!   challenge in PIN mode; the staff attestation in 目視 mode).
//! - [`consent`]: consent choices and how long they hold, by visit kind.
//! - [`record`]: the record that goes to the offline queue.
//! - [`signin`]: staff signed in on a shared phone, and the proof a record
//!   carries; [`field`]: how the card read went on this phone.

pub mod card_check;
pub mod consent;
pub mod context;
pub mod evidence;
pub mod field;
pub mod read;
pub mod record;
pub mod session;
pub mod signin;
pub mod steps;

pub use card_check::{CardCheck, CardMatch, KnownCard};
pub use consent::{
    ConsentCategory, ConsentChoice, ConsentRecord, ConsentScope, ConsentValidity, Prescription,
};
pub use context::{new_id, IdentityMode, VisitContext, VisitKind, VisualReason};
pub use evidence::{Challenge, Evidence, PinEvidence, VisualEvidence};
pub use field::{PhaseTime, ReadTiming};
pub use read::{CardRead, ReadOutcome};
pub use record::VisitRecord;
pub use session::{SessionOptions, VisitSession};
pub use signin::{SignIn, SignInError, SignInVerifier, StaffKey};
pub use steps::{ModeUnavailable, RefusalReason, Step, UnavailableReason, VisitError};
