//! Shared input and setup for the CLI tests.

#![allow(dead_code)]

use serde_json::{json, Value};

/// A complete adult resident as `resident add` takes it.
pub fn resident_json(name: &str, id: &str) -> Value {
    json!({
        "name": name,
        "id_document": {"kind": "citizen_id", "number": id},
        "residence_type": "1",
        "village_code": "101",
        "basic_info": {
            "work_unit": "务农", "ethnicity": "01", "blood_abo": "3", "blood_rh": "2", "education": "7", "occupation": "4",
            "marital": "2", "payment": ["3"], "drug_allergy": ["1"], "exposure": ["1"], "past_diseases": [{"code": "1"}],
            "surgery": "1", "trauma": "1", "transfusion": "1", "family_father": ["1"], "family_mother": ["1"],
            "family_siblings": ["1"], "family_children": ["1"], "genetic": "1", "disability": ["1"],
            "kitchen_exhaust": "4", "fuel": "5", "water": "1", "toilet": "1", "livestock": "2"
        }
    })
}

/// The CLI on the test clinic in `dir` as its user starts it (password from
/// the environment, Chinese messages), every stream piped.
pub fn command(bin: &str, dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    use std::process::Stdio;
    let mut cmd = std::process::Command::new(bin);
    cmd.args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env("VHR_PASSWORD", "correct horse")
        .env("VHR_LANG", "zh-CN")
        .env_remove("VHR_DATA_DIR")
        .env_remove("VHR_USER")
        .env_remove("VHR_PLATFORM_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the CLI on the test clinic in `dir` as its user would, feeding `stdin` if given.
pub fn run(bin: &str, dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = command(bin, dir, args).spawn().expect("the CLI starts");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// Runs `village-health init` for the test clinic in `dir`.
pub fn init(bin: &str, dir: &std::path::Path) {
    let out = std::process::Command::new(bin)
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(["init", "--institution", "石桥村卫生室", "--county", "450102", "--township", "101", "--township-name", "青山镇"])
        .args(["--village", "101=石桥村", "--username", "li", "--display-name", "李春华"])
        .env("VHR_PASSWORD", "correct horse")
        .env_remove("VHR_DATA_DIR")
        .output()
        .expect("the CLI starts");
    assert!(out.status.success(), "init: {}", String::from_utf8_lossy(&out.stderr));
}

/// Starts `village-health resident import --jsonl -` on the test clinic in
/// `dir`, with its standard input and output piped.
pub fn spawn_import(bin: &str, dir: &std::path::Path) -> std::process::Child {
    use std::process::Stdio;
    std::process::Command::new(bin)
        .args(["--data-dir", dir.to_str().unwrap(), "resident", "import", "--jsonl", "-"])
        .env("VHR_PASSWORD", "correct horse")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the CLI starts")
}
