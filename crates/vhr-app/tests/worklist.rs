//! The work list a screen at a time on a real database: every view's screens
//! put together are exactly the whole list's lines that view holds, in the
//! same order; the counts are right; the day's kept lines follow a save made
//! here and one made by another process on the same file.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::json;
use vhr_app::{AddServiceRequest, Clinic, WorkItem, WorkQuery};
use vhr_domain::programs::{DueState, DueTiming, Program, WorkView};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A clinic of 400 demo residents in households, with two years of service
/// histories ending on the clinic's day (2026-11-21).
fn demo_clinic(dir: &std::path::Path) -> Clinic {
    let mut c = clinic(dir);
    c.load_demo(400, 7, 2, &mut |_, _| {}).expect("loads the demo clinic");
    c
}

fn query(day: NaiveDate, view: WorkView, village: Option<&str>, offset: u32, limit: u32) -> WorkQuery {
    WorkQuery { date: Some(day.to_string()), village: village.map(str::to_string), view, offset, limit: Some(limit) }
}

/// The lines of a view, screen after screen, as the window asks for them.
fn screens(c: &Clinic, day: NaiveDate, view: WorkView, village: Option<&str>, limit: u32) -> Vec<(String, Program)> {
    let mut out = Vec::new();
    loop {
        let page = c.worklist_page(&query(day, view, village, out.len() as u32, limit)).unwrap();
        if page.items.is_empty() {
            break;
        }
        out.extend(page.items.into_iter().map(|i| (i.resident.id, i.due.program)));
    }
    out
}

fn shows(view: WorkView, i: &WorkItem, day: NaiveDate) -> bool {
    let t = DueTiming { due_on: i.due.due_on, window_end: i.due.window_end, state: i.due.state };
    view.shows(i.due.program, &t, day)
}

#[test]
fn screens_of_every_view_put_together_are_the_whole_list_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let c = demo_clinic(dir.path());
    // The clinic's day, a month on, the spring after (everyone's follow-up
    // lapsed), and December (annual checks overdue).
    for day in [d(2026, 11, 21), d(2026, 12, 21), d(2027, 3, 1), d(2027, 12, 10)] {
        for village in [None, Some("102")] {
            let whole = c.worklist(day, village).unwrap();
            let counts = c.worklist_page(&query(day, WorkView::Today, village, 0, 1)).unwrap().counts;
            for view in WorkView::ALL {
                let expected: Vec<(String, Program)> =
                    whole.iter().filter(|i| shows(view, i, day)).map(|i| (i.resident.id.clone(), i.due.program)).collect();
                assert_eq!(
                    screens(&c, day, view, village, 17),
                    expected,
                    "{view:?} on {day} in {village:?}: screens of 17 add up to the whole list's lines of that view"
                );
                assert_eq!(counts.of(view) as usize, expected.len(), "the {view:?} count on {day} is the number of its lines");
            }
            assert!(counts.all > 0, "a demo clinic of 400 always has work on {day}");
            let due = whole.iter().filter(|i| i.due.state == DueState::Due).count();
            assert_eq!(counts.due as usize, due, "the due count covers the whole list");
        }
    }
}

#[test]
fn a_screen_is_worded_like_the_whole_list() {
    let dir = tempfile::tempdir().unwrap();
    let c = demo_clinic(dir.path());
    let day = d(2026, 11, 21);
    let whole = c.worklist(day, None).unwrap();
    let page = c.worklist_page(&query(day, WorkView::All, None, 0, 50)).unwrap();
    let words =
        |items: &[WorkItem]| items.iter().map(|i| (i.due.reason.zh.clone(), i.due.form_id.clone(), i.resident.age)).collect::<Vec<_>>();
    assert_eq!(words(&page.items), words(&whole[..50]), "reasons, forms and ages are the same however the line is read");
    assert_eq!(page.date, day);
}

#[test]
fn the_kept_day_follows_a_save_here_and_one_from_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = demo_clinic(dir.path());
    let day = d(2026, 11, 21);
    let overdue = |c: &Clinic| c.worklist_page(&query(day, WorkView::Overdue, None, 0, 1000)).unwrap();
    let before = overdue(&c);
    let first = before.items.iter().find(|i| i.due.program == Program::Hypertension).expect("an overdue hypertension patient").clone();
    let visit = |next: &str| {
        json!({
            "visit_date": "2026-11-21", "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": 132, "dbp": 84,
            "weight": 68, "height": 165, "adherence": "1", "adverse_reaction": "1",
            "classification": "1", "next_step": "1", "next_date": next, "doctor": "李春华"
        })
        .as_object()
        .unwrap()
        .clone()
    };
    let follow_up = |c: &mut Clinic, resident_id: &str, next: &str| {
        c.add_service(AddServiceRequest {
            resident_id: resident_id.into(),
            form_id: "hypertension_followup".into(),
            values: visit(next),
            confirm: true,
        })
        .expect("saves the follow-up")
    };
    follow_up(&mut c, &first.resident.id, "2027-02-21");
    let after = overdue(&c);
    assert_eq!(after.counts.overdue, before.counts.overdue - 1, "the patient seen today is no longer overdue");
    assert!(
        !after.items.iter().any(|i| i.resident.id == first.resident.id && i.due.program == Program::Hypertension),
        "and leaves the overdue view"
    );

    // Another process (the CLI, a second window) saves on the same file.
    let second = after.items.iter().find(|i| i.due.program == Program::Hypertension).expect("another overdue patient").clone();
    let mut other = clinic(dir.path());
    follow_up(&mut other, &second.resident.id, "2026-11-25");
    drop(other);
    let upcoming = c.worklist_page(&query(day, WorkView::Week, None, 0, 1000)).unwrap();
    assert!(
        upcoming.items.iter().any(|i| i.resident.id == second.resident.id && i.due.state == DueState::Upcoming),
        "the kept day sees the other process's save: booked for 25 November, upcoming this week"
    );
    assert_eq!(overdue(&c).counts.overdue, before.counts.overdue - 2);
}
