//! The handover of the complete set (issue #13): an archive written by one
//! real install is checked, then taken over by a fresh install in another
//! folder, and every row of every table is compared — the archive the new
//! install writes in turn holds every row the first one handed over.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::json;
use vhr_app::{handover_unpack, handover_verify, AddServiceRequest, Clinic, Error, HandoverImportRequest, HandoverMade, Install};
use vhr_domain::i18n::Lang;
use vhr_domain::id_card::compose;

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn codes(e: &Error) -> Vec<String> {
    e.to_wire(Lang::Zh).problems.into_iter().map(|p| p.code).collect()
}

/// The error a takeover ended with (a clinic taken over is no error).
#[track_caller]
fn refused(r: Result<Clinic, Error>) -> Error {
    match r {
        Ok(_) => panic!("the takeover was expected to be refused"),
        Err(e) => e,
    }
}

fn no_progress(_: u64, _: u64) -> bool {
    true
}

/// A clinic with a little of everything: residents, a follow-up, a printed
/// form, a death closing a record, a second account.
fn clinic_with_records(dir: &Path) -> Clinic {
    let mut c = clinic(dir);
    add_village_doctor_wang(&mut c);
    let sun = register(&mut c, "孙桂兰", &compose("450102", d("1950-05-05"), 21)).resident.resident.id;
    c.add_service(AddServiceRequest {
        resident_id: sun.clone(),
        form_id: "hypertension_followup".into(),
        values: json!({
            "visit_date": "2026-11-02", "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": 150, "dbp": 88,
            "weight": 60, "height": 158, "adherence": "1", "adverse_reaction": "1",
            "classification": "1", "next_step": "1", "next_date": "2027-02-20", "doctor": "李春华"
        })
        .as_object()
        .unwrap()
        .clone(),
        confirm: true,
    })
    .unwrap();
    c.print_basic_info(&sun).unwrap();
    let zhou = register(&mut c, "周德明", &compose("450102", d("1941-02-11"), 33)).resident.resident;
    c.close_record(vhr_app::CloseRequest {
        resident_id: zhou.id.clone(),
        expected_version: zhou.version,
        on: Some(d("2026-11-10")),
        reason: vhr_domain::closure::ClosureReason::Died { cause: "心肌梗死".into() },
    })
    .unwrap();
    for i in 0..5u16 {
        register(&mut c, &format!("王{}", ["一", "二", "三", "四", "五"][i as usize]), &compose("450102", d("1980-01-01"), 40 + i));
    }
    c
}

/// An archive's tables as its rows (the head line left out), each row once
/// per time it occurs.
fn rows(archive: &Path, code: &str) -> BTreeMap<String, Vec<String>> {
    let out = tempfile::tempdir().unwrap();
    let tables = handover_unpack(archive, code, out.path(), &mut no_progress).expect("the archive opens with its code");
    tables
        .into_iter()
        .map(|t| {
            let text = std::fs::read_to_string(out.path().join(format!("{}.jsonl", t.table))).unwrap();
            let mut lines: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
            lines.sort();
            assert_eq!(lines.len() as u64, t.rows, "{}: the rows the manifest lists", t.table);
            (t.table, lines)
        })
        .collect()
}

fn taker(path: &Path, code: &str) -> HandoverImportRequest {
    HandoverImportRequest {
        path: path.into(),
        code: code.into(),
        username: "chen".into(),
        display_name: "陈晓燕".into(),
        password: "another horse".into(),
        phone: String::new(),
    }
}

fn export(c: &mut Clinic, folder: &Path) -> HandoverMade {
    c.handover_export(folder, &mut no_progress).expect("an administrator writes the archive")
}

#[test]
fn a_fresh_install_takes_over_every_row_of_every_table() {
    let (a_dir, b_dir, usb, usb2) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = clinic_with_records(a_dir.path());
    let made = export(&mut a, usb.path());
    assert_eq!(made.residents, 7);
    assert_eq!(made.code.len(), 19, "16 characters in groups of four: {}", made.code);
    let raw = std::fs::read(&made.path).unwrap();
    let needle = "孙桂兰".as_bytes();
    assert!(!raw.windows(needle.len()).any(|w| w == needle), "the archive alone names nobody");

    let plain = handover_verify(&made.path, None, &mut no_progress).expect("every member matches its manifest");
    assert!(!plain.contents_checked);
    assert_eq!((plain.summary.residents, plain.summary.institution.as_str()), (7, "青山镇石桥村卫生室"));
    let full = handover_verify(&made.path, Some(&made.code), &mut no_progress).expect("loads and its trail holds");
    assert!(full.contents_checked);
    assert_eq!(full.audit_entries_checked, made.audit_entries, "every entry the checkpoint covers was recomputed");
    assert!(full.checkpoints_checked >= 1, "the trail matched the handover checkpoint and those before it");

    let mut install = Install::at(b_dir.path(), env()).unwrap();
    // Typed as people type a code read off paper: lower case, no dashes.
    let typed = made.code.replace('-', "").to_lowercase();
    let mut b = install.import_handover(taker(&made.path, &typed), &mut no_progress).expect("a fresh install takes the set over");
    let found = b
        .search(&vhr_app::SearchRequest { query: "孙桂兰".into(), village: None, tag: None, status: Default::default(), limit: None })
        .unwrap();
    assert_eq!(found.len(), 1, "the records are there to work with");
    assert!(b.session().unwrap().unwrap().recovery_code.is_some(), "the new administrator gets a recovery code to print");
    assert!(b.audit_verify(&[], None).unwrap().broken_at.is_none(), "the trail continues whole under the new install's key");
    let again = export(&mut b, usb2.path());

    let before = rows(&made.path, &made.code);
    let after = rows(&again.path, &again.code);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "the same tables");
    let mut grew = Vec::new();
    // The AUTOINCREMENT counters went on from where they were.
    let counters = |t: &BTreeMap<String, Vec<String>>| -> BTreeMap<String, i64> {
        t["sqlite_sequence"]
            .iter()
            .map(|r| {
                let v: Vec<serde_json::Value> = serde_json::from_str(r).unwrap();
                (v[1].as_str().unwrap().to_string(), v[2].as_i64().unwrap())
            })
            .collect()
    };
    let (was, is) = (counters(&before), counters(&after));
    assert_eq!(was.keys().collect::<Vec<_>>(), is.keys().collect::<Vec<_>>());
    assert!(was.iter().all(|(t, n)| is[t] >= *n), "no counter went back: {was:?} → {is:?}");
    for (table, old) in before.iter().filter(|(t, _)| *t != "sqlite_sequence") {
        let new = &after[table];
        let mut left = new.clone();
        for row in old {
            let at = left.iter().position(|r| r == row);
            assert!(at.is_some(), "{table}: a row handed over is there unchanged after the takeover: {row}");
            left.remove(at.unwrap());
        }
        if !left.is_empty() {
            grew.push((table.as_str(), left));
        }
    }
    // What the takeover itself wrote, and nothing else.
    let grown: Vec<&str> = grew.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        grown,
        ["app_user", "audit_checkpoint", "audit_key_held", "audit_log", "change_log", "outbox"]
            .into_iter()
            .filter(|t| grew.iter().any(|(g, _)| g == t))
            .collect::<Vec<_>>(),
        "only the tables the takeover writes to grew: {grew:?}"
    );
    let added = |t: &str| grew.iter().find(|(g, _)| *g == t).map(|(_, rows)| rows.clone()).unwrap_or_default();
    let users = added("app_user");
    assert_eq!(users.len(), 1, "one account added: the one taking over");
    assert!(users[0].contains("\"chen\"") && users[0].contains("\"admin\""), "{users:?}");
    assert_eq!(added("audit_key_held").len(), 1, "the handing-over install's public key, to check its checkpoints");
    assert!(added("audit_key_held")[0].contains(&made.audit_key), "{:?}", added("audit_key_held"));
    assert!(
        added("change_log").iter().all(|r| r.contains("陈晓燕")),
        "every history row added is the new account's: {:?}",
        added("change_log")
    );
    let last_seq_before: i64 =
        before["audit_log"].iter().map(|r| serde_json::from_str::<Vec<serde_json::Value>>(r).unwrap()[0].as_i64().unwrap()).max().unwrap();
    assert!(
        added("audit_log")
            .iter()
            .all(|r| serde_json::from_str::<Vec<serde_json::Value>>(r).unwrap()[0].as_i64().unwrap() > last_seq_before),
        "the trail only grew at its end"
    );
}

#[test]
fn an_archive_with_one_byte_changed_is_refused_naming_the_member() {
    let (a_dir, b_dir, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = clinic_with_records(a_dir.path());
    let made = export(&mut a, usb.path());
    let mut raw = std::fs::read(&made.path).unwrap();
    let name = b"tables/resident.jsonl.sealed";
    let header = raw.windows(name.len()).position(|w| w == name).expect("the member is in the archive");
    raw[header + 512 + 40] ^= 0x01;
    std::fs::write(&made.path, &raw).unwrap();

    let e = handover_verify(&made.path, None, &mut no_progress).unwrap_err();
    assert_eq!(codes(&e), ["handover.damaged"]);
    assert!(
        e.to_wire(Lang::Zh).message.contains("tables/resident.jsonl.sealed"),
        "the damaged member is named: {}",
        e.to_wire(Lang::Zh).message
    );
    let mut install = Install::at(b_dir.path(), env()).unwrap();
    let e = refused(install.import_handover(taker(&made.path, &made.code), &mut no_progress));
    assert_eq!(codes(&e), ["handover.damaged"], "nor does it import");

    // A member slipped in a second time under a name the manifest lists.
    raw[header + 512 + 40] ^= 0x01;
    let sig = raw.windows(12).position(|w| w == b"manifest.sig").expect("the signature member");
    let sig_member = raw[sig..sig + 1024].to_vec();
    let end = raw.len() - 1024;
    raw.truncate(end);
    raw.extend_from_slice(&sig_member);
    raw.extend_from_slice(&[0u8; 1024]);
    std::fs::write(&made.path, &raw).unwrap();
    let e = handover_verify(&made.path, None, &mut no_progress).unwrap_err();
    assert!(e.to_wire(Lang::Zh).message.contains("manifest.sig"), "a name twice is refused, named: {}", e.to_wire(Lang::Zh).message);
    assert!(!install.is_set_up().unwrap(), "and nothing of it is left in the new install");
    assert_eq!(std::fs::read_dir(b_dir.path()).unwrap().count(), 0, "not even a half-loaded file");
}

#[test]
fn a_wrong_code_a_taken_name_and_a_set_up_install_take_nothing_over() {
    let (a_dir, b_dir, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = clinic_with_records(a_dir.path());
    let made = export(&mut a, usb.path());
    let mut install = Install::at(b_dir.path(), env()).unwrap();
    let e = refused(install.import_handover(taker(&made.path, "AAAA-BBBB-CCCC-DDDD"), &mut no_progress));
    assert_eq!(codes(&e), ["handover.bad_code"]);
    let e = handover_verify(&made.path, Some("AAAA-BBBB-CCCC-DDDD"), &mut no_progress).unwrap_err();
    assert_eq!(codes(&e), ["handover.bad_code"], "checking with a wrong code says so too");

    let mut same_name = taker(&made.path, &made.code);
    same_name.username = "wang".into();
    let e = refused(install.import_handover(same_name, &mut no_progress));
    assert_eq!(codes(&e), ["handover.username_taken"], "the archive's accounts keep their names");
    assert!(!install.is_set_up().unwrap(), "a refused takeover leaves the folder fresh");

    let e = refused(install.import_handover(taker(&made.path, &made.code), &mut |_, _| false));
    assert!(matches!(e, Error::Cancelled), "{e:?}");
    assert!(!install.is_set_up().unwrap(), "a cancelled takeover leaves nothing");

    let e = refused(Install::at(a_dir.path(), env()).unwrap().import_handover(taker(&made.path, &made.code), &mut no_progress));
    assert!(matches!(e, Error::AlreadySetUp), "an install in use is never overwritten: {e:?}");
}

/// An archive written at schema 23 (the first with handovers), kept in the
/// repository: every later version must take it over, migrating what it
/// loads like any older database. `VHR_WRITE_FIXTURES=1` writes it again
/// (only ever at schema 23: a later schema adds its own fixture).
#[test]
fn an_archive_written_at_schema_23_is_taken_over_by_this_version() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/handover");
    let (archive, code_file) = (fixtures.join("schema-23.vhrhandover"), fixtures.join("schema-23.code"));
    if std::env::var_os("VHR_WRITE_FIXTURES").is_some() {
        assert_eq!(vhr_store::latest_schema_version(), 23, "the schema-23 fixture is written by schema 23 only");
        let (a_dir, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let made = export(&mut clinic_with_records(a_dir.path()), usb.path());
        std::fs::create_dir_all(&fixtures).unwrap();
        std::fs::copy(&made.path, &archive).unwrap();
        std::fs::write(&code_file, &made.code).unwrap();
    }
    let code = std::fs::read_to_string(&code_file).expect("the fixture's code");
    let summary = vhr_app::handover_summary(&archive).expect("the fixture reads");
    assert_eq!((summary.schema_version, summary.residents), (23, 7));
    let b_dir = tempfile::tempdir().unwrap();
    let b = Install::at(b_dir.path(), env()).unwrap().import_handover(taker(&archive, code.trim()), &mut no_progress).expect("taken over");
    let everyone =
        vhr_app::SearchRequest { query: String::new(), village: None, tag: None, status: vhr_store::StatusFilter::All, limit: None };
    assert_eq!(b.search(&everyone).unwrap().len(), 7, "every record of the fixture, the closed one too");
    let trail = b.audit_verify(&[], None).unwrap();
    assert!(trail.broken_at.is_none() && trail.checkpoints >= 2, "the fixture's checkpoints and the takeover's hold: {trail:?}");
}
