//! One clock, in the clinic's local time: at 07:30 in Beijing on 1 March it
//! is still 28 February in UTC, and every "today" of the app — the work list,
//! ages, "not in the future", the day a save refreshes the programmes — must
//! be 1 March.

mod common;

use chrono::NaiveDate;
use common::*;
use serde_json::json;
use vhr_app::{AddServiceRequest, Clinic, Env, FixedClock, RandomIds, RegisterRequest};
use vhr_domain::id_card::compose;
use vhr_domain::population::Tag;
use vhr_domain::programs::{DueState, Program};

fn march_first() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

/// A clinic whose clock reads 07:30 on 1 March 2026 in Beijing (23:30 on 28 February UTC).
fn early_morning(dir: &std::path::Path) -> Clinic {
    {
        // Set up on another day, so the clinic exists before the early morning.
        clinic(dir);
    }
    let env = Env { clock: std::sync::Arc::new(FixedClock::china(2026, 3, 1, 7, 30)), ids: std::sync::Arc::new(RandomIds) };
    vhr_app::Install::at(dir, env).unwrap().sign_in("li", PASSWORD).unwrap()
}

#[test]
fn at_half_past_seven_in_beijing_today_is_the_first_of_march_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = early_morning(dir.path());
    assert_eq!(c.today(), march_first(), "the clinic's day, not the UTC one (28 February)");

    // Ages: born on 1 March 1961, the resident turns 65 today.
    let mut i = input("王秀英", &compose("450102", NaiveDate::from_ymd_opt(1961, 3, 1).unwrap(), 22));
    i.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2020-01"}]));
    let saved = c.register(RegisterRequest { resident: i, household: None, confirm: false }).unwrap();
    assert_eq!(saved.resident.age, 65, "65 today, not 64 as the UTC date would make her");
    assert!(saved.resident.tags.contains(&Tag::Elderly), "elderly (65+) from today on: {:?}", saved.resident.tags);
    let id = saved.resident.resident.id.clone();

    let htn_lines = |c: &Clinic| {
        let list = c.worklist(c.today(), None).unwrap();
        list.into_iter().filter(|w| w.resident.id == id && w.due.program == Program::Hypertension).map(|w| w.due.state).collect::<Vec<_>>()
    };
    assert_eq!(htn_lines(&c), vec![DueState::Due], "newly in the hypertension programme, her first follow-up is due today");

    // "Not in the future": a visit dated today is accepted.
    let visit = json!({
        "visit_date": "2026-03-01", "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": 128, "dbp": 80,
        "weight": 60, "height": 158, "adherence": "1", "adverse_reaction": "1",
        "classification": "1", "next_step": "1", "next_date": "2026-06-01", "doctor": "李春华"
    });
    let req = AddServiceRequest {
        resident_id: id.clone(),
        form_id: "hypertension_followup".into(),
        values: visit.as_object().unwrap().clone(),
        confirm: true,
    };
    let record = c.add_service(req).expect("a visit dated today is not in the future").record;
    assert_eq!(record.service_date, march_first());

    // The work list of today: the visit saved at 07:30 cleared today's
    // hypertension line (the June visit it booked is beyond the list's horizon).
    assert_eq!(htn_lines(&c), Vec::<DueState>::new(), "today's visit cleared the line");
    let list = c.worklist(c.today(), None).unwrap();
    // And the annual check of a 65-year-old is owed from today.
    assert!(
        list.iter().any(|w| w.resident.id == id && w.due.program == Program::Elderly),
        "the elderly annual check is on today's list: {list:?}"
    );
    let status = c.programs_of(&id).unwrap();
    let elderly = status.iter().find(|s| s.program == Program::Elderly).unwrap();
    assert_eq!((elderly.active, elderly.enrolled_on), (true, Some(march_first())), "in the programme from her 65th birthday, today");
}
