//! `village-health bench --lifecycle`: what keeping the records for life
//! costs at this size — a checked backup, reading one back, restoring it,
//! and the handover round trip (write the archive, check it without and
//! with the code, take it over in a fresh folder). Numbers for
//! `docs/benchmarks.md`, read by a person.

use std::path::Path;
use std::time::{Duration, Instant};

use vhr_app::{Desk, Env, Error, FixedClock, HandoverImportRequest, RandomIds};

use crate::bench::PASSWORD;

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Copies `path` to `to` and times it: the disk's own copy speed, to judge
/// the backup by.
fn plain_copy(path: &Path, to: &Path) -> Result<Duration, Error> {
    let (copied, took) = time(|| std::fs::copy(path, to));
    copied.map_err(|e| Error::Storage(e.to_string()))?;
    let _ = std::fs::remove_file(to);
    Ok(took)
}

pub fn run(dir: &Path, date: chrono::NaiveDate) -> Result<(), Error> {
    let env = || Env { clock: std::sync::Arc::new(FixedClock::china_on(date)), ids: std::sync::Arc::new(RandomIds) };
    let mut desk = Desk::open(dir, env())?;
    desk.sign_in("bench", PASSWORD)?;
    let work = tempfile::tempdir_in(dir.parent().unwrap_or(dir)).map_err(|e| Error::Storage(e.to_string()))?;
    let secs = |d: Duration| d.as_secs_f64();
    let mut rows: Vec<(String, String)> = Vec::new();

    let clinic = desk.clinic()?;
    let db_bytes = clinic.database_bytes()?;
    let copy = plain_copy(&dir.join(vhr_app::DB_FILE), &work.path().join("plain-copy.db"))?;
    rows.push(("the database file".into(), format!("{:.0} MB", mb(db_bytes))));
    rows.push((
        "copying the file with the system (cp), for comparison".into(),
        format!("{:.1} s ({:.0} MB/s)", secs(copy), mb(db_bytes) / secs(copy)),
    ));

    let (made, took) = time(|| clinic.backup(Some(work.path()), &mut |_, _| true));
    let made = made?;
    rows.push((
        "backup to a folder (a USB stick): online copy, then every page's code, SQLite's quick check and every table's rows counted".into(),
        format!("{:.1} s ({:.0} MB/s; {} rows)", secs(took), mb(made.summary.bytes) / secs(took), made.summary.rows),
    ));
    let (daily, took) = time(|| clinic.daily_backup_if_due());
    let daily = daily?.map(|d| d.path).unwrap_or_default();
    rows.push((
        "the day's backup (background worker): the same with SQLite's full check, indexes included — the day's full check".into(),
        format!("{:.1} s", secs(took)),
    ));
    let _ = std::fs::remove_file(&daily);
    let (inspected, took) = time(|| clinic.inspect_backup(Path::new(&made.path)));
    inspected?;
    rows.push(("reading a backup back (what it holds, checked)".into(), format!("{:.1} s", secs(took))));
    let (restored, took) = time(|| desk.restore(Path::new(&made.path)));
    restored?;
    rows.push(("restoring it in place of the database (the current file kept aside)".into(), format!("{:.1} s", secs(took))));
    desk.sign_in("bench", PASSWORD)?;
    let clinic = desk.clinic()?;

    let (archive, took) = time(|| clinic.handover_export(work.path(), &mut |_, _| true));
    let archive = archive?;
    rows.push((
        "handover export: every row of every table, deflated and sealed".into(),
        format!("{:.1} s ({} rows, {:.0} MB)", secs(took), archive.rows, mb(archive.bytes)),
    ));
    let (checked, took) = time(|| vhr_app::handover_verify(&archive.path, None, &mut |_, _| true));
    checked?;
    rows.push(("handover verify without the code (every member's digest)".into(), format!("{:.1} s", secs(took))));
    let (checked, took) = time(|| vhr_app::handover_verify(&archive.path, Some(&archive.code), &mut |_, _| true));
    let checked = checked?;
    rows.push((
        "handover verify with the code (loaded into a scratch database, the trail recomputed)".into(),
        format!("{:.1} s ({} entries)", secs(took), checked.audit_entries_checked),
    ));
    drop(desk);
    let fresh = work.path().join("taken-over");
    let mut install = vhr_app::Install::at(&fresh, env())?;
    let req = HandoverImportRequest {
        path: archive.path.clone(),
        code: archive.code.clone(),
        username: "taker".into(),
        display_name: "接手".into(),
        password: PASSWORD.into(),
        phone: String::new(),
    };
    let (taken, took) = time(|| install.import_handover(req, &mut |_, _| true));
    let taken = taken?;
    rows.push((
        "handover import into a fresh folder (loaded, keys checked, opened, signed in)".into(),
        format!("{:.1} s ({} residents)", secs(took), taken.counts()?.residents),
    ));

    println!("\nKeeping the records for life:\n");
    println!("| what | took |");
    println!("|---|---|");
    for (what, took) in rows {
        println!("| {what} | {took} |");
    }
    Ok(())
}
