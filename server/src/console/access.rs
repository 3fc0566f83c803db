// SPDX-License-Identifier: MPL-2.0
//! What each role may open in the console: [`allowed`], one table, read
//! by the navigation (`layout.rs`) and by the [`Can`](super::auth::Can)
//! extractor every handler asks for its permission with (`auth.rs`). The
//! permissions are also types ([`perm`]), so that a handler's signature
//! says what it needs: `Can<perm::PlanRounds>`.

use crate::db::staff::Role;

/// What a part of the console needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Perm {
    ViewVisits,
    PlanRounds,
    ManagePatients,
    FollowUps,
    Export,
    ManageDevices,
    ViewAudit,
    ManageStaff,
}

impl Perm {
    pub fn as_str(self) -> &'static str {
        match self {
            Perm::ViewVisits => "view-visits",
            Perm::PlanRounds => "plan-rounds",
            Perm::ManagePatients => "manage-patients",
            Perm::FollowUps => "follow-ups",
            Perm::Export => "export",
            Perm::ManageDevices => "manage-devices",
            Perm::ViewAudit => "view-audit",
            Perm::ManageStaff => "manage-staff",
        }
    }
}

/// Which role may do what: 管理者 everything; 事務 the desk's work;
/// 医師 planning and follow-ups; 看護師 the rounds and visits (of her
/// patients: `reach.rs`).
pub fn allowed(role: Role, perm: Perm) -> bool {
    use Perm::*;
    match role {
        Role::Admin => true,
        Role::Clerk => {
            matches!(perm, ViewVisits | PlanRounds | ManagePatients | FollowUps | Export)
        }
        Role::Doctor => matches!(perm, ViewVisits | PlanRounds | ManagePatients | FollowUps),
        Role::Nurse => matches!(perm, ViewVisits | PlanRounds),
    }
}

/// A permission as a type.
pub trait Permission: Send + Sync + 'static {
    const PERM: Perm;
}

/// The permissions as types, for [`Can`](super::auth::Can).
pub mod perm {
    use super::{Perm, Permission};

    macro_rules! perms {
        ($($name:ident),*) => { $(
            #[derive(Debug)]
            pub struct $name;
            impl Permission for $name {
                const PERM: Perm = Perm::$name;
            }
        )* };
    }
    perms!(
        ViewVisits,
        PlanRounds,
        ManagePatients,
        FollowUps,
        Export,
        ManageDevices,
        ViewAudit,
        ManageStaff
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_can_do_only_their_part() {
        for perm in [Perm::ManageDevices, Perm::ViewAudit, Perm::ManageStaff] {
            assert!(allowed(Role::Admin, perm));
            assert!(!allowed(Role::Clerk, perm), "{perm:?}");
            assert!(!allowed(Role::Nurse, perm), "{perm:?}");
        }
        assert!(allowed(Role::Clerk, Perm::Export) && !allowed(Role::Nurse, Perm::Export));
        assert!(
            !allowed(Role::Nurse, Perm::ManagePatients) && !allowed(Role::Nurse, Perm::FollowUps)
        );
        assert_eq!(<perm::FollowUps as Permission>::PERM, Perm::FollowUps);
    }
}
