//! Programme episodes: registrations, programme facts and exits, each change
//! with its history and outbox rows, and the resident's programme state
//! refreshed in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::changes::diff;
use vhr_domain::entity::Entity;
use vhr_domain::forms::FormValues;
use vhr_domain::programs::{Episode, Program};
use vhr_domain::time::Moment;

use crate::history::{record, Recorded};
use crate::{parse_ts, ts, Actor, Result, Store, StoreError};

/// An episode as stored, with who recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EpisodeRecord {
    #[serde(flatten)]
    pub episode: Episode,
    pub resident_id: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// A new episode to store.
pub struct NewEpisode {
    pub id: String,
    pub resident_id: String,
    pub program: Program,
    pub started_on: NaiveDate,
    pub details: FormValues,
}

const COLUMNS: &str =
    "id, resident_id, program, version, started_on, details, ended_on, end_reason, end_note, created_by, created_at, updated_by, updated_at";

fn corrupt(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

fn day(col: usize, s: &str) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| corrupt(col, e))
}

fn decode(r: &Row<'_>) -> rusqlite::Result<EpisodeRecord> {
    let program: String = r.get(2)?;
    let details: String = r.get(5)?;
    let at = |col: usize, s: String| parse_ts(&s).map_err(|e| corrupt(col, e));
    Ok(EpisodeRecord {
        episode: Episode {
            id: r.get(0)?,
            program: Program::from_code(&program).ok_or_else(|| corrupt(2, StoreError::Corrupt(format!("programme {program:?}"))))?,
            started_on: day(4, &r.get::<_, String>(4)?)?,
            details: serde_json::from_str(&details).map_err(|e| corrupt(5, e))?,
            ended_on: r.get::<_, Option<String>>(6)?.map(|s| day(6, &s)).transpose()?,
            end_reason: r.get(7)?,
            end_note: r.get(8)?,
        },
        resident_id: r.get(1)?,
        version: r.get(3)?,
        created_by: r.get(9)?,
        created_at: at(10, r.get(10)?)?,
        updated_by: r.get(11)?,
        updated_at: at(12, r.get(12)?)?,
    })
}

/// The latest episode of a programme for a resident: the one that decides membership.
pub(crate) fn latest(tx: &Transaction<'_>, resident_id: &str, program: Program) -> Result<Option<EpisodeRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM program_episode WHERE resident_id = ?1 AND program = ?2 ORDER BY pk DESC LIMIT 1");
    Ok(tx.prepare_cached(&sql)?.query_row(params![resident_id, program.code()], decode).optional()?)
}

fn by_id(tx: &Transaction<'_>, id: &str) -> Result<EpisodeRecord> {
    let sql = format!("SELECT {COLUMNS} FROM program_episode WHERE id = ?1");
    tx.query_row(&sql, [id], decode).optional()?.ok_or_else(|| StoreError::NotFound { entity: Entity::ProgramEpisode, id: id.into() })
}

fn snapshot(e: &EpisodeRecord) -> Result<Value> {
    Ok(serde_json::to_value(e)?)
}

impl crate::Batch<'_> {
    /// Writes an episode as the platform has it, never queued to be sent back.
    pub fn put_pulled_episode(
        &mut self,
        actor: &Actor,
        resident_id: &str,
        remote: Episode,
        server_version: &str,
        at: Moment,
    ) -> Result<EpisodeRecord> {
        self.put_episode_copy(actor, resident_id, remote, Some(server_version), at)
    }

    /// Writes an episode as another copy has it: queued to be sent when
    /// `pulled` is `None` (see [`crate::replay`]).
    pub(crate) fn put_episode_copy(
        &mut self,
        actor: &Actor,
        resident_id: &str,
        remote: Episode,
        pulled: Option<&str>,
        at: Moment,
    ) -> Result<EpisodeRecord> {
        let existing = self.tx.query_row("SELECT 1 FROM program_episode WHERE id = ?1", [&remote.id], |_| Ok(())).optional()?.is_some();
        let before = if existing {
            let here = by_id(&self.tx, &remote.id)?;
            // Moved to another resident there (a merge): moved here too.
            if here.resident_id != resident_id {
                self.move_episode(actor, &remote.id, resident_id, at)?
            } else {
                here
            }
        } else {
            let new = NewEpisode {
                id: remote.id.clone(),
                resident_id: resident_id.to_string(),
                program: remote.program,
                started_on: remote.started_on,
                details: remote.details.clone(),
            };
            self.open_episode(actor, new, at)?
        };
        let saved = if before.episode == remote { before } else { self.rewrite(actor, before, |e| *e = remote, at)? };
        if let Some(server_version) = pulled {
            crate::sync::note_pulled(&self.tx, Entity::ProgramEpisode, &saved.episode.id, saved.version, server_version, at.at())?;
        }
        Ok(saved)
    }

    /// Records a new episode: a registration, or an exit of a derived programme
    /// (then created already ended, see [`Batch::end_episode`]).
    pub fn open_episode(&mut self, actor: &Actor, new: NewEpisode, at: Moment) -> Result<EpisodeRecord> {
        let tx = &self.tx;
        crate::residents::ensure_exists(tx, &new.resident_id)?;
        crate::access::require_reach(tx, actor, &new.resident_id)?;
        tx.execute(
            "INSERT INTO program_episode (id, resident_id, program, version, started_on, details, created_by, created_at, updated_by, updated_at)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?6, ?7)",
            params![
                new.id,
                new.resident_id,
                new.program.code(),
                new.started_on.to_string(),
                serde_json::to_string(&new.details)?,
                actor.name,
                ts(at)
            ],
        )?;
        let saved = by_id(tx, &new.id)?;
        let snap = snapshot(&saved)?;
        record(
            tx,
            actor,
            at,
            Recorded {
                entity: Entity::ProgramEpisode,
                entity_id: &saved.episode.id,
                version: 1,
                op: "create",
                changes: &[],
                snapshot: &snap,
            },
        )?;
        crate::programs::refresh(tx, &saved.resident_id, Some(at.today()))?;
        Ok(saved)
    }

    /// Moves an episode to another resident (a registration made on a
    /// duplicate, merged into the record kept).
    pub fn move_episode(&mut self, actor: &Actor, id: &str, to_resident: &str, at: Moment) -> Result<EpisodeRecord> {
        let before = by_id(&self.tx, id)?;
        let after = EpisodeRecord {
            resident_id: to_resident.to_string(),
            version: before.version + 1,
            updated_by: actor.name.clone(),
            updated_at: at.at(),
            ..before.clone()
        };
        crate::history::record_move(
            &self.tx,
            actor,
            at,
            Entity::ProgramEpisode,
            id,
            after.version,
            (&before.resident_id, to_resident),
            "UPDATE program_episode SET version = ?2, resident_id = ?3, updated_by = ?4, updated_at = ?5 WHERE id = ?1",
            &snapshot(&after)?,
        )?;
        Ok(after)
    }

    /// Adds programme facts to an episode (a delivery date, the LMP); a key
    /// already there is replaced.
    pub fn note_episode(&mut self, actor: &Actor, id: &str, details: FormValues, at: Moment) -> Result<EpisodeRecord> {
        let before = by_id(&self.tx, id)?;
        let mut merged = before.episode.details.clone();
        merged.extend(details);
        self.rewrite(actor, before, |e| e.details = merged, at)
    }

    /// Ends an episode on `ended_on` for a `program_exit_reason`.
    pub fn end_episode(
        &mut self,
        actor: &Actor,
        id: &str,
        ended_on: NaiveDate,
        reason: &str,
        note: Option<String>,
        at: Moment,
    ) -> Result<EpisodeRecord> {
        let before = by_id(&self.tx, id)?;
        if before.episode.ended_on.is_some() {
            return Err(StoreError::AlreadyEnded { id: id.into() });
        }
        self.rewrite(
            actor,
            before,
            |e| {
                e.ended_on = Some(ended_on);
                e.end_reason = Some(reason.to_string());
                e.end_note = note;
            },
            at,
        )
    }

    fn rewrite(&mut self, actor: &Actor, before: EpisodeRecord, change: impl FnOnce(&mut Episode), at: Moment) -> Result<EpisodeRecord> {
        let tx = &self.tx;
        crate::access::require_reach(tx, actor, &before.resident_id)?;
        let mut after = before.clone();
        change(&mut after.episode);
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        tx.execute(
            "UPDATE program_episode SET version = ?2, details = ?3, ended_on = ?4, end_reason = ?5, end_note = ?6, updated_by = ?7, updated_at = ?8
             WHERE id = ?1 AND version = ?9",
            params![
                after.episode.id,
                after.version,
                serde_json::to_string(&after.episode.details)?,
                after.episode.ended_on.map(|d| d.to_string()),
                after.episode.end_reason,
                after.episode.end_note,
                actor.name,
                ts(at),
                before.version
            ],
        )?;
        let changes = diff(&serde_json::to_value(&before.episode)?, &serde_json::to_value(&after.episode)?);
        let snap = snapshot(&after)?;
        record(
            tx,
            actor,
            at,
            Recorded {
                entity: Entity::ProgramEpisode,
                entity_id: &after.episode.id,
                version: after.version,
                op: "update",
                changes: &changes,
                snapshot: &snap,
            },
        )?;
        crate::programs::refresh(tx, &after.resident_id, Some(at.today()))?;
        Ok(after)
    }

    /// The latest episode of a programme for a resident, within the batch.
    pub fn latest_episode(&self, actor: &Actor, resident_id: &str, program: Program) -> Result<Option<EpisodeRecord>> {
        crate::access::require_reach(&self.tx, actor, resident_id)?;
        latest(&self.tx, resident_id, program)
    }
}

impl Store {
    /// Every episode of a resident, oldest first.
    /// One episode by id.
    pub fn episode(&self, actor: &Actor, id: &str) -> Result<Option<EpisodeRecord>> {
        let sql =
            format!("SELECT {COLUMNS} FROM program_episode WHERE id = ?1 AND {}", crate::access::resident_reach(actor, "resident_id"));
        Ok(self.conn.query_row(&sql, [id], decode).optional()?)
    }

    pub fn episodes_of(&self, actor: &Actor, resident_id: &str) -> Result<Vec<EpisodeRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM program_episode WHERE resident_id = ?1 AND {} ORDER BY pk",
            crate::access::resident_reach(actor, "resident_id")
        );
        let rows = self.conn.prepare_cached(&sql)?.query_map([resident_id], decode)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
