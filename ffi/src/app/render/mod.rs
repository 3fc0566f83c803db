// SPDX-License-Identifier: MPL-2.0
//! `view(model) -> AppView`: the model drawn as the shells show it. Pure.
//!
//! - `round.rs`: the day's round, grouped by home / facility floor, with the
//!   visited marks, the next patient and the cards out of safekeeping;
//! - `visit.rs`: each step of a visit;
//! - `other.rs`: sign-in, reception guidance, the queue, settings,
//!   enrolment and recovery, the header and the confirmations.

mod other;
mod round;
mod visit;

use chrono::{DateTime, Utc};

use super::model::{Model, Phase, ScreenId};
use super::update::round_can_go_back;
use super::view::{AppView, Screen};

pub(crate) fn view(m: &Model, now: DateTime<Utc>) -> AppView {
    let screen = match &m.phase {
        Phase::Opening => Screen::Opening,
        Phase::Recovery(r) => Screen::Recovery { recovery: other::recovery(r) },
        Phase::Enrol(e) => Screen::Enrol { enrol: other::enrol(e) },
        Phase::Ready => match (m.screen, &m.visit) {
            (ScreenId::Visit, Some(v)) => Screen::Visit { visit: visit::view(m, v) },
            (ScreenId::SignIn, _) => Screen::SignIn { sign_in: other::sign_in(m) },
            (ScreenId::Reception, _) => Screen::Reception { reception: other::reception(m) },
            (ScreenId::Queue, _) => Screen::Queue { queue: other::queue(m) },
            (ScreenId::Settings, _) => Screen::Settings { settings: other::settings(m) },
            _ => Screen::Round { round: round::view(m, now) },
        },
    };
    let ready = matches!(m.phase, Phase::Ready);
    let visit_open = ready && matches!(screen, Screen::Visit { .. });
    // Patient data, the chip photo, staff names and a sign-in code being
    // typed, the clinic's reasons for refused records.
    let patient_data = matches!(
        screen,
        Screen::Round { .. }
            | Screen::Visit { .. }
            | Screen::Reception { .. }
            | Screen::SignIn { .. }
            | Screen::Queue { .. }
    );
    AppView {
        revision: m.revision,
        header: other::header(m, &screen),
        notice: m.notice.clone(),
        confirmation: other::confirmation(m),
        can_go_back: round_can_go_back(m),
        reader_mode: visit_open,
        protect_screen: patient_data,
        nfc: other::nfc(m),
        screen,
    }
}
