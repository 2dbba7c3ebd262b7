//! The print log (§8 C3) and the residents a batch of cards selects.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, ToSql};
use serde::Serialize;
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_domain::resident::Resident;
use vhr_domain::time::Moment;

use crate::residents::{load_where, RESIDENT_COLUMNS};
use crate::{parse_ts, ts, Actor, Result, Store};

/// Which residents a batch of cards is for. Only active records are printed.
#[derive(Debug, Clone, PartialEq)]
pub enum CardSelection {
    /// Records created (建档日期) on or after this day.
    CreatedSince(NaiveDate),
    Village(String),
    Household(String),
    /// These residents, in this order (a selection from the search list).
    Residents(Vec<String>),
}

/// One printed card or form.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PrintEntry {
    pub job: String,
    pub at: DateTime<Utc>,
    pub user_name: String,
    pub kind: String,
    pub resident_id: String,
    pub record_id: Option<String>,
}

impl Store {
    /// The residents a selection names, in village and record-number order
    /// (or in the order given): a batch (a village, a household, records
    /// created since a day) takes the records in the register; residents
    /// named one by one are printed whatever their status, and a closed
    /// record's card says it is closed.
    pub fn residents_for_cards(&self, actor: &Actor, selection: &CardSelection) -> Result<Vec<Resident>> {
        let (cond, arg): (&str, Box<dyn ToSql>) = match selection {
            CardSelection::CreatedSince(day) => ("json_extract(data, '$.created_on') >= ?1", Box::new(day.to_string())),
            CardSelection::Village(code) => ("village_code = ?1", Box::new(code.clone())),
            CardSelection::Household(id) => ("household_id = ?1", Box::new(id.clone())),
            CardSelection::Residents(ids) => {
                let mut out = Vec::new();
                for id in ids {
                    if let Some(r) = self.resident(actor, id)? {
                        if !out.iter().any(|o: &Resident| o.id == r.id) {
                            out.push(r);
                        }
                    }
                }
                return Ok(out);
            }
        };
        let sql = format!(
            "SELECT {RESIDENT_COLUMNS} FROM resident WHERE {cond} AND status = 'active' AND {} ORDER BY village_code, record_no",
            crate::access::reach(actor, "village_code")
        );
        load_where(&self.conn, &sql, arg.as_ref())
    }

    /// Records that these residents' cards or forms were printed, as one job.
    pub fn log_prints(&mut self, actor: &Actor, job: &str, kind: &str, printed: &[(String, Option<String>)], at: Moment) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (resident_id, _) in printed {
            crate::access::require_reach(&tx, actor, resident_id)?;
        }
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO print_log (job, at, user_id, user_name, kind, resident_id, record_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (resident_id, record_id) in printed {
                stmt.execute(params![job, ts(at), actor.user_id, actor.name, kind, resident_id, record_id])?;
                let access = crate::audit::Access {
                    action: "print",
                    entity: Entity::Resident,
                    entity_id: resident_id,
                    resident_id: Some(resident_id),
                    version: None,
                    content: None,
                };
                crate::audit::append(&tx, actor, &ts(at), access)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every print of a resident's card or forms, newest first.
    pub fn prints_of(&self, actor: &Actor, resident_id: &str) -> Result<Vec<PrintEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT job, at, user_name, kind, resident_id, record_id FROM print_log WHERE resident_id = ?1 AND {} ORDER BY at DESC, pk DESC",
            crate::access::resident_reach(actor, "resident_id")
        ))?;
        let rows = stmt.query_map([resident_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (job, at, user_name, kind, resident_id, record_id) = row?;
            out.push(PrintEntry { job, at: parse_ts(&at)?, user_name, kind, resident_id, record_id });
        }
        Ok(out)
    }
}
