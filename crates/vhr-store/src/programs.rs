//! Programme state: each resident's place in each programme, maintained with
//! every write that can change it (resident, service record, episode), and
//! the work-list scan over it.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use vhr_domain::entity::Entity;
use vhr_domain::forms::FormValues;
use vhr_domain::i18n::Localized;
use vhr_domain::programs::{
    anchor, standing, DoneService, Enrolment, Entry, LastService, MemberFacts, PlannedVisit, Program, ProgramConfig, Standing,
};
use vhr_domain::resident::{RecordStatus, ResidentInput};

use crate::residents::{summary, ResidentSummary};
use crate::{Actor, Result, Store, StoreError};

/// A resident's state in one programme, as the work list needs it.
#[derive(Debug, Clone)]
pub struct ProgramRow {
    pub resident: ResidentSummary,
    pub standing: Standing,
}

/// A resident's standing in one programme read for counting and ordering
/// the work list: only the dates, steps and classification the timing needs
/// ([`vhr_domain::programs::due_timing`]); summaries and visit names are left
/// empty. The borrowed fields live as long as the scan's row.
pub struct TimingRow<'a> {
    pub resident_id: &'a str,
    pub village_code: &'a str,
    pub record_no: &'a str,
    pub standing: Standing,
}

/// A planned visit's dates, read without its names.
#[derive(serde::Deserialize)]
struct VisitDates {
    #[serde(deserialize_with = "plan_date")]
    due_on: NaiveDate,
    #[serde(deserialize_with = "plan_date")]
    window_end: NaiveDate,
    #[serde(deserialize_with = "plan_date_or_none")]
    lost_on: Option<NaiveDate>,
}

fn plan_date<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<NaiveDate, D::Error> {
    let s: &str = serde::Deserialize::deserialize(d)?;
    date(s).map_err(serde::de::Error::custom)
}

fn plan_date_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<NaiveDate>, D::Error> {
    let s: Option<&str> = serde::Deserialize::deserialize(d)?;
    s.map(date).transpose().map_err(serde::de::Error::custom)
}

/// Nothing more is owed: the row stays (membership shows) but never enters the list's range.
const NEVER: &str = "9999-12-31";

/// A stored `YYYY-MM-DD` date, read by hand: the work list reads tens of
/// thousands, and chrono's general parser was a tenth of its time.
pub(crate) fn date(s: &str) -> rusqlite::Result<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let parsed = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?))
        .flatten();
    parsed.ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("not a YYYY-MM-DD date: {s:?}").into())
    })
}

/// The resident's fields a work-list line shows; they travel with each state row.
struct Line {
    data: String,
    birth_date: String,
    status: String,
    record_no: String,
    name: String,
    sex: String,
    village_code: String,
    id_number: Option<String>,
    household_id: Option<String>,
    dx: [bool; 3],
}

/// A service record as the planner reads it.
struct Done {
    form_id: String,
    date: NaiveDate,
    values: FormValues,
}

/// The programme's services that decide its schedule: every one for the
/// sequence programmes, the latest booking form otherwise.
fn services_for(tx: &Transaction<'_>, resident_id: &str, program: Program, since: Option<NaiveDate>) -> Result<Vec<Done>> {
    let (forms, limit) = if program.is_sequence() { (program.forms(), "") } else { (program.booking_forms(), "LIMIT 1") };
    let list = forms.iter().map(|f| format!("'{f}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT form_id, service_date, data FROM service_record
         WHERE resident_id = ?1 AND form_id IN ({list}) AND service_date >= ?2
         ORDER BY service_date DESC, pk DESC {limit}"
    );
    let since = since.map(|d| d.to_string()).unwrap_or_default();
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows =
        stmt.query_map(params![resident_id, since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (form_id, d, values) = row?;
        out.push(Done { form_id, date: date(&d)?, values: serde_json::from_str(&values)? });
    }
    out.reverse();
    Ok(out)
}

/// Recomputes one resident's rows from their record, episodes and services.
/// Runs inside the transaction of the change that may have moved them.
///
/// `as_of` is the day of the change (see [`standing`]); `None` when there is
/// no change to date it by (a rebuild), which keeps every visit of a sequence.
/// A work list asked for a day before the last change may not name a visit
/// lost by then.
pub(crate) fn refresh(tx: &Transaction<'_>, resident_id: &str, as_of: Option<NaiveDate>) -> Result<()> {
    let line = tx
        .query_row(
            "SELECT data, birth_date, status, record_no, name, sex, village_code, id_number, household_id,
                    dx_hypertension, dx_diabetes, dx_severe_mental
             FROM resident WHERE id = ?1",
            [resident_id],
            |r| {
                Ok(Line {
                    data: r.get(0)?,
                    birth_date: r.get(1)?,
                    status: r.get(2)?,
                    record_no: r.get(3)?,
                    name: r.get(4)?,
                    sex: r.get(5)?,
                    village_code: r.get(6)?,
                    id_number: r.get(7)?,
                    household_id: r.get(8)?,
                    dx: [r.get(9)?, r.get(10)?, r.get(11)?],
                })
            },
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound { entity: Entity::Resident, id: resident_id.into() })?;
    let input: ResidentInput = serde_json::from_str(&line.data)?;
    let birth = date(&line.birth_date)?;
    let active = RecordStatus::from_code(&line.status) == Some(RecordStatus::Active);
    let created_on = input.created_on.unwrap_or(birth);
    let cfg = config_in(tx)?;
    let mut registered = Vec::new();
    for program in Program::ALL {
        let code = program.code();
        let episode = crate::episodes::latest(tx, resident_id, program)?.map(|e| e.episode);
        let facts = MemberFacts { birth, basic_info: &input.basic_info, created_on, episode: episode.as_ref() };
        let in_programme = active && vhr_domain::programs::enrolment(program, facts).is_some();
        if !in_programme {
            tx.prepare_cached("DELETE FROM program_state WHERE resident_id = ?1 AND program = ?2")?.execute(params![resident_id, code])?;
            continue;
        }
        let done = services_for(tx, resident_id, program, episode.as_ref().map(|e| e.started_on))?;
        let done_refs: Vec<DoneService<'_>> =
            done.iter().map(|d| DoneService { form_id: &d.form_id, date: d.date, values: &d.values }).collect();
        let Some(st) = standing(program, facts, &done_refs, &cfg, as_of) else { continue };
        if program.entry() == Entry::Registered {
            registered.push(code);
        }
        let a = anchor(&st, &cfg).map(|d| d.to_string()).unwrap_or_else(|| NEVER.to_string());
        let last = st.last.as_ref();
        tx.prepare_cached(
            "INSERT OR REPLACE INTO program_state (resident_id, program, record_no, name, sex, birth_date, village_code, id_number, household_id,
                 dx_hypertension, dx_diabetes, dx_severe_mental, eligible_from, enrolled_on, anchor, last_date, next_date, next_step,
                 classification, summary_zh, summary_en, until, plan)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        )?
        .execute(params![
            resident_id,
            code,
            line.record_no,
            line.name,
            line.sex,
            line.birth_date,
            line.village_code,
            line.id_number,
            line.household_id,
            line.dx[0],
            line.dx[1],
            line.dx[2],
            st.enrolment.eligible_from.to_string(),
            st.enrolment.enrolled_on.to_string(),
            a,
            last.map(|l| l.date.to_string()),
            last.and_then(|l| l.next_date).map(|d| d.to_string()),
            last.and_then(|l| l.next_step.clone()),
            last.and_then(|l| l.classification.clone()),
            // Sequence programmes keep the names of the visits already lost here.
            last.map(|l| l.summary.zh.clone()).unwrap_or_else(|| st.missed.zh.clone()),
            last.map(|l| l.summary.en.clone()).unwrap_or_else(|| st.missed.en.clone()),
            st.enrolment.until.map(|d| d.to_string()),
            serde_json::to_string(&st.plan)?,
        ])?;
    }
    tx.prepare_cached("UPDATE program_state SET registered = ?2 WHERE resident_id = ?1")?
        .execute(params![resident_id, registered.join(",")])?;
    tx.prepare_cached("INSERT INTO program_state_change (resident_id) VALUES (?1)")?.execute([resident_id])?;
    Ok(())
}

/// The changes a reader follows one by one; beyond this many it reads everything again.
const FOLLOWED_CHANGES: i64 = 10_000;

/// Drops the change rows no reader follows any more (see migration 0009).
pub(crate) fn prune_changes(conn: &rusqlite::Connection) -> Result<()> {
    conn.execute("DELETE FROM program_state_change WHERE seq <= (SELECT max(seq) FROM program_state_change) - ?1", [FOLLOWED_CHANGES])?;
    Ok(())
}

/// What changed in programme state after a point a reader last saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramChanges {
    /// The point to ask from next time.
    pub seq: i64,
    /// The residents whose state changed, each once; `None` when everything
    /// may have changed (a rebuild, or more changes than are followed).
    pub residents: Option<Vec<String>>,
}

/// The programme thresholds and intervals in force: the install's, kept in
/// the database so every process (window, CLI) schedules alike, else the spec's.
pub(crate) fn config_in(tx: &Transaction<'_>) -> Result<ProgramConfig> {
    let stored: Option<String> =
        tx.prepare_cached("SELECT value FROM setting WHERE key = 'programs.config'")?.query_row([], |r| r.get(0)).optional()?;
    Ok(match stored {
        Some(json) => serde_json::from_str(&json)?,
        None => ProgramConfig::default(),
    })
}

/// Builds every resident's rows, for a database made before programme state existed.
pub(crate) fn rebuild_all(tx: &Transaction<'_>) -> Result<()> {
    let ids: Vec<String> = tx.prepare("SELECT id FROM resident")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for id in ids {
        refresh(tx, &id, None)?;
    }
    tx.execute("INSERT INTO program_state_change (resident_id) VALUES ('*')", [])?;
    Ok(())
}

/// The columns of a work-list line: a resident summary's, then the state's.
const ROW_SELECT: &str =
    "SELECT p.resident_id, p.record_no, p.name, p.sex, p.birth_date, p.village_code, p.id_number, p.household_id, 'active',
                p.dx_hypertension, p.dx_diabetes, p.dx_severe_mental, p.registered,
                p.program, p.eligible_from, p.enrolled_on, p.until, p.plan,
                p.last_date, p.next_date, p.next_step, p.classification, p.summary_zh, p.summary_en
         FROM program_state p";

fn decode_row(r: &rusqlite::Row<'_>, today: NaiveDate) -> rusqlite::Result<ProgramRow> {
    let code = r.get_ref(13)?.as_str()?.to_string();
    let program = Program::from_code(&code)
        .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(13, rusqlite::types::Type::Text, format!("programme {code:?}").into()))?;
    let plan: String = r.get(17)?;
    let last_date: Option<String> = r.get(18)?;
    let said = Localized::new(r.get::<_, String>(22)?, r.get::<_, String>(23)?);
    let (last, missed) = match last_date {
        Some(d) => (
            Some(LastService {
                date: date(&d)?,
                next_date: r.get::<_, Option<String>>(19)?.as_deref().map(date).transpose()?,
                next_step: r.get(20)?,
                classification: r.get(21)?,
                summary: said,
            }),
            Localized::default(),
        ),
        None => (None, said),
    };
    let enrolment = Enrolment {
        eligible_from: date(&r.get::<_, String>(14)?)?,
        enrolled_on: date(&r.get::<_, String>(15)?)?,
        until: r.get::<_, Option<String>>(16)?.as_deref().map(date).transpose()?,
    };
    let plan =
        serde_json::from_str(&plan).map_err(|e| rusqlite::Error::FromSqlConversionFailure(17, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(ProgramRow { resident: summary(r, today)?, standing: Standing { program, enrolment, last, plan, missed } })
}

/// A [`TimingRow`] from the columns [`Store::each_timing_row`] selects.
fn decode_timing<'r>(r: &'r rusqlite::Row<'_>) -> rusqlite::Result<TimingRow<'r>> {
    let code = r.get_ref(3)?.as_str()?;
    let program = Program::from_code(code)
        .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, format!("programme {code:?}").into()))?;
    let day = |i: usize| -> rusqlite::Result<Option<NaiveDate>> { r.get_ref(i)?.as_str_or_null()?.map(date).transpose() };
    let enrolment =
        Enrolment { eligible_from: date(r.get_ref(4)?.as_str()?)?, enrolled_on: date(r.get_ref(5)?.as_str()?)?, until: day(6)? };
    let last = match day(7)? {
        Some(d) => Some(LastService {
            date: d,
            next_date: day(8)?,
            next_step: r.get(9)?,
            classification: r.get(10)?,
            summary: Localized::default(),
        }),
        None => None,
    };
    let plan = match r.get_ref(11)?.as_str_or_null()? {
        Some(json) => serde_json::from_str::<Vec<VisitDates>>(json)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(11, rusqlite::types::Type::Text, Box::new(e)))?
            .into_iter()
            .map(|v| PlannedVisit {
                form_id: String::new(),
                visit: None,
                label: Localized::default(),
                due_on: v.due_on,
                window_end: v.window_end,
                lost_on: v.lost_on,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(TimingRow {
        resident_id: r.get_ref(0)?.as_str()?,
        village_code: r.get_ref(1)?.as_str()?,
        record_no: r.get_ref(2)?.as_str()?,
        standing: Standing { program, enrolment, last, plan, missed: Localized::default() },
    })
}

impl Store {
    /// Puts an install's programme thresholds and intervals in force. When
    /// they differ from those in force, every resident's programme state is
    /// recomputed in the same transaction; returns whether that happened.
    pub fn apply_program_config(&mut self, cfg: &ProgramConfig) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if &config_in(&tx)? == cfg {
            return Ok(false);
        }
        tx.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('programs.config', ?1)", [serde_json::to_string(cfg)?])?;
        rebuild_all(&tx)?;
        tx.commit()?;
        Ok(true)
    }

    /// Everyone whose next service in any programme is owed by `until`, and who
    /// is in the programme on `today`: one range scan.
    pub fn program_rows(&self, actor: &Actor, today: NaiveDate, until: NaiveDate, village: Option<&str>) -> Result<Vec<ProgramRow>> {
        let mut out = Vec::new();
        self.each_program_row(actor, today, until, village, &mut |row| out.push(row))?;
        Ok(out)
    }

    /// The same rows handed over one at a time, so a caller that keeps only
    /// part of each (the work list) never holds them all.
    pub fn each_program_row(
        &self,
        actor: &Actor,
        today: NaiveDate,
        until: NaiveDate,
        village: Option<&str>,
        f: &mut dyn FnMut(ProgramRow),
    ) -> Result<()> {
        // Rows exist only for active residents.
        let sql = format!(
            "{} WHERE p.anchor <= ?1 AND p.eligible_from <= ?2 AND (p.until IS NULL OR p.until > ?2) AND (?3 IS NULL OR p.village_code = ?3) AND {}",
            ROW_SELECT,
            crate::access::reach(actor, "p.village_code")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![until.to_string(), today.to_string(), village])?;
        while let Some(r) = rows.next()? {
            f(decode_row(r, today)?);
        }
        Ok(())
    }

    /// What changed in programme state after `since` (0: from the start).
    pub fn program_changes(&self, _actor: &Actor, since: i64) -> Result<ProgramChanges> {
        // Asked on every work-list request: one look at each end of the log.
        // (Two subqueries: SQLite reads a lone min() or max() off the index
        // end, but both in one select scan the whole log — 80 ms on a clinic
        // just loaded, before the log is pruned at the next open.)
        let (seq, oldest): (i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT coalesce((SELECT max(seq) FROM program_state_change), 0), coalesce((SELECT min(seq) FROM program_state_change), 1)",
            )?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if since == seq {
            return Ok(ProgramChanges { seq, residents: Some(Vec::new()) });
        }
        if since == 0 || since < oldest - 1 || since > seq || seq - since > FOLLOWED_CHANGES {
            return Ok(ProgramChanges { seq, residents: None });
        }
        let mut stmt = self.conn.prepare_cached("SELECT DISTINCT resident_id FROM program_state_change WHERE seq > ?1 AND seq <= ?2")?;
        let ids: Vec<String> = stmt.query_map([since, seq], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let residents = (!ids.iter().any(|id| id == "*")).then_some(ids);
        Ok(ProgramChanges { seq, residents })
    }

    /// The work list's rows on `today` for counting and ordering, handed over
    /// one at a time: a narrow read of the same range as
    /// [`Store::each_program_row`], for the catchment or one resident.
    pub fn each_timing_row(
        &self,
        actor: &Actor,
        today: NaiveDate,
        until: NaiveDate,
        resident: Option<&str>,
        f: &mut dyn FnMut(TimingRow<'_>),
    ) -> Result<()> {
        // Only sequence programmes need their plan, and only its dates.
        let sequences = Program::ALL.iter().filter(|p| p.is_sequence()).map(|p| format!("'{}'", p.code())).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT p.resident_id, p.village_code, p.record_no, p.program, p.eligible_from, p.enrolled_on, p.until,
                    p.last_date, p.next_date, p.next_step, p.classification,
                    CASE WHEN p.program IN ({sequences}) THEN p.plan END
             FROM program_state p
             WHERE {} p.anchor <= ?1 AND p.eligible_from <= ?2 AND (p.until IS NULL OR p.until > ?2) AND {}",
            // One resident's rows through their own index, not the range.
            if resident.is_some() { "p.resident_id = ?3 AND" } else { "" },
            crate::access::reach(actor, "p.village_code")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = match resident {
            Some(id) => stmt.query(params![until.to_string(), today.to_string(), id])?,
            None => stmt.query(params![until.to_string(), today.to_string()])?,
        };
        while let Some(r) = rows.next()? {
            f(decode_timing(r)?);
        }
        Ok(())
    }

    /// Whole rows for the members named (resident and programme), in the
    /// order named; a member no longer in the programme is left out.
    pub fn program_rows_of(&self, actor: &Actor, members: &[(&str, Program)], today: NaiveDate) -> Result<Vec<ProgramRow>> {
        let sql = format!("{ROW_SELECT} WHERE p.resident_id = ?1 AND p.program = ?2 AND {}", crate::access::reach(actor, "p.village_code"));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut out = Vec::with_capacity(members.len());
        for (id, program) in members {
            if let Some(row) = stmt.query_row(params![id, program.code()], |r| decode_row(r, today)).optional()? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Every programme a resident is in, with their standing.
    pub fn standings_of(&self, actor: &Actor, resident_id: &str, today: NaiveDate) -> Result<Vec<ProgramRow>> {
        let sql = format!("{ROW_SELECT} WHERE p.resident_id = ?1 AND {}", crate::access::reach(actor, "p.village_code"));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([resident_id], |r| decode_row(r, today))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod changes {
    use super::*;

    /// A reader that saw nothing yet, or whose point was pruned away, reads
    /// everything; one up to date learns nothing changed; a rebuild of every
    /// resident's state (new thresholds) tells every reader to read again.
    #[test]
    fn readers_learn_what_changed_or_to_read_everything() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), &crate::testing::key()).unwrap();
        let actor = Actor::install("u", "李");
        let first = store.program_changes(&actor, 0).unwrap();
        assert_eq!(first.residents, None, "a reader with nothing reads everything");
        assert_eq!(store.program_changes(&actor, first.seq).unwrap().residents, Some(Vec::new()), "nothing changed since");
        assert_eq!(store.program_changes(&actor, first.seq + 5).unwrap().residents, None, "a point from another database: read everything");
        let stricter = ProgramConfig { horizon_days: ProgramConfig::default().horizon_days + 10, ..ProgramConfig::default() };
        assert!(store.apply_program_config(&stricter).unwrap(), "new thresholds rebuild every resident's state");
        let after = store.program_changes(&actor, first.seq).unwrap();
        assert_eq!((after.seq > first.seq, after.residents), (true, None), "a rebuild means read everything again");
    }
}
