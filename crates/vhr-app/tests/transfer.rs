//! A record follows its resident to another institution (issue #13, spec
//! §9.3), between two real installs: the file the first writes is the one
//! the second reads. Nothing is built by hand on either side.

mod common;

use std::path::Path;

use chrono::NaiveDate;
use common::*;
use serde_json::json;
use vhr_app::{
    AddServiceRequest, Clinic, Error, Install, RegisterRequest, SetupRequest, TransferInRequest, TransferMade, TransferOutRequest,
};
use vhr_domain::clinic::{ClinicProfile, SerialBlock, Village};
use vhr_domain::i18n::Lang;
use vhr_domain::id_card::compose;
use vhr_domain::programs::Program;
use vhr_domain::resident::RecordStatus;

const TOWNSHIP: &str = "河湾镇柳树村卫生室";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A clinic of another township of the county: 河湾镇 (102), serving 柳树村 (201).
fn receiving_clinic(dir: &Path) -> Clinic {
    let mut install = Install::at(dir, env()).expect("opens");
    if install.is_set_up().unwrap() {
        return install.sign_in("zhao", PASSWORD).expect("signs in");
    }
    let profile = ClinicProfile {
        institution_name: TOWNSHIP.into(),
        institution_phone: String::new(),
        county_code: "450102".into(),
        division_code_year: 2024,
        township_code: "102".into(),
        township_name: "河湾镇".into(),
        villages: vec![Village { code: "201".into(), name: "柳树村".into() }],
        serial_block: SerialBlock { start: 1, end: 99_999 },
    };
    let setup =
        SetupRequest {
            profile, username: "zhao".into(), display_name: "赵建国".into(), password: PASSWORD.into(), phone: String::new()
        };
    install.setup(setup).expect("sets up")
}

fn visit(date: &str, sbp: u32, doctor: &str) -> vhr_domain::forms::FormValues {
    json!({
        "visit_date": date, "method": "1", "symptoms": ["1"], "emergency": ["1"], "sbp": sbp, "dbp": 88,
        "weight": 60, "height": 158, "adherence": "1", "adverse_reaction": "1",
        "classification": "1", "next_step": "1", "next_date": "2027-02-20", "doctor": doctor
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A hypertensive 76-year-old with one follow-up, whose phone number was corrected once.
fn patient(c: &mut Clinic) -> String {
    let mut i = input("孙桂兰", &compose("450102", d("1950-05-05"), 21));
    i.basic_info.insert("past_diseases".into(), json!([{"code": "2", "date": "2015-03"}]));
    let id = c.register(RegisterRequest { resident: i.clone(), household: None, confirm: true }).unwrap().resident.resident.id;
    c.add_service(AddServiceRequest {
        resident_id: id.clone(),
        form_id: "hypertension_followup".into(),
        values: visit("2026-11-02", 150, "李春华"),
        confirm: true,
    })
    .unwrap();
    let r = c.resident(&id).unwrap().resident;
    i.phone = "13900139000".into();
    c.update(vhr_app::UpdateRequest { id: id.clone(), expected_version: r.version, resident: i, confirm: true }).unwrap();
    id
}

fn transfer_out(c: &mut Clinic, id: &str, to: &str, folder: &Path) -> TransferMade {
    let version = c.resident(id).unwrap().resident.version;
    c.transfer_out(TransferOutRequest {
        resident_id: id.into(),
        expected_version: version,
        on: Some(d("2026-11-20")),
        destination_institution: to.into(),
        destination_address: "河湾镇柳树村5组".into(),
        received_by: String::new(),
        items: "纸质档案一袋".into(),
        folder: folder.into(),
    })
    .unwrap()
}

fn codes(e: &Error) -> Vec<String> {
    e.to_wire(Lang::Zh).problems.into_iter().map(|p| p.code).collect()
}

#[test]
fn a_record_moves_with_every_version_and_its_number_and_both_ends_log_the_handover() {
    let (a_dir, b_dir, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = clinic(a_dir.path());
    let id = patient(&mut a);
    let history_at_a = a.history(&id).unwrap();
    let number = a.resident(&id).unwrap().resident.record_no;

    let made = transfer_out(&mut a, &id, TOWNSHIP, usb.path());
    assert_eq!(made.resident.resident.status, RecordStatus::MovedOut, "the record closes as moved away where it leaves");
    assert!(made.path.starts_with(usb.path()) && made.path.exists(), "the file is in the chosen folder: {}", made.path.display());
    assert_eq!(made.code.len(), 19, "16 characters in groups of four, to be written on the handover record: {}", made.code);
    let on_disk = std::fs::read_to_string(&made.path).unwrap();
    assert!(!on_disk.contains("孙桂兰") && !on_disk.contains(&number), "the file alone tells nothing of who it is");
    let a_log: Vec<String> = a.record_access_log(&id).unwrap().into_iter().map(|e| e.action).collect();
    assert!(a_log.contains(&"transfer-out".to_string()), "the sending end logs the handover: {a_log:?}");

    let mut b = receiving_clinic(b_dir.path());
    let wrong = b.transfer_preview(&made.path, "AAAA-BBBB-CCCC-DDDD").unwrap_err();
    assert_eq!(codes(&wrong), ["transfer.bad_code"], "a wrong code opens nothing");
    // Typed as people type a code read off paper: lower case, no dashes.
    let typed = made.code.replace('-', "").to_lowercase();
    let preview = b.transfer_preview(&made.path, &typed).unwrap();
    assert_eq!(
        (preview.name.as_str(), preview.record_no.as_str(), preview.from.as_str(), preview.to.as_str()),
        ("孙桂兰", number.as_str(), "青山镇石桥村卫生室", TOWNSHIP)
    );
    assert_eq!((preview.services, preview.known_here, preview.problems.len()), (1, false, 0));

    let taken = b.transfer_in(TransferInRequest { path: made.path.clone(), code: typed, village_code: "201".into() }).unwrap();
    let r = &taken.resident.resident;
    assert_eq!(r.record_no, number, "the same 17-digit number, though its prefix is another township's");
    assert_eq!((r.status, r.data.village_code.as_str(), taken.resident.village_name.as_str()), (RecordStatus::Active, "201", "柳树村"));
    assert_eq!((r.institution.as_str(), r.managing_institution()), ("青山镇石桥村卫生室", TOWNSHIP), "created there, managed here");
    assert_eq!(taken.programs, [Program::Hypertension, Program::Elderly], "the programmes the move ended are taken up again");
    assert_eq!(taken.services, 1);

    let history_at_b = b.history(&id).unwrap();
    assert_eq!(
        history_at_b[..history_at_a.len() + 1].iter().map(|h| (h.version, h.user_name.as_str())).collect::<Vec<_>>(),
        history_at_a
            .iter()
            .map(|h| (h.version, h.user_name.as_str()))
            .chain([(history_at_a.len() as i64 + 1, "李春华")])
            .collect::<Vec<_>>(),
        "every version comes across with who wrote it there, the closure as moved away last"
    );
    assert!(history_at_b.len() >= history_at_a.len() + 3, "then placed here and reopened, by the receiving doctor");
    assert_eq!(history_at_b.last().unwrap().user_name, "赵建国");
    let timeline = b.timeline(&id).unwrap();
    assert_eq!(timeline.len(), 1, "the follow-up came with the record");
    assert_eq!(timeline[0].record.data["sbp"].as_f64(), Some(150.0));

    let check = b.audit_verify(&[], None).unwrap();
    assert_eq!(check.problem, None, "the receiving trail vouches for every version brought in");
    let b_log: Vec<String> = b.record_access_log(&id).unwrap().into_iter().map(|e| e.action).collect();
    assert!(b_log.contains(&"transfer-in".to_string()) && b_log.contains(&"transferred".to_string()), "{b_log:?}");

    // The number is reserved here: nobody registered in 柳树村 gets it, and a
    // second registration of the same person is refused as the duplicate it is.
    let mut same_person = input("孙桂兰", &compose("450102", d("1950-05-05"), 21));
    same_person.village_code = "201".into();
    let again = b.register(RegisterRequest { resident: same_person, household: None, confirm: true });
    assert!(matches!(again, Err(Error::DuplicateIdNumber { ref resident_id, .. }) if *resident_id == id), "{again:?}");
    assert!(b.sync_status().unwrap().waiting > 0, "what came in is queued for the platform from its new institution");

    // Taken in twice is refused: the record is managed here now.
    let twice = b.transfer_preview(&made.path, &made.code).unwrap();
    assert_eq!(twice.problems.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["transfer.active_here"]);
    let (versions, services) = (b.history(&id).unwrap().len(), b.counts().unwrap().services);
    let e = b.transfer_in(TransferInRequest { path: made.path.clone(), code: made.code.clone(), village_code: "201".into() }).unwrap_err();
    assert_eq!(codes(&e), ["transfer.active_here"], "the file imported a second time is refused");
    assert_eq!((b.history(&id).unwrap().len(), b.counts().unwrap().services), (versions, services), "and changes nothing");
}

/// A record's journey from 石桥村 to 河湾镇 and back: taken in there, `away`
/// done there, then written back for 石桥村, which has not taken it in yet.
struct RoundTrip {
    a: Clinic,
    id: String,
    there: TransferMade,
    back: TransferMade,
    /// Bound by every test: the folders last as long as it does.
    _dirs: [tempfile::TempDir; 3],
}

fn round_trip(away: impl FnOnce(&mut Clinic, &str)) -> RoundTrip {
    let (a_dir, b_dir, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = clinic(a_dir.path());
    let id = patient(&mut a);
    let there = transfer_out(&mut a, &id, TOWNSHIP, usb.path());
    let mut b = receiving_clinic(b_dir.path());
    b.transfer_in(TransferInRequest { path: there.path.clone(), code: there.code.clone(), village_code: "201".into() }).unwrap();
    away(&mut b, &id);
    let back = transfer_out(&mut b, &id, "青山镇石桥村卫生室", usb.path());
    RoundTrip { a, id, there, back, _dirs: [a_dir, b_dir, usb] }
}

#[test]
fn a_record_that_comes_back_brings_only_what_happened_away() {
    let RoundTrip { mut a, id, there, back, _dirs } = round_trip(|b, id| {
        b.add_service(AddServiceRequest {
            resident_id: id.into(),
            form_id: "hypertension_followup".into(),
            values: visit("2026-11-21", 138, "赵建国"),
            confirm: true,
        })
        .unwrap();
    });

    let preview = a.transfer_preview(&back.path, &back.code).unwrap();
    assert!(preview.known_here && preview.problems.is_empty(), "{preview:?}");
    let taken = a.transfer_in(TransferInRequest { path: back.path.clone(), code: back.code.clone(), village_code: "102".into() }).unwrap();
    assert_eq!(taken.already_here, there.versions, "every version of every entity both have is the same, and not written twice");
    assert!(taken.versions > 0);
    let r = &taken.resident.resident;
    assert_eq!((r.status, r.data.village_code.as_str(), r.managing_institution()), (RecordStatus::Active, "102", "青山镇石桥村卫生室"));
    assert_eq!(a.timeline(&id).unwrap().len(), 2, "the follow-up made away is here now");
    assert_eq!(a.audit_verify(&[], None).unwrap().problem, None);
}

#[test]
fn a_record_taken_up_again_here_meanwhile_is_not_overwritten_by_the_file() {
    let RoundTrip { mut a, id, back, _dirs, .. } = round_trip(|_, _| {});

    // Meanwhile 石桥村 reopened the record itself (the resident came back before the file).
    let version = a.resident(&id).unwrap().resident.version;
    a.reopen_record(vhr_app::ReopenRequest {
        resident_id: id.clone(),
        expected_version: version,
        on: Some(d("2026-11-21")),
        why: "已迁回".into(),
    })
    .unwrap();
    let before = a.history(&id).unwrap();
    let refused = a.transfer_in(TransferInRequest { path: back.path.clone(), code: back.code.clone(), village_code: "101".into() });
    let e = refused.unwrap_err();
    assert_eq!(codes(&e), ["transfer.active_here"], "{e:?}");
    assert_eq!(a.history(&id).unwrap(), before, "nothing was written");
}

#[test]
fn an_altered_file_or_one_of_another_kind_is_refused_in_words() {
    let (a_dir, b_dir, usb) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = clinic(a_dir.path());
    let id = patient(&mut a);
    let made = transfer_out(&mut a, &id, TOWNSHIP, usb.path());
    let b = receiving_clinic(b_dir.path());

    // The words in the clear are bound to the sealed record: another "to" does not open.
    let text = std::fs::read_to_string(&made.path).unwrap().replace(TOWNSHIP, "别的卫生室");
    let altered = usb.path().join("altered.vhrtransfer");
    std::fs::write(&altered, text).unwrap();
    assert_eq!(codes(&b.transfer_preview(&altered, &made.code).unwrap_err()), ["transfer.bad_code"]);

    let other = usb.path().join("名单.xlsx");
    std::fs::write(&other, b"PK\x03\x04 not a transfer").unwrap();
    let e = b.transfer_preview(&other, &made.code).unwrap_err();
    assert_eq!(codes(&e), ["transfer.not_a_file"]);
    assert!(e.to_wire(Lang::Zh).problems[0].text(Lang::Zh).contains("不是健康档案转移文件"));
}

#[test]
fn a_record_that_went_its_own_way_here_meanwhile_is_refused_and_nothing_is_written() {
    let RoundTrip { mut a, id, back, _dirs, .. } = round_trip(|_, _| {});

    // Meanwhile 石桥村 took the record up again and closed it once more, its own way.
    let version = a.resident(&id).unwrap().resident.version;
    a.reopen_record(vhr_app::ReopenRequest {
        resident_id: id.clone(),
        expected_version: version,
        on: Some(d("2026-11-21")),
        why: "误以为迁回".into(),
    })
    .unwrap();
    let version = a.resident(&id).unwrap().resident.version;
    let again = vhr_app::CloseRequest {
        resident_id: id.clone(),
        expected_version: version,
        on: Some(d("2026-11-21")),
        reason: vhr_domain::closure::ClosureReason::Lost { why: "联系不上".into() },
    };
    a.close_record(again).unwrap();
    let before = (a.history(&id).unwrap(), a.timeline(&id).unwrap().len());
    let e = a.transfer_in(TransferInRequest { path: back.path.clone(), code: back.code.clone(), village_code: "101".into() }).unwrap_err();
    assert_eq!(codes(&e), ["transfer.diverged"], "its history here is not the file's from the version after it left: {e:?}");
    assert_eq!((a.history(&id).unwrap(), a.timeline(&id).unwrap().len()), before, "nothing of the file was written");
    assert_eq!(a.audit_verify(&[], None).unwrap().problem, None, "and the trail is whole");
}
