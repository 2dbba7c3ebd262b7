//! `village-health sync` and `village-health export fhir`, run as a user runs
//! them, against the real FHIR peer on loopback.

use std::path::Path;
use std::process::Output;

mod common;
#[path = "../../vhr-app/tests/common/peer.rs"]
mod peer;

const BIN: &str = env!("CARGO_BIN_EXE_village-health");

fn cli(dir: &Path, args: &[&str]) -> Output {
    common::run(BIN, dir, args, None)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn sync_pushes_once_then_has_nothing_left_and_an_unreachable_platform_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    common::init(BIN, dir.path());
    assert!(cli(dir.path(), &["demo", "--residents", "15"]).status.success());

    // Nothing listens on port 9 of loopback: the changes stay queued.
    let down = cli(dir.path(), &["sync", "--url", "http://127.0.0.1:9"]);
    assert_eq!(down.status.code(), Some(5), "{}", text(&down));

    let peer = peer::Peer::start();
    let first = cli(dir.path(), &["sync", "--url", &peer.base, "--json"]);
    assert!(first.status.success(), "{}", text(&first));
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert!(report["pushed"].as_u64().unwrap() > 15, "residents and their forms were sent: {report}");
    assert_eq!(report["counts"]["waiting"], 0);
    assert_eq!(peer.count("Patient"), 15);

    let second = cli(dir.path(), &["sync"]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(text(&second).contains("发送 pushed 0"), "the second pass sends nothing: {}", text(&second));
}

#[test]
fn export_fhir_writes_one_ndjson_file_per_resource_type() {
    let dir = tempfile::tempdir().unwrap();
    common::init(BIN, dir.path());
    assert!(cli(dir.path(), &["demo", "--residents", "10"]).status.success());
    let out = dir.path().join("export");
    let o = cli(dir.path(), &["export", "fhir", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let lines = |t: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(out.join(format!("{t}.ndjson")))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON resource"))
            .collect()
    };
    let patients = lines("Patient");
    assert_eq!(patients.len(), 10);
    assert!(patients.iter().all(|p| p["resourceType"] == "Patient"));
    assert!(lines("Questionnaire").len() >= 22, "every form's questionnaire is exported");
    assert!(!lines("Encounter").is_empty() && !lines("Observation").is_empty());
}

#[test]
fn the_sync_report_lists_what_the_platform_sent_that_could_not_be_taken_with_why_and_exits_4() {
    let peer = peer::Peer::start();
    let (village, town) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for d in [village.path(), town.path()] {
        common::init(BIN, d);
    }
    assert!(cli(village.path(), &["demo", "--residents", "6"]).status.success());
    assert!(cli(village.path(), &["sync", "--url", &peer.base]).status.success());

    // Another system rewrites one Patient with a birth date of the year 2999.
    let page = peer.get("Patient?_count=1");
    let mut patient = page["entry"][0]["resource"].clone();
    let id = patient["id"].as_str().unwrap().to_string();
    patient["birthDate"] = "2999-01-01".into();
    patient["meta"] = serde_json::json!({ "source": "urn:uuid:another-system" });
    assert!(peer.client().put(&patient, None).unwrap().ok());

    let o = cli(town.path(), &["sync", "--url", &peer.base]);
    assert_eq!(o.status.code(), Some(4), "something needs attention: {}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().find(|l| l.contains(&format!("Patient/{id}"))).unwrap_or_else(|| panic!("the Patient is listed: {out}"));
    assert!(line.starts_with("搁置 set aside\t") && line.contains("出生日期"), "with why, in the user's language: {line}");
    let listed = out.lines().filter(|l| l.starts_with("搁置 set aside\t")).count();
    assert!(out.contains(&format!("搁置 set aside {listed}")), "the summary counts every listed one: {out}");
}
