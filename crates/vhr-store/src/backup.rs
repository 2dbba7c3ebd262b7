//! Backups (issue #13): a page-by-page copy of the encrypted database,
//! taken from one consistent moment while others keep saving, encrypted
//! with the same data key, and checked before it counts as made — the copy
//! opens, passes SQLite's integrity check and holds as many rows in every
//! table as the database did at that moment. What a backup holds is read
//! from the backup itself.

use std::path::Path;

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

fn integrity(conn: &Connection) -> Result<()> {
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if result != "ok" {
        return Err(StoreError::Corrupt(format!("integrity check: {result}")));
    }
    Ok(())
}

impl Store {
    /// Writes a backup of the database to `dest`, which must not exist,
    /// encrypted with `key` (this database's own). The copy is one
    /// moment's: the read it is taken in sees no later save, and saves by
    /// other connections go on meanwhile. `progress(done, total)` is told
    /// pages copied and may return `false` to cancel; a cancelled or failed
    /// backup leaves no file behind.
    pub fn backup_to(&self, dest: &Path, key: &DatabaseKey, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<BackupSummary> {
        if file_state(dest)? != FileState::Missing {
            return Err(StoreError::File(format!("{} exists already", dest.display())));
        }
        let made = self.copy_pages(dest, key, progress);
        let checked = made.and_then(|expected| {
            let check = inspect_backup(dest, key)?;
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
        self.backup_to(&dest, key, &mut |_, _| true)?;
        Ok(())
    }
}

/// Opens a backup (read only), checks its integrity and says what it holds.
/// A backup made with another key (another install's) is
/// [`StoreError::WrongKey`].
pub fn inspect_backup(path: &Path, key: &DatabaseKey) -> Result<BackupSummary> {
    if file_state(path)? != FileState::Encrypted {
        return Err(StoreError::File(format!("{} is not a backup of this app", path.display())));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    key_connection(&conn, key)?;
    integrity(&conn)?;
    let counts = row_counts(&conn, "main")?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    summary_of(&conn, &counts, bytes)
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
            .backup_to(&dest, &key(), &mut |done, total| {
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
        let cancelled = store.backup_to(&dest, &key(), &mut |_, _| false).unwrap_err();
        assert!(matches!(cancelled, StoreError::Cancelled), "{cancelled:?}");
        assert!(!dest.exists(), "a cancelled backup leaves no file");
        store.backup_to(&dest, &key(), &mut |_, _| true).unwrap();
        assert!(matches!(store.backup_to(&dest, &key(), &mut |_, _| true), Err(StoreError::File(_))), "never over an existing file");
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
}
