// SPDX-License-Identifier: MPL-2.0
//! Staff members: who enrols devices, who visits, who is accountable.
//! (Console accounts and passwords are added by the console.)

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

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
    c: &Connection,
    staff_id: &str,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.execute(
        "INSERT INTO staff (staff_id, name, role, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(staff_id) DO UPDATE SET name = excluded.name, role = excluded.role",
        params![staff_id, name, role.as_str(), ts(now)],
    )?;
    Ok(())
}

pub fn get(c: &Connection, staff_id: &str) -> DbResult<Option<Staff>> {
    Ok(c.query_row(
        "SELECT staff_id, name, role, disabled_at IS NOT NULL FROM staff WHERE staff_id = ?1",
        params![staff_id],
        |r| {
            Ok(Staff {
                staff_id: r.get(0)?,
                name: r.get(1)?,
                role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Clerk),
                disabled: r.get(3)?,
            })
        },
    )
    .optional()?)
}

pub fn all(c: &Connection) -> DbResult<Vec<Staff>> {
    let mut st = c.prepare(
        "SELECT staff_id, name, role, disabled_at IS NOT NULL FROM staff ORDER BY staff_id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(Staff {
            staff_id: r.get(0)?,
            name: r.get(1)?,
            role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Clerk),
            disabled: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
