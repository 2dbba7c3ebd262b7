//! Residents: register, change, read and find them.

use chrono::{NaiveDate, Utc};
use rusqlite::types::ToSql;
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;
use vhr_domain::changes::diff;
use vhr_domain::duplicates::Candidate;
use vhr_domain::entity::Entity;
use vhr_domain::population::{self, Diagnoses, Registered, Tag, CHILD_UNTIL, CHRONIC_FROM, ELDERLY_FROM};
use vhr_domain::record_number::{Prefix, RecordNumber};
use vhr_domain::resident::{age_cutoff, Membership, RecordStatus, RemoteResident, Resident, ResidentInput, Sex};
use vhr_domain::search::{self, prefix_upper_bound, KeySource, Query};
use vhr_domain::serial_blocks::is_provisional;
use vhr_domain::time::Moment;

use crate::history::{record, Recorded};
use crate::serial_blocks;
use crate::{parse_ts, ts, Actor, Result, Store, StoreError};

/// How much is on file (see [`Store::counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct Counts {
    pub residents: i64,
    /// Service records (each counted once, whatever its versions).
    pub services: i64,
    /// Changes waiting to be sent.
    pub outbox_pending: i64,
}

/// A resident to register; `data` has been through `vhr_domain::resident::prepare`.
pub struct NewResident {
    pub id: String,
    pub data: ResidentInput,
    pub household: Option<Membership>,
}

/// One line of a search result.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ResidentSummary {
    pub id: String,
    pub record_no: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub age: u32,
    pub village_code: String,
    pub id_number: Option<String>,
    pub household_id: Option<String>,
    pub status: RecordStatus,
    pub tags: Vec<Tag>,
}

/// Which records a search looks among.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Records in the register (在册): what a search finds unless asked otherwise.
    #[default]
    Active,
    /// Closed records only (died, moved away, lost, cancelled, other).
    Closed,
    All,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct SearchSpec {
    pub query: String,
    pub village: Option<String>,
    pub tag: Option<Tag>,
    /// A full record number finds its record whatever this says.
    pub status: StatusFilter,
    pub today: NaiveDate,
    pub limit: usize,
}

pub(crate) const SUMMARY_COLUMNS: &str = "r.id, r.record_no, r.name, r.sex, r.birth_date, r.village_code, r.id_number, \
     r.household_id, r.status, r.dx_hypertension, r.dx_diabetes, r.dx_severe_mental, \
     (SELECT q.registered FROM program_state q WHERE q.resident_id = r.id LIMIT 1)";

/// A resident is in a registered programme (for the tag filters).
fn in_programme(program: &str) -> String {
    format!("EXISTS (SELECT 1 FROM program_state q WHERE q.resident_id = r.id AND q.program = '{program}')")
}

pub(crate) const RESIDENT_COLUMNS: &str = "id, version, record_no, data, household_id, relation, is_head, status, institution, \
     created_by, created_at, updated_by, updated_at, closure, reopened, merged_from, managed_by";

pub(crate) fn summary(row: &Row<'_>, today: NaiveDate) -> rusqlite::Result<ResidentSummary> {
    let birth: String = row.get(4)?;
    let birth_date = crate::programs::date(&birth)?;
    let sex: String = row.get(3)?;
    let status: String = row.get(8)?;
    let dx = Diagnoses { hypertension: row.get(9)?, diabetes: row.get(10)?, severe_mental: row.get(11)? };
    let registered = Registered::from_codes(row.get::<_, Option<String>>(12)?.as_deref().unwrap_or(""));
    Ok(ResidentSummary {
        id: row.get(0)?,
        record_no: row.get(1)?,
        name: row.get(2)?,
        sex: Sex::from_code(&sex).unwrap_or(Sex::Unknown),
        birth_date,
        age: vhr_domain::resident::age_on(birth_date, today),
        village_code: row.get(5)?,
        id_number: row.get(6)?,
        household_id: row.get(7)?,
        status: RecordStatus::from_code(&status).ok_or_else(|| corrupt(8, StoreError::Corrupt(format!("status {status:?}"))))?,
        tags: population::tags(birth_date, dx, registered, today),
    })
}

fn corrupt(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

fn resident_row(row: &Row<'_>) -> rusqlite::Result<(Resident, String, String)> {
    let data: String = row.get(3)?;
    let household_id: Option<String> = row.get(4)?;
    let status: String = row.get(7)?;
    let created_at: String = row.get(10)?;
    let updated_at: String = row.get(12)?;
    let json_column = |col: usize| -> rusqlite::Result<Option<Value>> {
        match row.get::<_, Option<String>>(col)? {
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| corrupt(col, e)),
            None => Ok(None),
        }
    };
    let closure = json_column(13)?.map(serde_json::from_value).transpose().map_err(|e| corrupt(13, e))?;
    let reopened = json_column(14)?.map(serde_json::from_value).transpose().map_err(|e| corrupt(14, e))?;
    let merged_from = json_column(15)?.map(serde_json::from_value).transpose().map_err(|e| corrupt(15, e))?.unwrap_or_default();
    let resident = Resident {
        id: row.get(0)?,
        version: row.get(1)?,
        record_no: row.get(2)?,
        data: serde_json::from_str(&data).map_err(|e| corrupt(3, e))?,
        household: match household_id {
            Some(household_id) => {
                Some(Membership { household_id, relation: row.get::<_, Option<String>>(5)?.unwrap_or_default(), is_head: row.get(6)? })
            }
            None => None,
        },
        status: serde_json::from_value(Value::String(status)).map_err(|e| corrupt(7, e))?,
        closure,
        reopened,
        merged_from,
        institution: row.get(8)?,
        managed_by: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
        created_by: row.get(9)?,
        created_at: Utc::now(),
        updated_by: row.get(11)?,
        updated_at: Utc::now(),
    };
    Ok((resident, created_at, updated_at))
}

/// The part of a resident whose changes the history shows.
fn tracked(r: &Resident) -> Value {
    let mut v = serde_json::to_value(&r.data).expect("resident data serialises");
    v["household"] = serde_json::to_value(&r.household).expect("membership serialises");
    v["status"] = json!(r.status);
    v["closure"] = json!(r.closure);
    v["reopened"] = json!(r.reopened);
    v["merged_from"] = json!(r.merged_from);
    v["record_no"] = json!(r.record_no);
    if !r.managed_by.is_empty() {
        v["managed_by"] = json!(r.managed_by);
    }
    v
}

/// The current version of a resident the actor may change, if the change
/// started from it; someone out of reach is not found, and a save in between
/// is a conflict.
pub(crate) fn editable(tx: &rusqlite::Connection, actor: &Actor, id: &str, expected_version: i64) -> Result<Resident> {
    let before = load(tx, "id = ?1", &id)?
        .filter(|b| actor.access.sees(&b.data.village_code))
        .ok_or_else(|| StoreError::NotFound { entity: Entity::Resident, id: id.to_string() })?;
    crate::access::check_edit(actor, &before.data.village_code, id)?;
    if before.version != expected_version {
        return Err(StoreError::VersionConflict {
            entity: Entity::Resident,
            id: id.to_string(),
            expected: expected_version,
            actual: before.version,
        });
    }
    Ok(before)
}

/// Refuses a write about a resident who is not on file.
pub(crate) fn ensure_exists(tx: &rusqlite::Connection, resident_id: &str) -> Result<()> {
    let found: Option<i64> = tx.query_row("SELECT pk FROM resident WHERE id = ?1", [resident_id], |r| r.get(0)).optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound { entity: Entity::Resident, id: resident_id.into() }),
    }
}

/// Every resident a full `SELECT {RESIDENT_COLUMNS} …` with one parameter returns.
pub(crate) fn load_where(conn: &rusqlite::Connection, sql: &str, arg: &dyn ToSql) -> Result<Vec<Resident>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([arg], resident_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut r, created, updated) = row?;
        r.created_at = parse_ts(&created)?;
        r.updated_at = parse_ts(&updated)?;
        out.push(r);
    }
    Ok(out)
}

pub(crate) fn load(tx: &rusqlite::Connection, where_sql: &str, key: &dyn ToSql) -> Result<Option<Resident>> {
    let sql = format!("SELECT {RESIDENT_COLUMNS} FROM resident WHERE {where_sql}");
    let found = tx.prepare_cached(&sql)?.query_row([key], resident_row).optional()?;
    match found {
        Some((mut r, created, updated)) => {
            r.created_at = parse_ts(&created)?;
            r.updated_at = parse_ts(&updated)?;
            Ok(Some(r))
        }
        None => Ok(None),
    }
}

pub(crate) fn check_unique_id_number(tx: &Transaction<'_>, actor: &Actor, data: &ResidentInput, own_id: &str) -> Result<()> {
    if let Some(number) = data.id_document.citizen_number() {
        let other: Option<(String, String, String, String)> = tx
            .query_row(
                "SELECT id, record_no, name, village_code FROM resident WHERE id_number = ?1 AND id <> ?2 AND status <> 'cancelled'",
                params![number, own_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        if let Some((resident_id, record_no, name, village)) = other {
            if !actor.access.sees(&village) {
                // One person, one record, across villages too; but whose it
                // is stays with those who reach them.
                return Err(StoreError::IdNumberOutOfReach { id_number: number.to_string() });
            }
            return Err(StoreError::DuplicateIdNumber { id_number: number.to_string(), resident_id, record_no, name });
        }
    }
    Ok(())
}

fn write_keys(tx: &Transaction<'_>, pk: i64, r: &Resident) -> Result<()> {
    tx.execute("DELETE FROM search_key WHERE resident_pk = ?1", [pk])?;
    let keys = search::keys(&KeySource {
        name: &r.data.name,
        id_number: r.data.id_document.citizen_number(),
        record_no: &r.record_no,
        phone: &r.data.phone,
    });
    let mut stmt = tx.prepare_cached("INSERT OR IGNORE INTO search_key (key, resident_pk) VALUES (?1, ?2)")?;
    for k in keys {
        stmt.execute(params![k, pk])?;
    }
    Ok(())
}

fn status_code(s: RecordStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

pub(crate) fn write_resident(tx: &Transaction<'_>, actor: &Actor, before: Option<&Resident>, r: &Resident, at: Moment) -> Result<()> {
    put_row(tx, r, at)?;
    // A creation's content is its snapshot; only later versions list changes.
    let changes = before.map(|b| diff(&tracked(b), &tracked(r))).unwrap_or_default();
    let snapshot = serde_json::to_value(r)?;
    record(
        tx,
        actor,
        at,
        Recorded {
            entity: Entity::Resident,
            entity_id: &r.id,
            version: r.version,
            op: if before.is_none() { "create" } else { "update" },
            changes: &changes,
            snapshot: &snapshot,
        },
    )
}

/// The resident's row, search keys and programme state as `r` has them,
/// with no history: [`write_resident`] records it, a transfer brings the
/// history that goes with it.
pub(crate) fn put_row(tx: &Transaction<'_>, r: &Resident, at: Moment) -> Result<()> {
    let dx = Diagnoses::from_basic_info(&r.data.basic_info);
    let birth = r.data.birth_date.map(|d| d.to_string()).unwrap_or_default();
    let sex = r.data.sex.map(Sex::code).unwrap_or("0");
    let (hh, rel, head) = match &r.household {
        Some(m) => (Some(m.household_id.as_str()), Some(m.relation.as_str()), m.is_head),
        None => (None, None, false),
    };
    let data = serde_json::to_string(&r.data)?;
    let closure = r.closure.as_ref().map(serde_json::to_string).transpose()?;
    let reopened = r.reopened.as_ref().map(serde_json::to_string).transpose()?;
    let merged_from = if r.merged_from.is_empty() { None } else { Some(serde_json::to_string(&r.merged_from)?) };
    // One statement for both: a new row, or the new version of an existing one
    // (institution and creation stay as first written; the record number
    // changes only when a provisional one is replaced by a final one).
    let pk: i64 = tx.query_row(
        "INSERT INTO resident (id, version, record_no, id_number, name, sex, birth_date, village_code, status, household_id, relation,
             is_head, dx_hypertension, dx_diabetes, dx_severe_mental, data, institution, created_by, created_at, updated_by, updated_at,
             closure, reopened, merged_from, managed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)
         ON CONFLICT(id) DO UPDATE SET
             version = excluded.version, record_no = excluded.record_no, id_number = excluded.id_number, name = excluded.name, sex = excluded.sex,
             birth_date = excluded.birth_date, village_code = excluded.village_code, status = excluded.status,
             household_id = excluded.household_id, relation = excluded.relation, is_head = excluded.is_head,
             dx_hypertension = excluded.dx_hypertension, dx_diabetes = excluded.dx_diabetes, dx_severe_mental = excluded.dx_severe_mental,
             data = excluded.data, updated_by = excluded.updated_by, updated_at = excluded.updated_at,
             closure = excluded.closure, reopened = excluded.reopened, merged_from = excluded.merged_from,
             managed_by = excluded.managed_by
         RETURNING pk",
        params![
            r.id,
            r.version,
            r.record_no,
            r.data.id_document.citizen_number(),
            r.data.name,
            sex,
            birth,
            r.data.village_code,
            status_code(r.status),
            hh,
            rel,
            head,
            dx.hypertension,
            dx.diabetes,
            dx.severe_mental,
            data,
            r.institution,
            r.created_by,
            ts(r.created_at),
            r.updated_by,
            ts(r.updated_at),
            closure,
            reopened,
            merged_from,
            Some(r.managed_by.as_str()).filter(|m| !m.is_empty())
        ],
        |row| row.get(0),
    )?;
    write_keys(tx, pk, r)?;
    for m in &r.merged_from {
        tx.prepare_cached("INSERT OR REPLACE INTO merged_number (record_no, resident_id) VALUES (?1, ?2)")?
            .execute(params![m.record_no, r.id])?;
    }
    crate::programs::refresh(tx, &r.id, Some(at.today()))
}

impl Store {
    /// Registers a resident: issues the next record number of their village
    /// from this install's block, and writes the row, its search keys, its
    /// history and its outbox entry in one transaction.
    pub fn insert_resident(&mut self, actor: &Actor, new: NewResident, at: Moment) -> Result<Resident> {
        self.batch(|b| b.insert_resident(actor, new, at))
    }

    /// Saves a new version of a resident's data. `expected_version` is the
    /// version the edit started from; if someone saved in between, nothing is
    /// written and the caller learns of the conflict.
    pub fn update_resident(&mut self, actor: &Actor, id: &str, expected_version: i64, data: ResidentInput, at: Moment) -> Result<Resident> {
        self.batch(|b| b.update_resident(actor, id, expected_version, data, at))
    }

    /// Finds one resident by UUID, 17-digit record number or citizen ID number.
    pub fn resident(&self, actor: &Actor, key: &str) -> Result<Option<Resident>> {
        // Someone out of the actor's reach is not there, by any key.
        Ok(self.resident_by_any_key(key)?.filter(|r| actor.access.sees(&r.data.village_code)))
    }

    fn resident_by_any_key(&self, key: &str) -> Result<Option<Resident>> {
        let key = key.trim();
        if let Ok(no) = RecordNumber::parse(key) {
            return load(&self.conn, "record_no = ?1", &no.as_str());
        }
        if is_provisional(&key.to_ascii_uppercase()) {
            // A provisional number stays findable after its final one was
            // given (a card printed with it still scans): whose it was is kept.
            let holder: Option<String> = self
                .conn
                .query_row("SELECT resident_id FROM issued_number WHERE record_no = ?1", [key.to_ascii_uppercase()], |r| r.get(0))
                .optional()?;
            return match holder {
                Some(id) => load(&self.conn, "id = ?1", &id),
                None => Ok(None),
            };
        }
        if let Some(r) = load(&self.conn, "id = ?1", &key)? {
            return Ok(Some(r));
        }
        // A merged duplicate may hold the same ID number: the record kept comes first.
        load(&self.conn, "id_number = ?1 ORDER BY status = 'cancelled' LIMIT 1", &key.to_ascii_uppercase())
    }

    /// Residents matching a query and filters, best matches first.
    pub fn search(&self, actor: &Actor, spec: &SearchSpec) -> Result<Vec<ResidentSummary>> {
        let mut filters = format!(" AND {}", crate::access::reach(actor, "r.village_code"));
        let by_status = match spec.status {
            StatusFilter::Active => " AND r.status = 'active'",
            StatusFilter::Closed => " AND r.status <> 'active'",
            StatusFilter::All => "",
        };
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(v) = &spec.village {
            args.push(Box::new(v.clone()));
            filters.push_str(&format!(" AND r.village_code = ?{}", args.len()));
        }
        if let Some(tag) = spec.tag {
            let cutoff = |years| age_cutoff(spec.today, years).to_string();
            let (cond, date) = match tag {
                Tag::Child => ("r.birth_date > ?".to_string(), Some(cutoff(CHILD_UNTIL))),
                Tag::Elderly => ("r.birth_date <= ?".to_string(), Some(cutoff(ELDERLY_FROM))),
                Tag::Hypertension => ("r.dx_hypertension = 1 AND r.birth_date <= ?".to_string(), Some(cutoff(CHRONIC_FROM))),
                Tag::Diabetes => ("r.dx_diabetes = 1 AND r.birth_date <= ?".to_string(), Some(cutoff(CHRONIC_FROM))),
                Tag::SevereMental => (format!("(r.dx_severe_mental = 1 OR {})", in_programme("severe_mental")), None),
                Tag::Maternal => (in_programme("maternal"), None),
                Tag::Tuberculosis => (in_programme("tuberculosis"), None),
            };
            match date {
                Some(d) => {
                    args.push(Box::new(d));
                    filters.push_str(&format!(" AND {}", cond.replace('?', &format!("?{}", args.len()))));
                }
                None => filters.push_str(&format!(" AND {cond}")),
            }
        }
        let limit = spec.limit.max(1);
        let mut out: Vec<ResidentSummary> = Vec::new();
        match Query::parse(&spec.query) {
            Query::All => {
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM resident r WHERE 1 = 1{filters}{by_status} ORDER BY r.village_code, r.record_no LIMIT {limit}"
                );
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |row| summary(row, spec.today))?;
                for r in rows {
                    out.push(r?);
                }
            }
            Query::RecordNumber(no) => {
                args.push(Box::new(no));
                // The number of a record merged into another finds both: the
                // cancelled record and the one kept.
                let n = args.len();
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM resident r
                     WHERE (r.record_no = ?{n} OR r.id = (SELECT m.resident_id FROM merged_number m WHERE m.record_no = ?{n})){filters}
                     ORDER BY r.status = 'cancelled'"
                );
                let mut stmt = self.conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |row| summary(row, spec.today))?;
                for r in rows {
                    out.push(r?);
                }
            }
            Query::Prefixes(prefixes) => {
                let n = args.len();
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM search_key k JOIN resident r ON r.pk = k.resident_pk
                     WHERE k.key >= ?{} AND k.key < ?{}{filters}{by_status} ORDER BY k.key LIMIT {}",
                    n + 1,
                    n + 2,
                    limit * 2
                );
                let mut stmt = self.conn.prepare_cached(&sql)?;
                for prefix in prefixes {
                    let mut bound: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
                    let upper = prefix_upper_bound(&prefix);
                    bound.push(&prefix);
                    bound.push(&upper);
                    let rows = stmt.query_map(bound.as_slice(), |row| summary(row, spec.today))?;
                    for r in rows {
                        let r = r?;
                        if !out.iter().any(|o| o.id == r.id) {
                            out.push(r);
                        }
                        if out.len() >= limit {
                            break;
                        }
                    }
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    /// Residents who may be the same person as someone with this name, birth
    /// date and household (see `vhr_domain::duplicates`).
    pub fn duplicate_candidates(
        &self,
        actor: &Actor,
        name: &str,
        birth: NaiveDate,
        household: Option<&str>,
        except_id: &str,
    ) -> Result<Vec<DuplicateCandidate>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, name, birth_date, household_id, record_no FROM resident
             WHERE id <> ?4 AND ((name = ?1 AND birth_date = ?2) OR (?3 IS NOT NULL AND household_id = ?3)) AND {}",
            crate::access::reach(actor, "village_code")
        ))?;
        let rows = stmt.query_map(params![name, birth.to_string(), household, except_id], |r| {
            let b: String = r.get(2)?;
            Ok(DuplicateCandidate {
                id: r.get(0)?,
                name: r.get(1)?,
                birth_date: NaiveDate::parse_from_str(&b, "%Y-%m-%d").map_err(|e| corrupt(2, e))?,
                household_id: r.get(3)?,
                record_no: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The search-result line of one resident.
    pub fn summary_by_id(&self, actor: &Actor, id: &str, spec: &SearchSpec) -> Result<Option<ResidentSummary>> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} FROM resident r WHERE r.id = ?1 AND {}", crate::access::reach(actor, "r.village_code"));
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], |row| summary(row, spec.today)).optional()?)
    }

    /// How many residents carry each key-population tag on `today`.
    pub fn tag_counts(&self, actor: &Actor, today: NaiveDate) -> Result<Vec<(Tag, i64)>> {
        let cutoff = |years| age_cutoff(today, years).to_string();
        let (child, elderly, chronic) = (cutoff(CHILD_UNTIL), cutoff(ELDERLY_FROM), cutoff(CHRONIC_FROM));
        let reach = crate::access::reach(actor, "village_code");
        let row = self.conn.query_row(
            &format!(
                "SELECT
                 coalesce(sum(birth_date > ?1), 0),
                 coalesce(sum(birth_date <= ?2), 0),
                 coalesce(sum(dx_hypertension = 1 AND birth_date <= ?3), 0),
                 coalesce(sum(dx_diabetes = 1 AND birth_date <= ?3), 0),
                 coalesce(sum(dx_severe_mental = 1 OR id IN (SELECT resident_id FROM program_state WHERE program = 'severe_mental')), 0),
                 (SELECT count(*) FROM program_state WHERE program = 'maternal' AND {reach}),
                 (SELECT count(*) FROM program_state WHERE program = 'tuberculosis' AND {reach})
             FROM resident WHERE status = 'active' AND {reach}"
            ),
            params![child, elderly, chronic],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?]),
        )?;
        Ok(Tag::ALL.into_iter().zip(row).collect())
    }

    /// How many residents are on file.
    /// How much is on file: residents, service records, and changes waiting to be sent.
    pub fn counts(&self, actor: &Actor) -> Result<Counts> {
        Ok(Counts {
            residents: self.resident_count(actor)?,
            services: self.conn.query_row(
                &format!("SELECT count(*) FROM service_record WHERE {}", crate::access::resident_reach(actor, "resident_id")),
                [],
                |r| r.get(0),
            )?,
            outbox_pending: self.outbox_pending()?,
        })
    }

    /// How many residents are on file (the workbench asks only this, not the
    /// million service records [`counts`](Self::counts) also counts).
    pub fn resident_count(&self, actor: &Actor) -> Result<i64> {
        let sql = format!("SELECT count(*) FROM resident WHERE {}", crate::access::reach(actor, "village_code"));
        Ok(self.conn.query_row(&sql, [], |r| r.get(0))?)
    }
}

impl crate::Batch<'_> {
    /// Writes a resident as the platform has it: a new version (or a new
    /// record) with its history, never queued to be sent back. A household
    /// this install does not know yet is left off until it arrives.
    pub fn put_pulled_resident(&mut self, actor: &Actor, p: RemoteResident, server_version: &str, at: Moment) -> Result<Resident> {
        self.put_resident_copy(actor, p, Some(server_version), at)
    }

    /// Writes a resident merged with the platform's copy (what was typed on
    /// both sides, and a closure, reopening or handover made on the other):
    /// the next version, with its history, queued to be sent.
    pub fn put_merged_resident(&mut self, actor: &Actor, p: RemoteResident, at: Moment) -> Result<Resident> {
        self.put_resident_copy(actor, p, None, at)
    }

    /// Writes a resident as another copy of this database has it (see
    /// [`crate::replay`]): a new version with its history, queued to be sent
    /// (`pulled` is `None`), or, from the platform, noted as its version.
    pub(crate) fn put_resident_copy(&mut self, actor: &Actor, p: RemoteResident, pulled: Option<&str>, at: Moment) -> Result<Resident> {
        let tx = &self.tx;
        let before = load(tx, "id = ?1", &p.id)?;
        check_unique_id_number(tx, actor, &p.data, &p.id)?;
        let known_household = match &p.household {
            Some(m) => tx.query_row("SELECT 1 FROM household WHERE id = ?1", [&m.household_id], |_| Ok(())).optional()?.is_some(),
            None => false,
        };
        let household = p.household.filter(|_| known_household);
        let after = match &before {
            Some(b) => Resident {
                version: b.version + 1,
                // A provisional number here gives way to the final one the
                // platform has (given by the install that holds the block).
                record_no: if is_provisional(&b.record_no) && RecordNumber::parse(&p.record_no).is_ok() {
                    p.record_no.clone()
                } else {
                    b.record_no.clone()
                },
                data: p.data,
                household,
                status: p.status,
                closure: p.closure,
                reopened: p.reopened,
                merged_from: p.merged_from,
                managed_by: p.managed_by,
                updated_by: actor.name.clone(),
                updated_at: at.at(),
                ..b.clone()
            },
            None => {
                if let Some(holder) = load(tx, "record_no = ?1", &p.record_no)? {
                    return Err(StoreError::RecordNumberTaken { record_no: p.record_no, resident_id: holder.id, name: holder.data.name });
                }
                serial_blocks::note_arrived(tx, &self.profile, &p.record_no, &p.id, at)?;
                Resident {
                    id: p.id,
                    version: 1,
                    record_no: p.record_no,
                    data: p.data,
                    household,
                    status: p.status,
                    closure: p.closure,
                    reopened: p.reopened,
                    merged_from: p.merged_from,
                    institution: p.institution,
                    managed_by: p.managed_by,
                    created_by: actor.name.clone(),
                    created_at: at.at(),
                    updated_by: actor.name.clone(),
                    updated_at: at.at(),
                }
            }
        };
        if let Some(b) = before.as_ref().filter(|b| tracked(b) == tracked(&after) && b.household == after.household) {
            // Nothing new: only the platform's version moved.
            if let Some(server_version) = pulled {
                crate::sync::note_pulled(tx, Entity::Resident, &b.id, b.version, server_version, at.at())?;
            }
            return Ok(b.clone());
        }
        write_resident(tx, actor, before.as_ref(), &after, at)?;
        if let Some(server_version) = pulled {
            crate::sync::note_pulled(tx, Entity::Resident, &after.id, after.version, server_version, at.at())?;
        }
        Ok(after)
    }

    /// Saves a new version of a resident's data within the batch (see [`Store::update_resident`]).
    pub fn update_resident(&mut self, actor: &Actor, id: &str, expected_version: i64, data: ResidentInput, at: Moment) -> Result<Resident> {
        let tx = &self.tx;
        let before = editable(tx, actor, id, expected_version)?;
        crate::access::check_edit(actor, &data.village_code, id)?;
        check_unique_id_number(tx, actor, &data, id)?;
        let mut after = before.clone();
        after.data = data;
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        if tracked(&after) != tracked(&before) {
            write_resident(tx, actor, Some(&before), &after, at)?;
            Ok(after)
        } else {
            Ok(before)
        }
    }

    /// Registers a resident within the batch's transaction (see [`Store::insert_resident`]).
    pub fn insert_resident(&mut self, actor: &Actor, new: NewResident, at: Moment) -> Result<Resident> {
        let tx = &self.tx;
        let profile = &self.profile;
        crate::access::check_edit(actor, &new.data.village_code, &new.id)?;
        check_unique_id_number(tx, actor, &new.data, &new.id)?;
        let prefix = Prefix::new(&profile.county_code, &profile.township_code, &new.data.village_code);
        // No block with a serial left: the record is kept all the same, under
        // a provisional number that a new block replaces.
        let number = match serial_blocks::allocate(tx, &prefix, profile, &new.id, actor, at)? {
            Some(n) => n.to_string(),
            None => serial_blocks::allocate_provisional(tx, &prefix, &new.id, at)?,
        };
        let resident = Resident {
            id: new.id,
            version: 1,
            record_no: number,
            data: new.data,
            household: new.household,
            status: RecordStatus::Active,
            closure: None,
            reopened: None,
            merged_from: Vec::new(),
            institution: profile.institution_name.clone(),
            managed_by: String::new(),
            created_by: actor.name.clone(),
            created_at: at.at(),
            updated_by: actor.name.clone(),
            updated_at: at.at(),
        };
        write_resident(tx, actor, None, &resident, at)?;
        if let Some(m) = resident.household.as_ref().filter(|m| m.is_head) {
            crate::households::clear_other_heads(tx, actor, &m.household_id, &resident.id, at)?;
        }
        Ok(resident)
    }
}

/// An existing resident who may be the same person as a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateCandidate {
    pub id: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub household_id: Option<String>,
    pub record_no: String,
}

impl DuplicateCandidate {
    /// The domain's view of this candidate.
    pub fn as_candidate(&self) -> Candidate<'_> {
        Candidate { id: &self.id, name: &self.name, birth_date: self.birth_date, household_id: self.household_id.as_deref() }
    }
}

pub(crate) fn profile_in(conn: &rusqlite::Connection) -> Result<vhr_domain::clinic::ClinicProfile> {
    let json: Option<String> = conn.query_row("SELECT profile FROM clinic", [], |r| r.get(0)).optional()?;
    let json = json.ok_or(StoreError::NotInitialized)?;
    Ok(serde_json::from_str(&json)?)
}

pub(crate) fn load_resident(conn: &rusqlite::Connection, id: &str) -> Result<Resident> {
    load(conn, "id = ?1", &id)?.ok_or_else(|| StoreError::NotFound { entity: Entity::Resident, id: id.to_string() })
}
