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

use super::{Program, ProgramConfig};
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
            Program::Elderly => Some(Localized::new(format!("上次体检 {date}"), format!("last check {date}"))),
        };
        let class = s("classification").map(|c| match c.as_str() {
            "1" => Localized::new("控制满意", "controlled"),
            "2" => Localized::new("控制不满意", "uncontrolled"),
            "3" => Localized::new("不良反应", "adverse reaction"),
            _ => Localized::new("并发症", "complication"),
        });
        let parts: Vec<Localized> = reading.into_iter().chain(class).collect();
        LastService {
            date,
            next_date: s("next_date").and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            next_step: s("next_step"),
            classification: s("classification"),
            summary: Localized::new(
                parts.iter().map(|p| p.zh.as_str()).collect::<Vec<_>>().join(" · "),
                parts.iter().map(|p| p.en.as_str()).collect::<Vec<_>>().join(" · "),
            ),
        }
    }
}

/// One line of the work list.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DueItem {
    pub program: Program,
    pub form_id: String,
    pub due_on: NaiveDate,
    pub window_end: NaiveDate,
    pub state: DueState,
    /// "高血压随访 · 上次血压 152/96 · 控制不满意"
    pub reason: Localized,
}

fn jan1(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists")
}

/// The earliest date the programme's next service is owed, whatever today is:
/// the booked next visit (or three months after the last), the first visit
/// owed since enrolment, or for the annual check 1 January after the last
/// one. The store keeps it per resident and programme, so the work list is
/// one range scan; [`due_item`] turns it into today's state.
pub fn anchor(program: Program, enrolled_on: NaiveDate, last: Option<&LastService>, cfg: &ProgramConfig) -> NaiveDate {
    match (program.is_annual(), last) {
        (true, Some(l)) => jan1(l.date.year() + 1).max(enrolled_on),
        (false, Some(l)) => l.next_date.or_else(|| l.date.checked_add_months(Months::new(cfg.routine_months))).unwrap_or(l.date),
        (_, None) => enrolled_on,
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

/// The programme's next service for one resident, if it shows on `today`'s list.
/// `enrolled_on` is when the resident entered the programme (for the annual
/// check, the 65th birthday).
pub fn due_item(
    program: Program,
    enrolled_on: NaiveDate,
    last: Option<&LastService>,
    today: NaiveDate,
    cfg: &ProgramConfig,
) -> Option<DueItem> {
    if program.is_annual() {
        return annual_item(program, enrolled_on, last, today, cfg);
    }
    let short = last.and_then(|l| l.next_step.as_deref()).is_some_and(|s| matches!(s, "2" | "3" | "4"));
    let due_on = anchor(program, enrolled_on, last, cfg);
    let window_end = if short { due_on } else { due_on + Duration::days(cfg.grace_days) };
    let state = state_on(today, due_on, window_end, Some(cfg.missed_after_days), cfg)?;
    let (mut zh, mut en) = (String::with_capacity(64), String::with_capacity(64));
    zh.push_str(program.label_zh());
    en.push_str(program.label_en());
    let mut add = |z: &str, e: &str| {
        zh.push_str(" · ");
        zh.push_str(z);
        en.push_str(" · ");
        en.push_str(e);
    };
    match last {
        Some(l) => {
            if !l.summary.zh.is_empty() {
                add(&l.summary.zh, &l.summary.en);
            }
            if short {
                add("两周内随访", "2-week follow-up");
            }
        }
        None => add("纳入管理后尚未随访", "not followed up since enrolment"),
    }
    Some(DueItem { program, form_id: program.followup_form().to_string(), due_on, window_end, state, reason: Localized { zh, en } })
}

/// Once per calendar year (§11): due from 1 January (or the day the resident
/// joins), overdue in December, and booked for next year once done.
fn annual_item(
    program: Program,
    enrolled_on: NaiveDate,
    last: Option<&LastService>,
    today: NaiveDate,
    cfg: &ProgramConfig,
) -> Option<DueItem> {
    let year = today.year();
    let done_this_year = last.is_some_and(|l| l.date.year() == year);
    // Owed since an earlier year means owed this year: the list shows this year's check.
    let due_on = anchor(program, enrolled_on, last, cfg).max(jan1(year));
    let window_end = NaiveDate::from_ymd_opt(due_on.year(), 12, 31).expect("31 December exists");
    let overdue_from = NaiveDate::from_ymd_opt(due_on.year(), 12, cfg.annual_overdue_from_december.clamp(1, 31)).expect("a December day");
    // The year's check can still be done until 31 December: late, never missed.
    let state = state_on(today, due_on, overdue_from - Duration::days(1), None, cfg)?;
    let (zh, en) = match last {
        Some(l) if done_this_year => (format!("今年已体检（{}）", l.date), format!("checked this year ({})", l.date)),
        Some(l) => (format!("今年尚未体检（上次 {}）", l.date), format!("not checked this year (last {})", l.date)),
        None => ("尚未体检".to_string(), "never checked".to_string()),
    };
    Some(DueItem {
        program,
        form_id: program.followup_form().to_string(),
        due_on,
        window_end,
        state,
        reason: Localized::new(format!("{} · {zh}", program.label_zh()), format!("{} · {en}", program.label_en())),
    })
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

    fn state(l: Option<&LastService>, today: &str) -> Option<DueState> {
        due_item(Program::Hypertension, d("2026-01-10"), l, d(today), &ProgramConfig::default()).map(|i| i.state)
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
        let item = due_item(Program::Hypertension, d("2026-01-10"), Some(&l), d("2026-11-21"), &ProgramConfig::default()).unwrap();
        assert_eq!(item.reason.zh, "高血压随访 · 上次血压 152/96 · 控制不满意 · 两周内随访");
    }

    #[test]
    fn never_followed_up_is_due_from_enrolment() {
        let item = due_item(Program::Diabetes, d("2026-11-01"), None, d("2026-11-21"), &ProgramConfig::default()).unwrap();
        assert_eq!((item.state, item.due_on), (DueState::Overdue, d("2026-11-01")));
        assert_eq!(item.reason.zh, "糖尿病随访 · 纳入管理后尚未随访");
    }

    #[test]
    fn a_follow_up_without_a_next_date_falls_back_to_three_months() {
        let l = last("2026-02-28", json!({"sbp": 132, "dbp": 84, "classification": "1"}));
        let item = due_item(Program::Hypertension, d("2026-01-10"), Some(&l), d("2026-05-28"), &ProgramConfig::default()).unwrap();
        assert_eq!(item.due_on, d("2026-05-28"));
    }

    #[test]
    fn the_annual_check_runs_by_calendar_year() {
        let cfg = ProgramConfig::default();
        let turned_65 = d("2020-03-01");
        let annual = |last: Option<&LastService>, today: &str| {
            due_item(Program::Elderly, turned_65, last, d(today), &cfg).map(|i| (i.state, i.due_on))
        };
        assert_eq!(annual(None, "2026-03-10"), Some((DueState::Due, d("2026-01-01"))), "never checked: due since 1 January");
        assert_eq!(annual(None, "2026-12-01"), Some((DueState::Overdue, d("2026-01-01"))), "December: the year is running out");
        let last_year = LastService::from_values(Program::Elderly, d("2025-05-10"), &serde_json::Map::new());
        let item = due_item(Program::Elderly, turned_65, Some(&last_year), d("2026-06-01"), &cfg).unwrap();
        assert_eq!((item.state, item.reason.zh.as_str()), (DueState::Due, "老年人年度健康体检 · 今年尚未体检（上次 2025-05-10）"));
        let this_year = LastService::from_values(Program::Elderly, d("2026-04-02"), &serde_json::Map::new());
        assert_eq!(annual(Some(&this_year), "2026-06-01"), None, "done this year: nothing until next year comes into view");
        assert_eq!(annual(Some(&this_year), "2026-12-20"), Some((DueState::Scheduled, d("2027-01-01"))));
        let new_65 = due_item(Program::Elderly, d("2026-08-15"), None, d("2026-09-01"), &cfg).unwrap();
        assert_eq!(new_65.due_on, d("2026-08-15"), "due from the 65th birthday in the year one turns 65");
    }

    #[test]
    fn leap_years_and_month_ends() {
        let l = last("2027-11-30", json!({"classification": "1", "next_step": "1"}));
        let item = due_item(Program::Hypertension, d("2026-01-10"), Some(&l), d("2028-02-29"), &ProgramConfig::default()).unwrap();
        assert_eq!(item.due_on, d("2028-02-29"), "30 November + 3 months lands on 29 February in a leap year");
    }
}
