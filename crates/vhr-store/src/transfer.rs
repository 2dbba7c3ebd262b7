//! Transfers between institutions (issue #13, spec §9.3): the record
//! follows its resident. What leaves is every version of the resident, of
//! their service records and of their programme episodes, exactly as the
//! history holds them, with the trail of who saw and changed them. What
//! arrives is written as that history (each version vouched for by an
//! audit entry of the person who took it in), then placed in a village
//! here by a version of the receiving institution's own.
//!
//! A record that comes back (moved away, then back again) already holds
//! the first part of that history: the versions both have must be the same,
//! and only the later ones are brought in.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vhr_domain::entity::Entity;
use vhr_domain::resident::Resident;
use vhr_domain::time::Moment;

use crate::audit::{append, content_digest, Access};
use crate::residents::{check_unique_id_number, load, put_row};
use crate::{ts, Actor, Result, Store, StoreError};
use crate::{EpisodeRecord, ServiceRecord};

/// One version of an entity, as its history row holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub entity: String,
    pub entity_id: String,
    pub version: i64,
    pub op: String,
    pub user_id: String,
    pub user_name: String,
    pub at: String,
    pub changes: Value,
    pub snapshot: Value,
}

/// One entry of the sending institution's trail about the resident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailRow {
    pub seq: i64,
    pub at: String,
    pub user_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub version: Option<i64>,
}

/// A resident's complete record as it travels to another institution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferRecord {
    pub resident_id: String,
    pub record_no: String,
    /// Every version, in the order they were written.
    pub history: Vec<HistoryRow>,
    pub trail: Vec<TrailRow>,
}

/// What a transfer brought in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Brought {
    /// Versions written here (those this database did not have).
    pub versions: usize,
    /// Versions this database had already (a record that came back).
    pub already_here: usize,
    pub services: usize,
}

/// The handover of a transfer at one end, for the transfer log.
pub struct TransferLogEntry<'a> {
    pub direction: &'a str,
    pub resident_id: &'a str,
    pub record_no: &'a str,
    /// The institution at the other end.
    pub counterpart: &'a str,
    pub file_digest: &'a str,
    pub versions: usize,
    /// For a record taken in: the sending institution's trail of it.
    pub trail: Option<&'a [TrailRow]>,
}

/// A record's versions by entity (the resident first, then its episodes,
/// then its service records), oldest first.
type Groups<'r> = BTreeMap<(u8, String, String), Vec<&'r HistoryRow>>;

fn bad(why: impl Into<String>) -> StoreError {
    StoreError::Corrupt(format!("transfer: {}", why.into()))
}

impl TransferRecord {
    /// The resident as the latest version in the record has them.
    pub fn resident(&self) -> Result<Resident> {
        let latest = self
            .history
            .iter()
            .filter(|h| h.entity == Entity::Resident.as_str() && h.entity_id == self.resident_id)
            .max_by_key(|h| h.version)
            .ok_or_else(|| bad("the record holds no version of its resident"))?;
        Ok(serde_json::from_value(latest.snapshot.clone())?)
    }

    /// The service records it holds.
    pub fn service_count(&self) -> usize {
        let mut ids: Vec<&str> =
            self.history.iter().filter(|h| h.entity == Entity::ServiceRecord.as_str()).map(|h| h.entity_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// Each entity's versions, oldest first; refused unless every entity
    /// is the resident or theirs, and its versions run 1, 2, 3 … without a gap.
    fn by_entity(&self) -> Result<Groups<'_>> {
        let mut out = Groups::new();
        for h in &self.history {
            let order = match Entity::parse(&h.entity) {
                Some(Entity::Resident) if h.entity_id == self.resident_id => 0,
                Some(Entity::ProgramEpisode) => 1,
                Some(Entity::ServiceRecord) => 2,
                _ => return Err(bad(format!("{} {} is not part of this resident's record", h.entity, h.entity_id))),
            };
            out.entry((order, h.entity.clone(), h.entity_id.clone())).or_default().push(h);
        }
        for ((_, entity, id), rows) in out.iter_mut() {
            rows.sort_by_key(|h| h.version);
            if rows.iter().enumerate().any(|(i, h)| h.version != i as i64 + 1) {
                return Err(bad(format!("the versions of {entity} {id} do not run from 1 without a gap")));
            }
            let last = rows.last().expect("a group has a row").snapshot.get("resident_id").and_then(Value::as_str);
            if *entity != Entity::Resident.as_str() && last != Some(self.resident_id.as_str()) {
                return Err(bad(format!("{entity} {id} belongs to another resident")));
            }
        }
        if !out.keys().any(|(order, _, _)| *order == 0) {
            return Err(bad("the record holds no version of its resident"));
        }
        Ok(out)
    }
}

impl Store {
    /// A resident's complete record, to go to another institution.
    pub fn transfer_record(&self, actor: &Actor, resident_id: &str) -> Result<TransferRecord> {
        crate::access::require_reach(&self.conn, actor, resident_id)?;
        let record_no: String = self
            .conn
            .query_row("SELECT record_no FROM resident WHERE id = ?1", [resident_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { entity: Entity::Resident, id: resident_id.into() })?;
        let mut stmt = self.conn.prepare(
            "SELECT entity, entity_id, version, op, user_id, user_name, at, changes, snapshot FROM change_log
             WHERE (entity = 'resident' AND entity_id = ?1)
                OR (entity = 'service_record' AND entity_id IN (SELECT id FROM service_record WHERE resident_id = ?1))
                OR (entity = 'program_episode' AND entity_id IN (SELECT id FROM program_episode WHERE resident_id = ?1))
             ORDER BY seq",
        )?;
        let rows = stmt.query_map([resident_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        let mut history = Vec::new();
        for row in rows {
            let (entity, entity_id, version, op, user_id, user_name, at, changes, snapshot) = row?;
            let (changes, snapshot) = (serde_json::from_str(&changes)?, serde_json::from_str(&snapshot)?);
            history.push(HistoryRow { entity, entity_id, version, op, user_id, user_name, at, changes, snapshot });
        }
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at, user_name, action, entity, entity_id, version FROM audit_log WHERE resident_id = ?1 ORDER BY seq")?;
        let trail = stmt
            .query_map([resident_id], |r| {
                Ok(TrailRow {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    user_name: r.get(2)?,
                    action: r.get(3)?,
                    entity: r.get(4)?,
                    entity_id: r.get(5)?,
                    version: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(TransferRecord { resident_id: resident_id.into(), record_no, history, trail })
    }
}

impl crate::Batch<'_> {
    /// Writes the history a transfer brings: every version this database
    /// lacks, each with an audit entry of `actor` vouching for it, and the
    /// rows as the latest versions have them. The service records and
    /// episodes are queued to be sent from here; the resident is left as the
    /// file has it, for the caller to place here with a version of its own.
    pub fn bring_in(&mut self, actor: &Actor, record: &TransferRecord, at: Moment) -> Result<Brought> {
        let groups = record.by_entity()?;
        let resident = record.resident()?;
        if resident.id != record.resident_id || resident.record_no != record.record_no {
            return Err(bad("the resident's latest version is not the record's"));
        }
        let tx = &self.tx;
        // One person, one record, one number: the person registered here
        // meanwhile is merged by hand, never overwritten.
        check_unique_id_number(tx, actor, &resident.data, &resident.id)?;
        if let Some(holder) = load(tx, "record_no = ?1", &resident.record_no)?.filter(|h| h.id != resident.id) {
            return Err(StoreError::RecordNumberTaken { record_no: resident.record_no, resident_id: holder.id, name: holder.data.name });
        }
        let mut brought = Brought { services: record.service_count(), ..Brought::default() };
        let at_text = ts(at);
        for ((_, entity_name, id), rows) in &groups {
            let entity = Entity::parse(entity_name).expect("checked by by_entity");
            let here: BTreeMap<i64, Value> = {
                let mut stmt = tx.prepare_cached("SELECT version, snapshot FROM change_log WHERE entity = ?1 AND entity_id = ?2")?;
                let rows = stmt.query_map(params![entity_name, id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
                let mut out = BTreeMap::new();
                for row in rows {
                    let (v, s) = row?;
                    out.insert(v, serde_json::from_str(&s)?);
                }
                out
            };
            let mut new_rows = 0;
            for h in rows {
                match here.get(&h.version) {
                    Some(mine) if *mine == h.snapshot => brought.already_here += 1,
                    Some(_) => return Err(StoreError::TransferDiverged { entity, id: id.clone(), version: h.version }),
                    None => {
                        let (changes, snapshot) = (serde_json::to_string(&h.changes)?, serde_json::to_string(&h.snapshot)?);
                        tx.prepare_cached(
                            "INSERT INTO change_log (entity, entity_id, version, op, user_id, user_name, at, changes, snapshot)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        )?
                        .execute(params![
                            entity_name,
                            id,
                            h.version,
                            h.op,
                            h.user_id,
                            h.user_name,
                            h.at,
                            changes,
                            snapshot
                        ])?;
                        let digest = content_digest(&changes, &snapshot);
                        let access = Access {
                            action: "transferred",
                            entity,
                            entity_id: id,
                            resident_id: Some(&record.resident_id),
                            version: Some(h.version),
                            content: Some(&digest),
                        };
                        append(tx, actor, &at_text, access)?;
                        new_rows += 1;
                    }
                }
            }
            // This database has a version the file has not: it went its own way.
            if here.keys().any(|v| *v > rows.len() as i64) {
                return Err(StoreError::TransferDiverged { entity, id: id.clone(), version: rows.len() as i64 + 1 });
            }
            if new_rows == 0 {
                continue;
            }
            brought.versions += new_rows;
            let latest = &rows.last().expect("a group has a row").snapshot;
            match entity {
                Entity::Resident => {
                    crate::serial_blocks::note_arrived(tx, &self.profile, &resident.record_no, &resident.id, at)?;
                    put_row(tx, &resident, at)?;
                }
                Entity::ServiceRecord => {
                    put_service_row(tx, serde_json::from_value(latest.clone())?)?;
                    queue(tx, entity, id, rows.len() as i64, &at_text)?;
                }
                Entity::ProgramEpisode => {
                    put_episode_row(tx, serde_json::from_value(latest.clone())?)?;
                    queue(tx, entity, id, rows.len() as i64, &at_text)?;
                }
                _ => unreachable!("by_entity lets only the resident's own entities through"),
            }
        }
        crate::programs::refresh(tx, &resident.id, Some(at.today()))?;
        Ok(brought)
    }

    /// Places a record taken in: in a village of this clinic, out of any
    /// household of the institution it came from, managed here.
    pub fn place_transferred(&mut self, actor: &Actor, id: &str, village_code: &str, at: Moment) -> Result<Resident> {
        let before = load(&self.tx, "id = ?1", &id)?.ok_or_else(|| StoreError::NotFound { entity: Entity::Resident, id: id.into() })?;
        crate::access::check_edit(actor, village_code, id)?;
        let mut after = before.clone();
        after.data.village_code = village_code.to_string();
        after.household = None;
        let here = &self.profile.institution_name;
        after.managed_by = if *here == after.institution { String::new() } else { here.clone() };
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        crate::residents::write_resident(&self.tx, actor, Some(&before), &after, at)?;
        Ok(after)
    }

    /// Records the handover of a transfer, with its audit entry.
    pub fn log_transfer(&mut self, actor: &Actor, h: TransferLogEntry<'_>, at: Moment) -> Result<()> {
        let at = ts(at);
        let trail = h.trail.map(serde_json::to_string).transpose()?;
        self.tx.execute(
            "INSERT INTO transfer_log (direction, resident_id, record_no, counterpart, file_digest, versions, user_id, user_name, at, audit)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![h.direction, h.resident_id, h.record_no, h.counterpart, h.file_digest, h.versions as i64, actor.user_id, actor.name, at, trail],
        )?;
        let action = if h.direction == "out" { "transfer-out" } else { "transfer-in" };
        let access = Access {
            action,
            entity: Entity::Resident,
            entity_id: h.resident_id,
            resident_id: Some(h.resident_id),
            version: None,
            content: Some(h.file_digest),
        };
        append(&self.tx, actor, &at, access)
    }
}

fn queue(tx: &rusqlite::Transaction<'_>, entity: Entity, id: &str, version: i64, at: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (entity, entity_id, version, op, created_at, state) VALUES (?1, ?2, ?3, 'update', ?4, 'pending')",
    )?
    .execute(params![entity.as_str(), id, version, at])?;
    Ok(())
}

fn put_service_row(tx: &rusqlite::Transaction<'_>, s: ServiceRecord) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO service_record (id, version, resident_id, form_id, form_version, service_date, next_date, data,
             created_by, created_at, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(id) DO UPDATE SET version = excluded.version, resident_id = excluded.resident_id, form_id = excluded.form_id,
             form_version = excluded.form_version, service_date = excluded.service_date, next_date = excluded.next_date,
             data = excluded.data, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )?
    .execute(params![
        s.id,
        s.version,
        s.resident_id,
        s.form_id,
        s.form_version,
        s.service_date.to_string(),
        s.next_date.map(|d| d.to_string()),
        serde_json::to_string(&s.data)?,
        s.created_by,
        ts(s.created_at),
        s.updated_by,
        ts(s.updated_at)
    ])?;
    Ok(())
}

fn put_episode_row(tx: &rusqlite::Transaction<'_>, e: EpisodeRecord) -> Result<()> {
    let ep = e.episode;
    tx.prepare_cached(
        "INSERT INTO program_episode (id, resident_id, program, version, started_on, details, ended_on, end_reason, end_note,
             created_by, created_at, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT(id) DO UPDATE SET resident_id = excluded.resident_id, version = excluded.version, details = excluded.details,
             ended_on = excluded.ended_on, end_reason = excluded.end_reason, end_note = excluded.end_note,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )?
    .execute(params![
        ep.id,
        e.resident_id,
        ep.program.code(),
        e.version,
        ep.started_on.to_string(),
        serde_json::to_string(&ep.details)?,
        ep.ended_on.map(|d| d.to_string()),
        ep.end_reason,
        ep.end_note,
        e.created_by,
        ts(e.created_at),
        e.updated_by,
        ts(e.updated_at)
    ])?;
    Ok(())
}
