//! Restoring a backup (issue #13): what it holds is shown next to what is on
//! file before anything is replaced; the replaced file is kept; what it
//! recorded and never sent is written again and queued; the numbers it
//! issued are never issued again; the restore is in the trail. A damaged
//! database is found by the check and brought back from the last good
//! backup at sign-in. A village doctor may not restore.

mod common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::*;
use vhr_app::{AuditQuery, Desk, Error, Install, IntegrityDepth, SearchRequest, UpdateRequest};
use vhr_domain::id_card::compose;

fn id(n: u16) -> String {
    compose("450102", NaiveDate::from_ymd_opt(1950 + i32::from(n), 3, 1).unwrap(), n)
}

fn query(q: &str) -> SearchRequest {
    serde_json::from_value(serde_json::json!({ "query": q, "status": "all" })).unwrap()
}

fn names(c: &vhr_app::Clinic) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = c.search(&query("")).unwrap().into_iter().map(|r| (r.name, r.record_no)).collect();
    found.sort();
    found
}

fn signed_in_desk(dir: &Path) -> Desk {
    let mut desk = Desk::open(dir, env()).unwrap();
    desk.sign_in("li", PASSWORD).unwrap();
    desk
}

#[test]
fn a_restore_shows_what_it_replaces_keeps_the_replaced_file_and_writes_again_what_was_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let backup = {
        let mut c = clinic(dir.path());
        register(&mut c, "张三", &id(11));
        let made = c.backup(None, &mut |_, _| true).unwrap();
        // After the backup, and never sent (this install has no platform yet):
        // a new resident, and a new phone number for the one before.
        register(&mut c, "李四", &id(13));
        let zhang = c.search(&query("张三")).unwrap().remove(0);
        let view = c.resident(&zhang.id).unwrap();
        let mut edited = view.resident.data.clone();
        edited.phone = "13900139000".into();
        c.update(UpdateRequest { id: zhang.id.clone(), expected_version: view.resident.version, resident: edited, confirm: false })
            .unwrap();
        PathBuf::from(made.path)
    };
    let before = names(&reopen(dir.path()));

    let mut desk = signed_in_desk(dir.path());
    let preview = desk.clinic().unwrap().restore_preview(&backup).unwrap();
    assert_eq!((preview.backup.residents, preview.now.residents), (1, 2), "what the backup holds next to what is on file: {preview:?}");
    assert!(preview.now.unsent >= 2, "and what waits to be sent now: {preview:?}");

    let restored = desk.restore(&backup).unwrap();
    assert!(matches!(desk.clinic(), Err(Error::NotSignedIn)), "the session ends with the restore");
    assert_eq!(restored.summary.residents, 1);
    assert!(
        Path::new(&restored.kept_at).exists() && restored.kept_at.contains("replaced-"),
        "the replaced file is kept: {}",
        restored.kept_at
    );
    assert_eq!(restored.replay.written, 2, "李四 and 张三's new phone come back from the replaced file: {:?}", restored.replay);
    assert_eq!(restored.replay_problem, None);

    let mut c = reopen(dir.path());
    assert_eq!(names(&c), before, "every record, with its number, as it was before the restore");
    let zhang = c.search(&query("张三")).unwrap().remove(0);
    assert_eq!(c.resident(&zhang.id).unwrap().resident.data.phone, "13900139000", "the change made after the backup");
    assert!(c.sync_status().unwrap().waiting >= 2, "and queued to be sent");
    let wang_wu = register(&mut c, "王五", &id(15));
    assert!(
        !before.iter().any(|(_, n)| *n == wang_wu.resident.resident.record_no),
        "a number the replaced file issued is never issued again: {}",
        wang_wu.resident.resident.record_no
    );
    let trail = c.audit_list(&AuditQuery { action: Some("restore".into()), ..Default::default() }).unwrap();
    assert_eq!(trail.len(), 1, "the restore is in the trail");
    let detail = trail[0].content.clone().unwrap_or_default();
    assert!(detail.contains("replayed=2") && detail.contains("kept=replaced-"), "{detail}");
}

#[test]
fn a_village_doctor_may_not_restore_and_a_backup_of_another_install_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let made = {
        let mut c = clinic(dir.path());
        add_village_doctor_wang(&mut c);
        c.backup(None, &mut |_, _| true).unwrap()
    };
    let w = wang(dir.path());
    assert!(matches!(w.restore_preview(Path::new(&made.path)), Err(Error::Forbidden)));
    drop(w);
    let refused = Install::at(dir.path(), env()).unwrap().restore_damaged("wang", "wang-password", None).map(|_| ()).unwrap_err();
    assert_eq!(refused.code(), "invalid", "a sound file is not restored from the sign-in page: {refused:?}");

    let elsewhere = tempfile::tempdir().unwrap();
    let theirs = clinic(elsewhere.path()).backup(None, &mut |_, _| true).unwrap();
    let mut desk = signed_in_desk(dir.path());
    let refused = desk.restore(Path::new(&theirs.path)).unwrap_err();
    assert_eq!(refused.code(), "keys_do_not_match", "another install's backup does not open with this key: {refused:?}");
    assert!(desk.clinic().is_ok(), "and nothing happened: still signed in");
}

/// Flips bytes in the middle of the database file, as a failing disk does.
fn damage(db: &Path) {
    let mut bytes = std::fs::read(db).unwrap();
    let at = bytes.len() / 2;
    for b in &mut bytes[at..at + 512] {
        *b ^= 0xa5;
    }
    std::fs::write(db, bytes).unwrap();
}

/// The database file cut short (a disk full, a copy interrupted).
fn truncate(db: &Path) {
    let bytes = std::fs::read(db).unwrap();
    std::fs::write(db, &bytes[..bytes.len() * 3 / 5]).unwrap();
}

#[test]
fn a_damaged_database_is_found_by_the_check_and_the_last_good_backup_brings_it_back_at_sign_in() {
    found_and_brought_back(damage);
}

#[test]
fn a_truncated_database_is_found_at_start_and_the_last_good_backup_brings_it_back_at_sign_in() {
    found_and_brought_back(truncate);
}

fn found_and_brought_back(damage: fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    let on_file = {
        let mut c = clinic(dir.path());
        c.load_demo(40, 7, 1, &mut |_, _| {}).unwrap();
        c.daily_backup_if_due().unwrap().expect("the day's backup");
        c.check_integrity(IntegrityDepth::Full).unwrap();
        names(&c)
    };
    damage(&dir.path().join(vhr_app::DB_FILE));

    // The check finds it (or the open does, when it reads a damaged page).
    let found = Install::at(dir.path(), env()).unwrap().sign_in("li", PASSWORD).and_then(|c| c.check_integrity(IntegrityDepth::Quick));
    let e = found.expect_err("the damage is found");
    assert!(matches!(e, Error::Damaged(_)), "{e:?}");
    let message = e.message(vhr_domain::i18n::Lang::Zh);
    assert!(message.contains("数据库文件已损坏") && message.contains("备份"), "says what happened and the way back: {message}");

    let mut install = Install::at(dir.path(), env()).unwrap();
    assert!(matches!(install.restore_damaged("li", "wrong password", None), Err(Error::BadCredentials)), "a password is needed");
    let (c, restored) = install.restore_damaged("li", PASSWORD, None).unwrap();
    assert!(restored.from.contains("daily-"), "the newest backup that checks out: {}", restored.from);
    assert_eq!(names(&c), on_file, "every record is back");
    c.check_integrity(IntegrityDepth::Full).unwrap();
    assert!(Path::new(&restored.kept_at).exists(), "the damaged file is kept, not deleted");
}
