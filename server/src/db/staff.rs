// SPDX-License-Identifier: MPL-2.0
//! Staff members: who enrols devices, who visits, who is accountable.
//! (Console accounts and passwords are added by the console.) A disabled
//! staff member (a leaver) can neither log in to the console nor use a
//! phone enrolled for them, until enabled again.

use super::engine::Conn;
use crate::params;
use chrono::{DateTime, Utc};

use super::{ts, DbResult};

/// A staff member's role (医師 / 看護師 / 事務 / 管理者).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Doctor,
    Nurse,
    Clerk,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "doctor",
            Role::Nurse => "nurse",
            Role::Clerk => "clerk",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "doctor" => Role::Doctor,
            "nurse" => Role::Nurse,
            "clerk" => Role::Clerk,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    pub fn name_ja(self) -> &'static str {
        match self {
            Role::Doctor => "医師",
            Role::Nurse => "看護師",
            Role::Clerk => "事務",
            Role::Admin => "管理者",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub staff_id: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
}

pub fn upsert(
    c: Conn<'_>,
    staff_id: &str,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        &format!(
            "INSERT INTO staff (staff_id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT({}) DO UPDATE SET name = excluded.name, role = excluded.role",
            c.key("staff_id")
        ),
        params![staff_id, name, role.as_str(), ts(now)],
    )?;
    Ok(())
}

fn row(r: &super::engine::Row) -> DbResult<Staff> {
    Ok(Staff {
        staff_id: r.get(0)?,
        name: r.get(1)?,
        role: Role::parse(&r.get::<String>(2)?).unwrap_or(Role::Clerk),
        disabled: r.get(3)?,
    })
}

pub fn get(c: Conn<'_>, staff_id: &str) -> DbResult<Option<Staff>> {
    c.query_opt(
        "SELECT staff_id, name, role, disabled_at IS NOT NULL FROM staff WHERE staff_id = ?1",
        params![staff_id],
        row,
    )
}

pub fn all(c: Conn<'_>) -> DbResult<Vec<Staff>> {
    c.query_all(
        "SELECT staff_id, name, role, disabled_at IS NOT NULL FROM staff ORDER BY staff_id",
        params![],
        row,
    )
}

/// Disables a staff member from `at` (or, with `None`, enables them
/// again). Returns whether they exist. Disabling twice keeps the first time.
pub fn set_disabled(c: Conn<'_>, staff_id: &str, at: Option<DateTime<Utc>>) -> DbResult<bool> {
    Ok(match at {
        Some(at) => {
            c.execute(
                "UPDATE staff SET disabled_at = COALESCE(disabled_at, ?2) WHERE staff_id = ?1",
                params![staff_id, ts(at)],
            )? == 1
        }
        None => {
            c.execute("UPDATE staff SET disabled_at = NULL WHERE staff_id = ?1", params![staff_id])?
                == 1
        }
    })
}
