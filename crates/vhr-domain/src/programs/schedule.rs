//! When the next service of a programme is due, and how urgent it is now.
//!
//! A follow-up books the next one (its 下次随访日期); a resident never followed
//! up is due from enrolment. After an uncontrolled or urgent visit the next
//! follow-up must happen by its date (the 2-week rules); a routine one has a
//! few days' grace. "Today" is an argument, so every rule is tested with fixed dates.

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::plan::{plan, DoneService, PlannedVisit};
use super::{enrolment, Enrolment, MemberFacts, Program, ProgramConfig};
use crate::forms::FormValues;
use crate::i18n::Localized;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// Passed so long ago that the visit it stood for is lost (still shown: the patient still needs one).
    Missed,
    Overdue,
    Due,
    Upcoming,
    /// Booked, further ahead than "upcoming" but within the list's horizon.
    Scheduled,
}

impl DueState {
    pub fn label(self) -> Localized {
        match self {
            DueState::Missed => Localized::new("已错过", "Missed"),
            DueState::Overdue => Localized::new("逾期", "Overdue"),
            DueState::Due => Localized::new("到期", "Due"),
            DueState::Upcoming => Localized::new("即将到期", "Upcoming"),
            DueState::Scheduled => Localized::new("已预约", "Scheduled"),
        }
    }
}

/// The last follow-up of a programme, as far as the schedule cares.
#[derive(Debug, Clone, PartialEq)]
pub struct LastService {
    pub date: NaiveDate,
    pub next_date: Option<NaiveDate>,
    pub next_step: Option<String>,
    pub classification: Option<String>,
    /// "上次血压 152/96 · 控制不满意"
    pub summary: Localized,
}

impl LastService {
    /// Reads a stored follow-up's values.
    pub fn from_values(program: Program, date: NaiveDate, values: &FormValues) -> LastService {
        let s = |id: &str| values.get(id).and_then(Value::as_str).map(str::to_string);
        let n =
            |id: &str| values.get(id).and_then(Value::as_f64).map(|v| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") });
        let reading = match program {
            Program::Hypertension => match (n("sbp"), n("dbp")) {
                (Some(a), Some(b)) => Some(Localized::new(format!("上次血压 {a}/{b}"), format!("last BP {a}/{b}"))),
                _ => None,
            },
            Program::Diabetes => n("fbg").map(|g| Localized::new(format!("上次空腹血糖 {g}"), format!("last fasting glucose {g}"))),
            Program::SevereMental => s("risk").map(|r| Localized::new(format!("上次危险性 {r} 级"), format!("last risk level {r}"))),
            Program::Tuberculosis => Some(match (n("treatment_month"), s("supervisor").as_deref()) {
                (Some(m), Some("2")) => {
                    Localized::new(format!("治疗第 {m} 月 · 家属督导"), format!("treatment month {m} · family supervision"))
                }
                (Some(m), _) => Localized::new(format!("治疗第 {m} 月"), format!("treatment month {m}")),
                (None, _) => Localized::new(format!("上次随访 {date}"), format!("last visit {date}")),
            }),
            Program::Elderly | Program::Child | Program::Maternal => {
                Some(Localized::new(format!("上次体检 {date}"), format!("last check {date}")))
            }
        };
        let class = s("classification").map(|c| match (program, c.as_str()) {
            (Program::SevereMental, "1") => Localized::new("不稳定", "unstable"),
            (Program::SevereMental, "2") => Localized::new("基本稳定", "basically stable"),
            (Program::SevereMental, _) => Localized::new("稳定", "stable"),
            (_, "1") => Localized::new("控制满意", "controlled"),
            (_, "2") => Localized::new("控制不满意", "uncontrolled"),
            (_, "3") => Localized::new("不良反应", "adverse reaction"),
            _ => Localized::new("并发症", "complication"),
        });
        let parts: Vec<Localized> = reading.into_iter().chain(class).collect();
        let summary = joined(&parts);
        LastService {
            date,
            next_date: crate::forms::date_value(values, "next_date"),
            next_step: s("next_step"),
            classification: s("classification"),
            summary,
        }
    }
}

impl LastService {
    /// Whether the next follow-up must happen by its date, without the
    /// routine grace: after an uncontrolled visit, a referral or an urgent
    /// referral (the 2-week rules, H3/D3), or for a mental-disorder patient
    /// who is not stable (§7.6).
    pub fn is_short(&self, program: Program) -> bool {
        match program {
            Program::SevereMental => matches!(self.classification.as_deref(), Some("1" | "2")),
            _ => matches!(self.next_step.as_deref(), Some("2" | "3" | "4")),
        }
    }
}

/// One line of the work list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DueItem {
    pub program: Program,
    pub form_id: String,
    /// Which visit of the form's sequence is due (the `visit_age` or `visit_no` code).
    pub visit: Option<String>,
    pub due_on: NaiveDate,
    pub window_end: NaiveDate,
    pub state: DueState,
    /// "高血压随访 · 上次血压 152/96 · 控制不满意"
    pub reason: Localized,
}

fn jan1(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists")
}

/// A resident's standing in one programme: everything the work list needs,
/// computed when their record or services change and kept by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub program: Program,
    pub enrolment: Enrolment,
    /// The latest follow-up that books the next one (follow-up programmes).
    pub last: Option<LastService>,
    /// The visits still owed (sequence programmes), from the first one not
    /// yet lost when the standing was computed.
    pub plan: Vec<PlannedVisit>,
    /// The visits of the sequence already lost when the standing was
    /// computed ("6月龄健康检查、8月龄健康检查"); empty if none.
    pub missed: Localized,
}

/// Computes a resident's standing in a programme from their facts and the
/// programme's services, oldest first (for follow-up programmes the latest
/// booking form is enough). `None` when they are not in it.
///
/// `as_of` is the day the standing is computed, when known: visits of a
/// sequence lost by then stay lost, so they are kept only by name and the
/// kept state starts at the first visit still owed (a smaller row, and a
/// later anchor, so the work list reads fewer rows).
pub fn standing(
    program: Program,
    facts: MemberFacts<'_>,
    services: &[DoneService<'_>],
    cfg: &ProgramConfig,
    as_of: Option<NaiveDate>,
) -> Option<Standing> {
    let enrolment = enrolment(program, facts)?;
    let since = facts.episode.map(|e| e.started_on);
    let in_episode: Vec<DoneService<'_>> = services.iter().copied().filter(|s| since.is_none_or(|d| s.date >= d)).collect();
    if program.is_sequence() {
        let mut plan = plan(program, &enrolment, facts.birth, facts.episode, &in_episode, cfg);
        let lost = as_of.map_or(0, |day| plan.iter().take_while(|v| v.lost_on.is_some_and(|l| day >= l)).count());
        let missed: Vec<PlannedVisit> = plan.drain(..lost).collect();
        let missed = Localized::new(
            missed.iter().map(|v| v.label.zh.as_str()).collect::<Vec<_>>().join("、"),
            missed.iter().map(|v| v.label.en.as_str()).collect::<Vec<_>>().join(", "),
        );
        return Some(Standing { program, enrolment, last: None, plan, missed });
    }
    let last = in_episode
        .iter()
        .rev()
        .find(|s| program.booking_forms().contains(&s.form_id))
        .map(|s| LastService::from_values(program, s.date, s.values));
    Some(Standing { program, enrolment, last, plan: Vec::new(), missed: Localized::default() })
}

/// The earliest date the programme's next service is owed, whatever today is:
/// the booked next visit (or the routine interval after the last), the first
/// visit owed since enrolment, the first visit of a sequence still owed, or
/// for the annual check 1 January after the last one. The store keeps it per
/// resident and programme, so the work list is one range scan; [`due_item`]
/// turns it into today's state. `None` when nothing more is owed.
pub fn anchor(standing: &Standing, cfg: &ProgramConfig) -> Option<NaiveDate> {
    let (program, enrolled_on) = (standing.program, standing.enrolment.enrolled_on);
    if program.is_sequence() {
        return standing.plan.first().map(|v| v.due_on);
    }
    Some(match (program.is_annual(), &standing.last) {
        (true, Some(l)) => jan1(l.date.year() + 1).max(enrolled_on),
        (false, Some(l)) => l.next_date.or_else(|| routine_next(program, l, cfg)).unwrap_or(l.date),
        (_, None) => enrolled_on,
    })
}

/// When the next follow-up falls if the last one booked no date.
fn routine_next(program: Program, l: &LastService, cfg: &ProgramConfig) -> Option<NaiveDate> {
    match program {
        Program::Tuberculosis => l.date.checked_add_months(Months::new(1)),
        Program::SevereMental if l.is_short(program) => Some(l.date + Duration::days(cfg.mental_basic_days)),
        Program::SevereMental => l.date.checked_add_months(Months::new(cfg.mental_stable_months)),
        _ => l.date.checked_add_months(Months::new(cfg.routine_months)),
    }
}

/// Where `today` stands against a service owed on `due_on` that may be done
/// until `due_until`: `None` beyond the list's horizon; missed only after
/// `missed_after` days, when given.
fn state_on(today: NaiveDate, due_on: NaiveDate, due_until: NaiveDate, missed_after: Option<i64>, cfg: &ProgramConfig) -> Option<DueState> {
    Some(if today < due_on - Duration::days(cfg.horizon_days) {
        return None;
    } else if today < due_on - Duration::days(cfg.upcoming_days) {
        DueState::Scheduled
    } else if today < due_on {
        DueState::Upcoming
    } else if today <= due_until {
        DueState::Due
    } else if missed_after.is_some_and(|days| (today - due_on).num_days() > days) {
        DueState::Missed
    } else {
        DueState::Overdue
    })
}

/// A work-list reason from its parts, " · " between them: two allocations,
/// as the list builds thousands.
struct Reason(Localized);

impl Reason {
    fn new(first: (&str, &str)) -> Reason {
        let mut r = Reason(Localized { zh: String::with_capacity(96), en: String::with_capacity(128) });
        r.add(first);
        r
    }

    fn add(&mut self, (zh, en): (&str, &str)) -> &mut Reason {
        for (out, part) in [(&mut self.0.zh, zh), (&mut self.0.en, en)] {
            if !part.is_empty() {
                if !out.is_empty() {
                    out.push_str(" · ");
                }
                out.push_str(part);
            }
        }
        self
    }
}

fn joined(parts: &[Localized]) -> Localized {
    let mut r = Reason(Localized::default());
    for p in parts {
        r.add((&p.zh, &p.en));
    }
    r.0
}

/// When a programme's next service falls and how urgent it is on a day: a
/// work-list line without its words. The list counts and orders its lines by
/// this alone, and words only the lines it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTiming {
    pub due_on: NaiveDate,
    pub window_end: NaiveDate,
    pub state: DueState,
}

/// How a follow-up programme's next service is owed, and when.
struct Routine<'a> {
    timing: DueTiming,
    last: Option<&'a LastService>,
    short: bool,
    first_tb_visit: bool,
}

/// The programme's next service for one resident, if it shows on `today`'s
/// list, without its reason. Needs only the standing's dates, steps and
/// classification (the store reads no more than that to count a list).
pub fn due_timing(standing: &Standing, today: NaiveDate, cfg: &ProgramConfig) -> Option<DueTiming> {
    if !in_force(standing, today) {
        return None;
    }
    let program = standing.program;
    if program.is_annual() {
        return annual_timing(standing.enrolment.enrolled_on, standing.last.as_ref(), today, cfg);
    }
    if program.is_sequence() {
        return sequence_timing(&standing.plan, today, cfg).map(|(t, _)| t);
    }
    routine(standing, today, cfg).map(|r| r.timing)
}

/// The programme's next service for one resident, if it shows on `today`'s list.
pub fn due_item(standing: &Standing, today: NaiveDate, cfg: &ProgramConfig) -> Option<DueItem> {
    if !in_force(standing, today) {
        return None;
    }
    let program = standing.program;
    if program.is_annual() {
        let timing = annual_timing(standing.enrolment.enrolled_on, standing.last.as_ref(), today, cfg)?;
        return Some(annual_item(program, standing.last.as_ref(), today, timing));
    }
    if program.is_sequence() {
        let (timing, lost) = sequence_timing(&standing.plan, today, cfg)?;
        return Some(sequence_item(program, &standing.plan, &standing.missed, lost, timing));
    }
    let r = routine(standing, today, cfg)?;
    let mut reason = Reason::new((program.label_zh(), program.label_en()));
    match r.last {
        Some(l) => {
            reason.add((&l.summary.zh, &l.summary.en));
            if r.short {
                reason.add(("两周内随访", "2-week follow-up"));
            }
        }
        None if r.first_tb_visit => {
            reason.add(("收到管理通知72小时内首次入户", "first home visit within 72 hours of the notice"));
        }
        None => {
            reason.add(("纳入管理后尚未随访", "not followed up since enrolment"));
        }
    }
    let form_id = if r.first_tb_visit { "tb_first_visit" } else { program.followup_form() };
    let DueTiming { due_on, window_end, state } = r.timing;
    Some(DueItem { program, form_id: form_id.to_string(), visit: None, due_on, window_end, state, reason: reason.0 })
}

/// Whether the resident is in the programme on `today` at all.
fn in_force(standing: &Standing, today: NaiveDate) -> bool {
    standing.enrolment.until.is_none_or(|u| today < u) && today >= standing.enrolment.eligible_from
}

/// A follow-up programme's next visit: booked by the last one, or owed since enrolment.
fn routine<'a>(standing: &'a Standing, today: NaiveDate, cfg: &ProgramConfig) -> Option<Routine<'a>> {
    let program = standing.program;
    let last = standing.last.as_ref();
    let short = last.is_some_and(|l| l.is_short(program));
    let due_on = anchor(standing, cfg)?;
    let first_tb_visit = program == Program::Tuberculosis && last.is_none();
    let window_end = if first_tb_visit {
        due_on + Duration::days(cfg.tb_first_visit_days)
    } else if short {
        due_on
    } else {
        due_on + Duration::days(cfg.grace_days)
    };
    let state = state_on(today, due_on, window_end, Some(cfg.missed_after_days), cfg)?;
    Some(Routine { timing: DueTiming { due_on, window_end, state }, last, short, first_tb_visit })
}

/// The first visit of a sequence not yet lost on `today`, and how many before it are.
fn sequence_timing(plan: &[PlannedVisit], today: NaiveDate, cfg: &ProgramConfig) -> Option<(DueTiming, usize)> {
    let lost = plan.iter().take_while(|v| v.lost_on.is_some_and(|l| today >= l)).count();
    let v = plan.get(lost)?;
    let state = state_on(today, v.due_on, v.window_end, None, cfg)?;
    Some((DueTiming { due_on: v.due_on, window_end: v.window_end, state }, lost))
}

/// The first visit of a sequence not yet lost, naming the ones missed before it.
fn sequence_item(program: Program, plan: &[PlannedVisit], missed: &Localized, lost: usize, timing: DueTiming) -> DueItem {
    let v = &plan[lost];
    let mut parts = vec![program.label(), v.label.clone()];
    let names = |before: &str, later: Vec<&str>, sep: &str| {
        [before].into_iter().filter(|s| !s.is_empty()).chain(later).collect::<Vec<_>>().join(sep)
    };
    let zh = names(&missed.zh, plan[..lost].iter().map(|n| n.label.zh.as_str()).collect(), "、");
    if !zh.is_empty() {
        let en = names(&missed.en, plan[..lost].iter().map(|n| n.label.en.as_str()).collect(), ", ");
        parts.push(Localized::new(format!("已错过：{zh}"), format!("missed: {en}")));
    }
    DueItem {
        program,
        form_id: v.form_id.clone(),
        visit: v.visit.clone(),
        due_on: timing.due_on,
        window_end: timing.window_end,
        state: timing.state,
        reason: joined(&parts),
    }
}

/// Once per calendar year (§11): due from 1 January (or the day the resident
/// joins), overdue in December, and booked for next year once done.
fn annual_timing(enrolled_on: NaiveDate, last: Option<&LastService>, today: NaiveDate, cfg: &ProgramConfig) -> Option<DueTiming> {
    let year = today.year();
    // Owed since an earlier year means owed this year: the list shows this year's check.
    let owed_from = match last {
        Some(l) => jan1(l.date.year() + 1).max(enrolled_on),
        None => enrolled_on,
    };
    let due_on = owed_from.max(jan1(year));
    let window_end = NaiveDate::from_ymd_opt(due_on.year(), 12, 31).expect("31 December exists");
    let overdue_from = NaiveDate::from_ymd_opt(due_on.year(), 12, cfg.annual_overdue_from_december.clamp(1, 31)).expect("a December day");
    // The year's check can still be done until 31 December: late, never missed.
    let state = state_on(today, due_on, overdue_from - Duration::days(1), None, cfg)?;
    Some(DueTiming { due_on, window_end, state })
}

fn annual_item(program: Program, last: Option<&LastService>, today: NaiveDate, timing: DueTiming) -> DueItem {
    let done_this_year = last.is_some_and(|l| l.date.year() == today.year());
    let (zh, en) = match last {
        Some(l) if done_this_year => (format!("今年已体检（{}）", l.date), format!("checked this year ({})", l.date)),
        Some(l) => (format!("今年尚未体检（上次 {}）", l.date), format!("not checked this year (last {})", l.date)),
        None => ("尚未体检".to_string(), "never checked".to_string()),
    };
    DueItem {
        program,
        form_id: program.followup_form().to_string(),
        visit: None,
        due_on: timing.due_on,
        window_end: timing.window_end,
        state: timing.state,
        reason: Localized::new(format!("{} · {zh}", program.label_zh()), format!("{} · {en}", program.label_en())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn last(date: &str, values: serde_json::Value) -> LastService {
        LastService::from_values(Program::Hypertension, d(date), values.as_object().unwrap())
    }

    /// A resident's standing as the store would keep it.
    fn st(program: Program, enrolled_on: NaiveDate, last: Option<&LastService>) -> Standing {
        let enrolment = Enrolment { eligible_from: enrolled_on, enrolled_on, until: None };
        Standing { program, enrolment, last: last.cloned(), plan: Vec::new(), missed: Localized::default() }
    }

    fn state(l: Option<&LastService>, today: &str) -> Option<DueState> {
        due_item(&st(Program::Hypertension, d("2026-01-10"), l), d(today), &ProgramConfig::default()).map(|i| i.state)
    }

    #[test]
    fn a_routine_follow_up_moves_through_its_states() {
        let l = last("2026-08-20", json!({"sbp": 132, "dbp": 84, "classification": "1", "next_step": "1", "next_date": "2026-11-20"}));
        assert_eq!(state(Some(&l), "2026-10-19"), None, "beyond the list's horizon");
        assert_eq!(state(Some(&l), "2026-10-20"), Some(DueState::Scheduled), "booked, a month ahead");
        assert_eq!(state(Some(&l), "2026-11-12"), Some(DueState::Scheduled));
        assert_eq!(state(Some(&l), "2026-11-13"), Some(DueState::Upcoming));
        assert_eq!(state(Some(&l), "2026-11-20"), Some(DueState::Due));
        assert_eq!(state(Some(&l), "2026-11-27"), Some(DueState::Due), "a week's grace");
        assert_eq!(state(Some(&l), "2026-11-28"), Some(DueState::Overdue));
        assert_eq!(state(Some(&l), "2027-02-19"), Some(DueState::Missed), "over 90 days late");
    }

    #[test]
    fn the_two_week_rule_has_no_grace() {
        let l = last("2026-11-06", json!({"sbp": 152, "dbp": 96, "classification": "2", "next_step": "2", "next_date": "2026-11-20"}));
        assert_eq!(state(Some(&l), "2026-11-20"), Some(DueState::Due));
        assert_eq!(state(Some(&l), "2026-11-21"), Some(DueState::Overdue), "the 2-week follow-up is late the next day");
        let item = due_item(&st(Program::Hypertension, d("2026-01-10"), Some(&l)), d("2026-11-21"), &ProgramConfig::default()).unwrap();
        assert_eq!(item.reason.zh, "高血压随访 · 上次血压 152/96 · 控制不满意 · 两周内随访");
    }

    #[test]
    fn never_followed_up_is_due_from_enrolment() {
        let item = due_item(&st(Program::Diabetes, d("2026-11-01"), None), d("2026-11-21"), &ProgramConfig::default()).unwrap();
        assert_eq!((item.state, item.due_on), (DueState::Overdue, d("2026-11-01")));
        assert_eq!(item.reason.zh, "糖尿病随访 · 纳入管理后尚未随访");
    }

    #[test]
    fn a_follow_up_without_a_next_date_falls_back_to_three_months() {
        let l = last("2026-02-28", json!({"sbp": 132, "dbp": 84, "classification": "1"}));
        let item = due_item(&st(Program::Hypertension, d("2026-01-10"), Some(&l)), d("2026-05-28"), &ProgramConfig::default()).unwrap();
        assert_eq!(item.due_on, d("2026-05-28"));
    }

    #[test]
    fn the_annual_check_runs_by_calendar_year() {
        let cfg = ProgramConfig::default();
        let turned_65 = d("2020-03-01");
        let annual = |last: Option<&LastService>, today: &str| {
            due_item(&st(Program::Elderly, turned_65, last), d(today), &cfg).map(|i| (i.state, i.due_on))
        };
        assert_eq!(annual(None, "2026-03-10"), Some((DueState::Due, d("2026-01-01"))), "never checked: due since 1 January");
        assert_eq!(annual(None, "2026-12-01"), Some((DueState::Overdue, d("2026-01-01"))), "December: the year is running out");
        let last_year = LastService::from_values(Program::Elderly, d("2025-05-10"), &serde_json::Map::new());
        let item = due_item(&st(Program::Elderly, turned_65, Some(&last_year)), d("2026-06-01"), &cfg).unwrap();
        assert_eq!((item.state, item.reason.zh.as_str()), (DueState::Due, "老年人年度健康体检 · 今年尚未体检（上次 2025-05-10）"));
        let this_year = LastService::from_values(Program::Elderly, d("2026-04-02"), &serde_json::Map::new());
        assert_eq!(annual(Some(&this_year), "2026-06-01"), None, "done this year: nothing until next year comes into view");
        assert_eq!(annual(Some(&this_year), "2026-12-20"), Some((DueState::Scheduled, d("2027-01-01"))));
        let new_65 = due_item(&st(Program::Elderly, d("2026-08-15"), None), d("2026-09-01"), &cfg).unwrap();
        assert_eq!(new_65.due_on, d("2026-08-15"), "due from the 65th birthday in the year one turns 65");
    }

    #[test]
    fn leap_years_and_month_ends() {
        let l = last("2027-11-30", json!({"classification": "1", "next_step": "1"}));
        let item = due_item(&st(Program::Hypertension, d("2026-01-10"), Some(&l)), d("2028-02-29"), &ProgramConfig::default()).unwrap();
        assert_eq!(item.due_on, d("2028-02-29"), "30 November + 3 months lands on 29 February in a leap year");
    }
}
