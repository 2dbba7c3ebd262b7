//! The work list: who is due for which service on a day, per village or for
//! the whole catchment, and why.

use chrono::NaiveDate;
use serde::Serialize;
use ts_rs::TS;
use vhr_domain::problem::Problem;
use vhr_domain::programs::{due_item, DueItem, DueState, Program};
use vhr_store::ResidentSummary;

use crate::{Clinic, Error, Result};

/// One line of the work list.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WorkItem {
    pub resident: ResidentSummary,
    pub due: DueItem,
}

impl Clinic {
    /// The work list for a day typed as `YYYY-MM-DD` (today when `None`).
    pub fn worklist_on(&self, date: Option<&str>, village: Option<&str>) -> Result<Vec<WorkItem>> {
        let day = match date {
            Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                Error::Invalid(vec![Problem::error(
                    "date",
                    "date.format",
                    format!("日期“{d}”无法识别，请按 年-月-日 填写，如 2026-03-01"),
                    format!("The date “{d}” is not understood; write year-month-day, e.g. 2026-03-01"),
                )])
            })?,
            None => self.today(),
        };
        self.worklist(day, village)
    }

    /// Who is due for which service on `date`, per village or for the whole
    /// catchment: missed and overdue first, then due, then upcoming.
    pub fn worklist(&self, date: NaiveDate, village: Option<&str>) -> Result<Vec<WorkItem>> {
        let actor = self.actor()?;
        let cfg = &self.program_config;
        let until = date + chrono::Duration::days(cfg.horizon_days);
        let mut items = Vec::with_capacity(4096);
        self.store.each_program_row(actor, date, until, village.filter(|v| !v.is_empty()), &mut |row| {
            if let Some(due) = due_item(&row.standing, date, cfg) {
                items.push(WorkItem { resident: row.resident, due });
            }
        })?;
        fn key(i: &WorkItem) -> (DueState, NaiveDate, &str, &str, Program) {
            (i.due.state, i.due.due_on, &i.resident.village_code, &i.resident.record_no, i.due.program)
        }
        // Sort positions, not the items: a line is a few hundred bytes and the list has thousands.
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_unstable_by(|&a, &b| key(&items[a]).cmp(&key(&items[b])));
        let mut slots: Vec<Option<WorkItem>> = items.into_iter().map(Some).collect();
        Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
    }
}
