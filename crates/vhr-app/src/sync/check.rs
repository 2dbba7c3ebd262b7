//! Pulled data is input too: what the platform sends is checked by the rules
//! a doctor's typing is checked by — codes, dates, record numbers, sex and
//! birth date against the ID number — before anything of it is stored. A
//! resource that fails is set aside by the pull with these problems as its
//! reason, never stored half-right.
//!
//! Two rules of typing do not apply: an item another install left empty is
//! not a reason to refuse the whole record (what is required can depend on
//! the day and on the province's forms), and a resident who lives outside
//! this install's villages may still be one of its residents (moved away).

use chrono::NaiveDate;
use vhr_domain::forms::{validate, FormDef, FormValues, ValidationContext};
use vhr_domain::i18n::Lang;
use vhr_domain::problem::Problem;
use vhr_domain::programs::Episode;
use vhr_domain::record_number::{check_digits, RecordNumber};
use vhr_domain::resident::{age_on, prepare, RemoteResident};
use vhr_domain::serial_blocks::is_provisional;

use super::BASIC_INFO;
use crate::{Clinic, Error, Result};

/// Problem codes of typing that a pulled record is not refused for.
const NOT_FOR_PULLED: [&str; 2] = ["required", "village.unknown"];

impl Clinic {
    /// A pulled resident, normalised as registration normalises one, or the
    /// problems that keep it out.
    pub(super) fn check_pulled_resident(&self, pulled: RemoteResident) -> Result<RemoteResident> {
        let clinic = self.profile_required()?;
        let today = self.today();
        let mut problems = Vec::new();
        if is_provisional(&pulled.record_no) {
            problems.push(Problem::error(
                "record_no",
                "record_no.provisional",
                format!("该档案暂用临时编号 {}，待建档机构换为正式编号后自动接收", pulled.record_no),
                format!("The record has the provisional number {} for now; it is taken once the institution that keeps it gives it its final number", pulled.record_no),
            ));
        } else if RecordNumber::parse(&pulled.record_no).is_err() {
            problems.push(Problem::error(
                "record_no",
                "record_no.format",
                format!("健康档案编号应为17位数字，平台发来的是“{}”", pulled.record_no),
                format!("A health record number has 17 digits; the platform sent “{}”", pulled.record_no),
            ));
        }
        let (mut data, found) = prepare(pulled.data, &clinic, today);
        problems.extend(found);
        problems.extend(check_digits("village_code", &data.village_code, 3, "村（居）委会代码", "village code"));
        if !data.basic_info.is_empty() {
            let form = self.forms.form(BASIC_INFO).ok_or_else(|| Error::Forms(format!("{BASIC_INFO} is missing")))?;
            let age = data.birth_date.map(|b| age_on(b, today));
            let ctx = ValidationContext { today, age, tags: &[] };
            let (values, found) = validate(form, &self.forms, &data.basic_info, ctx, "basic_info");
            data.basic_info = values;
            problems.extend(found);
        }
        refuse_on_errors(problems)?;
        Ok(RemoteResident { data, ..pulled })
    }

    /// A pulled form's values, normalised as a save normalises them, or the
    /// problems that keep it out. `birth_date` is its resident's.
    pub(super) fn check_pulled_service(&self, form: &FormDef, values: &FormValues, birth_date: Option<NaiveDate>) -> Result<FormValues> {
        let today = self.today();
        let on = form.service_date_in(values).unwrap_or(today);
        let ctx = ValidationContext { today, age: birth_date.map(|b| age_on(b, on)), tags: &[] };
        let (clean, mut problems) = validate(form, &self.forms, values, ctx, "values");
        if form.service_date.is_some() && form.service_date_in(&clean).is_none() {
            problems.push(Problem::error("values", "service.date", "缺少服务日期", "The date of the service is missing"));
        }
        refuse_on_errors(problems)?;
        Ok(clean)
    }

    /// A pulled programme episode whose dates make sense, or why not.
    pub(super) fn check_pulled_episode(&self, e: &Episode) -> Result<()> {
        let today = self.today();
        let mut problems = Vec::new();
        if e.started_on > today {
            problems.push(Problem::error("started_on", "date.future", "纳入管理日期晚于今天", "The programme starts after today"));
        }
        if e.ended_on.is_some_and(|end| end < e.started_on) {
            problems.push(Problem::error(
                "ended_on",
                "rule.date_after",
                "结束管理日期早于纳入管理日期",
                "The programme ends before it starts",
            ));
        }
        refuse_on_errors(problems)
    }
}

/// Refuses on any error except those typing rules a pulled record is not held to.
fn refuse_on_errors(problems: Vec<Problem>) -> Result<()> {
    let errors: Vec<Problem> = problems.into_iter().filter(|p| p.is_error() && !NOT_FOR_PULLED.contains(&p.code.as_str())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Why a resource was set aside, in a language: each problem's words for a
/// resource that broke the rules, else the error's message.
pub(super) fn set_aside_reason(e: &Error, lang: Lang) -> String {
    match e {
        Error::Invalid(problems) => {
            let texts: Vec<&str> = problems.iter().map(|p| p.text(lang)).collect();
            texts.join(if lang == Lang::Zh { "；" } else { "; " })
        }
        other => other.message(lang),
    }
}
