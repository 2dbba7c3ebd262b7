//! The store's side of sync: which changes wait, what the platform holds of
//! each entity (its version there and the merge base), what was refused or
//! conflicted, and the pull cursor. Changes pulled from the platform are
//! written like any other change (history included) but their outbox row is
//! marked `pulled`, so they are never sent back.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use vhr_domain::entity::Entity;

use crate::{parse_ts, ts, Actor, Result, Store};

/// One entity with changes waiting: its latest waiting version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PendingChange {
    pub entity: Entity,
    pub entity_id: String,
    pub version: i64,
}

/// What the platform holds of an entity.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncBase {
    /// `meta.versionId` of its main resource there.
    pub server_version: String,
    /// The local version that matches it.
    pub local_version: i64,
    /// The entity as it was at that version (the merge base).
    pub base: Value,
}

/// How many changes are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct OutboxCounts {
    /// Entities with changes waiting to be sent.
    pub waiting: i64,
    /// Entities the platform refused.
    pub quarantined: i64,
    /// Entities with fields changed on both sides.
    pub conflicted: i64,
}

/// A change the platform refused, or that conflicts, as the sync page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AttentionItem {
    pub entity: Entity,
    pub entity_id: String,
    pub version: i64,
    pub state: String,
    /// The platform's words (quarantined), or the conflicting fields.
    pub reason: String,
    pub at: Option<DateTime<Utc>>,
}

/// A conflict notice to publish: an entity's fields found conflicting here.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeDraft {
    pub entity: Entity,
    pub entity_id: String,
    pub fields: Vec<NoticeField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoticeField {
    pub pk: i64,
    pub field: String,
    /// This install's value.
    pub local: Option<Value>,
}

/// One field changed both here and on the platform.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct FieldConflict {
    pub id: i64,
    pub entity: Entity,
    pub entity_id: String,
    pub field: String,
    #[ts(type = "unknown")]
    pub base: Option<Value>,
    #[ts(type = "unknown")]
    pub local: Option<Value>,
    #[ts(type = "unknown")]
    pub remote: Option<Value>,
    pub server_version: String,
}

/// An `entity` column read back.
fn entity_col(name: &str) -> Result<Entity> {
    Entity::parse(name).ok_or_else(|| crate::StoreError::Corrupt(format!("unknown entity {name:?}")))
}

fn json_col(s: Option<String>) -> Result<Option<Value>> {
    Ok(match s {
        Some(s) => Some(serde_json::from_str(&s)?),
        None => None,
    })
}

impl Store {
    /// Entities with waiting changes, oldest first, at most `limit`.
    pub fn pending_changes(&self, limit: usize) -> Result<Vec<PendingChange>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT entity, entity_id, max(version) FROM outbox
             WHERE state = 'pending' AND entity IN ('resident', 'household', 'service_record', 'program_episode')
             GROUP BY entity_id, entity ORDER BY min(seq) LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (entity, entity_id, version) = row?;
            out.push(PendingChange { entity: entity_col(&entity)?, entity_id, version });
        }
        Ok(out)
    }

    /// The content of an entity at one version, as its history recorded it.
    pub fn snapshot_at(&self, actor: &Actor, entity: Entity, id: &str, version: i64) -> Result<Option<Value>> {
        if !crate::access::entity_in_reach(&self.conn, actor, entity, id)? {
            return Ok(None);
        }
        let s: Option<String> = self
            .conn
            .prepare_cached("SELECT snapshot FROM change_log WHERE entity = ?1 AND entity_id = ?2 AND version = ?3")?
            .query_row(params![entity.as_str(), id, version], |r| r.get(0))
            .optional()?;
        json_col(s)
    }

    /// What the platform holds of an entity, if it has it.
    pub fn sync_base(&self, entity: Entity, id: &str) -> Result<Option<SyncBase>> {
        let row: Option<(String, i64, String)> = self
            .conn
            .prepare_cached("SELECT server_version, local_version, base FROM sync_entity WHERE entity = ?1 AND entity_id = ?2")?
            .query_row(params![entity.as_str(), id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        row.map(|(server_version, local_version, base)| Ok(SyncBase { server_version, local_version, base: serde_json::from_str(&base)? }))
            .transpose()
    }

    /// Records that the platform has `version` of an entity (as `server_version`
    /// there): its waiting changes up to that version are done.
    pub fn mark_written(&mut self, c: &PendingChange, server_version: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE outbox SET state = 'sent', done_at = ?4, reason = NULL
             WHERE entity_id = ?2 AND entity = ?1 AND version <= ?3 AND state IN ('pending', 'quarantined', 'conflict')",
            params![c.entity.as_str(), c.entity_id, c.version, ts(at)],
        )?;
        agree(&tx, c.entity, &c.entity_id, server_version, c.version, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Sets an entity's waiting changes aside with the platform's reason; they
    /// are no longer sent until someone asks again ([`Store::retry_change`]).
    pub fn mark_quarantined(&mut self, c: &PendingChange, reason: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET state = 'quarantined', reason = ?4, done_at = ?5
             WHERE entity_id = ?2 AND entity = ?1 AND version <= ?3 AND state = 'pending'",
            params![c.entity.as_str(), c.entity_id, c.version, reason, ts(at)],
        )?;
        Ok(())
    }

    /// Sends an entity's set-aside changes again on the next pass.
    pub fn retry_change(&mut self, entity: Entity, id: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE outbox SET state = 'pending', reason = NULL, done_at = NULL
             WHERE entity_id = ?2 AND entity = ?1 AND state = 'quarantined'",
            params![entity.as_str(), id],
        )?)
    }

    /// How many entities wait, were refused, or conflict.
    pub fn outbox_counts(&self) -> Result<OutboxCounts> {
        let count = |state: &str| -> Result<i64> {
            Ok(self
                .conn
                // Records, not changes; grouped along the outbox_state_entity index.
                .prepare_cached("SELECT count(*) FROM (SELECT 1 FROM outbox WHERE state = ?1 GROUP BY entity, entity_id)")?
                .query_row([state], |r| r.get(0))?)
        };
        let conflicted: i64 = self.conn.query_row(
            "SELECT count(DISTINCT entity || '/' || entity_id) FROM sync_conflict WHERE resolved_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(OutboxCounts { waiting: count("pending")?, quarantined: count("quarantined")?, conflicted })
    }

    /// The changes that need someone: refused by the platform, or conflicting.
    /// Only what the actor reaches is listed.
    pub fn attention_items(&self, actor: &Actor) -> Result<Vec<AttentionItem>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT entity, entity_id, max(version), state, coalesce(max(reason), ''), max(done_at) FROM outbox
             WHERE state IN ('quarantined', 'conflict') GROUP BY entity_id, entity, state ORDER BY min(seq)",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, Option<String>>(5)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (entity, entity_id, version, state, reason, at) = row?;
            let entity = entity_col(&entity)?;
            if !crate::access::entity_in_reach(&self.conn, actor, entity, &entity_id)? {
                continue;
            }
            out.push(AttentionItem { entity, entity_id, version, state, reason, at: at.as_deref().map(parse_ts).transpose()? });
        }
        Ok(out)
    }

    /// Records that the platform holds `server_version` of an entity whose
    /// local copy already matches it (a pull that brought nothing new).
    pub fn note_server_version(&mut self, entity: Entity, id: &str, server_version: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_entity SET server_version = ?3, synced_at = ?4 WHERE entity = ?1 AND entity_id = ?2",
            params![entity.as_str(), id, server_version, ts(at)],
        )?;
        Ok(())
    }

    /// The ids of every row of a synced entity, oldest first (for a full export).
    pub fn entity_ids(&self, entity: Entity) -> Result<Vec<String>> {
        if !entity.is_synced() {
            return Ok(Vec::new());
        }
        // Each synced entity's table has the entity's name.
        let table = entity.as_str();
        let mut stmt = self.conn.prepare(&format!("SELECT id FROM {table} ORDER BY pk"))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether an entity has local changes the platform does not have yet
    /// (waiting, refused or conflicting): a pulled copy must merge with them,
    /// never replace them.
    pub fn has_pending(&self, entity: Entity, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM outbox WHERE entity_id = ?2 AND entity = ?1 AND state IN ('pending', 'quarantined', 'conflict') LIMIT 1",
            )?
            .query_row(params![entity.as_str(), id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// After a clean merge saved as local `version`: the next push updates the
    /// platform's `server_version`, and the merged copy is the new base.
    pub fn rebase(&mut self, entity: Entity, id: &str, server_version: &str, version: i64, at: DateTime<Utc>) -> Result<()> {
        agree(&self.conn, entity, id, server_version, version, at)
    }

    /// Flags (or unflags) a resident the platform places outside this install's catchment.
    pub fn flag_outside(&mut self, resident_id: &str, outside: bool) -> Result<()> {
        self.conn
            .execute("UPDATE sync_entity SET outside = ?2 WHERE entity = 'resident' AND entity_id = ?1", params![resident_id, outside])?;
        Ok(())
    }

    /// Residents flagged as outside the catchment.
    pub fn outside_residents(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT entity_id FROM sync_entity WHERE entity = 'resident' AND outside = 1")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Raises the fields changed on both sides, and sets the entity's waiting
    /// changes aside until the doctor has chosen.
    pub fn raise_conflicts(
        &mut self,
        entity: Entity,
        id: &str,
        server_version: &str,
        fields: &[vhr_domain::changes::Conflict],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // A newer copy from the platform replaces what was raised before.
        tx.execute(
            "UPDATE sync_conflict SET resolved_at = ?3, choice = 'superseded' WHERE entity = ?1 AND entity_id = ?2 AND resolved_at IS NULL",
            params![entity.as_str(), id, ts(at)],
        )?;
        for c in fields {
            insert_conflict(&tx, entity, id, c, server_version, None, at)?;
        }
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        tx.execute(
            "UPDATE outbox SET state = 'conflict', reason = ?3, done_at = ?4 WHERE entity_id = ?2 AND entity = ?1 AND state = 'pending'",
            params![entity.as_str(), id, names.join(", "), ts(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Raises what another install found conflicting (its notice): the
    /// fields, with this install's value and the other's. This install's own
    /// changes are not set aside: only the doctor's choice is awaited.
    pub fn raise_remote_conflicts(
        &mut self,
        entity: Entity,
        id: &str,
        notice_id: &str,
        server_version: &str,
        fields: &[vhr_domain::changes::Conflict],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let known: bool =
            tx.query_row("SELECT 1 FROM sync_conflict WHERE notice_id = ?1 LIMIT 1", [notice_id], |_| Ok(())).optional()?.is_some();
        if !known {
            for c in fields {
                insert_conflict(&tx, entity, id, c, server_version, Some(notice_id), at)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Conflicts found here whose notice has not reached the platform yet,
    /// one draft per entity.
    pub fn notices_to_send(&self) -> Result<Vec<NoticeDraft>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT pk, entity, entity_id, field, local FROM sync_conflict
             WHERE origin = 'local' AND notice_sent = 0 AND resolved_at IS NULL ORDER BY entity, entity_id, pk",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out: Vec<NoticeDraft> = Vec::new();
        for row in rows {
            let (pk, entity, entity_id, field, local) = row?;
            let f = NoticeField { pk, field, local: json_col(local)? };
            match out.last_mut() {
                Some(d) if d.entity.as_str() == entity && d.entity_id == entity_id => d.fields.push(f),
                _ => out.push(NoticeDraft { entity: entity_col(&entity)?, entity_id, fields: vec![f] }),
            }
        }
        Ok(out)
    }

    pub fn mark_notice_sent(&mut self, pks: &[i64], notice_id: &str) -> Result<()> {
        for pk in pks {
            self.conn.execute("UPDATE sync_conflict SET notice_sent = 1, notice_id = ?2 WHERE pk = ?1", params![pk, notice_id])?;
        }
        Ok(())
    }

    /// Notices of conflicts decided here that the platform must still hear
    /// are closed: (notice id, entity, entity id).
    pub fn notices_to_close(&self) -> Result<Vec<(String, Entity, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT notice_id, entity, entity_id FROM sync_conflict
             WHERE notice_id IS NOT NULL AND notice_sent = 1 AND notice_closed = 0 AND resolved_at IS NOT NULL AND choice IN ('local', 'remote')",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?, r.get(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (notice, entity, id) = row?;
            out.push((notice, entity_col(&entity)?, id));
        }
        Ok(out)
    }

    pub fn mark_notice_closed(&mut self, notice_id: &str) -> Result<()> {
        self.conn.execute("UPDATE sync_conflict SET notice_closed = 1 WHERE notice_id = ?1", [notice_id])?;
        Ok(())
    }

    /// Closes every open conflict of an entity that another install decided
    /// (its notice came back closed), and sends the entity's changes again.
    /// Returns the fields that were open.
    pub fn close_decided_elsewhere(&mut self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<Vec<String>> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let fields: Vec<String> = tx
            .prepare("SELECT DISTINCT field FROM sync_conflict WHERE entity = ?1 AND entity_id = ?2 AND resolved_at IS NULL")?
            .query_map(params![entity.as_str(), id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute(
            "UPDATE sync_conflict SET resolved_at = ?3, resolved_by = '平台同步', choice = 'decided_elsewhere', notice_closed = 1
             WHERE entity = ?1 AND entity_id = ?2 AND resolved_at IS NULL",
            params![entity.as_str(), id, ts(at)],
        )?;
        tx.execute(
            "UPDATE outbox SET state = 'pending', reason = NULL, done_at = NULL WHERE entity_id = ?2 AND entity = ?1 AND state = 'conflict'",
            params![entity.as_str(), id],
        )?;
        tx.commit()?;
        Ok(fields)
    }

    /// The open conflicts of an entity, or of every entity the actor reaches.
    pub fn open_conflicts(&self, actor: &Actor, entity_id: Option<&str>) -> Result<Vec<FieldConflict>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT pk, entity, entity_id, field, base, local, remote, server_version FROM sync_conflict
             WHERE resolved_at IS NULL AND (?1 IS NULL OR entity_id = ?1) ORDER BY pk",
        )?;
        let rows = stmt.query_map([entity_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, entity, entity_id, field, base, local, remote, server_version) = row?;
            let entity = entity_col(&entity)?;
            if !crate::access::entity_in_reach(&self.conn, actor, entity, &entity_id)? {
                continue;
            }
            out.push(FieldConflict {
                id,
                entity,
                entity_id,
                field,
                base: json_col(base)?,
                local: json_col(local)?,
                remote: json_col(remote)?,
                server_version,
            });
        }
        Ok(out)
    }

    /// Records the doctor's choices for an entity's conflicts and sends its
    /// changes again (the chosen values were saved as a new version first).
    pub fn settle_conflicts(&mut self, entity: Entity, id: &str, choices: &[(i64, String)], by: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (pk, choice) in choices {
            tx.execute(
                "UPDATE sync_conflict SET resolved_at = ?2, resolved_by = ?3, choice = ?4
                 WHERE pk = ?1 AND entity = ?5 AND entity_id = ?6 AND resolved_at IS NULL",
                params![pk, ts(at), by, choice, entity.as_str(), id],
            )?;
        }
        tx.execute(
            "UPDATE outbox SET state = 'pending', reason = NULL, done_at = NULL WHERE entity_id = ?2 AND entity = ?1 AND state = 'conflict'",
            params![entity.as_str(), id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A sync setting (the pull cursor, the last success), kept with the data.
    pub fn sync_value(&self, key: &str) -> Result<Option<String>> {
        self.setting(&format!("sync.{key}"))
    }

    pub fn set_sync_value(&mut self, key: &str, value: &str) -> Result<()> {
        self.set_setting(&format!("sync.{key}"), value)
    }
}

/// Notes that the entity's pulled version matches the platform's
/// `server_version`, and that its outbox row (written by the pulled change
/// like any other) is not to be sent back.
pub(crate) fn note_pulled(
    tx: &rusqlite::Transaction<'_>,
    entity: Entity,
    id: &str,
    version: i64,
    server_version: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET state = 'pulled', done_at = ?4 WHERE entity_id = ?2 AND entity = ?1 AND version = ?3",
        params![entity.as_str(), id, version, ts(at)],
    )?;
    agree(tx, entity, id, server_version, version, at)
}

/// Records that the platform holds `server_version` of an entity whose
/// local `version` matches it: that version's content becomes the merge base.
fn agree(conn: &rusqlite::Connection, entity: Entity, id: &str, server_version: &str, version: i64, at: DateTime<Utc>) -> Result<()> {
    let base: Option<String> = conn
        .query_row(
            "SELECT snapshot FROM change_log WHERE entity = ?1 AND entity_id = ?2 AND version = ?3",
            params![entity.as_str(), id, version],
            |r| r.get(0),
        )
        .optional()?;
    conn.execute(
        "INSERT INTO sync_entity (entity, entity_id, server_version, local_version, base, synced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (entity, entity_id) DO UPDATE SET server_version = excluded.server_version,
             local_version = excluded.local_version, base = excluded.base, synced_at = excluded.synced_at",
        params![entity.as_str(), id, server_version, version, base.unwrap_or_else(|| "null".into()), ts(at)],
    )?;
    Ok(())
}

/// Stores one conflicting field: found here (no notice yet), or announced by
/// another install's notice. An absent value is stored as NULL.
fn insert_conflict(
    tx: &rusqlite::Transaction<'_>,
    entity: Entity,
    id: &str,
    c: &vhr_domain::changes::Conflict,
    server_version: &str,
    notice_id: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    let enc = |v: &Value| (!v.is_null()).then(|| v.to_string());
    let origin = if notice_id.is_some() { "remote" } else { "local" };
    tx.execute(
        "INSERT INTO sync_conflict (entity, entity_id, field, base, local, remote, server_version, raised_at, origin, notice_id, notice_sent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![entity.as_str(), id, c.field, enc(&c.base), enc(&c.local), enc(&c.remote), server_version, ts(at), origin, notice_id, notice_id.is_some()],
    )?;
    Ok(())
}
