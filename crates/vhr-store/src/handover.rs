//! The complete set as rows (issue #13, the handover of every record when
//! an institution changes): every table dumped as JSON lines inside one read
//! transaction, so the set is one moment's while others save, and loaded
//! into a new database at the schema it was dumped from, then migrated.
//!
//! A table's lines: first its head, `{"table": name, "columns": [...]}`,
//! then one JSON array per row in the table's order (rowid, or the primary
//! key of a table without one). A value is `null`, an integer, a real
//! number, a string, or `{"blob": base64}`; a table whose rows have no
//! INTEGER PRIMARY KEY carries its `rowid` as the first column, so every
//! row comes back exactly as it was. `audit_key` — the install's private
//! signing key — is never dumped (its public half travels beside the rows,
//! see `hold_audit_key`); SQLite's statistics are not data. `sqlite_sequence`
//! comes last, so the AUTOINCREMENT counters are the dumped ones, not those
//! the loaded rows left.

use std::io::BufRead;
use std::path::Path;

use base64::Engine;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use crate::encryption::{self, DatabaseKey};
use crate::{schema, Result, Store, StoreError};

/// Tables the dump leaves out: the install's private signing key, and
/// SQLite's own statistics (derived, made again by ANALYZE).
const NOT_DUMPED: [&str; 5] = ["audit_key", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"];

/// One table of a dump: its name, columns and how many rows it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRows {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

#[derive(Serialize, Deserialize)]
struct Head {
    table: String,
    columns: Vec<String>,
}

/// Where a dump's lines go: one stream per table, in turn.
pub trait DumpSink {
    /// A table begins; `total` is the rows of every table, `done` those
    /// dumped before it.
    fn begin(&mut self, table: &str) -> Result<()>;
    /// One line (its newline included).
    fn line(&mut self, line: &[u8]) -> Result<()>;
    /// The table is complete.
    fn end(&mut self, table: &TableRows) -> Result<()>;
    /// How far the dump is; `false` cancels it.
    fn progress(&mut self, done: u64, total: u64) -> bool;
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn file_error(e: std::io::Error) -> StoreError {
    StoreError::File(e.to_string())
}

/// A table a dump holds: its columns (`rowid` first where the rows have no
/// INTEGER PRIMARY KEY of their own), and whether it has no rowid at all
/// (then its rows are read in its primary key's order).
struct Dumped {
    name: String,
    columns: Vec<String>,
    without_rowid: bool,
}

/// The tables a dump holds, in its order.
fn dumped_tables(conn: &Connection) -> Result<Vec<Dumped>> {
    let mut stmt = conn.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name = 'sqlite_sequence', name")?;
    let tables: Vec<(String, Option<String>)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for (name, sql) in tables {
        if NOT_DUMPED.contains(&name.as_str()) {
            continue;
        }
        let without_rowid = sql.unwrap_or_default().to_ascii_uppercase().contains("WITHOUT ROWID");
        let mut info = conn.prepare(&format!("PRAGMA table_info({})", quoted(&name)))?;
        let cols: Vec<(String, String, i64)> =
            info.query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(5)?)))?.collect::<rusqlite::Result<_>>()?;
        let keys: Vec<&(String, String, i64)> = cols.iter().filter(|c| c.2 > 0).collect();
        let aliased = keys.len() == 1 && keys[0].1.eq_ignore_ascii_case("INTEGER");
        let mut columns: Vec<String> = if without_rowid || aliased { Vec::new() } else { vec!["rowid".into()] };
        columns.extend(cols.into_iter().map(|c| c.0));
        out.push(Dumped { name, columns, without_rowid });
    }
    Ok(out)
}

fn to_json(v: ValueRef<'_>, table: &str) -> Result<serde_json::Value> {
    Ok(match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .ok_or_else(|| StoreError::Corrupt(format!("{table}: a real number that is not finite")))?,
        ValueRef::Text(t) => {
            std::str::from_utf8(t).map_err(|_| StoreError::Corrupt(format!("{table}: text that is not UTF-8")))?.to_string().into()
        }
        ValueRef::Blob(b) => serde_json::json!({ "blob": base64::engine::general_purpose::STANDARD.encode(b) }),
    })
}

fn from_json(v: serde_json::Value, table: &str) -> Result<Value> {
    let bad = || StoreError::Corrupt(format!("{table}: a value that is no SQLite value"));
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => Value::Integer(i),
            _ => Value::Real(n.as_f64().ok_or_else(bad)?),
        },
        serde_json::Value::String(s) => Value::Text(s),
        serde_json::Value::Object(o) => {
            let b = o.get("blob").and_then(|b| b.as_str()).filter(|_| o.len() == 1).ok_or_else(bad)?;
            Value::Blob(base64::engine::general_purpose::STANDARD.decode(b).map_err(|_| bad())?)
        }
        _ => return Err(bad()),
    })
}

impl Store {
    /// Every row of every table, one moment's (one read transaction), to
    /// `sink`. Returns what each table held.
    pub fn dump_tables(&self, sink: &mut dyn DumpSink) -> Result<Vec<TableRows>> {
        let tx = self.conn.unchecked_transaction()?;
        let tables = dumped_tables(&self.conn)?;
        let mut total = 0u64;
        for t in &tables {
            total += self.conn.query_row(&format!("SELECT count(*) FROM {}", quoted(&t.name)), [], |r| r.get::<_, i64>(0))? as u64;
        }
        let mut done = 0u64;
        let mut out = Vec::new();
        for Dumped { name: table, columns, without_rowid } in tables {
            sink.begin(&table)?;
            let mut head = serde_json::to_vec(&Head { table: table.clone(), columns: columns.clone() })?;
            head.push(b'\n');
            sink.line(&head)?;
            let list: Vec<String> = columns.iter().map(|c| if c == "rowid" { c.clone() } else { quoted(c) }).collect();
            let order = if without_rowid { "" } else { " ORDER BY rowid" };
            let mut stmt = self.conn.prepare(&format!("SELECT {} FROM {}{order}", list.join(", "), quoted(&table)))?;
            let mut rows = stmt.query([])?;
            let mut n = 0u64;
            let mut line = Vec::new();
            while let Some(r) = rows.next()? {
                let values = (0..columns.len()).map(|i| to_json(r.get_ref(i)?, &table)).collect::<Result<Vec<_>>>()?;
                line.clear();
                serde_json::to_writer(&mut line, &values)?;
                line.push(b'\n');
                sink.line(&line)?;
                n += 1;
                done += 1;
                if done.is_multiple_of(4096) && !sink.progress(done, total) {
                    return Err(StoreError::Cancelled);
                }
            }
            let t = TableRows { table, columns, rows: n };
            sink.end(&t)?;
            if !sink.progress(done, total) {
                return Err(StoreError::Cancelled);
            }
            out.push(t);
        }
        tx.commit()?;
        Ok(out)
    }
}

/// A new database being made from a dump: created at the dump's schema,
/// its rows loaded table by table in one transaction, then migrated to
/// this version's schema by [`Store::open`].
pub struct Loader {
    conn: Connection,
    path: std::path::PathBuf,
    tables: Vec<Dumped>,
    loaded: Vec<TableRows>,
}

impl Loader {
    /// Creates the database at `path` (which must not exist), encrypted with
    /// `key`, at `schema_version` — a dump from an older version loads into
    /// the schema it was made with and is then migrated like any database.
    pub fn create(path: &Path, key: &DatabaseKey, schema_version: usize) -> Result<Loader> {
        if schema_version == 0 || schema_version > schema::latest_version() {
            return Err(StoreError::File(format!(
                "rows of schema {schema_version} cannot be loaded by this version (schema {})",
                schema::latest_version()
            )));
        }
        if path.exists() {
            return Err(StoreError::File(format!("{} exists already", path.display())));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)?;
        encryption::key_connection(&conn, key)?;
        // A new file that is removed if the load fails: no journal is needed
        // to undo it, and none doubles what is written (a WAL would take the
        // whole set before the file did). `finish` syncs it; `Store::open`
        // then puts it in WAL mode like any database.
        conn.pragma_update(None, "journal_mode", "OFF")?;
        conn.pragma_update(None, "synchronous", "OFF")?;
        conn.pragma_update(None, "cache_size", -256 * 1024)?;
        schema::migrate_to(&mut conn, schema_version)?;
        // Rows arrive table by table, each referring to others not yet loaded;
        // the references are checked once all are in (`finish`).
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let tables = dumped_tables(&conn)?;
        Ok(Loader { conn, path: path.to_path_buf(), tables, loaded: Vec::new() })
    }

    /// Loads one table's lines (its head first). What the migrations put in
    /// a new database (their seed rows) gives way to the dump's rows.
    pub fn load_table(&mut self, lines: &mut dyn BufRead, progress: &mut dyn FnMut(u64) -> bool) -> Result<TableRows> {
        let mut first = String::new();
        lines.read_line(&mut first).map_err(file_error)?;
        let head: Head = serde_json::from_str(&first).map_err(|e| StoreError::Corrupt(format!("a table's head line: {e}")))?;
        let Some(Dumped { columns, .. }) = self.tables.iter().find(|t| t.name == head.table) else {
            return Err(StoreError::Corrupt(format!("the schema has no table {}", head.table)));
        };
        if *columns != head.columns {
            return Err(StoreError::Corrupt(format!("{}: the columns {:?} are not the schema's {:?}", head.table, head.columns, columns)));
        }
        if self.loaded.iter().any(|t| t.table == head.table) {
            return Err(StoreError::Corrupt(format!("{} comes twice", head.table)));
        }
        let table = quoted(&head.table);
        self.conn.execute(&format!("DELETE FROM {table}"), [])?;
        let list: Vec<String> = head.columns.iter().map(|c| if c == "rowid" { c.clone() } else { quoted(c) }).collect();
        let marks = vec!["?"; list.len()].join(", ");
        let mut insert = self.conn.prepare(&format!("INSERT INTO {table} ({}) VALUES ({marks})", list.join(", ")))?;
        let mut rows = 0u64;
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).map_err(file_error)? == 0 {
                break;
            }
            let values: Vec<serde_json::Value> =
                serde_json::from_str(&line).map_err(|e| StoreError::Corrupt(format!("{} row {}: {e}", head.table, rows + 1)))?;
            if values.len() != head.columns.len() {
                return Err(StoreError::Corrupt(format!(
                    "{} row {}: {} values for {} columns",
                    head.table,
                    rows + 1,
                    values.len(),
                    list.len()
                )));
            }
            let values = values.into_iter().map(|v| from_json(v, &head.table)).collect::<Result<Vec<_>>>()?;
            insert.execute(rusqlite::params_from_iter(values))?;
            rows += 1;
            if rows.is_multiple_of(4096) && !progress(rows) {
                return Err(StoreError::Cancelled);
            }
        }
        drop(insert);
        if !progress(rows) {
            return Err(StoreError::Cancelled);
        }
        let t = TableRows { table: head.table, columns: head.columns, rows };
        self.loaded.push(t.clone());
        Ok(t)
    }

    /// Commits what was loaded once every reference between the rows holds
    /// and every table the schema has was loaded; returns the tables.
    pub fn finish(self) -> Result<Vec<TableRows>> {
        if let Some(missing) = self.tables.iter().find(|t| !self.loaded.iter().any(|l| l.table == t.name)) {
            return Err(StoreError::Corrupt(format!("the rows of {} are missing", missing.name)));
        }
        let broken: Option<(String, i64)> = {
            let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
            let mut rows = stmt.query([])?;
            match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            }
        };
        if let Some((table, rowid)) = broken {
            return Err(StoreError::Corrupt(format!("{table} row {rowid} refers to a row that is not there")));
        }
        self.conn.execute_batch("COMMIT")?;
        let Loader { conn, loaded, path, .. } = self;
        conn.close().map_err(|(_, e)| StoreError::from(e))?;
        // On disk before anything is told it is there.
        std::fs::File::open(&path).and_then(|f| f.sync_all()).map_err(file_error)?;
        Ok(loaded)
    }
}
