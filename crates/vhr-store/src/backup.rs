//! Backups (issue #13): a page-by-page copy of the encrypted database,
//! taken from one consistent moment while others keep saving, encrypted
//! with the same data key, and checked before it counts as made — the copy
//! opens, passes SQLite's integrity check and holds as many rows in every
//! table as the database did at that moment. What a backup holds is read
//! from the backup itself.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use ts_rs::TS;

use crate::encryption::{file_state, key_connection, row_counts, DatabaseKey, FileState};
use crate::{parse_ts, Result, Store, StoreError};

/// What a backup holds, as read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BackupSummary {
    pub schema_version: i64,
    pub residents: i64,
    pub services: i64,
    /// The last change recorded in it.
    pub last_change: Option<DateTime<Utc>>,
    pub tables: usize,
    pub rows: i64,
    pub bytes: u64,
}

/// The page cache of the connection that checks a backup, in KiB (it grows
/// only as pages are read).
const CHECK_CACHE_KIB: i64 = 256 * 1024;

/// Pages copied per step: progress is reported, and cancel asked, between steps.
const PAGES_PER_STEP: i32 = 4096;

fn summary_of(conn: &Connection, counts: &[(String, i64)], bytes: u64) -> Result<BackupSummary> {
    let count = |table: &str| counts.iter().find(|(t, _)| t == table).map(|(_, n)| *n).unwrap_or(0);
    let last: Option<String> = conn.query_row("SELECT max(at) FROM change_log", [], |r| r.get(0))?;
    Ok(BackupSummary {
        schema_version: conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
        residents: count("resident"),
        services: count("service_record"),
        last_change: last.as_deref().map(parse_ts).transpose()?,
        tables: counts.len(),
        rows: counts.iter().map(|(_, n)| n).sum(),
        bytes,
    })
}

/// How far SQLite's check of a database file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityDepth {
    /// `PRAGMA quick_check`: every page and record, not the indexes' agreement with their tables.
    Quick,
    /// `PRAGMA integrity_check`: everything, indexes included.
    Full,
}

/// The first problems SQLite's check names, or nothing when it says `ok`.
fn integrity(conn: &Connection, depth: IntegrityDepth) -> Result<()> {
    let pragma = match depth {
        IntegrityDepth::Quick => "PRAGMA quick_check(20)",
        IntegrityDepth::Full => "PRAGMA integrity_check(20)",
    };
    // SQLCipher's own check first: every page's authentication code, which
    // names the pages a disk changed (SQLite's check only sees them fail).
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
    let pages: Vec<String> = stmt.query_map([], |r| r.get(0))?.take(20).collect::<rusqlite::Result<_>>()?;
    if !pages.is_empty() {
        return Err(StoreError::Damaged(pages.join("; ")));
    }
    let mut stmt = conn.prepare(pragma)?;
    let lines: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if lines.len() == 1 && lines[0] == "ok" {
        return Ok(());
    }
    Err(StoreError::Damaged(lines.join("; ")))
}

/// What the database holds, in a few cheap counts (see [`Store::holdings`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Holdings {
    pub residents: i64,
    pub services: i64,
    pub last_change: Option<DateTime<Utc>>,
    /// Changes not yet received by the platform (records, not versions).
    pub unsent: i64,
}

impl Store {
    /// Writes a backup of the database to `dest`, which must not exist,
    /// encrypted with `key` (this database's own). The copy is one
    /// moment's: the read it is taken in sees no later save, and saves by
    /// other connections go on meanwhile. `progress(done, total)` is told
    /// pages copied and may return `false` to cancel; a cancelled or failed
    /// backup leaves no file behind.
    ///
    /// The copy is checked after it is written: SQLCipher's check of every
    /// page's authentication code, then SQLite's check at `depth` (`Quick`
    /// reads every page and record; `Full` also checks every index against
    /// its table, which takes the longer part of a large backup's time),
    /// then every table's rows counted against the database's.
    pub fn backup_to(
        &self,
        dest: &Path,
        key: &DatabaseKey,
        depth: IntegrityDepth,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<BackupSummary> {
        if file_state(dest)? != FileState::Missing {
            return Err(StoreError::File(format!("{} exists already", dest.display())));
        }
        let made = self.copy_pages(dest, key, progress);
        let checked = made.and_then(|expected| {
            let check = inspect_backup_at(dest, key, depth)?;
            if check.rows != expected.rows || check.tables != expected.tables {
                return Err(StoreError::Corrupt(format!(
                    "the backup holds {} rows in {} tables, the database {} in {}",
                    check.rows, check.tables, expected.rows, expected.tables
                )));
            }
            Ok(check)
        });
        if checked.is_err() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", dest.display()));
            }
        }
        checked
    }

    /// Copies every page inside one read transaction and returns what the
    /// database held then.
    fn copy_pages(&self, dest: &Path, key: &DatabaseKey, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<BackupSummary> {
        let mut out = Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        key_connection(&out, key)?;
        // One snapshot for the counts and the pages alike.
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let result = (|| {
            let counts = row_counts(&self.conn, "main")?;
            let expected = summary_of(&self.conn, &counts, 0)?;
            {
                let backup = rusqlite::backup::Backup::new(&self.conn, &mut out)?;
                loop {
                    let step = backup.step(PAGES_PER_STEP)?;
                    let p = backup.progress();
                    let (total, left) = (p.pagecount.max(0) as u64, p.remaining.max(0) as u64);
                    if !progress(total - left, total) {
                        return Err(StoreError::Cancelled);
                    }
                    match step {
                        rusqlite::backup::StepResult::Done => break,
                        rusqlite::backup::StepResult::More => {}
                        rusqlite::backup::StepResult::Busy | rusqlite::backup::StepResult::Locked => {
                            std::thread::sleep(std::time::Duration::from_millis(20))
                        }
                        _ => {}
                    }
                }
            }
            Ok(expected)
        })();
        self.conn.execute_batch("COMMIT")?;
        let expected = result?;
        // A backup is one file: nothing left in a write-ahead log beside it.
        out.pragma_update(None, "journal_mode", "DELETE")?;
        drop(out);
        Ok(expected)
    }
}

impl Store {
    /// Checks the database file with SQLite's own check; a damaged file is
    /// [`StoreError::Damaged`] naming what is wrong. It reads every page:
    /// run it away from the window (the background worker does).
    ///
    /// The full check keeps up to 256 MB of pages decrypted while it runs
    /// (as the check of a backup does), then the connection's own cache
    /// size is put back: the background worker's connection is kept small.
    pub fn check_integrity(&self, depth: IntegrityDepth) -> Result<()> {
        if depth == IntegrityDepth::Quick {
            return integrity(&self.conn, depth);
        }
        let own: i64 = self.conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", -CHECK_CACHE_KIB)?;
        let checked = integrity(&self.conn, depth);
        self.conn.pragma_update(None, "cache_size", own)?;
        checked
    }

    /// Residents, service records, the last change and what waits to be
    /// sent: what a restore would replace, shown before it does.
    pub fn holdings(&self) -> Result<Holdings> {
        let count = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        let last: Option<String> = self.conn.query_row("SELECT max(at) FROM change_log", [], |r| r.get(0))?;
        Ok(Holdings {
            residents: count("SELECT count(*) FROM resident")?,
            services: count("SELECT count(*) FROM service_record")?,
            last_change: last.as_deref().map(parse_ts).transpose()?,
            unsent: count(
                "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE state IN ('pending', 'quarantined', 'conflict') GROUP BY entity, entity_id)",
            )?,
        })
    }
}

impl Store {
    /// Before a new version changes an existing database's schema, a
    /// checked backup of it as it was: `backups/upgrade-v<N>.vhrbak` beside
    /// the database (N its schema version; a number added if that name is
    /// taken). A new, empty database has nothing to keep.
    pub(crate) fn backup_before_upgrade(&self, path: &Path, key: &DatabaseKey) -> Result<()> {
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version == 0 || version as usize >= crate::latest_schema_version() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(Path::new(".")).join("backups");
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::File(format!("{}: {e}", dir.display())))?;
        let mut dest = dir.join(format!("upgrade-v{version}.vhrbak"));
        let mut n = 1;
        while file_state(&dest)? != FileState::Missing {
            n += 1;
            dest = dir.join(format!("upgrade-v{version}-{n}.vhrbak"));
        }
        self.backup_to(&dest, key, IntegrityDepth::Quick, &mut |_, _| true)?;
        prune_upgrade_backups(&dir)
    }
}

/// How many backups taken before upgrades are kept (the newest).
pub const UPGRADE_BACKUPS_KEPT: usize = 3;

fn prune_upgrade_backups(dir: &Path) -> Result<()> {
    let mut kept: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| StoreError::File(format!("{}: {e}", dir.display())))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("upgrade-v"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    kept.sort_by(|a, b| b.cmp(a));
    for (_, old) in kept.into_iter().skip(UPGRADE_BACKUPS_KEPT) {
        std::fs::remove_file(&old).map_err(|e| StoreError::File(format!("{}: {e}", old.display())))?;
    }
    Ok(())
}

/// Whether a backup opens with `key` (this install's), without checking
/// every page: a quick refusal of another install's file.
pub fn backup_opens_with(path: &Path, key: &DatabaseKey) -> Result<()> {
    if file_state(path)? != FileState::Encrypted {
        return Err(StoreError::File(format!("{} is not a backup of this app", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    key_connection(&conn, key)
}

/// Opens a backup (read only), checks its integrity and says what it holds.
/// A backup made with another key (another install's) is
/// [`StoreError::WrongKey`].
pub fn inspect_backup(path: &Path, key: &DatabaseKey) -> Result<BackupSummary> {
    inspect_backup_at(path, key, IntegrityDepth::Full)
}

fn inspect_backup_at(path: &Path, key: &DatabaseKey, depth: IntegrityDepth) -> Result<BackupSummary> {
    if file_state(path)? != FileState::Encrypted {
        return Err(StoreError::File(format!("{} is not a backup of this app", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    key_connection(&conn, key)?;
    // The full check looks every index entry up in its table: with pages
    // kept decrypted it reads each once, not again and again.
    conn.pragma_update(None, "cache_size", -CHECK_CACHE_KIB)?;
    integrity(&conn, depth)?;
    let counts = row_counts(&conn, "main")?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    summary_of(&conn, &counts, bytes)
}

/// The files SQLite keeps beside a database while it is open or after a crash.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

fn moved(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| StoreError::File(format!("{} → {}: {e}", from.display(), to.display())))
}

/// Replaces the database at `db` with the backup at `backup` (checked
/// first: it opens with `key`, passes the full integrity check). The
/// current file, with any write-ahead log beside it, is moved to `aside`
/// (which must not exist) and kept; the backup is copied in under a
/// temporary name and renamed into place, so `db` is at every moment either
/// the old file or the whole backup. No connection to `db` may be open.
/// Returns what the restored file holds.
pub fn restore_file(db: &Path, backup: &Path, key: &DatabaseKey, aside: &Path) -> Result<BackupSummary> {
    let summary = inspect_backup(backup, key)?;
    if file_state(aside)? != FileState::Missing {
        return Err(StoreError::File(format!("{} exists already", aside.display())));
    }
    let incoming = db.with_extension("restoring");
    let _ = std::fs::remove_file(&incoming);
    let copy = (|| -> std::io::Result<()> {
        std::fs::copy(backup, &incoming)?;
        std::fs::File::open(&incoming)?.sync_all()
    })();
    copy.map_err(|e| StoreError::File(format!("{}: {e}", incoming.display())))?;
    if let Some(dir) = aside.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::File(format!("{}: {e}", dir.display())))?;
    }
    let had_db = file_state(db)? != FileState::Missing;
    if had_db {
        moved(db, aside)?;
    }
    for suffix in SIDE_FILES {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            moved(&side, &PathBuf::from(format!("{}{suffix}", aside.display())))?;
        }
    }
    if let Err(e) = moved(&incoming, db) {
        // Put the current file back: nothing is left half done.
        if had_db {
            let _ = std::fs::rename(aside, db);
        }
        return Err(e);
    }
    if let Some(dir) = db.parent() {
        // The renames themselves reach the disk (where the system allows it).
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::key;

    /// A database of a few tens of megabytes: the copy takes several steps.
    fn big_store(path: &Path) -> Store {
        let store = Store::open(path, &key()).unwrap();
        store.conn.execute_batch("BEGIN").unwrap();
        for i in 0..12_000 {
            store.set_setting(&format!("filler.{i}"), &"张三李四".repeat(400)).unwrap();
        }
        store.conn.execute_batch("COMMIT").unwrap();
        store
    }

    #[test]
    fn a_backup_taken_while_another_connection_saves_is_one_moments_copy_and_checks_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clinic.db");
        let store = big_store(&path);
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                let other = Store::open(&path, &key()).unwrap();
                for i in 0..200 {
                    other.set_setting(&format!("meanwhile.{i}"), "saved during the backup").unwrap();
                }
            })
        };
        let dest = dir.path().join("copy.vhrbak");
        let mut steps = 0;
        let made = store
            .backup_to(&dest, &key(), IntegrityDepth::Full, &mut |done, total| {
                steps += 1;
                assert!(done <= total, "{done} of {total}");
                true
            })
            .unwrap();
        writer.join().unwrap();
        assert!(steps >= 2, "progress is told step by step: {steps}");
        assert_eq!(file_state(&dest).unwrap(), FileState::Encrypted, "the backup is encrypted");
        assert!(!std::fs::read(&dest).unwrap().windows("张三".len()).any(|w| w == "张三".as_bytes()), "no name in the clear");
        let again = inspect_backup(&dest, &key()).unwrap();
        assert_eq!(again, made, "what the check read is what the file holds");
        let now = row_counts(&store.conn, "main").unwrap().iter().map(|(_, n)| n).sum::<i64>();
        assert!(made.rows >= 12_000 && made.rows <= now, "one moment's rows: {} (now {now})", made.rows);
        let copy = Store::open(&dest, &key()).unwrap();
        assert!(copy.setting("filler.11999").unwrap().is_some(), "the copy opens as a database with its rows");
    }

    #[test]
    fn a_backup_is_refused_over_an_existing_file_leaves_nothing_when_cancelled_and_needs_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = big_store(&dir.path().join("clinic.db"));
        let dest = dir.path().join("copy.vhrbak");
        let cancelled = store.backup_to(&dest, &key(), IntegrityDepth::Full, &mut |_, _| false).unwrap_err();
        assert!(matches!(cancelled, StoreError::Cancelled), "{cancelled:?}");
        assert!(!dest.exists(), "a cancelled backup leaves no file");
        store.backup_to(&dest, &key(), IntegrityDepth::Full, &mut |_, _| true).unwrap();
        assert!(
            matches!(store.backup_to(&dest, &key(), IntegrityDepth::Full, &mut |_, _| true), Err(StoreError::File(_))),
            "never over an existing file"
        );
        let other = DatabaseKey::from_bytes([9; 32]);
        assert!(matches!(inspect_backup(&dest, &other), Err(StoreError::WrongKey)), "another install's key does not open it");
        let mut bytes = std::fs::read(&dest).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        let flipped = dir.path().join("flipped.vhrbak");
        std::fs::write(&flipped, bytes).unwrap();
        let damaged = inspect_backup(&flipped, &key()).unwrap_err();
        assert!(!matches!(damaged, StoreError::WrongKey), "one changed byte is damage, not a wrong key: {damaged:?}");
    }

    #[test]
    fn a_restore_puts_the_backup_in_place_and_keeps_the_replaced_file_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clinic.db");
        let store = Store::open(&path, &key()).unwrap();
        store.set_setting("written", "before the backup").unwrap();
        let backup = dir.path().join("b.vhrbak");
        store.backup_to(&backup, &key(), IntegrityDepth::Full, &mut |_, _| true).unwrap();
        store.set_setting("written", "after the backup").unwrap();
        // As after a crash: the last change is still in the write-ahead log beside the file.
        std::mem::forget(store);
        assert!(dir.path().join("clinic.db-wal").exists(), "a log is left beside the file");
        let aside = dir.path().join("backups").join("replaced.vhrbak");
        let other = DatabaseKey::from_bytes([9; 32]);
        assert!(
            matches!(restore_file(&path, &backup, &other, &aside), Err(StoreError::WrongKey)),
            "a backup of another install is refused"
        );
        assert!(!aside.exists(), "and nothing was moved");
        restore_file(&path, &backup, &key(), &aside).unwrap();
        let restored = Store::open(&path, &key()).unwrap();
        assert_eq!(restored.setting("written").unwrap().as_deref(), Some("before the backup"), "the backup is in place");
        let kept = Store::open(&aside, &key()).unwrap();
        assert_eq!(kept.setting("written").unwrap().as_deref(), Some("after the backup"), "the replaced file is kept whole");
        assert!(matches!(restore_file(&path, &backup, &key(), &aside), Err(StoreError::File(_))), "never over a file kept aside");
    }

    #[test]
    fn the_full_check_reads_with_a_large_cache_and_gives_the_connection_its_own_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = big_store(&dir.path().join("clinic.db"));
        store.use_small_cache().unwrap();
        store.check_integrity(IntegrityDepth::Full).unwrap();
        let after: i64 = store.conn.pragma_query_value(None, "cache_size", |r| r.get(0)).unwrap();
        assert_eq!(after, -4_096, "the background worker's connection stays small after its daily check");
    }

    #[test]
    fn damage_inside_the_file_is_found_by_the_check_and_named_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clinic.db");
        let store = big_store(&path);
        store.check_integrity(IntegrityDepth::Full).unwrap();
        drop(store);
        let mut bytes = std::fs::read(&path).unwrap();
        // A page well inside the file, not the first (which carries the key's salt).
        let at = bytes.len() / 3;
        for b in &mut bytes[at..at + 64] {
            *b ^= 0x5a;
        }
        std::fs::write(&path, bytes).unwrap();
        let found = Store::open(&path, &key()).and_then(|s| s.check_integrity(IntegrityDepth::Quick));
        assert!(matches!(found, Err(StoreError::Damaged(_))), "the quick check (or the open) names the damage: {found:?}");
    }

    #[test]
    fn the_three_newest_backups_before_upgrades_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let day = std::time::Duration::from_secs(86_400);
        let start = std::time::SystemTime::now() - day * 10;
        for (i, name) in ["upgrade-v17.vhrbak", "upgrade-v18.vhrbak", "upgrade-v19.vhrbak", "upgrade-v20.vhrbak", "daily-20261101.vhrbak"]
            .iter()
            .enumerate()
        {
            let f = std::fs::File::create(dir.path().join(name)).unwrap();
            f.set_modified(start + day * i as u32).unwrap();
        }
        prune_upgrade_backups(dir.path()).unwrap();
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        left.sort();
        assert_eq!(
            left,
            ["daily-20261101.vhrbak", "upgrade-v18.vhrbak", "upgrade-v19.vhrbak", "upgrade-v20.vhrbak"],
            "the oldest goes, other kinds stay"
        );
    }
}
