//! The command line driven with generated bad input (issue #11): a resident
//! whose every text field is arbitrary, and arbitrary bytes as the JSON
//! itself, fed to `resident add --json -` as a script would. The binary
//! answers exit 0 (stored) or exit 1 with a message (nothing stored); it
//! never panics (exit 101) and never stores half.

use std::io::Write;
use std::process::Stdio;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::Value;

mod common;
use common::resident_json;

const BIN: &str = env!("CARGO_BIN_EXE_village-health");

fn residents(dir: &std::path::Path) -> usize {
    let out = common::run(BIN, dir, &["resident", "search", "", "--json"], None);
    serde_json::from_slice::<Value>(&out.stdout).expect("search prints JSON").as_array().map_or(0, Vec::len)
}

fn add(dir: &std::path::Path, stdin: &[u8]) -> std::process::Output {
    let mut child = common::command(BIN, dir, &["resident", "add", "--json", "-"]).stdin(Stdio::piped()).spawn().expect("the CLI starts");
    // A reader that stops early (a refused JSON) may close the pipe: that is an answer too.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn generated_residents_are_stored_or_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    common::init(BIN, dir.path());
    let cases = std::env::var("VHR_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let mut runner = TestRunner::new(Config { cases, rng_seed: RngSeed::Fixed(20261202), failure_persistence: None, ..Config::default() });
    let text = prop_oneof![any::<String>(), "[０-９一二三不详年月日0-9X]{0,19}", "[\\x00-\\x1f😀]{0,4}", Just("张三".to_string())];
    let strategy = (text.clone(), text.clone(), text.clone(), text, proptest::collection::vec(any::<u8>(), 0..64));
    runner
        .run(&strategy, |(name, id, phone, village, junk)| {
            let before = residents(dir.path());
            let mut resident = resident_json(&name, &id);
            resident["phone"] = Value::String(phone);
            resident["village_code"] = Value::String(village);
            for input in [resident.to_string().into_bytes(), junk] {
                let out = add(dir.path(), &input);
                let code = out.status.code();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                prop_assert!(!stderr.contains("panicked"), "no panic: {}", stderr);
                prop_assert!(matches!(code, Some(0) | Some(1)), "exit 0 or 1, not {:?}: {}", code, stderr);
                let after = residents(dir.path());
                if code == Some(1) {
                    prop_assert!(!stderr.trim().is_empty(), "a refusal says why");
                    prop_assert_eq!(after, before, "a refusal stores nothing");
                } else {
                    prop_assert_eq!(after, before + 1, "an acceptance stores one resident");
                }
            }
            Ok(())
        })
        .unwrap();
}
