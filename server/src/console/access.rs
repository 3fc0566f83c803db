// SPDX-License-Identifier: MPL-2.0
//! What each role may open in the console: [`allowed`], one table, read
//! by the navigation (`layout.rs`) and by the [`Can`](super::auth::Can)
//! extractor every handler asks for its permission with (`auth.rs`). The
//! permissions are also types ([`perm`]), so that a handler's signature
//! says what it needs: `Can<perm::PlanRounds>`.

use crate::db::staff::Role;

/// A permission as a type.
pub trait Permission: Send + Sync + 'static {
    const PERM: Perm;
}

/// Declares [`Perm`] and, in [`perm`], a type for each of its values.
macro_rules! permissions {
    ($($name:ident => $wire:literal),* $(,)?) => {
        /// What a part of the console needs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Perm {
            $($name),*
        }

        impl Perm {
            /// As the audit trail names it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Perm::$name => $wire),*
                }
            }
        }

        /// The permissions as types, for [`Can`](super::auth::Can).
        pub mod perm {
            $(
                #[derive(Debug)]
                pub struct $name;
                impl super::Permission for $name {
                    const PERM: super::Perm = super::Perm::$name;
                }
            )*
        }
    };
}

permissions! {
    ViewVisits => "view-visits",
    PlanRounds => "plan-rounds",
    ManagePatients => "manage-patients",
    FollowUps => "follow-ups",
    Export => "export",
    ManageDevices => "manage-devices",
    ViewAudit => "view-audit",
    ManageStaff => "manage-staff",
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

    #[test]
    fn each_role_may_do_exactly_its_part() {
        use Perm::*;
        let all = [
            ViewVisits,
            PlanRounds,
            ManagePatients,
            FollowUps,
            Export,
            ManageDevices,
            ViewAudit,
            ManageStaff,
        ];
        let may = |role| all.into_iter().filter(|p| allowed(role, *p)).collect::<Vec<_>>();
        assert_eq!(may(Role::Admin), all);
        assert_eq!(may(Role::Clerk), [ViewVisits, PlanRounds, ManagePatients, FollowUps, Export]);
        assert_eq!(may(Role::Doctor), [ViewVisits, PlanRounds, ManagePatients, FollowUps]);
        assert_eq!(may(Role::Nurse), [ViewVisits, PlanRounds]);
    }
}
