// SPDX-License-Identifier: MPL-2.0
//! Commands: the work the state machine asks for. The runtime
//! (`runtime.rs`) runs each on the core's tokio runtime and feeds the
//! result back as a [`super::event::Msg`]; [`Command::Shell`] effects go to
//! the platform, in order with the views.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use houmon_core::protocol::CustodyEvent;
use houmon_core::visit::{self as v, SignInVerifier};
use zeroize::Zeroizing;

use super::model::DayNote;
use super::runtime::SavedSignIn;
use super::view::Effect;
use crate::foreign::{Cancel, CardTransport};

pub(crate) enum Command {
    OpenStore,
    /// Enrol with the clinic's link (`reset_first`: wipe the store first,
    /// after the administrator's confirmation on the recovery screen).
    Enrol {
        link: String,
        device_name: String,
        reset_first: bool,
    },
    /// The day's roster: from the server when `online` (the shell's word
    /// on the network), else the copy kept on the phone.
    LoadRoster {
        day: NaiveDate,
        online: bool,
    },
    LoadDayLog {
        day: NaiveDate,
    },
    LoadQueue,
    /// The server-time token a new visit carries.
    PrepareVisit {
        visit_id: String,
    },
    ReadCard {
        visit_id: String,
        read: v::CardRead,
        transport: Arc<dyn CardTransport>,
        cancel: Arc<Cancel>,
        careful: bool,
    },
    StoreRecord {
        visit_id: String,
        record: Box<v::VisitRecord>,
        day: NaiveDate,
        note: DayNote,
    },
    /// The runtime fills in the server-time token.
    StoreCustody {
        event: Box<CustodyEvent>,
        day: NaiveDate,
        note: DayNote,
    },
    Sync,
    SetOnline(bool),
    CheckSignIn {
        staff_id: String,
        code: Zeroizing<String>,
        verifier: SignInVerifier,
    },
    SaveSignIn(Option<SavedSignIn>),
    SaveSettings {
        careful_reading: bool,
    },
    Retry(String),
    Discard(String),
    /// The runtime's own wake-up for the next sync (`None`: none).
    ArmTimer(Option<DateTime<Utc>>),
    Shell(Effect),
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never a secret: only the command's name.
        f.write_str(match self {
            Command::OpenStore => "OpenStore",
            Command::Enrol { .. } => "Enrol",
            Command::LoadRoster { .. } => "LoadRoster",
            Command::LoadDayLog { .. } => "LoadDayLog",
            Command::LoadQueue => "LoadQueue",
            Command::PrepareVisit { .. } => "PrepareVisit",
            Command::ReadCard { .. } => "ReadCard",
            Command::StoreRecord { .. } => "StoreRecord",
            Command::StoreCustody { .. } => "StoreCustody",
            Command::Sync => "Sync",
            Command::SetOnline(_) => "SetOnline",
            Command::CheckSignIn { .. } => "CheckSignIn",
            Command::SaveSignIn(_) => "SaveSignIn",
            Command::SaveSettings { .. } => "SaveSettings",
            Command::Retry(_) => "Retry",
            Command::Discard(_) => "Discard",
            Command::ArmTimer(_) => "ArmTimer",
            Command::Shell(_) => "Shell",
        })
    }
}
