//! The work list: who is due for which service on a day, per village or for
//! the whole catchment, and why; by view (today, this week, overdue, annual
//! checks, all), a screen at a time, with every view's count.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::problem::Problem;
use vhr_domain::programs::{due_item, due_timing, DueItem, DueState, DueTiming, Program, ViewCounts, WorkView};
use vhr_store::ResidentSummary;

use crate::{Actor, Clinic, Error, Result};

/// One line of the work list.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WorkItem {
    pub resident: ResidentSummary,
    pub due: DueItem,
}

/// A screen of the work list asked for by the window.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct WorkQuery {
    /// The day, typed as `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
    /// One village's code; the whole catchment when absent or empty.
    pub village: Option<String>,
    pub view: WorkView,
    /// Lines to skip, for the screens after the first.
    #[serde(default)]
    pub offset: u32,
    /// Lines wanted ([`WorkQuery::DEFAULT_LIMIT`] when absent, at most [`WorkQuery::MAX_LIMIT`]).
    pub limit: Option<u32>,
}

impl WorkQuery {
    pub const DEFAULT_LIMIT: u32 = 100;
    pub const MAX_LIMIT: u32 = 1000;
}

/// One screen of a view of the work list, and how many lines every view holds.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WorkPage {
    pub date: NaiveDate,
    pub view: WorkView,
    pub counts: ViewCounts,
    pub offset: u32,
    pub items: Vec<WorkItem>,
}

/// Where a line sorts: missed and overdue first, then by date, village and record number.
type Order<'a> = (DueState, NaiveDate, &'a str, &'a str, Program);

fn order(i: &WorkItem) -> Order<'_> {
    (i.due.state, i.due.due_on, &i.resident.village_code, &i.resident.record_no, i.due.program)
}

/// A line of the list kept for counting and ordering, before it is worded.
struct Placed {
    timing: DueTiming,
    village_code: String,
    record_no: String,
    program: Program,
    resident_id: String,
}

impl Placed {
    fn order(&self) -> Order<'_> {
        (self.timing.state, self.timing.due_on, &self.village_code, &self.record_no, self.program)
    }
}

/// One day's work list for the whole catchment, counted and ordered but not
/// worded, kept between requests: the doctor moves between views, villages
/// and screens, and comes back after each follow-up. Brought up to date on
/// each request with only the residents whose programme state changed since.
pub(crate) struct DayLines {
    day: NaiveDate,
    user_id: String,
    /// The store's change point the lines are up to date with.
    seq: i64,
    lines: Vec<Placed>,
}

impl DayLines {
    /// Reads one resident's lines (or, with `None`, the catchment's) into `lines`.
    fn read(clinic: &Clinic, actor: &Actor, day: NaiveDate, resident: Option<&str>, lines: &mut Vec<Placed>) -> Result<()> {
        let cfg = &clinic.program_config;
        let until = day + chrono::Duration::days(cfg.horizon_days);
        clinic.store.each_timing_row(actor, day, until, resident, &mut |row| {
            if let Some(timing) = due_timing(&row.standing, day, cfg) {
                lines.push(Placed {
                    timing,
                    village_code: row.village_code.to_string(),
                    record_no: row.record_no.to_string(),
                    program: row.standing.program,
                    resident_id: row.resident_id.to_string(),
                });
            }
        })?;
        Ok(())
    }

    /// The day's lines as they stand now: kept ones brought up to date, or read anew.
    fn current(clinic: &Clinic, actor: &Actor, day: NaiveDate, kept: Option<DayLines>) -> Result<DayLines> {
        let kept = kept.filter(|k| k.day == day && k.user_id == actor.user_id);
        let changes = clinic.store.program_changes(actor, kept.as_ref().map_or(0, |k| k.seq))?;
        match (kept, changes.residents) {
            (Some(mut k), Some(changed)) => {
                if !changed.is_empty() {
                    let gone: HashSet<&str> = changed.iter().map(String::as_str).collect();
                    k.lines.retain(|l| !gone.contains(l.resident_id.as_str()));
                    for id in &changed {
                        DayLines::read(clinic, actor, day, Some(id), &mut k.lines)?;
                    }
                }
                k.seq = changes.seq;
                Ok(k)
            }
            _ => {
                let mut lines = Vec::new();
                DayLines::read(clinic, actor, day, None, &mut lines)?;
                Ok(DayLines { day, user_id: actor.user_id.clone(), seq: changes.seq, lines })
            }
        }
    }
}

impl Clinic {
    /// A day typed as `YYYY-MM-DD`, or today when `None`.
    fn list_day(&self, date: Option<&str>) -> Result<NaiveDate> {
        match date {
            Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                Error::Invalid(vec![Problem::error(
                    "date",
                    "date.format",
                    format!("日期“{d}”无法识别，请按 年-月-日 填写，如 2026-03-01"),
                    format!("The date “{d}” is not understood; write year-month-day, e.g. 2026-03-01"),
                )])
            }),
            None => Ok(self.today()),
        }
    }

    /// The whole work list for a day typed as `YYYY-MM-DD` (today when `None`).
    pub fn worklist_on(&self, date: Option<&str>, village: Option<&str>) -> Result<Vec<WorkItem>> {
        let day = self.list_day(date)?;
        self.worklist(day, village)
    }

    /// Reads today's work list ahead (the window does it on signing in), so
    /// its first screen is ready when the doctor opens it. Best effort: a
    /// failure here shows itself when the list is opened.
    pub fn prepare_worklist(&self) {
        let Ok(actor) = self.actor() else { return };
        let kept = self.day_lines.borrow_mut().take();
        if let Ok(lines) = DayLines::current(self, actor, self.today(), kept) {
            *self.day_lines.borrow_mut() = Some(lines);
        }
    }

    /// One screen of a view of the work list, with every view's count. The
    /// day's lines are counted and ordered from their timing alone and kept
    /// (see [`DayLines`]); only the screen's lines are read whole and worded,
    /// so a screen comes fast however long the list is.
    pub fn worklist_page(&self, query: &WorkQuery) -> Result<WorkPage> {
        let actor = self.actor()?;
        let day = self.list_day(query.date.as_deref())?;
        let cfg = &self.program_config;
        let village = query.village.as_deref().filter(|v| !v.is_empty());
        let kept = self.day_lines.borrow_mut().take();
        let lines = DayLines::current(self, actor, day, kept)?;
        let mut counts = ViewCounts::default();
        let mut shown: Vec<&Placed> = Vec::new();
        for line in lines.lines.iter().filter(|l| village.is_none_or(|v| l.village_code == v)) {
            counts.add(line.program, &line.timing, day);
            if query.view.shows(line.program, &line.timing, day) {
                shown.push(line);
            }
        }
        let limit = query.limit.unwrap_or(WorkQuery::DEFAULT_LIMIT).clamp(1, WorkQuery::MAX_LIMIT) as usize;
        let offset = query.offset as usize;
        // Only the screen's lines need to be in order among themselves and ahead of the rest.
        let end = (offset + limit).min(shown.len());
        if end > 0 && end < shown.len() {
            shown.select_nth_unstable_by(end - 1, |a, b| a.order().cmp(&b.order()));
            shown.truncate(end);
        }
        shown.sort_unstable_by(|a, b| a.order().cmp(&b.order()));
        let screen: Vec<(&str, Program)> = shown.iter().skip(offset).map(|p| (p.resident_id.as_str(), p.program)).collect();
        let read = self.store.program_rows_of(actor, &screen, day);
        *self.day_lines.borrow_mut() = Some(lines);
        let mut items: Vec<WorkItem> = read?
            .into_iter()
            .filter_map(|row| due_item(&row.standing, day, cfg).map(|due| WorkItem { resident: row.resident, due }))
            .collect();
        items.sort_by(|a, b| order(a).cmp(&order(b)));
        Ok(WorkPage { date: day, view: query.view, counts, offset: query.offset, items })
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
        // Sort positions, not the items: a line is a few hundred bytes and the list has thousands.
        let mut positions: Vec<usize> = (0..items.len()).collect();
        positions.sort_unstable_by(|&a, &b| order(&items[a]).cmp(&order(&items[b])));
        let mut slots: Vec<Option<WorkItem>> = items.into_iter().map(Some).collect();
        Ok(positions.into_iter().filter_map(|i| slots[i].take()).collect())
    }
}
