//! Encryption at rest: the key a database is opened with, what a file on
//! disk is (missing, plain SQLite from a version before encryption, or
//! encrypted), and the one-time move of a plain database into an encrypted
//! copy, checked before anything replaces the original.
//!
//! The key is 32 random bytes handed to SQLCipher as a raw key, so opening
//! skips SQLCipher's own PBKDF2: the password work is done once, by whoever
//! unwrapped the key (`vhr-app`'s install file).

use std::fmt;
use std::io::Read;
use std::path::Path;

use rusqlite::Connection;
use zeroize::Zeroize;

use crate::{Result, StoreError};

/// The key that encrypts one database. Never printed, wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseKey([u8; 32]);

impl DatabaseKey {
    pub fn from_bytes(bytes: [u8; 32]) -> DatabaseKey {
        DatabaseKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// SQLCipher's raw-key literal, `x'…'`.
    fn literal(&self) -> String {
        let mut hex = String::with_capacity(67);
        hex.push_str("x'");
        for b in self.0 {
            hex.push_str(&format!("{b:02X}"));
        }
        hex.push('\'');
        hex
    }
}

impl Drop for DatabaseKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatabaseKey(…)")
    }
}

/// What a database file is, read from its first 16 bytes without opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    Missing,
    /// An SQLite file anyone can read: made by a version before encryption.
    Plain,
    /// Not readable without its key (an encrypted file looks like noise).
    Encrypted,
}

const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

pub fn file_state(path: &Path) -> Result<FileState> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(StoreError::File(format!("{}: {e}", path.display()))),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(StoreError::File(format!("{}: {e}", path.display()))),
        }
    }
    Ok(match read {
        0 => FileState::Missing,
        16 if &head == PLAIN_HEADER => FileState::Plain,
        _ => FileState::Encrypted,
    })
}

/// Keys a fresh connection and proves the key right by reading the schema:
/// a wrong key, or a file that is not a database, says so here.
pub(crate) fn key_connection(conn: &Connection, key: &DatabaseKey) -> Result<()> {
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.literal()))?;
    check_readable(conn)
}

fn check_readable(conn: &Connection) -> Result<()> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::NotADatabase => Err(StoreError::WrongKey),
        Err(e) => Err(e.into()),
    }
}

/// Rows per table, the check that a copy holds everything its original did.
pub(crate) fn row_counts(conn: &Connection, schema: &str) -> Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare(&format!("SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))?;
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {schema}.\"{}\"", t.replace('"', "\"\"")), [], |r| r.get(0))?;
            Ok((t, n))
        })
        .collect()
}

/// The users of a plain database made by a version before encryption, with
/// their password hashes: the one thing read from it before it is
/// encrypted, to know that whoever signs in may encrypt it. Empty when that
/// version never got as far as setting up.
pub fn plain_users(path: &Path) -> Result<Vec<(String, String, String)>> {
    if file_state(path)? != FileState::Plain {
        return Ok(Vec::new());
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_users: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'app_user'", [], |r| r.get(0))?;
    if has_users == 0 {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT id, username, password_hash FROM app_user ORDER BY created_at")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What an encrypted copy was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyCheck {
    pub tables: usize,
    pub rows: i64,
}

/// Writes an encrypted copy of the plain database at `plain` to `dest`
/// (which must not exist), then opens the copy with `key` and checks it:
/// SQLite's integrity check passes and every table has as many rows as in
/// the original. The original is only read. Nothing replaces anything here.
pub fn encrypted_copy(plain: &Path, dest: &Path, key: &DatabaseKey) -> Result<CopyCheck> {
    if file_state(plain)? != FileState::Plain {
        return Err(StoreError::File(format!("{} is not a plain SQLite database", plain.display())));
    }
    if file_state(dest)? != FileState::Missing {
        return Err(StoreError::File(format!("{} exists already", dest.display())));
    }
    let source = Connection::open(plain)?;
    check_readable(&source)?;
    // Everything the write-ahead log holds goes into the main file first.
    source.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: i64 = source.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let expected = row_counts(&source, "main")?;
    let dest_text = dest.to_str().ok_or_else(|| StoreError::File(format!("{} is not a UTF-8 path", dest.display())))?;
    source.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", rusqlite::params![dest_text, key.literal()])?;
    source.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    source.execute_batch(&format!("PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"))?;
    drop(source);

    let copy = Connection::open(dest)?;
    key_connection(&copy, key)?;
    let integrity: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(StoreError::Corrupt(format!("the encrypted copy failed its integrity check: {integrity}")));
    }
    let copied = row_counts(&copy, "main")?;
    if copied != expected {
        return Err(StoreError::Corrupt(format!(
            "the encrypted copy does not hold what the original holds: {copied:?} against {expected:?}"
        )));
    }
    let copied_version: i64 = copy.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if copied_version != version {
        return Err(StoreError::Corrupt(format!("the encrypted copy has schema {copied_version}, the original {version}")));
    }
    Ok(CopyCheck { tables: expected.len(), rows: expected.iter().map(|(_, n)| n).sum() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_copied_elsewhere_without_its_key_does_not_open_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let key = DatabaseKey::from_bytes([7; 32]);
        drop(crate::Store::open(&path, &key).unwrap());
        assert_eq!(file_state(&path).unwrap(), FileState::Encrypted, "the file on disk is not plain SQLite");
        let raw = std::fs::read(&path).unwrap();
        assert!(!raw.windows(12).any(|w| w == b"CREATE TABLE"), "the schema is not readable in the file");

        let other = DatabaseKey::from_bytes([8; 32]);
        let err = crate::Store::open(&path, &other).err().expect("another key does not open it");
        assert!(matches!(err, StoreError::WrongKey), "names the wrong key, not a generic failure: {err:?}");
        assert!(crate::Store::open(&path, &key).is_ok(), "its own key still opens it afterwards");
    }

    #[test]
    fn a_plain_database_is_copied_encrypted_with_every_row_and_the_original_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.db");
        {
            let mut conn = Connection::open(&plain).unwrap();
            crate::schema::migrate_to(&mut conn, 14).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
            for i in 0..50 {
                conn.execute("INSERT INTO setting (key, value) VALUES (?1, '张三')", [format!("k{i}")]).unwrap();
            }
        }
        let before = std::fs::read(&plain).unwrap();
        let dest = dir.path().join("enc.db");
        let key = DatabaseKey::from_bytes([3; 32]);
        let check = encrypted_copy(&plain, &dest, &key).unwrap();
        assert!(check.rows >= 50, "the settings rows were counted: {check:?}");
        assert_eq!(file_state(&dest).unwrap(), FileState::Encrypted);
        assert!(!std::fs::read(&dest).unwrap().windows("张三".len()).any(|w| w == "张三".as_bytes()), "no name in the clear");
        let store = crate::Store::open(&dest, &key).unwrap();
        assert_eq!(store.setting("k49").unwrap().as_deref(), Some("张三"));
        assert_eq!(store.schema_version().unwrap() as usize, crate::latest_schema_version(), "migrated on open from 14");
        assert_eq!(file_state(&plain).unwrap(), FileState::Plain, "the original stays readable until the caller replaces it");
        assert!(std::fs::read(&plain).unwrap().len() >= before.len().min(4096));
        assert!(encrypted_copy(&plain, &dest, &key).is_err(), "never writes over an existing file");
    }
}
