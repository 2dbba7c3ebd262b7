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
