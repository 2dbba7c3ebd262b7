//! Where the access rules of `vhr_domain::access` meet SQL.
//!
//! Every resident read narrows its query with [`reach`] (or
//! [`resident_reach`] for rows that hang off a resident), and every write
//! checks the resident's village with [`check_edit`] or [`check_service`]
//! first. A resident out of reach reads as not there at all: a search, a
//! direct record number or ID number, a history or a card finds nothing, so
//! nothing says that the person exists in another village.

use vhr_domain::access::{Access, Reach, Role};
use vhr_domain::entity::Entity;

use crate::{Actor, Result, StoreError, User};

impl Actor {
    /// The install's own work (the background sync): reaches everything.
    pub fn install(user_id: &str, name: &str) -> Actor {
        Actor { user_id: user_id.into(), name: name.into(), access: Access::install() }
    }

    /// A signed-in account, with the role and villages stored for it. An
    /// unknown role reaches nothing.
    pub fn account(user: &User) -> Actor {
        let access = match Role::parse(&user.role) {
            Some(role) => Access::of_account(role, &user.villages),
            None => Access { role: Some(Role::Doctor), reach: Reach::Villages(Vec::new()) },
        };
        Actor { user_id: user.id.clone(), name: user.display_name.clone(), access }
    }
}

/// An SQL condition true where `column` (a village code) is in the actor's
/// reach. The codes are three digits each (see `Reach::villages`), so they
/// are safe to write as literals, and the statement cache keeps one plan per
/// reach.
pub(crate) fn reach(actor: &Actor, column: &str) -> String {
    match &actor.access.reach {
        Reach::Everything => "1".into(),
        Reach::Villages(codes) if codes.is_empty() => "0".into(),
        Reach::Villages(codes) => {
            let list: Vec<String> = codes.iter().map(|c| format!("'{c}'")).collect();
            format!("{column} IN ({})", list.join(", "))
        }
    }
}

/// The same for rows that name a resident by id (`column`).
pub(crate) fn resident_reach(actor: &Actor, column: &str) -> String {
    match &actor.access.reach {
        Reach::Everything => "1".into(),
        _ => format!("{column} IN (SELECT id FROM resident WHERE {})", reach(actor, "village_code")),
    }
}

/// Registering a resident in, or moving their record to, `village_code`, or
/// editing their personal basic information there.
pub(crate) fn check_edit(actor: &Actor, village_code: &str, resident_id: &str) -> Result<()> {
    if actor.access.may_edit_resident(village_code) {
        return Ok(());
    }
    Err(StoreError::Forbidden { entity: Entity::Resident, id: resident_id.into() })
}

/// Recording a service for, or changing a programme of, a resident: they
/// must be in the actor's reach. Out of reach is not there, for writes as for reads.
pub(crate) fn require_reach(conn: &rusqlite::Connection, actor: &Actor, resident_id: &str) -> Result<()> {
    if actor.access.reach == Reach::Everything {
        return Ok(());
    }
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT 1 FROM resident WHERE id = ?1 AND {}", reach(actor, "village_code"));
    match conn.prepare_cached(&sql)?.query_row([resident_id], |_| Ok(())).optional()? {
        Some(()) => Ok(()),
        None => Err(StoreError::NotFound { entity: Entity::Resident, id: resident_id.into() }),
    }
}

/// Whether an entity of any kind is in the actor's reach: a resident by
/// their village, a household by its village, a service record or a
/// programme episode by its resident. The clinic profile and the accounts
/// are the install's own, not a resident's.
pub(crate) fn entity_in_reach(conn: &rusqlite::Connection, actor: &Actor, entity: Entity, id: &str) -> Result<bool> {
    if actor.access.reach == Reach::Everything {
        return Ok(true);
    }
    let sql = match entity {
        Entity::Clinic | Entity::User => return Ok(true),
        Entity::Resident => format!("SELECT 1 FROM resident WHERE id = ?1 AND {}", reach(actor, "village_code")),
        Entity::Household => format!("SELECT 1 FROM household WHERE id = ?1 AND {}", reach(actor, "village_code")),
        Entity::ServiceRecord => format!("SELECT 1 FROM service_record WHERE id = ?1 AND {}", resident_reach(actor, "resident_id")),
        Entity::ProgramEpisode => format!("SELECT 1 FROM program_episode WHERE id = ?1 AND {}", resident_reach(actor, "resident_id")),
    };
    use rusqlite::OptionalExtension;
    Ok(conn.prepare_cached(&sql)?.query_row([id], |_| Ok(())).optional()?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doctor(villages: &[&str]) -> Actor {
        Actor {
            user_id: "u".into(),
            name: "李".into(),
            access: Access::of_account(Role::Doctor, &villages.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        }
    }

    #[test]
    fn reach_is_written_as_digit_literals_only() {
        assert_eq!(reach(&doctor(&["002", "001"]), "r.village_code"), "r.village_code IN ('001', '002')");
        assert_eq!(reach(&doctor(&[]), "r.village_code"), "0", "a doctor with no villages reaches no one");
        assert_eq!(reach(&Actor::install("sync", "平台同步"), "r.village_code"), "1");
    }
}
