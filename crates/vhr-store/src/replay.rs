//! Replay (issue #13): after a damaged or unwanted database is replaced by a
//! backup, what the replaced file recorded and never sent to the platform
//! is written again into the restored one. The platform gives back what was
//! sent; this gives back the rest, as far as the replaced file still reads.
//!
//! Each entity whose last change waits in the replaced file's outbox comes
//! across as its latest content, saved once more as a new version here (by
//! whoever restores, with the changes it makes in its history) and queued to
//! be sent. The intermediate versions stay in the replaced file, which is
//! kept. An entity here whose history is not the replaced file's (it
//! changed here since) is not overwritten: it is counted as different, for a
//! person to look at.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_domain::forms::FormValues;
use vhr_domain::programs::Episode;
use vhr_domain::resident::{RemoteResident, Resident};
use vhr_domain::time::Moment;

use crate::services::NewService;
use crate::{Actor, Result, Store, StoreError};

/// One entity's unsent change, read from a replaced file: its latest
/// content, and every version's, to tell whether the history here is the same.
#[derive(Debug, Clone)]
pub struct UnsentChange {
    pub entity: Entity,
    pub entity_id: String,
    pub version: i64,
    snapshots: BTreeMap<i64, Value>,
}

/// What came of replaying one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// Saved here and queued to be sent.
    Written,
    /// This database has that version already (it came back from the platform).
    AlreadyHere,
    /// It changed here since, differently: left for a person to compare.
    Different,
}

/// What a replay did, for the person restoring and the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ReplayCounts {
    pub written: usize,
    pub already_here: usize,
    pub different: usize,
    /// Changes the replaced file could not give (damaged pages, unreadable rows).
    pub unreadable: usize,
    /// Record numbers issued there, reserved here so they are never issued twice.
    pub numbers_reserved: usize,
}

#[derive(Deserialize)]
struct ServiceSnapshot {
    id: String,
    resident_id: String,
    form_id: String,
    form_version: u32,
    service_date: NaiveDate,
    next_date: Option<NaiveDate>,
    data: FormValues,
}

#[derive(Deserialize)]
struct EpisodeSnapshot {
    #[serde(flatten)]
    episode: Episode,
    resident_id: String,
}

#[derive(Deserialize)]
struct HouseholdSnapshot {
    id: String,
    village_code: String,
    address: String,
}

/// Households first (residents name them), then residents, then what hangs off residents.
fn order(entity: Entity) -> u8 {
    match entity {
        Entity::Household => 0,
        Entity::Resident => 1,
        Entity::ProgramEpisode => 2,
        _ => 3,
    }
}

fn table(entity: Entity) -> Option<&'static str> {
    match entity {
        Entity::Resident => Some("resident"),
        Entity::Household => Some("household"),
        Entity::ServiceRecord => Some("service_record"),
        Entity::ProgramEpisode => Some("program_episode"),
        _ => None,
    }
}

impl Store {
    /// Every change this database recorded and the platform has not
    /// received (waiting, held back or in conflict), one per entity, in the
    /// order they can be written elsewhere; and how many could not be read.
    pub fn unsent_changes(&self) -> Result<(Vec<UnsentChange>, usize)> {
        let mut stmt = self.conn.prepare(
            "SELECT entity, entity_id, max(version) FROM outbox
             WHERE state IN ('pending', 'quarantined', 'conflict')
               AND entity IN ('resident', 'household', 'service_record', 'program_episode')
             GROUP BY entity, entity_id ORDER BY min(seq)",
        )?;
        let rows: Vec<(String, String, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        let mut unreadable = 0;
        for (entity, entity_id, version) in rows {
            match self.snapshots_of(&entity, &entity_id) {
                Ok(snapshots) if snapshots.contains_key(&version) => {
                    let entity = Entity::parse(&entity).ok_or_else(|| StoreError::Corrupt(format!("entity {entity}")))?;
                    out.push(UnsentChange { entity, entity_id, version, snapshots });
                }
                _ => unreadable += 1,
            }
        }
        out.sort_by_key(|c| order(c.entity));
        Ok((out, unreadable))
    }

    fn snapshots_of(&self, entity: &str, id: &str) -> Result<BTreeMap<i64, Value>> {
        let mut stmt = self.conn.prepare_cached("SELECT version, snapshot FROM change_log WHERE entity = ?1 AND entity_id = ?2")?;
        let rows = stmt.query_map(params![entity, id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (version, snapshot) = row?;
            out.insert(version, serde_json::from_str(&snapshot)?);
        }
        Ok(out)
    }

    /// Every record number this database has issued or seen, with its resident.
    pub fn issued_numbers(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare("SELECT record_no, resident_id FROM issued_number")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl crate::Batch<'_> {
    /// Reserves record numbers another copy issued, so none is issued again here.
    pub fn reserve_numbers(&mut self, numbers: &[(String, String)], at: Moment) -> Result<usize> {
        let mut n = 0;
        for (record_no, resident_id) in numbers {
            let new = self.tx.execute(
                "INSERT OR IGNORE INTO issued_number (record_no, resident_id, issued_at) VALUES (?1, ?2, ?3)",
                params![record_no, resident_id, crate::ts(at)],
            )?;
            n += new;
        }
        Ok(n)
    }

    /// Writes one unsent change from a replaced file into this database, as
    /// a new version queued to be sent, unless this database has it already
    /// or went its own way since.
    pub fn replay(&mut self, actor: &Actor, change: &UnsentChange, at: Moment) -> Result<Replayed> {
        let Some(table) = table(change.entity) else { return Ok(Replayed::Different) };
        let here: Option<i64> =
            self.tx.query_row(&format!("SELECT version FROM {table} WHERE id = ?1"), [&change.entity_id], |r| r.get(0)).optional()?;
        if let Some(here) = here {
            let snapshot_here: Option<Value> = self
                .tx
                .query_row(
                    "SELECT snapshot FROM change_log WHERE entity = ?1 AND entity_id = ?2 AND version = ?3",
                    params![change.entity.as_str(), change.entity_id, here.min(change.version)],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(|s| serde_json::from_str(&s))
                .transpose()?;
            let same_history = snapshot_here.is_some() && snapshot_here.as_ref() == change.snapshots.get(&here.min(change.version));
            if !same_history {
                return Ok(Replayed::Different);
            }
            if here >= change.version {
                return Ok(if here == change.version { Replayed::AlreadyHere } else { Replayed::Different });
            }
        }
        let latest = change.snapshots[&change.version].clone();
        match change.entity {
            // A household changes only through its members, who come as residents.
            Entity::Household if here.is_some() => return Ok(Replayed::Different),
            Entity::Household => {
                let h: HouseholdSnapshot = serde_json::from_value(latest)?;
                self.create_household(actor, &h.id, &h.village_code, &h.address, at)?;
            }
            Entity::Resident => {
                let r: Resident = serde_json::from_value(latest)?;
                let remote = RemoteResident {
                    id: r.id,
                    record_no: r.record_no,
                    data: r.data,
                    household: r.household,
                    status: r.status,
                    institution: r.institution,
                    managed_by: r.managed_by,
                    closure: r.closure,
                    reopened: r.reopened,
                    merged_from: r.merged_from,
                };
                self.put_resident_copy(actor, remote, None, at)?;
            }
            Entity::ServiceRecord => {
                let s: ServiceSnapshot = serde_json::from_value(latest)?;
                let new = NewService {
                    id: s.id,
                    resident_id: s.resident_id,
                    form_id: s.form_id,
                    form_version: s.form_version,
                    service_date: s.service_date,
                    next_date: s.next_date,
                    data: s.data,
                };
                self.put_service_copy(actor, new, None, at)?;
            }
            Entity::ProgramEpisode => {
                let e: EpisodeSnapshot = serde_json::from_value(latest)?;
                self.put_episode_copy(actor, &e.resident_id, e.episode, None, at)?;
            }
            _ => return Ok(Replayed::Different),
        }
        Ok(Replayed::Written)
    }
}
