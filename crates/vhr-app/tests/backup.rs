//! Backups from the app (issue #13): an administrator's backup into the
//! data folder or a chosen folder (with the install file beside it, so it
//! restores elsewhere), what a backup holds read back from it, the day's
//! backup kept a week, every backup in the audit trail; a village doctor
//! may not make one.

mod common;

use common::*;
use vhr_app::{AuditQuery, Error};

#[test]
fn an_administrator_backs_up_to_the_data_folder_and_a_usb_stick_and_reads_back_what_each_holds() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    c.load_demo(30, 2, 1, &mut |_, _| {}).unwrap();
    let on_file = c.counts().unwrap();
    let mut calls = 0;
    let made = c
        .backup(None, &mut |_, _| {
            calls += 1;
            true
        })
        .unwrap();
    assert!(calls >= 1, "progress is told");
    assert_eq!((made.summary.residents, made.summary.services), (on_file.residents, on_file.services), "{made:?}");
    assert!(made.keys_file.is_none(), "inside the data folder the install file is beside it already");
    let listed = c.backups().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].kind.as_str(), listed[0].path.as_str()), ("manual", made.path.as_str()));
    assert_eq!(c.inspect_backup(std::path::Path::new(&made.path)).unwrap(), made.summary, "what it holds, read from it");

    let usb = tempfile::tempdir().unwrap();
    let stick = c.backup(Some(usb.path()), &mut |_, _| true).unwrap();
    let keys = stick.keys_file.expect("the install file goes with a backup that leaves the data folder");
    assert!(std::path::Path::new(&keys).exists() && stick.path.starts_with(usb.path().to_str().unwrap()));
    let text = std::fs::read(&stick.path).unwrap();
    assert!(!text.windows("石桥村".len()).any(|w| w == "石桥村".as_bytes()), "the backup on the stick is encrypted");

    let trail = c.audit_list(&AuditQuery { action: Some("backup".into()), ..Default::default() }).unwrap();
    assert_eq!(trail.len(), 2, "each backup is in the audit trail");
}

#[test]
fn the_days_backup_is_made_once_a_day_and_a_week_of_them_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let c = clinic(dir.path());
    let first = c.daily_backup_if_due().unwrap().expect("none today yet");
    assert!(first.path.ends_with("daily-20261121.vhrbak"), "{}", first.path);
    assert!(c.daily_backup_if_due().unwrap().is_none(), "once a day");
    // Eight earlier days on file, as a week and more of use leaves them.
    let backups = dir.path().join(vhr_app::BACKUPS_DIR);
    for day in 10..18 {
        std::fs::copy(&first.path, backups.join(format!("daily-202611{day}.vhrbak"))).unwrap();
    }
    std::fs::remove_file(&first.path).unwrap();
    c.daily_backup_if_due().unwrap().expect("today's again, once removed");
    let mut daily: Vec<String> = c.backups().unwrap().into_iter().filter(|b| b.kind == "daily").map(|b| b.name).collect();
    daily.sort();
    assert_eq!(daily.len(), vhr_app::DAILY_KEPT, "{daily:?}");
    assert_eq!(daily.first().map(String::as_str), Some("daily-20261112.vhrbak"), "the oldest went first");
    assert_eq!(daily.last().map(String::as_str), Some("daily-20261121.vhrbak"));
}

#[test]
fn a_village_doctor_may_not_make_or_read_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let mut admin = clinic(dir.path());
    let made = admin.backup(None, &mut |_, _| true).unwrap();
    add_village_doctor_wang(&mut admin);
    let wang = wang(dir.path());
    assert!(matches!(wang.backup(None, &mut |_, _| true), Err(Error::Forbidden)));
    assert!(matches!(wang.inspect_backup(std::path::Path::new(&made.path)), Err(Error::Forbidden)));
}

#[test]
fn the_background_worker_makes_the_days_backup_on_its_own_connection_and_counts_it_as_the_days_check() {
    let dir = tempfile::tempdir().unwrap();
    let c = clinic(dir.path());
    let worker = c.start_sync(|_| {}).unwrap();
    let made = dir.path().join(vhr_app::BACKUPS_DIR).join("daily-20261121.vhrbak");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !(made.exists() && c.last_integrity_check().unwrap().is_some_and(|r| r.full)) {
        assert!(std::time::Instant::now() < deadline, "no daily backup from the worker");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(worker);
    let last = c.last_integrity_check().unwrap().unwrap();
    assert_eq!(
        (last.full, last.damage, last.on.to_string()),
        (true, None, "2026-11-21".to_string()),
        "the backup's check stands for the day's"
    );
    let trail = c.audit_list(&AuditQuery { action: Some("backup".into()), ..Default::default() }).unwrap();
    assert_eq!(trail[0].user_name, "自动维护", "recorded as the app's upkeep, nobody being signed in on that connection");
}
