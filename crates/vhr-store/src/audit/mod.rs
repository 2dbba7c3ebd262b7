//! The audit trail: who changed or opened which record, when — one
//! append-only hash chain (migration 0017).
//!
//! Every change's history row ([`crate::history::record`]) appends an entry
//! in the same transaction, carrying a digest of that history row; the use
//! cases that show a record to a person append an `open`, `print` or
//! `export` entry ([`Store::record_access`]); sign-ins, locks and sync
//! passes append an event ([`Store::record_event`]). `checkpoints.rs` signs
//! the trail's Merkle tree head; `verify.rs` walks the chain and checks
//! every checkpoint. Each entry's hash is
//! SHA-256 over the previous hash and the entry's fields, so
//! [`Store::audit_verify`] finds the first entry altered, removed or slipped
//! in, and a history row whose content no longer matches its digest.
//! Triggers refuse UPDATE and DELETE on the table. Entries hold metadata
//! only: no name, no ID number, no field of the record.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_domain::time::Moment;

use crate::{parse_ts, ts, Actor, Result, Store, StoreError};

pub(crate) mod checkpoints;
mod verify;

#[cfg(test)]
pub(crate) use entry_hash as chain_hash;

pub use checkpoints::StoredCheckpoint;

/// One entry, as `audit list` and the resident page's "who opened" show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: String,
    pub user_name: String,
    /// `create`, `update` (changes); `open`, `history`, `view`, `print`,
    /// `export` (reads); `sign-in`, `sign-out`, `lock`, `unlock`, `recover`,
    /// `sync` (events).
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub resident_id: Option<String>,
    /// The resident's record number, as people know the record (not part
    /// of the entry or its hash: read beside it).
    pub record_no: Option<String>,
    pub version: Option<i64>,
    /// A change's digest of its history row, or an event's detail.
    pub content: Option<String>,
    pub hash: String,
}

/// What [`Store::audit_verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditCheck {
    pub entries: i64,
    /// The hash of the last entry: the whole trail in one value.
    pub head: String,
    /// The Merkle tree root of every entry (base64), as a checkpoint states it.
    pub root: String,
    /// Signed checkpoints checked against the trail: the install's own and
    /// any the caller holds.
    pub checkpoints: i64,
    /// The first entry that does not match, and why (English, for the log
    /// and the CLI's JSON; the app words it for people).
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub resident_id: Option<String>,
    pub user_id: Option<String>,
    /// One kind: `open`, `update`, `sign-in`, …
    pub action: Option<String>,
    /// Entries at or after `from` and before `until`.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: Option<usize>,
}

pub(crate) struct Fields<'a> {
    pub(crate) seq: i64,
    pub(crate) at: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) user_name: &'a str,
    pub(crate) action: &'a str,
    pub(crate) entity: &'a str,
    pub(crate) entity_id: &'a str,
    pub(crate) resident_id: Option<&'a str>,
    pub(crate) version: Option<i64>,
    pub(crate) content: Option<&'a str>,
}

pub(crate) fn entry_hash(previous: &str, f: &Fields<'_>) -> String {
    let body =
        serde_json::json!([f.seq, f.at, f.user_id, f.user_name, f.action, f.entity, f.entity_id, f.resident_id, f.version, f.content]);
    let mut h = Sha256::new();
    h.update(previous.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex(&h.finalize())
}

/// The digest of a history row's content: what a change entry vouches for.
pub(crate) fn content_digest(changes: &str, snapshot: &str) -> String {
    let mut h = Sha256::new();
    h.update(changes.as_bytes());
    h.update(b"\n");
    h.update(snapshot.as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One entry to append.
pub(crate) struct Access<'a> {
    pub action: &'a str,
    pub entity: Entity,
    pub entity_id: &'a str,
    pub resident_id: Option<&'a str>,
    pub version: Option<i64>,
    pub content: Option<&'a str>,
}

/// Appends an entry after the last one (inside the caller's transaction).
pub(crate) fn append(conn: &Connection, actor: &Actor, at: &str, a: Access<'_>) -> Result<()> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, previous) = last.map(|(s, h)| (s + 1, h)).unwrap_or((1, String::new()));
    let fields = Fields {
        seq,
        at,
        user_id: &actor.user_id,
        user_name: &actor.name,
        action: a.action,
        entity: a.entity.as_str(),
        entity_id: a.entity_id,
        resident_id: a.resident_id,
        version: a.version,
        content: a.content,
    };
    let hash = entry_hash(&previous, &fields);
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, user_id, user_name, action, entity, entity_id, resident_id, version, content, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        seq,
        at,
        actor.user_id,
        actor.name,
        a.action,
        a.entity.as_str(),
        a.entity_id,
        a.resident_id,
        a.version,
        a.content,
        hash
    ])?;
    Ok(())
}

/// Reads of a resident's record: opening it (retrieval), its history or one
/// of its service records (inspection), printing and exporting it.
const READS: [&str; 5] = ["open", "history", "view", "print", "export"];

/// What happens to the install rather than to one record.
pub const EVENTS: [&str; 12] = [
    "sign-in",
    "sign-out",
    "lock",
    "unlock",
    "recover",
    "sync",
    "bulk-export",
    "backup",
    "restore",
    "integrity-check",
    "handover-out",
    "handover-in",
];

/// A row of `audit_log` before its time is read.
struct EntryRow(AuditEntry, String);

fn entry_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok(EntryRow(
        AuditEntry {
            seq: r.get(0)?,
            at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            user_id: r.get(2)?,
            user_name: r.get(3)?,
            action: r.get(4)?,
            entity: r.get(5)?,
            entity_id: r.get(6)?,
            resident_id: r.get(7)?,
            version: r.get(8)?,
            hash: r.get(9)?,
            content: r.get(10)?,
            record_no: r.get(11)?,
        },
        r.get(1)?,
    ))
}

impl EntryRow {
    fn into_entry(self) -> Result<AuditEntry> {
        let EntryRow(mut e, at) = self;
        e.at = parse_ts(&at)?;
        Ok(e)
    }
}

impl Store {
    /// Records that a person opened, inspected, printed or exported a
    /// resident's record. A resident out of the actor's reach is not there
    /// (and not recorded).
    pub fn record_access(&self, actor: &Actor, action: &str, resident_id: &str, at: Moment) -> Result<()> {
        self.record_read(actor, action, Entity::Resident, resident_id, resident_id, at)
    }

    /// Records that a person looked at one service record (a form) or its
    /// history.
    pub fn record_view(&self, actor: &Actor, action: &str, service_id: &str, at: Moment) -> Result<()> {
        let resident_id: Option<String> = self
            .conn
            .prepare_cached("SELECT resident_id FROM service_record WHERE id = ?1")?
            .query_row([service_id], |r| r.get(0))
            .optional()?;
        let resident_id = resident_id.ok_or_else(|| StoreError::NotFound { entity: Entity::ServiceRecord, id: service_id.into() })?;
        self.record_read(actor, action, Entity::ServiceRecord, service_id, &resident_id, at)
    }

    fn record_read(&self, actor: &Actor, action: &str, entity: Entity, entity_id: &str, resident_id: &str, at: Moment) -> Result<()> {
        if !READS.contains(&action) {
            return Err(StoreError::Corrupt(format!("{action:?} is not a kind of read")));
        }
        crate::access::require_reach(&self.conn, actor, resident_id)?;
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate)?;
        let a = Access { action, entity, entity_id, resident_id: Some(resident_id), version: None, content: None };
        append(&tx, actor, &ts(at), a)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a sign-in, sign-out, lock, unlock, recovery or sync pass.
    /// `detail` is metadata only (a count, a reason code), never personal data.
    pub fn record_event(&self, actor: &Actor, action: &str, detail: Option<&str>, at: Moment) -> Result<()> {
        if !EVENTS.contains(&action) {
            return Err(StoreError::Corrupt(format!("{action:?} is not a kind of event")));
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate)?;
        let a = Access { action, entity: Entity::Clinic, entity_id: "install", resident_id: None, version: None, content: detail };
        append(&tx, actor, &ts(at), a)?;
        tx.commit()?;
        Ok(())
    }

    /// Entries from `seq` on, oldest first, at most `limit`: what the sync
    /// sends the platform. Every entry, whoever reads (the sync's own actor
    /// reaches every village).
    pub fn audit_entries_from(&self, seq: i64, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, user_id, user_name, action, entity, entity_id, resident_id, version, hash, content,
                    (SELECT record_no FROM resident WHERE resident.id = audit_log.resident_id) FROM audit_log
             WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit as i64], entry_row)?;
        rows.map(|r| r?.into_entry()).collect()
    }

    /// Entries, newest first: of one resident (within the actor's reach), of
    /// one user, or all.
    pub fn audit_entries(&self, actor: &Actor, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT seq, at, user_id, user_name, action, entity, entity_id, resident_id, version, hash, content,
                    (SELECT record_no FROM resident WHERE resident.id = audit_log.resident_id) FROM audit_log
             WHERE (?1 IS NULL OR resident_id = ?1) AND (?2 IS NULL OR user_id = ?2) AND (?4 IS NULL OR action = ?4)
               AND (?5 IS NULL OR at >= ?5) AND (?6 IS NULL OR at < ?6)
               AND (resident_id IS NULL OR {})
             ORDER BY seq DESC LIMIT ?3",
            crate::access::resident_reach(actor, "resident_id")
        );
        let limit = filter.limit.map(|l| l as i64).unwrap_or(-1);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![filter.resident_id, filter.user_id, limit, filter.action, filter.from.map(ts), filter.until.map(ts)],
            entry_row,
        )?;
        rows.map(|r| r?.into_entry()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{User, UserRecord};

    fn moment(minute: u32) -> Moment {
        use chrono::TimeZone;
        Moment::local(vhr_domain::time::china().with_ymd_and_hms(2026, 12, 2, 9, minute, 0).unwrap())
    }

    /// A clinic set up, a second account, two records opened: the trail a
    /// day's work leaves, on a real encrypted file.
    fn a_days_trail(path: &std::path::Path) -> Store {
        let mut store = Store::open(path, &crate::testing::key()).unwrap();
        let profile = crate::testing::profile();
        let user = |id: &str, name: &str| UserRecord {
            user: User {
                id: id.into(),
                username: id.into(),
                display_name: name.into(),
                role: "admin".into(),
                phone: String::new(),
                disabled: false,
                villages: vec![],
            },
            password_hash: "install.json".into(),
        };
        store.initialize(&profile, &user("li", "李春华"), moment(0)).unwrap();
        let li = Actor::account(&store.user_by_name("li").unwrap().unwrap());
        store.add_user(&li, &user("wang", "王医生"), moment(1)).unwrap();
        store.record_access(&li, "open", "r-1", moment(2)).unwrap();
        store.record_access(&li, "print", "r-1", moment(3)).unwrap();
        store
    }

    /// What an insider holding the key could do with a raw connection.
    fn tamper(path: &std::path::Path, sql: &str) {
        let conn = Connection::open(path).unwrap();
        crate::encryption::key_connection(&conn, &crate::testing::key()).unwrap();
        conn.execute_batch(sql).unwrap();
    }

    #[test]
    fn the_trail_verifies_and_refuses_to_be_edited_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let store = a_days_trail(&path);
        let check = store.audit_verify(&[], None).unwrap();
        assert_eq!((check.entries, check.broken_at), (4, None), "setup, the new account and two reads: {check:?}");
        let opened = store
            .audit_entries(&Actor::install("sync", "平台同步"), &AuditFilter { resident_id: Some("r-1".into()), ..Default::default() })
            .unwrap();
        assert_eq!(opened.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["print", "open"], "who opened r-1, newest first");
        assert_eq!(opened[0].user_name, "李春华");
        let refused = store.conn.execute("UPDATE audit_log SET user_name = '别人' WHERE seq = 3", []).unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        assert!(store.conn.execute("DELETE FROM audit_log WHERE seq = 3", []).is_err(), "nor deleted");
        assert!(
            store.record_access(&Actor::install("sync", "平台同步"), "rewrite", "r-1", moment(4)).is_err(),
            "only reads are recorded this way"
        );
    }

    #[test]
    fn an_entry_altered_removed_or_a_history_rewritten_is_found() {
        for (sql, at, why) in [
            ("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET user_name = '别人' WHERE seq = 3;", 3, "does not match its hash"),
            ("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;", 2, "is missing"),
            ("UPDATE change_log SET snapshot = replace(snapshot, '王医生', '赵医生') WHERE entity = 'user';", 2, "was altered"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("a.db");
            drop(a_days_trail(&path));
            tamper(&path, sql);
            let check = Store::open(&path, &crate::testing::key()).unwrap().audit_verify(&[], None).unwrap();
            assert_eq!(check.broken_at, Some(at), "{sql}: {check:?}");
            assert!(check.problem.as_deref().unwrap().contains(why), "{sql}: {check:?}");
        }
    }

    #[test]
    fn a_hash_covers_every_field_and_the_one_before() {
        let f = Fields {
            seq: 1,
            at: "2026-12-02T08:00:00.000000Z",
            user_id: "u",
            user_name: "李",
            action: "open",
            entity: "resident",
            entity_id: "r",
            resident_id: Some("r"),
            version: None,
            content: None,
        };
        let h = entry_hash("", &f);
        assert_eq!(h.len(), 64);
        assert_ne!(h, entry_hash("x", &f), "the previous hash is covered");
        assert_ne!(h, entry_hash("", &Fields { action: "print", ..f }), "and the kind of access");
    }

    const ORIGIN: &str = "villagehealth.cn/audit/450102-001/test";

    fn signing_key(store: &Store) -> vhr_domain::checkpoint::InstallKey {
        store.keep_audit_key(ORIGIN, &[9u8; 32], moment(5)).unwrap()
    }

    #[test]
    fn a_checkpoint_signs_the_trail_so_far_and_verifies_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = a_days_trail(&dir.path().join("a.db"));
        let key = signing_key(&store);
        let cp = store.write_checkpoint(&key, "sync", moment(6)).unwrap().expect("four entries to sign");
        assert_eq!(cp.size, 4);
        assert!(cp.note.starts_with(&format!("{ORIGIN}\n4\n")), "{}", cp.note);
        assert_eq!(store.write_checkpoint(&key, "day", moment(7)).unwrap(), None, "nothing new since: no second checkpoint");
        store.record_event(&Actor::install("sync", "平台同步"), "sync", Some("pushed=0"), moment(8)).unwrap();
        let check = store.audit_verify(&[], None).unwrap();
        assert_eq!((check.entries, check.checkpoints, check.broken_at), (5, 1, None), "{check:?}");
        assert_eq!(
            store.keep_audit_key(ORIGIN, &[1u8; 32], moment(9)).unwrap().verifier(),
            key.verifier(),
            "the key is made once and never replaced"
        );
    }

    #[test]
    fn each_checkpoint_continues_from_the_last_and_agrees_with_the_whole_trail() {
        let dir = tempfile::tempdir().unwrap();
        let store = a_days_trail(&dir.path().join("a.db"));
        let key = signing_key(&store);
        let sync = Actor::install("sync", "平台同步");
        // Sizes 4, 5, 8, 13: across the powers of two where the frontier's
        // peaks merge.
        let mut sizes = vec![store.write_checkpoint(&key, "sync", moment(6)).unwrap().unwrap().size];
        for more in [1, 3, 5] {
            for _ in 0..more {
                store.record_event(&sync, "sync", Some("pushed=0"), moment(7)).unwrap();
            }
            sizes.push(store.write_checkpoint(&key, "sync", moment(8)).unwrap().unwrap().size);
        }
        assert_eq!(sizes, vec![4, 5, 8, 13]);
        let check = store.audit_verify(&[], None).unwrap();
        assert_eq!(
            (check.entries, check.checkpoints, check.broken_at),
            (13, 4, None),
            "every root built from the frontier is the root verify recomputes from the trail: {check:?}"
        );
    }

    /// Recomputes every hash from `from` on, as an insider who rewrote an
    /// entry and wanted the chain to look whole would.
    fn rechain(path: &std::path::Path, from: i64) {
        let conn = Connection::open(path).unwrap();
        crate::encryption::key_connection(&conn, &crate::testing::key()).unwrap();
        conn.execute_batch("DROP TRIGGER IF EXISTS audit_log_no_update").unwrap();
        type Row = (i64, String, String, String, String, String, String, Option<String>, Option<i64>, Option<String>);
        let rows: Vec<Row> = conn
            .prepare(
                "SELECT seq, at, user_id, user_name, action, entity, entity_id, resident_id, version, content FROM audit_log ORDER BY seq",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
            })
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut previous = String::new();
        for (seq, at, user_id, user_name, action, entity, entity_id, resident_id, version, content) in rows {
            let f = Fields {
                seq,
                at: &at,
                user_id: &user_id,
                user_name: &user_name,
                action: &action,
                entity: &entity,
                entity_id: &entity_id,
                resident_id: resident_id.as_deref(),
                version,
                content: content.as_deref(),
            };
            let hash = entry_hash(&previous, &f);
            if seq >= from {
                conn.execute("UPDATE audit_log SET hash = ?1 WHERE seq = ?2", params![hash, seq]).unwrap();
            }
            previous = hash;
        }
    }

    #[test]
    fn a_trail_rewritten_or_cut_short_after_a_checkpoint_is_found() {
        // Rewritten with a consistent chain: only the checkpoint can tell.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let store = a_days_trail(&path);
        let key = signing_key(&store);
        store.write_checkpoint(&key, "sync", moment(6)).unwrap();
        drop(store);
        tamper(&path, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET user_name = '别人' WHERE seq = 3;");
        rechain(&path, 3);
        let check = Store::open(&path, &crate::testing::key()).unwrap().audit_verify(&[], None).unwrap();
        assert_eq!(check.broken_at, Some(1), "the chain is whole, the checkpoint is not: {check:?}");
        assert!(check.problem.as_deref().unwrap().contains("no longer match the checkpoint of 2026-12-02 01:06 UTC (sync)"), "{check:?}");

        // Cut short, and the install's own checkpoints removed with it: the
        // checkpoint the platform holds still tells.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let store = a_days_trail(&path);
        let key = signing_key(&store);
        let held = store.write_checkpoint(&key, "sync", moment(6)).unwrap().unwrap().note;
        drop(store);
        tamper(
            &path,
            "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 3;
             DROP TRIGGER audit_checkpoint_no_delete; DELETE FROM audit_checkpoint;",
        );
        let store = Store::open(&path, &crate::testing::key()).unwrap();
        assert_eq!(store.audit_verify(&[], None).unwrap().broken_at, None, "without a checkpoint a cut end cannot be seen");
        let check = store.audit_verify(std::slice::from_ref(&held), None).unwrap();
        assert_eq!(check.broken_at, Some(3), "{check:?}");
        assert!(check.problem.as_deref().unwrap().contains("ends at entry 2, but the checkpoint held outside (#1) covers 4"), "{check:?}");

        // A checkpoint that another key signed proves nothing here.
        let stranger = vhr_domain::checkpoint::InstallKey::new(ORIGIN, &[3u8; 32]);
        let check = store.audit_verify(&[held], Some(&stranger.verifier())).unwrap();
        assert!(check.problem.as_deref().unwrap().contains("not signed by this install's key"), "{check:?}");
    }
}
