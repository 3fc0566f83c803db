// SPDX-License-Identifier: MPL-2.0
//! Which patients a staff member may act on: what the console shows them
//! and whose rounds they may plan. 管理者, 事務 and 医師 act for the whole
//! clinic. A 看護師 acts on the patients the clinic gave her (its care
//! team, `db/care_team.rs`) and on her own work: she sees their visits and
//! her own, and plans rounds only for herself (her phones, or all of
//! them), only with her patients. What is outside is refused, and the
//! refusal is an audit entry (`admin::plan_stops`, the console).

use std::collections::BTreeSet;

use crate::db::rounds::{Stop, ANY_DEVICE};
use crate::db::staff::{Role, Staff};
use crate::db::{care_team, devices, visits, Conn, DbResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The whole clinic.
    Clinic,
    /// A nurse: her own work and her patients.
    Own { staff_id: String, patients: BTreeSet<String> },
}

impl Reach {
    pub fn of(c: Conn<'_>, staff: &Staff) -> DbResult<Reach> {
        Ok(match staff.role {
            Role::Admin | Role::Clerk | Role::Doctor => Reach::Clinic,
            Role::Nurse => Reach::Own {
                staff_id: staff.staff_id.clone(),
                patients: care_team::patients_of(c, &staff.staff_id)?,
            },
        })
    }

    pub fn patient(&self, patient_id: &str) -> bool {
        match self {
            Reach::Clinic => true,
            Reach::Own { patients, .. } => patients.contains(patient_id),
        }
    }

    pub fn staff(&self, staff_id: &str) -> bool {
        match self {
            Reach::Clinic => true,
            Reach::Own { staff_id: me, .. } => me == staff_id,
        }
    }

    /// A visit: one she made, or one for her patients.
    pub fn visit(&self, v: &visits::Row) -> bool {
        self.staff(&v.staff_id) || v.patient_id.as_deref().is_some_and(|p| self.patient(p))
    }

    /// A stop she may see or take off: her own.
    pub fn stop(&self, s: &Stop) -> bool {
        self.staff(&s.staff_id)
    }

    /// Why `stop` may not be planned by this reach, if it may not: only
    /// for herself, on her own phones, with her patients.
    pub fn may_plan(&self, c: Conn<'_>, stop: &Stop) -> DbResult<Result<(), &'static str>> {
        let Reach::Own { staff_id, .. } = self else { return Ok(Ok(())) };
        if &stop.staff_id != staff_id {
            return Ok(Err("看護師は自分の訪問予定だけを組めます。"));
        }
        if stop.device_id != ANY_DEVICE {
            let mine = devices::list(c)?
                .iter()
                .any(|d| d.device_id == stop.device_id && &d.staff_id == staff_id);
            if !mine {
                return Ok(Err("自分の端末だけを選べます。"));
            }
        }
        if !self.patient(&stop.patient_id) {
            return Ok(Err(
                "担当になっていない患者は予定に入れられません。担当は管理者・事務・医師が患者の画面で決めます。",
            ));
        }
        Ok(Ok(()))
    }
}
