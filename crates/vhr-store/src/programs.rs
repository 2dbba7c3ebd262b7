//! Programme state: each resident's place in each programme, maintained with
//! every write that can change it, and the work-list scan over it.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction};
use vhr_domain::forms::FormValues;
use vhr_domain::i18n::Localized;
use vhr_domain::programs::{anchor, enrolment, LastService, Program, ProgramConfig};
use vhr_domain::resident::{RecordStatus, ResidentInput};

use crate::residents::{summary, ResidentSummary};
use crate::{Actor, Result, Store, StoreError};

/// A resident's state in one programme, as the work list needs it.
#[derive(Debug, Clone)]
pub struct ProgramRow {
    pub resident: ResidentSummary,
    pub program: Program,
    pub enrolled_on: NaiveDate,
    pub last: Option<LastService>,
}

fn program_code(p: Program) -> &'static str {
    match p {
        Program::Hypertension => "hypertension",
        Program::Diabetes => "diabetes",
        Program::Elderly => "elderly",
    }
}

fn date(s: &str) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
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

/// Recomputes one resident's rows from their record and latest services.
/// Runs inside the transaction of the change that may have moved them.
pub(crate) fn refresh(tx: &Transaction<'_>, resident_id: &str) -> Result<()> {
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
        .ok_or_else(|| StoreError::NotFound { entity: "resident", id: resident_id.into() })?;
    let input: ResidentInput = serde_json::from_str(&line.data)?;
    let birth = date(&line.birth_date)?;
    let active = RecordStatus::from_code(&line.status) == Some(RecordStatus::Active);
    let created_on = input.created_on.unwrap_or(birth);
    let cfg = ProgramConfig::default();
    for program in Program::ALL {
        let code = program_code(program);
        let Some(e) = enrolment(program, birth, &input.basic_info, created_on).filter(|_| active) else {
            tx.execute("DELETE FROM program_state WHERE resident_id = ?1 AND program = ?2", params![resident_id, code])?;
            continue;
        };
        let last: Option<(String, String)> = tx
            .prepare_cached(
                "SELECT service_date, data FROM service_record WHERE resident_id = ?1 AND form_id = ?2 ORDER BY service_date DESC, pk DESC LIMIT 1",
            )?
            .query_row(params![resident_id, program.followup_form()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let last = match last {
            Some((d, values)) => {
                let values: FormValues = serde_json::from_str(&values)?;
                Some(LastService::from_values(program, date(&d)?, &values))
            }
            None => None,
        };
        let a = anchor(program, e.enrolled_on, last.as_ref(), &cfg);
        tx.prepare_cached(
            "INSERT OR REPLACE INTO program_state (resident_id, program, record_no, name, sex, birth_date, village_code, id_number, household_id,
                 dx_hypertension, dx_diabetes, dx_severe_mental, eligible_from, enrolled_on, anchor, last_date, next_date, next_step,
                 classification, summary_zh, summary_en)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
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
            e.eligible_from.to_string(),
            e.enrolled_on.to_string(),
            a.to_string(),
            last.as_ref().map(|l| l.date.to_string()),
            last.as_ref().and_then(|l| l.next_date).map(|d| d.to_string()),
            last.as_ref().and_then(|l| l.next_step.clone()),
            last.as_ref().and_then(|l| l.classification.clone()),
            last.as_ref().map(|l| l.summary.zh.clone()).unwrap_or_default(),
            last.as_ref().map(|l| l.summary.en.clone()).unwrap_or_default(),
        ])?;
    }
    Ok(())
}

/// Builds every resident's rows, for a database made before programme state existed.
pub(crate) fn rebuild_all(tx: &Transaction<'_>) -> Result<()> {
    let ids: Vec<String> = tx.prepare("SELECT id FROM resident")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for id in ids {
        refresh(tx, &id)?;
    }
    Ok(())
}

impl Store {
    /// Everyone whose next service in any programme is owed by `until`, and who
    /// is old enough for the programme on `today`: one range scan.
    pub fn program_rows(&self, _actor: &Actor, today: NaiveDate, until: NaiveDate, village: Option<&str>) -> Result<Vec<ProgramRow>> {
        // The same columns, in the same order, as a resident summary: rows exist
        // only for active residents.
        let sql = "SELECT p.resident_id, p.record_no, p.name, p.sex, p.birth_date, p.village_code, p.id_number, p.household_id, 'active',
                          p.dx_hypertension, p.dx_diabetes, p.dx_severe_mental,
                          p.program, p.enrolled_on, p.last_date, p.next_date, p.next_step, p.classification, p.summary_zh, p.summary_en
                   FROM program_state p
                   WHERE p.anchor <= ?1 AND p.eligible_from <= ?2 AND (?3 IS NULL OR p.village_code = ?3)";
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![until.to_string(), today.to_string(), village], |r| {
            let program = match r.get_ref(12)?.as_str()? {
                "hypertension" => Program::Hypertension,
                "diabetes" => Program::Diabetes,
                _ => Program::Elderly,
            };
            let last_date: Option<String> = r.get(14)?;
            let last = match last_date {
                Some(d) => Some(LastService {
                    date: date(&d)?,
                    next_date: r.get::<_, Option<String>>(15)?.as_deref().map(date).transpose()?,
                    next_step: r.get(16)?,
                    classification: r.get(17)?,
                    summary: Localized::new(r.get::<_, String>(18)?, r.get::<_, String>(19)?),
                }),
                None => None,
            };
            Ok(ProgramRow { resident: summary(r, today)?, program, enrolled_on: date(&r.get::<_, String>(13)?)?, last })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
