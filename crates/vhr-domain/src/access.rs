//! Who may see and change which residents (spec §9.6, issue #12).
//!
//! A village doctor sees the residents of the villages assigned to them; a
//! township supervisor sees every village of the install (the township's
//! catchment when it is set up for a township hospital), records their own
//! services and supervision notes, but does not register residents or edit
//! their personal basic information; an administrator runs the install
//! (accounts, settings, serial blocks, backups) and sees everything. The
//! background sync acts for the install itself and sees everything.
//!
//! These are the rules; the store applies them to every read and write, so
//! no screen, command or export can go around them.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Doctor,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Doctor, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "doctor",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether accounts of this role are limited to their assigned villages.
    pub fn has_villages(self) -> bool {
        self == Role::Doctor
    }
}

/// Which residents an actor reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Every resident on this install.
    Everything,
    /// Residents whose village (the record number's 3-digit segment) is one
    /// of these. Codes that are not three digits are dropped when the reach
    /// is made, so a reach never holds anything but digits.
    Villages(Vec<String>),
}

impl Reach {
    pub fn villages<I, S>(codes: I) -> Reach
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut codes: Vec<String> = codes.into_iter().map(Into::into).filter(|c| is_village_code(c)).collect();
        codes.sort();
        codes.dedup();
        Reach::Villages(codes)
    }

    pub fn includes(&self, village_code: &str) -> bool {
        match self {
            Reach::Everything => true,
            Reach::Villages(codes) => codes.iter().any(|c| c == village_code),
        }
    }
}

/// What an actor may do: their role (none for the install's own background
/// work) and the residents they reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub role: Option<Role>,
    pub reach: Reach,
}

impl Access {
    /// The install's own work (the background sync): everything.
    pub fn install() -> Access {
        Access { role: None, reach: Reach::Everything }
    }

    /// A signed-in account's access from its role and assigned villages.
    pub fn of_account(role: Role, villages: &[String]) -> Access {
        let reach = if role.has_villages() { Reach::villages(villages.iter().cloned()) } else { Reach::Everything };
        Access { role: Some(role), reach }
    }

    pub fn sees(&self, village_code: &str) -> bool {
        self.reach.includes(village_code)
    }

    /// Registering a resident or editing their personal basic information.
    pub fn may_edit_resident(&self, village_code: &str) -> bool {
        self.role != Some(Role::Supervisor) && self.sees(village_code)
    }

    /// Recording a service (a visit, a follow-up, a supervision note).
    pub fn may_record_service(&self, village_code: &str) -> bool {
        self.sees(village_code)
    }
}

fn is_village_code(c: &str) -> bool {
    c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_village_doctor_reaches_only_their_villages() {
        let a = Access::of_account(Role::Doctor, &["002".into(), "001".into()]);
        assert!(a.sees("001") && a.sees("002"), "both assigned villages are in reach");
        assert!(!a.sees("003"), "a village not assigned is out of reach");
        assert!(a.may_edit_resident("001"));
        assert!(!a.may_edit_resident("003"), "nor may they register there");
    }

    #[test]
    fn a_supervisor_sees_every_village_but_records_only_services() {
        let a = Access::of_account(Role::Supervisor, &[]);
        assert!(a.sees("009"), "the township's view: every village");
        assert!(a.may_record_service("009"));
        assert!(!a.may_edit_resident("009"), "registration stays with the village doctors and administrators");
    }

    #[test]
    fn a_reach_keeps_only_three_digit_codes() {
        // The store writes a reach into SQL as literals: nothing but digits may pass.
        assert_eq!(Reach::villages(["001", "1' OR 1=1 --", "01", "001", "abc"]), Reach::Villages(vec!["001".into()]));
    }

    #[test]
    fn roles_round_trip_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
