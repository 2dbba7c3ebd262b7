//! Accounts on a real encrypted database: signing in unseals the key, the
//! lockout, disabled accounts, a database without its key file, recovery with
//! the sheet's code, administrators' work on users, and the first sign-in to
//! a plain database of the version before encryption.

mod common;

use common::*;
use vhr_app::{Desk, Env, FixedClock, Install, NewUserRequest, RandomIds, SearchRequest};

fn everyone() -> SearchRequest {
    SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: None }
}

fn at(dir: &std::path::Path, hour: u32, minute: u32) -> Install {
    let env = Env { clock: std::sync::Arc::new(FixedClock::china(2026, 11, 21, hour, minute)), ids: std::sync::Arc::new(RandomIds) };
    Install::at(dir, env).unwrap()
}

fn doctor(username: &str) -> NewUserRequest {
    NewUserRequest {
        username: username.into(),
        display_name: "王医生".into(),
        password: "wang-password".into(),
        role: "doctor".into(),
        phone: String::new(),
        villages: vec!["101".into()],
    }
}

#[test]
fn the_database_on_disk_holds_no_name_and_opens_only_with_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clinic(dir.path());
    register(&mut c, "张秀英", "450102195603100110");
    drop(c);
    let db = std::fs::read(dir.path().join(vhr_app::DB_FILE)).unwrap();
    assert!(!db.windows("张秀英".len()).any(|w| w == "张秀英".as_bytes()), "the name is not in the file in the clear");
    assert!(!db.windows(18).any(|w| w == b"450102195603100110"), "nor the ID number");
    let install = std::fs::read_to_string(dir.path().join("install.json")).unwrap();
    assert!(!install.contains("张秀英") && !install.contains(PASSWORD), "the install file holds no personal data and no password");

    let mut wrong = at(dir.path(), 10, 0);
    assert_eq!(wrong.sign_in("li", "wrong password").err().unwrap().code(), "bad_credentials");
    assert_eq!(wrong.sign_in("nobody", PASSWORD).err().unwrap().code(), "bad_credentials", "an unknown name says the same");
    let c = at(dir.path(), 10, 0).sign_in("li", PASSWORD).unwrap();
    assert_eq!(c.search(&everyone()).unwrap().len(), 1, "the right password opens everything");
}

#[test]
fn five_wrong_passwords_lock_the_account_for_a_quarter_of_an_hour_even_for_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    drop(clinic(dir.path()));
    let mut install = at(dir.path(), 10, 0);
    for _ in 0..4 {
        assert_eq!(install.sign_in("li", "wrong password").err().unwrap().code(), "bad_credentials");
    }
    let fifth = install.sign_in("li", "wrong password").err().unwrap();
    assert_eq!(fifth.code(), "account_locked", "the fifth wrong password locks");
    assert!(fifth.message(vhr_domain::i18n::Lang::Zh).contains("10:15"), "says until when, in the clinic's time: {fifth}");
    // Restarting the app does not lift the lock: it is kept on disk.
    let mut restarted = at(dir.path(), 10, 5);
    assert_eq!(restarted.sign_in("li", PASSWORD).err().unwrap().code(), "account_locked", "not even the right password while locked");
    let mut later = at(dir.path(), 10, 16);
    assert!(later.sign_in("li", PASSWORD).is_ok(), "after a quarter of an hour the right password works");
    let mut after = at(dir.path(), 10, 17);
    for _ in 0..4 {
        after.sign_in("li", "wrong password").err().unwrap();
    }
    assert!(after.sign_in("li", PASSWORD).is_ok(), "a good sign-in cleared the count: four new failures do not lock");
}

#[test]
fn an_administrator_adds_resets_and_disables_accounts_and_names_stay() {
    let dir = tempfile::tempdir().unwrap();
    let mut admin = clinic(dir.path());
    let wang = admin.add_user(doctor("wang")).unwrap();
    assert_eq!(wang.role, "doctor");
    let taken = admin.add_user(doctor("wang")).unwrap_err();
    assert_eq!(taken.to_wire(vhr_domain::i18n::Lang::Zh).problems[0].code, "user.duplicate");
    let bad_role = admin.add_user(NewUserRequest { role: "root".into(), ..doctor("zhao") }).unwrap_err();
    assert_eq!(bad_role.to_wire(vhr_domain::i18n::Lang::En).problems[0].field, "role");
    drop(admin);

    // The new doctor signs in with their own password, to the same database.
    let mut w = at(dir.path(), 10, 0).sign_in("wang", "wang-password").unwrap();
    register(&mut w, "张秀英", "450102195603100110");
    assert_eq!(w.users().unwrap_err().code(), "forbidden", "a doctor does not administer accounts");
    assert_eq!(w.disable_user("li").unwrap_err().code(), "forbidden");
    w.change_password("wang-password", "wang-new-password").unwrap();
    assert_eq!(w.change_password("wrong", "whatever-else").unwrap_err().code(), "bad_credentials");
    drop(w);
    assert_eq!(at(dir.path(), 10, 0).sign_in("wang", "wang-password").err().unwrap().code(), "bad_credentials", "the old password is gone");

    let mut admin = reopen(dir.path());
    admin.reset_password("wang", "reset-by-admin").unwrap();
    assert!(at(dir.path(), 10, 0).sign_in("wang", "reset-by-admin").is_ok(), "the reset password works at once");
    let li = admin.me().unwrap();
    assert_eq!(admin.disable_user("li").unwrap_err().to_wire(vhr_domain::i18n::Lang::En).problems[0].code, "user.last_admin");
    let disabled = admin.disable_user("wang").unwrap();
    assert!(disabled.disabled);
    assert_eq!(admin.reset_password("wang", "another-one").unwrap_err().code(), "account_disabled");
    let users = admin.users().unwrap();
    assert_eq!(users.len(), 2, "a disabled account is kept: {users:?}");
    let history = admin.user_history("wang").unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.user_name.as_str(), last.changes[0].field.as_str()),
        (li.display_name.as_str(), "disabled"),
        "who disabled it is in its history"
    );
    drop(admin);

    let refused = at(dir.path(), 10, 0).sign_in("wang", "reset-by-admin").err().unwrap();
    assert_eq!(refused.code(), "account_disabled", "a disabled account is told so, even with its last password");
    let c = reopen(dir.path());
    let found = c.search(&everyone()).unwrap();
    assert_eq!(found[0].name, "张秀英", "what the disabled doctor recorded stays");
    assert_eq!(c.history(&found[0].id).unwrap()[0].user_name, "王医生", "with their name on it");
}

#[test]
fn a_database_copied_without_its_key_file_or_with_another_installs_says_so_and_is_not_changed() {
    let ours = tempfile::tempdir().unwrap();
    let mut c = clinic(ours.path());
    register(&mut c, "张秀英", "450102195603100110");
    drop(c);
    let theirs = tempfile::tempdir().unwrap();
    drop(clinic(theirs.path()));

    let copied = tempfile::tempdir().unwrap();
    std::fs::copy(ours.path().join(vhr_app::DB_FILE), copied.path().join(vhr_app::DB_FILE)).unwrap();
    let before = std::fs::read(copied.path().join(vhr_app::DB_FILE)).unwrap();
    let e = Install::at(copied.path(), env()).err().expect("without its key file the folder does not open");
    assert_eq!(e.code(), "keys_missing");
    assert!(e.message(vhr_domain::i18n::Lang::Zh).contains("install.json"), "names the file to bring: {e}");

    // Another install's key file, same user name and password: not this database's key.
    std::fs::copy(theirs.path().join("install.json"), copied.path().join("install.json")).unwrap();
    let e = at(copied.path(), 10, 0).sign_in("li", PASSWORD).err().unwrap();
    assert_eq!(e.code(), "keys_do_not_match");
    assert_eq!(std::fs::read(copied.path().join(vhr_app::DB_FILE)).unwrap(), before, "the database was not touched");

    // With its own key file it opens, on any computer.
    std::fs::copy(ours.path().join("install.json"), copied.path().join("install.json")).unwrap();
    assert_eq!(at(copied.path(), 10, 0).sign_in("li", PASSWORD).unwrap().search(&everyone()).unwrap().len(), 1);
}

#[test]
fn a_forgotten_administrator_password_is_recovered_with_the_sheet_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = Desk::open(dir.path(), env()).unwrap();
    let session = desk
        .setup(vhr_app::SetupRequest {
            profile: profile(vhr_domain::clinic::SerialBlock { start: 1, end: 99_999 }),
            username: "li".into(),
            display_name: "李春华".into(),
            password: PASSWORD.into(),
            phone: String::new(),
        })
        .unwrap();
    let code = session.recovery_code.expect("setup hands out the recovery code");
    assert_eq!(desk.app_state("t").unwrap().session.unwrap().recovery_code, None, "shown once");
    register(desk.clinic().unwrap(), "张秀英", "450102195603100110");
    desk.sign_out().unwrap();
    assert_eq!(desk.clinic().err().unwrap().code(), "not_signed_in", "signing out closes the clinic");

    assert_eq!(desk.recover("AAAA-BBBB", "li", "a-new-password").err().unwrap().code(), "bad_recovery_code");
    let typed = code.to_lowercase().replace('-', " ");
    let not_admin = desk.recover(&typed, "nobody", "a-new-password").err().unwrap();
    assert_eq!(not_admin.to_wire(vhr_domain::i18n::Lang::Zh).problems[0].code, "user.not_admin");
    let recovered = desk.recover(&typed, "li", "a-new-password").unwrap();
    let fresh = recovered.recovery_code.expect("a new code replaces the used one");
    assert_ne!(fresh, code);
    assert_eq!(desk.clinic().unwrap().search(&everyone()).unwrap().len(), 1, "everything is there");
    desk.sign_out().unwrap();

    assert_eq!(desk.sign_in("li", PASSWORD).err().unwrap().code(), "bad_credentials", "the forgotten password is replaced");
    assert!(desk.sign_in("li", "a-new-password").is_ok());
    desk.sign_out().unwrap();
    assert_eq!(desk.recover(&code, "li", "third-password").err().unwrap().code(), "bad_recovery_code", "the used code works once");
    assert!(desk.recover(&fresh, "li", "third-password").is_ok(), "the new sheet works");
}

/// A data folder as the version before encryption left it: a plain SQLite
/// file at schema 14 with the clinic, its user (an argon2 hash in the
/// database) and a setting, made with that version's schema.
fn plain_database_of_the_previous_version(dir: &std::path::Path) {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let mut conn = rusqlite::Connection::open(dir.join(vhr_app::DB_FILE)).unwrap();
    vhr_store::migrate_to(&mut conn, 14).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    let profile = serde_json::to_string(&profile(vhr_domain::clinic::SerialBlock { start: 1, end: 99_999 })).unwrap();
    conn.execute(
        "INSERT INTO clinic (singleton, profile, version, created_at, updated_at) VALUES (1, ?1, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        [profile],
    )
    .unwrap();
    let hash = argon2::Argon2::default().hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng)).unwrap().to_string();
    conn.execute(
        "INSERT INTO app_user (id, version, username, display_name, password_hash, role, phone, created_at)
         VALUES ('u-li', 1, 'li', '李春华', ?1, 'admin', '', '2026-01-01T00:00:00Z')",
        [hash],
    )
    .unwrap();
    conn.execute("INSERT INTO setting (key, value) VALUES ('language', 'en')", []).unwrap();
}

#[test]
fn a_plain_database_of_the_previous_version_is_encrypted_at_its_first_sign_in_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    plain_database_of_the_previous_version(dir.path());
    let mut install = at(dir.path(), 10, 0);
    assert!(install.is_set_up().unwrap());
    assert_eq!(install.sole_user().unwrap().as_deref(), Some("li"), "the sign-in form is filled from the old database");
    assert_eq!(install.sign_in("li", "wrong password").err().unwrap().code(), "bad_credentials");
    assert_eq!(
        vhr_store::file_state(&dir.path().join(vhr_app::DB_FILE)).unwrap(),
        vhr_store::FileState::Plain,
        "a wrong password changes nothing"
    );

    let mut c = install.sign_in("li", PASSWORD).unwrap();
    assert_eq!(vhr_store::file_state(&dir.path().join(vhr_app::DB_FILE)).unwrap(), vhr_store::FileState::Encrypted);
    assert!(c.session().unwrap().unwrap().recovery_code.is_some(), "the first encrypted sign-in hands out a recovery sheet");
    assert_eq!(c.language().unwrap(), vhr_domain::i18n::Lang::En, "the old setting came across");
    assert_eq!(c.profile().unwrap().unwrap().institution_name, "青山镇石桥村卫生室");
    register(&mut c, "张秀英", "450102195603100110");
    drop(c);
    let left: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!left.iter().any(|f| f.contains("encrypting")), "no copy left behind: {left:?}");
    assert_eq!(reopen(dir.path()).search(&everyone()).unwrap().len(), 1, "and it opens again with the same password");
}

/// The backup kept before an upgrade is of the older schema: restored, it is
/// migrated like any older database, and what was recorded since (in the
/// file it replaces) is written again.
#[test]
fn the_backup_from_before_an_upgrade_restores_at_its_older_schema_and_loses_nothing_recorded_since() {
    let dir = tempfile::tempdir().unwrap();
    plain_database_of_the_previous_version(dir.path());
    let mut c = at(dir.path(), 10, 0).sign_in("li", PASSWORD).unwrap();
    let old = dir.path().join("backups/upgrade-v14.vhrbak");
    assert_eq!(c.inspect_backup(&old).expect("the upgrade's backup checks out").schema_version, 14);
    register(&mut c, "张秀英", "450102195603100110");
    drop(c);

    let mut desk = Desk::open(dir.path(), env()).unwrap();
    desk.sign_in("li", PASSWORD).unwrap();
    let restored = desk.restore(&old).expect("an older schema's backup restores");
    assert_eq!(restored.summary.schema_version, 14);
    assert_eq!(restored.replay.written, 1, "the registration made after the upgrade is written again: {:?}", restored.replay);
    let c = reopen(dir.path());
    let names: Vec<String> = c.search(&everyone()).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["张秀英"]);
    assert_eq!(c.profile().unwrap().unwrap().institution_name, "青山镇石桥村卫生室");
}
