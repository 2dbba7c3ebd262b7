//! Service records: filled-in follow-ups, examinations and visits.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::changes::diff;
use vhr_domain::entity::Entity;
use vhr_domain::forms::FormValues;
use vhr_domain::time::Moment;

use crate::history::{record, Recorded};
use crate::{parse_ts, ts, Actor, Result, Store, StoreError};

/// A service record to store; `data` has been validated against its form.
pub struct NewService {
    pub id: String,
    pub resident_id: String,
    pub form_id: String,
    pub form_version: u32,
    pub service_date: NaiveDate,
    pub next_date: Option<NaiveDate>,
    pub data: FormValues,
}

/// The new content of an edited service record.
pub struct ServiceEdit {
    pub data: FormValues,
    pub service_date: NaiveDate,
    pub next_date: Option<NaiveDate>,
}

// Read back from its history's snapshots too (a transfer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ServiceRecord {
    pub id: String,
    pub version: i64,
    pub resident_id: String,
    pub form_id: String,
    pub form_version: u32,
    pub service_date: NaiveDate,
    pub next_date: Option<NaiveDate>,
    #[ts(type = "Record<string, unknown>")]
    pub data: FormValues,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, version, resident_id, form_id, form_version, service_date, next_date, data, created_by, created_at, updated_by, updated_at";

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("bad date {s:?}: {e}")))
}

fn row(r: &Row<'_>) -> rusqlite::Result<[Option<String>; 12]> {
    row_at(r, 0)
}

/// The twelve service-record columns starting at `offset`, as text.
fn row_at(r: &Row<'_>, offset: usize) -> rusqlite::Result<[Option<String>; 12]> {
    let mut out: [Option<String>; 12] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = match r.get_ref(offset + i)? {
            rusqlite::types::ValueRef::Null => None,
            rusqlite::types::ValueRef::Integer(n) => Some(n.to_string()),
            v => Some(v.as_str()?.to_string()),
        };
    }
    Ok(out)
}

fn decode(c: [Option<String>; 12]) -> Result<ServiceRecord> {
    let s = |i: usize| c[i].clone().ok_or_else(|| StoreError::Corrupt(format!("service_record column {i} is empty")));
    let data: Value = serde_json::from_str(&s(7)?)?;
    Ok(ServiceRecord {
        id: s(0)?,
        version: s(1)?.parse().map_err(|_| StoreError::Corrupt("version".into()))?,
        resident_id: s(2)?,
        form_id: s(3)?,
        form_version: s(4)?.parse().map_err(|_| StoreError::Corrupt("form_version".into()))?,
        service_date: date(&s(5)?)?,
        next_date: c[6].as_deref().map(date).transpose()?,
        data: match data {
            Value::Object(m) => m,
            _ => return Err(StoreError::Corrupt("service data is not an object".into())),
        },
        created_by: s(8)?,
        created_at: parse_ts(&s(9)?)?,
        updated_by: s(10)?,
        updated_at: parse_ts(&s(11)?)?,
    })
}

fn snapshot(r: &ServiceRecord) -> Result<Value> {
    Ok(serde_json::to_value(r)?)
}

impl Store {
    /// Stores a new service record with its history and outbox rows.
    pub fn insert_service(&mut self, actor: &Actor, new: NewService, at: Moment) -> Result<ServiceRecord> {
        self.batch(|b| b.insert_service(actor, new, at))
    }

    /// Saves a new version of a service record, refusing a stale edit.
    pub fn update_service(
        &mut self,
        actor: &Actor,
        id: &str,
        expected_version: i64,
        edit: ServiceEdit,
        at: Moment,
    ) -> Result<ServiceRecord> {
        self.batch(|b| b.update_service(actor, id, expected_version, edit, at))
    }

    pub fn service(&self, actor: &Actor, id: &str) -> Result<Option<ServiceRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM service_record WHERE id = ?1 AND {}", crate::access::resident_reach(actor, "resident_id"));
        self.conn.query_row(&sql, [id], row).optional()?.map(decode).transpose()
    }

    /// Every service record of a resident, newest first (the timeline).
    pub fn services_of(&self, actor: &Actor, resident_id: &str) -> Result<Vec<ServiceRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM service_record WHERE resident_id = ?1 AND {} ORDER BY service_date DESC, pk DESC",
            crate::access::resident_reach(actor, "resident_id")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([resident_id], row)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(decode).collect()
    }

    /// The latest record of one form for a resident before a date, leaving one record out
    /// (the previous visit of a visit being edited).
    pub fn service_before(
        &self,
        actor: &Actor,
        resident_id: &str,
        form_id: &str,
        before: NaiveDate,
        except_id: &str,
    ) -> Result<Option<ServiceRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM service_record WHERE resident_id = ?1 AND form_id = ?2 AND service_date <= ?3 AND id <> ?4 AND {}
             ORDER BY service_date DESC, pk DESC LIMIT 1",
            crate::access::resident_reach(actor, "resident_id")
        );
        self.conn
            .prepare_cached(&sql)?
            .query_row(params![resident_id, form_id, before.to_string(), except_id], row)
            .optional()?
            .map(decode)
            .transpose()
    }

    /// The latest record of one form for a resident.
    pub fn last_service(&self, actor: &Actor, resident_id: &str, form_id: &str) -> Result<Option<ServiceRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM service_record WHERE resident_id = ?1 AND form_id = ?2 AND {} ORDER BY service_date DESC, pk DESC LIMIT 1",
            crate::access::resident_reach(actor, "resident_id")
        );
        self.conn.prepare_cached(&sql)?.query_row(params![resident_id, form_id], row).optional()?.map(decode).transpose()
    }
}

impl crate::Batch<'_> {
    /// Writes a service record as the platform has it (a form someone else
    /// filled in for this resident), never queued to be sent back.
    pub fn put_pulled_service(&mut self, actor: &Actor, new: NewService, server_version: &str, at: Moment) -> Result<ServiceRecord> {
        self.put_service_copy(actor, new, Some(server_version), at)
    }

    /// Writes a service record as another copy has it: queued to be sent
    /// when `pulled` is `None` (see [`crate::replay`]).
    pub(crate) fn put_service_copy(&mut self, actor: &Actor, new: NewService, pulled: Option<&str>, at: Moment) -> Result<ServiceRecord> {
        let sql = format!("SELECT {COLUMNS} FROM service_record WHERE id = ?1");
        let before = self.tx.query_row(&sql, [&new.id], row).optional()?.map(decode).transpose()?;
        let saved = match before {
            Some(b) => {
                // Moved to another resident there (a merge): moved here too.
                let version = if b.resident_id != new.resident_id {
                    self.move_service(actor, &b.id, &new.resident_id, at)?.version
                } else {
                    b.version
                };
                let edit = ServiceEdit { data: new.data, service_date: new.service_date, next_date: new.next_date };
                self.update_service(actor, &b.id, version, edit, at)?
            }
            None => self.insert_service(actor, new, at)?,
        };
        if let Some(server_version) = pulled {
            crate::sync::note_pulled(&self.tx, Entity::ServiceRecord, &saved.id, saved.version, server_version, at.at())?;
        }
        Ok(saved)
    }

    /// Saves a new version of a service record within the batch (see [`Store::update_service`]).
    pub fn update_service(
        &mut self,
        actor: &Actor,
        id: &str,
        expected_version: i64,
        edit: ServiceEdit,
        at: Moment,
    ) -> Result<ServiceRecord> {
        let ServiceEdit { data, service_date, next_date } = edit;
        let tx = &self.tx;
        let sql = format!("SELECT {COLUMNS} FROM service_record WHERE id = ?1");
        let before = tx
            .query_row(&sql, [id], row)
            .optional()?
            .map(decode)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: Entity::ServiceRecord, id: id.into() })?;
        crate::access::require_reach(tx, actor, &before.resident_id)
            .map_err(|_| StoreError::NotFound { entity: Entity::ServiceRecord, id: id.into() })?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                entity: Entity::ServiceRecord,
                id: id.into(),
                expected: expected_version,
                actual: before.version,
            });
        }
        let mut after = before.clone();
        after.data = data;
        after.service_date = service_date;
        after.next_date = next_date;
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        if (&after.data, after.service_date, after.next_date) == (&before.data, before.service_date, before.next_date) {
            return Ok(before);
        }
        tx.execute(
            "UPDATE service_record SET version = ?2, service_date = ?3, next_date = ?4, data = ?5, updated_by = ?6, updated_at = ?7 WHERE id = ?1",
            params![id, after.version, after.service_date.to_string(), after.next_date.map(|d| d.to_string()), serde_json::to_string(&after.data)?, after.updated_by, ts(at)],
        )?;
        let changes = diff(&Value::Object(before.data.clone()), &Value::Object(after.data.clone()));
        let snap = snapshot(&after)?;
        record(
            tx,
            actor,
            at,
            Recorded {
                entity: Entity::ServiceRecord,
                entity_id: id,
                version: after.version,
                op: "update",
                changes: &changes,
                snapshot: &snap,
            },
        )?;
        crate::programs::refresh(tx, &after.resident_id, Some(at.today()))?;
        Ok(after)
    }

    /// Moves a service record to another resident (a duplicate merged into
    /// the record kept): a new version whose history names both, and the
    /// programme state of both refreshed.
    pub fn move_service(&mut self, actor: &Actor, id: &str, to_resident: &str, at: Moment) -> Result<ServiceRecord> {
        let sql = format!("SELECT {COLUMNS} FROM service_record WHERE id = ?1");
        let before = self
            .tx
            .query_row(&sql, [id], row)
            .optional()?
            .map(decode)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: Entity::ServiceRecord, id: id.into() })?;
        let after = ServiceRecord {
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
            Entity::ServiceRecord,
            id,
            after.version,
            (&before.resident_id, to_resident),
            "UPDATE service_record SET version = ?2, resident_id = ?3, updated_by = ?4, updated_at = ?5 WHERE id = ?1",
            &snapshot(&after)?,
        )?;
        Ok(after)
    }

    /// The ids of a resident's service records, within the batch.
    pub fn service_ids_of(&self, resident_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached("SELECT id FROM service_record WHERE resident_id = ?1 ORDER BY service_date, id")?;
        let ids = stmt.query_map([resident_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// Stores a service record within the batch's transaction.
    pub fn insert_service(&mut self, actor: &Actor, new: NewService, at: Moment) -> Result<ServiceRecord> {
        let tx = &self.tx;
        crate::residents::ensure_exists(tx, &new.resident_id)?;
        crate::access::require_reach(tx, actor, &new.resident_id)?;
        let record_ = ServiceRecord {
            id: new.id,
            version: 1,
            resident_id: new.resident_id,
            form_id: new.form_id,
            form_version: new.form_version,
            service_date: new.service_date,
            next_date: new.next_date,
            data: new.data,
            created_by: actor.name.clone(),
            created_at: at.at(),
            updated_by: actor.name.clone(),
            updated_at: at.at(),
        };
        tx.execute(
            "INSERT INTO service_record (id, version, resident_id, form_id, form_version, service_date, next_date, data, created_by, created_at, updated_by, updated_at)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9)",
            params![
                record_.id,
                record_.resident_id,
                record_.form_id,
                record_.form_version,
                record_.service_date.to_string(),
                record_.next_date.map(|d| d.to_string()),
                serde_json::to_string(&record_.data)?,
                actor.name,
                ts(at)
            ],
        )?;
        let snap = snapshot(&record_)?;
        record(
            tx,
            actor,
            at,
            Recorded { entity: Entity::ServiceRecord, entity_id: &record_.id, version: 1, op: "create", changes: &[], snapshot: &snap },
        )?;
        crate::programs::refresh(tx, &record_.resident_id, Some(at.today()))?;
        Ok(record_)
    }
}
