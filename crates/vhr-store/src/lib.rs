//! The embedded SQLite store: the only code in the project that issues SQL.
//!
//! Invariants:
//! - A database file is opened in exactly one place, [`Store::open`]; it keys
//!   SQLCipher with the install's data key, sets WAL, `synchronous=FULL` and
//!   foreign keys, and runs the migrations. (The one other connection, in
//!   [`encryption::encrypted_copy`], reads a plain file of an older version
//!   once, to encrypt it.)
//! - Migrations in `migrations/` are append-only.
//! - Every change to an entity bumps its `version` and writes, in the same
//!   transaction, a `change_log` row with the old and new values and an
//!   `outbox` row for sync. Nothing is ever deleted.
//! - Every read or write of a resident takes the [`Actor`] doing it: the
//!   actor's reach narrows every query (`access.rs`), and the audit trail
//!   has a single place to hook.

mod access;
mod audit;
mod backup;
mod closure;
mod drafts;
mod encryption;
mod episodes;
mod error;
mod handover;
mod history;
mod households;
mod prints;
mod programs;
mod replay;
mod residents;
mod schema;
mod serial_blocks;
mod services;
mod set_aside;
mod settings;
mod sync;
mod transfer;
mod users;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags};

pub use audit::{AuditCheck, AuditEntry, AuditFilter, StoredCheckpoint, EVENTS as AUDIT_EVENTS};
pub use backup::{backup_opens_with, inspect_backup, restore_file, BackupSummary, Holdings, IntegrityDepth, UPGRADE_BACKUPS_KEPT};
pub use encryption::{encrypted_copy, file_state, plain_users, CopyCheck, DatabaseKey, FileState};
pub use episodes::{EpisodeRecord, NewEpisode};
pub use error::StoreError;
pub use handover::{DumpSink, Loader, TableRows};
pub use history::{Change, HistoryEntry};
pub use households::{Household, HouseholdMember, HouseholdSummary};
pub use prints::{CardSelection, PrintEntry};
pub use programs::{ProgramChanges, ProgramRow, TimingRow};
pub use replay::{ReplayCounts, Replayed, UnsentChange};
pub use residents::{Counts, DuplicateCandidate, NewResident, ResidentSummary, SearchSpec, StatusFilter};
pub use schema::{latest_version as latest_schema_version, migrate_to};
pub use serial_blocks::{BlockRow, Renumbered, VillageSerials};
pub use services::{NewService, ServiceEdit, ServiceRecord};
pub use set_aside::{SetAside, SetAsideReason};
pub use sync::{AttentionItem, FieldConflict, NoticeDraft, NoticeField, OutboxCounts, PendingChange, SyncBase};
pub use transfer::{Brought, HistoryRow, TrailRow, TransferLogEntry, TransferRecord};
pub use users::{User, UserRecord};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who is reading or changing data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub name: String,
    /// Which residents they reach and what they may do (see [`Actor::account`]).
    pub access: vhr_domain::access::Access,
}

/// An open database.
pub struct Store {
    conn: Connection,
}

/// The page cache of a window's connection, in KiB.
const WINDOW_CACHE_KIB: i64 = 256 * 1024;

impl Store {
    /// Opens (creating if needed) the database at `path`, encrypted with
    /// `key`, and brings its schema up to date. A wrong key is
    /// [`StoreError::WrongKey`]; a plain file of an older version has to be
    /// copied encrypted first ([`encrypted_copy`]).
    pub fn open(path: &Path, key: &DatabaseKey) -> Result<Store> {
        if file_state(path)? == FileState::Plain {
            return Err(StoreError::File(format!("{} is not encrypted yet", path.display())));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        encryption::key_connection(&conn, key)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A page cache of up to 256 MB (it grows only as pages are read):
        // SQLCipher decrypts every page it reads from the file, and the
        // search and work-list indexes of a big clinic are read again and
        // again; kept decrypted here, they cost what plain pages cost
        // (docs/benchmarks.md). Memory-mapped reads, which the plain
        // database used, do not apply to SQLCipher's page codec.
        conn.pragma_update(None, "cache_size", -WINDOW_CACHE_KIB)?;
        let store = Store { conn };
        store.backup_before_upgrade(path, key)?;
        let Store { mut conn } = store;
        schema::migrate(&mut conn)?;
        let mut store = Store { conn };
        store.build_program_state_once()?;
        programs::prune_changes(&store.conn)?;
        Ok(store)
    }

    /// Opens a kept copy of this install's database (a file a restore
    /// replaced) to read from, changing nothing in it: no migration, no
    /// upkeep. Only a copy at this version's schema is read.
    pub fn open_kept(path: &Path, key: &DatabaseKey) -> Result<Store> {
        if file_state(path)? != FileState::Encrypted {
            return Err(StoreError::File(format!("{} is not a database of this app", path.display())));
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        encryption::key_connection(&conn, key)?;
        let store = Store { conn };
        let version = store.schema_version()?;
        if version as usize != latest_schema_version() {
            return Err(StoreError::File(format!("{} is at schema {version}, not {}", path.display(), latest_schema_version())));
        }
        Ok(store)
    }

    /// Shrinks this connection's page cache to 4 MB, for a connection that
    /// only streams (the background sync): the 32 MB of the window's
    /// connection were a quarter of the desktop app's own memory twice over.
    pub fn use_small_cache(&self) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -4_096)?;
        Ok(())
    }

    /// Runs `f` in one write transaction: everything it does is committed
    /// together, or nothing is. Bulk loads use it to avoid one disk sync per row.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Batch<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let profile = residents::profile_in(&tx)?;
        let mut batch = Batch { tx, profile };
        let out = f(&mut batch)?;
        batch.tx.commit()?;
        Ok(out)
    }

    /// Databases made before programme state existed get it built once.
    fn build_program_state_once(&mut self) -> Result<()> {
        if self.setting("program_state.built")?.is_some() {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        programs::rebuild_all(&tx)?;
        tx.execute("INSERT OR REPLACE INTO setting (key, value) VALUES ('program_state.built', '1')", [])?;
        tx.commit()?;
        Ok(())
    }

    /// The bytes the database's pages hold now (free pages not counted),
    /// whether written to the main file yet or still in its WAL.
    pub fn bytes_in_use(&self) -> Result<u64> {
        let pages: i64 = self.conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
        let free: i64 = self.conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?;
        // SQLCipher answers `page_size` as text (`cipher_page_size`).
        let size: String = self.conn.pragma_query_value(None, "page_size", |r| {
            r.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                rusqlite::types::Value::Integer(n) => n.to_string(),
                rusqlite::types::Value::Text(t) => t,
                _ => String::new(),
            })
        })?;
        let size: i64 = size.parse().map_err(|_| StoreError::Corrupt(format!("page size {size:?}")))?;
        Ok(((pages - free).max(0) * size) as u64)
    }

    /// The schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

/// Writes made together in one transaction (see [`Store::batch`]).
pub struct Batch<'c> {
    tx: rusqlite::Transaction<'c>,
    profile: vhr_domain::clinic::ClinicProfile,
}

/// A stored timestamp: UTC, to the microsecond.
pub(crate) fn ts(at: impl Into<DateTime<Utc>>) -> String {
    at.into().to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).map_err(|e| StoreError::Corrupt(format!("bad timestamp {s:?}: {e}")))
}

/// For the store's own tests: a fixed key, and an older version's plain
/// file brought in the way a clinic's is (encrypted copy, then opened).
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use crate::{DatabaseKey, Store};

    pub fn key() -> DatabaseKey {
        DatabaseKey::from_bytes([42; 32])
    }

    /// 石桥村卫生室 of 青山镇, serving 石桥村 (101) and 河口村 (102).
    pub fn profile() -> vhr_domain::clinic::ClinicProfile {
        use vhr_domain::clinic::{ClinicProfile, SerialBlock, Village};
        ClinicProfile {
            institution_name: "石桥村卫生室".into(),
            institution_phone: String::new(),
            county_code: "450102".into(),
            division_code_year: 2024,
            township_code: "101".into(),
            township_name: "青山镇".into(),
            villages: vec![Village { code: "101".into(), name: "石桥村".into() }, Village { code: "102".into(), name: "河口村".into() }],
            serial_block: SerialBlock { start: 1, end: 99_999 },
        }
    }

    pub fn open_old_plain(plain: &Path) -> Store {
        let encrypted = plain.with_extension("encrypted.db");
        crate::encrypted_copy(plain, &encrypted, &key()).expect("an older plain database copies encrypted");
        Store::open(&encrypted, &key()).expect("and opens")
    }
}
