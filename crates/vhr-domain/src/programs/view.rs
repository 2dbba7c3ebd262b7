//! The work list's views (today, this week, overdue, annual checks, all) and
//! their counts: which lines each shows, decided from a line's timing alone.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::schedule::{DueState, DueTiming};
use super::Program;

/// A view of the work list, as its tabs name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkView {
    /// Owed by today; annual checks only once overdue (they are owed all year).
    Today,
    /// Owed within the next seven days, today included; annual checks only once overdue.
    Week,
    /// Overdue or missed.
    Overdue,
    /// The annual checks of the elderly, whatever their state.
    Annual,
    /// Every line within the list's horizon.
    All,
}

impl WorkView {
    pub const ALL: [WorkView; 5] = [WorkView::Today, WorkView::Week, WorkView::Overdue, WorkView::Annual, WorkView::All];

    /// Whether a line of `program` with this timing shows in the view on `today`.
    pub fn shows(self, program: Program, t: &DueTiming, today: NaiveDate) -> bool {
        let late = matches!(t.state, DueState::Overdue | DueState::Missed);
        let daily = !program.is_annual() || late;
        match self {
            WorkView::Today => t.due_on <= today && daily,
            WorkView::Week => t.due_on <= today + Duration::days(6) && daily,
            WorkView::Overdue => late,
            WorkView::Annual => program.is_annual(),
            WorkView::All => true,
        }
    }
}

/// How many lines each view holds, and how many are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct ViewCounts {
    pub today: u32,
    pub week: u32,
    pub overdue: u32,
    pub annual: u32,
    pub all: u32,
    /// Lines due (within their window), across the whole list.
    pub due: u32,
    /// Lines coming up within a week, across the whole list.
    pub upcoming: u32,
}

impl ViewCounts {
    /// Counts one line in every view that shows it.
    pub fn add(&mut self, program: Program, t: &DueTiming, today: NaiveDate) {
        for view in WorkView::ALL {
            if view.shows(program, t, today) {
                *self.of_mut(view) += 1;
            }
        }
        match t.state {
            DueState::Due => self.due += 1,
            DueState::Upcoming => self.upcoming += 1,
            _ => {}
        }
    }

    /// How many lines `view` holds.
    pub fn of(&self, view: WorkView) -> u32 {
        match view {
            WorkView::Today => self.today,
            WorkView::Week => self.week,
            WorkView::Overdue => self.overdue,
            WorkView::Annual => self.annual,
            WorkView::All => self.all,
        }
    }

    fn of_mut(&mut self, view: WorkView) -> &mut u32 {
        match view {
            WorkView::Today => &mut self.today,
            WorkView::Week => &mut self.week,
            WorkView::Overdue => &mut self.overdue,
            WorkView::Annual => &mut self.annual,
            WorkView::All => &mut self.all,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn timing(due_on: &str, state: DueState) -> DueTiming {
        DueTiming { due_on: d(due_on), window_end: d(due_on) + Duration::days(7), state }
    }

    fn views(program: Program, t: DueTiming, today: &str) -> Vec<WorkView> {
        WorkView::ALL.into_iter().filter(|v| v.shows(program, &t, d(today))).collect()
    }

    #[test]
    fn a_follow_up_due_in_three_days_shows_this_week_but_not_today() {
        use WorkView::*;
        assert_eq!(views(Program::Hypertension, timing("2026-11-24", DueState::Upcoming), "2026-11-21"), vec![Week, All]);
        assert_eq!(
            views(Program::Hypertension, timing("2026-11-28", DueState::Scheduled), "2026-11-21"),
            vec![All],
            "a week ahead is beyond this week"
        );
        assert_eq!(views(Program::Hypertension, timing("2026-11-21", DueState::Due), "2026-11-21"), vec![Today, Week, All]);
        assert_eq!(views(Program::Diabetes, timing("2026-10-01", DueState::Overdue), "2026-11-21"), vec![Today, Week, Overdue, All]);
    }

    #[test]
    fn annual_checks_enter_the_daily_views_only_once_overdue() {
        use WorkView::*;
        assert_eq!(
            views(Program::Elderly, timing("2026-01-01", DueState::Due), "2026-11-21"),
            vec![Annual, All],
            "owed all year: not every elderly resident is today's work"
        );
        assert_eq!(views(Program::Elderly, timing("2026-01-01", DueState::Overdue), "2026-12-02"), vec![Today, Week, Overdue, Annual, All]);
    }

    #[test]
    fn counts_add_up_per_view_and_state() {
        let today = d("2026-11-21");
        let mut c = ViewCounts::default();
        c.add(Program::Hypertension, &timing("2026-11-21", DueState::Due), today);
        c.add(Program::Elderly, &timing("2026-01-01", DueState::Due), today);
        c.add(Program::Child, &timing("2026-11-25", DueState::Upcoming), today);
        assert_eq!(c, ViewCounts { today: 1, week: 2, overdue: 0, annual: 1, all: 3, due: 2, upcoming: 1 });
        assert_eq!(c.of(WorkView::Week), 2);
    }
}
