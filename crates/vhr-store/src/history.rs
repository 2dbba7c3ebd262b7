//! The history of every entity and the outbox, written together with each change.

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::time::Moment;

pub use vhr_domain::changes::Change;

use vhr_domain::entity::Entity;

use crate::{parse_ts, ts, Actor, Result, Store};

/// One version of an entity as the history screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HistoryEntry {
    pub version: i64,
    pub op: String,
    pub user_name: String,
    pub at: DateTime<Utc>,
    pub changes: Vec<Change>,
}

/// What one committed change records. A creation has no `changes`: the
/// snapshot is its whole content.
pub(crate) struct Recorded<'a> {
    pub entity: Entity,
    pub entity_id: &'a str,
    pub version: i64,
    pub op: &'static str,
    pub changes: &'a [Change],
    pub snapshot: &'a Value,
}

/// Writes the history row and the outbox row of a change, inside its transaction.
pub(crate) fn record(tx: &Transaction<'_>, actor: &Actor, at: Moment, r: Recorded<'_>) -> Result<()> {
    let at = ts(at);
    let (changes, snapshot) = (serde_json::to_string(r.changes)?, serde_json::to_string(r.snapshot)?);
    tx.execute(
        "INSERT INTO change_log (entity, entity_id, version, op, user_id, user_name, at, changes, snapshot)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![r.entity.as_str(), r.entity_id, r.version, r.op, actor.user_id, actor.name, at, changes, snapshot],
    )?;
    // The audit trail vouches for this history row, in the same transaction.
    let resident_id = match r.entity {
        Entity::Resident => Some(r.entity_id),
        Entity::ServiceRecord | Entity::ProgramEpisode => r.snapshot.get("resident_id").and_then(Value::as_str),
        Entity::Clinic | Entity::User | Entity::Household => None,
    };
    let digest = crate::audit::content_digest(&changes, &snapshot);
    crate::audit::append(
        tx,
        actor,
        &at,
        crate::audit::Access {
            action: r.op,
            entity: r.entity,
            entity_id: r.entity_id,
            resident_id,
            version: Some(r.version),
            content: Some(&digest),
        },
    )?;
    // The clinic profile and the user accounts stay on this install.
    let state = if r.entity.is_synced() { "pending" } else { "local" };
    tx.execute(
        "INSERT INTO outbox (entity, entity_id, version, op, created_at, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![r.entity.as_str(), r.entity_id, r.version, r.op, at, state],
    )?;
    Ok(())
}

impl Store {
    /// Every version of an entity, oldest first.
    pub fn history(&self, actor: &Actor, entity: Entity, id: &str) -> Result<Vec<HistoryEntry>> {
        if !crate::access::entity_in_reach(&self.conn, actor, entity, id)? {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT version, op, user_name, at, changes FROM change_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY version",
        )?;
        let rows = stmt.query_map(params![entity.as_str(), id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (version, op, user_name, at, changes) = row?;
            out.push(HistoryEntry { version, op, user_name, at: parse_ts(&at)?, changes: serde_json::from_str(&changes)? });
        }
        Ok(out)
    }

    /// How many changes wait in the outbox (a count, no record read).
    pub fn outbox_pending(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM outbox WHERE state = 'pending'", [], |r| r.get(0))?)
    }
}

/// A service record or episode moved from one resident to another (a
/// merge): the one column that changed, written to the history, and the
/// programme state of both residents refreshed. `update` is the statement that moved it (its
/// parameters: the id, the new version, the resident, who and when).
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_move(
    tx: &Transaction<'_>,
    actor: &Actor,
    at: Moment,
    entity: Entity,
    id: &str,
    version: i64,
    (from, to): (&str, &str),
    update: &str,
    snapshot: &Value,
) -> Result<()> {
    crate::access::require_reach(tx, actor, from)?;
    crate::access::require_reach(tx, actor, to)?;
    tx.execute(update, params![id, version, to, actor.name, ts(at)])?;
    let changes = [vhr_domain::changes::Change {
        field: "resident_id".into(),
        old: Value::String(from.to_string()),
        new: Value::String(to.to_string()),
    }];
    record(tx, actor, at, Recorded { entity, entity_id: id, version, op: "update", changes: &changes, snapshot })?;
    crate::programs::refresh(tx, from, Some(at.today()))?;
    crate::programs::refresh(tx, to, Some(at.today()))
}
