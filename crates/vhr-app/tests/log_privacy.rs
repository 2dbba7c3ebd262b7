//! The support log after a whole working day — registrations, refused and
//! duplicate saves, follow-ups, printing, a wrong password, the platform
//! down and then up, the audit check — holds no resident's name, ID number,
//! phone or address on any line. (Its own test binary: the log is the
//! process's one global subscriber.)

mod common;

use std::panic::Location;

use common::*;
use vhr_app::{log, CardsRequest, Install, RegisterRequest, SearchRequest, SyncSettings};

#[test]
fn a_working_day_leaves_no_personal_data_in_any_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let guard = log::start(dir.path(), "test").expect("the log starts");
    let at = Location::caller();
    let mut c = clinic(dir.path());

    // The day's work, through the same guard the window's commands pass.
    log::guarded(at, || c.load_demo(30, 11, 2, &mut |_, _| {})).unwrap();
    let zhang = log::guarded(at, || {
        c.register(RegisterRequest { resident: input("张秀英", "450102195603100110"), household: None, confirm: false })
    })
    .unwrap();
    let twice = log::guarded(at, || {
        c.register(RegisterRequest { resident: input("张秀英", "450102195603100110"), household: None, confirm: false })
    });
    assert_eq!(twice.unwrap_err().code(), "duplicate_id_number");
    let mut bad = input("李建国", "450102195603100111");
    bad.phone = "1380013800".into();
    let refused = log::guarded(at, || c.register(RegisterRequest { resident: bad.clone(), household: None, confirm: false }));
    assert_eq!(refused.unwrap_err().code(), "invalid", "a wrong check digit and a short phone are refused");
    let missing = log::guarded(at, || c.resident("450102195603100111"));
    assert!(missing.is_err(), "a lookup by an ID number that is not on file");
    log::guarded(at, || c.print_cards(&CardsRequest::Village { code: "101".into() }, &mut |_, _| true)).unwrap();
    assert!(Install::at(dir.path(), env()).unwrap().sign_in("li", "张秀英的生日").is_err());

    // The platform down, then up.
    let mut settings = SyncSettings::default();
    settings.platform.base_url = format!("http://127.0.0.1:{}", common::peer::free_port());
    c.set_sync_settings(&settings).unwrap();
    let offline = log::guarded(at, || c.sync_once(&mut |_| {})).unwrap();
    assert!(offline.offline, "nothing answers on that port");
    let peer = common::peer::Peer::start();
    settings.platform.base_url = peer.base.clone();
    c.set_sync_settings(&settings).unwrap();
    let pass = log::guarded(at, || c.sync_once(&mut |_| {})).unwrap();
    assert!(pass.pushed > 30, "the day's records went up: {pass:?}");
    log::guarded(at, || c.audit_verify(&[], None)).unwrap();

    // Everything personal the clinic now holds.
    let everyone =
        c.search(&SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: Some(1000) }).unwrap();
    assert!(everyone.len() > 30, "the demo residents and 张秀英");
    let mut personal: Vec<String> = vec!["李建国".into(), "450102195603100111".into(), "1380013800".into()];
    for r in &everyone {
        let data = c.resident(&r.id).unwrap().resident.data;
        personal.push(r.name.clone());
        personal.extend(r.id_number.clone());
        personal.extend([data.phone, data.current_address, data.hukou_address].into_iter().filter(|s| s.chars().count() >= 4));
    }
    assert!(personal.contains(&zhang.resident.resident.data.name), "张秀英 is among them");
    drop(c);
    drop(peer);
    drop(guard); // writes out what is buffered

    let lines = log::recent(dir.path(), 100_000).unwrap();
    assert!(lines.iter().any(|l| l.contains("sync pass") || l.contains("failed")), "the log did record the day: {lines:?}");
    for line in &lines {
        for p in &personal {
            assert!(!line.contains(p.as_str()), "{p:?} is in the log: {line}");
        }
    }
}
