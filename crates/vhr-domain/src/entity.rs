//! The kinds of thing the record keeps, each with a version and a history:
//! one name per kind, shared by the store (its `entity` columns), sync (what
//! travels to the platform) and the screens.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// The install's clinic profile.
    Clinic,
    /// A user account.
    User,
    /// A resident's record: the cover and the personal basic information.
    Resident,
    Household,
    /// A filled-in form other than the personal basic information.
    ServiceRecord,
    /// A registration in a programme, and its end.
    ProgramEpisode,
}

impl Entity {
    /// The entities that travel to the platform, in the order a full export writes them.
    pub const SYNCED: [Entity; 4] = [Entity::Resident, Entity::Household, Entity::ServiceRecord, Entity::ProgramEpisode];

    /// The name stored in the database and sent to the window.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Clinic => "clinic",
            Entity::User => "user",
            Entity::Resident => "resident",
            Entity::Household => "household",
            Entity::ServiceRecord => "service_record",
            Entity::ProgramEpisode => "program_episode",
        }
    }

    /// The entity a stored name stands for.
    pub fn parse(name: &str) -> Option<Entity> {
        [Entity::Clinic, Entity::User, Entity::Resident, Entity::Household, Entity::ServiceRecord, Entity::ProgramEpisode]
            .into_iter()
            .find(|e| e.as_str() == name)
    }

    /// Whether its changes go to the platform (the clinic and users stay local).
    pub fn is_synced(self) -> bool {
        Entity::SYNCED.contains(&self)
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_name_reads_back_as_its_entity_and_matches_its_json() {
        for e in [Entity::Clinic, Entity::User, Entity::Resident, Entity::Household, Entity::ServiceRecord, Entity::ProgramEpisode] {
            assert_eq!(Entity::parse(e.as_str()), Some(e), "the database name of {e:?} must read back");
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::Value::String(e.as_str().into()),
                "the window receives the same name the database stores"
            );
        }
        assert_eq!(Entity::parse("patient"), None, "an unknown name is no entity");
    }
}
