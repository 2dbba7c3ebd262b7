//! A crash loses nothing acknowledged: a process registering residents one by
//! one is killed with SIGKILL mid-stream; every resident it acknowledged must
//! be on disk, whole, with its history and outbox entry.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::Value;
use vhr_app::{Env, SearchRequest};
use vhr_domain::id_card::compose;

const BIN: &str = env!("CARGO_BIN_EXE_village-health");

mod common;

#[test]
fn every_acknowledged_record_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    common::init(BIN, dir.path());

    let mut child = common::spawn_import(BIN, dir.path());
    // Feed far more residents than will be saved before the kill, from a thread,
    // so the writer is busy saving when it dies.
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for i in 0..5000i64 {
            let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Duration::days(i);
            let line = common::resident_json(&format!("居民{i}"), &compose("450102", birth, 11));
            if writeln!(stdin, "{line}").is_err() {
                return; // the process is gone
            }
        }
    });
    let mut acks = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    let started = Instant::now();
    while acknowledged.len() < 60 && started.elapsed() < Duration::from_secs(120) {
        let ack: Value = serde_json::from_str(&acks.next().expect("an acknowledgement").unwrap()).unwrap();
        acknowledged.push((ack["id"].as_str().unwrap().to_string(), ack["record_no"].as_str().unwrap().to_string()));
    }
    // SIGKILL: no destructor, no flush, no chance to finish the transaction in flight.
    child.kill().unwrap();
    child.wait().unwrap();
    feeder.join().unwrap();
    assert_eq!(acknowledged.len(), 60, "the writer acknowledged 60 saves before the kill");

    let clinic = vhr_app::Install::at(dir.path(), Env::system())
        .unwrap()
        .sign_in("li", "correct horse")
        .expect("the database opens after the crash");
    for (id, record_no) in &acknowledged {
        let v = clinic.resident(record_no).unwrap_or_else(|e| panic!("{record_no} was acknowledged but is missing: {e}"));
        assert_eq!(&v.resident.id, id);
        assert_eq!(v.resident.data.basic_info.len(), 25, "{record_no} is whole");
        assert_eq!(clinic.history(id).unwrap().len(), 1, "{record_no} has its history row");
    }
    let all = clinic
        .search(&SearchRequest { query: String::new(), village: None, tag: None, status: Default::default(), limit: Some(500) })
        .unwrap();
    assert!(all.len() >= acknowledged.len());
    // Numbers stay dense and unique: whatever was committed after the last ack is still numbered in order.
    let mut numbers: Vec<&str> = all.iter().map(|r| r.record_no.as_str()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=all.len()).map(|n| format!("450102101101{n:05}")).collect();
    assert_eq!(numbers, expected.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(clinic.counts().unwrap().outbox_pending, all.len() as i64, "every saved resident waits in the outbox");
}
