//! The audit trail: who changed or opened which record, when — one
//! append-only hash chain (migration 0017).
//!
//! Every change's history row ([`crate::history::record`]) appends an entry
//! in the same transaction, carrying a digest of that history row; the use
//! cases that show a record to a person append an `open`, `print` or
//! `export` entry ([`Store::record_access`]). Each entry's hash is
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

/// One entry, as `audit list` and the resident page's "who opened" show it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub user_id: String,
    pub user_name: String,
    /// `create`, `update` (changes), `open`, `print`, `export` (reads).
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub resident_id: Option<String>,
    pub version: Option<i64>,
    pub hash: String,
}

/// What [`Store::audit_verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditCheck {
    pub entries: i64,
    /// The hash of the last entry: the whole trail in one value.
    pub head: String,
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
    pub limit: Option<usize>,
}

struct Fields<'a> {
    seq: i64,
    at: &'a str,
    user_id: &'a str,
    user_name: &'a str,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    resident_id: Option<&'a str>,
    version: Option<i64>,
    content: Option<&'a str>,
}

fn entry_hash(previous: &str, f: &Fields<'_>) -> String {
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

const READS: [&str; 3] = ["open", "print", "export"];

impl Store {
    /// Records that a person opened, printed or exported a resident's record.
    /// A resident out of the actor's reach is not there (and not recorded).
    pub fn record_access(&self, actor: &Actor, action: &str, resident_id: &str, at: Moment) -> Result<()> {
        if !READS.contains(&action) {
            return Err(StoreError::Corrupt(format!("{action:?} is not a kind of read")));
        }
        crate::access::require_reach(&self.conn, actor, resident_id)?;
        let tx = self.conn.unchecked_transaction()?;
        append(
            &tx,
            actor,
            &ts(at),
            Access {
                action,
                entity: Entity::Resident,
                entity_id: resident_id,
                resident_id: Some(resident_id),
                version: None,
                content: None,
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Entries, newest first: of one resident (within the actor's reach), of
    /// one user, or all.
    pub fn audit_entries(&self, actor: &Actor, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT seq, at, user_id, user_name, action, entity, entity_id, resident_id, version, hash FROM audit_log
             WHERE (?1 IS NULL OR resident_id = ?1) AND (?2 IS NULL OR user_id = ?2)
               AND (resident_id IS NULL OR {})
             ORDER BY seq DESC LIMIT ?3",
            crate::access::resident_reach(actor, "resident_id")
        );
        let limit = filter.limit.map(|l| l as i64).unwrap_or(-1);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![filter.resident_id, filter.user_id, limit], |r| {
            Ok((
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
                },
                r.get::<_, String>(1)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut e, at) = row?;
            e.at = parse_ts(&at)?;
            out.push(e);
        }
        Ok(out)
    }

    /// Walks the whole chain: every hash recomputed, the sequence without a
    /// gap, every change entry's digest compared with its history row.
    pub fn audit_verify(&self) -> Result<AuditCheck> {
        let mut stmt = self.conn.prepare(
            "SELECT a.seq, a.at, a.user_id, a.user_name, a.action, a.entity, a.entity_id, a.resident_id, a.version, a.content, a.hash,
                    c.changes, c.snapshot
             FROM audit_log a
             LEFT JOIN change_log c ON a.content IS NOT NULL AND c.entity = a.entity AND c.entity_id = a.entity_id AND c.version = a.version
             ORDER BY a.seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut previous = String::new();
        let mut entries = 0;
        let broken = |seq: i64, problem: String, entries: i64, head: &str| AuditCheck {
            entries,
            head: head.to_string(),
            broken_at: Some(seq),
            problem: Some(problem),
        };
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (at, user_id, user_name, action, entity, entity_id): (String, String, String, String, String, String) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
            let resident_id: Option<String> = r.get(7)?;
            let version: Option<i64> = r.get(8)?;
            let content: Option<String> = r.get(9)?;
            let hash: String = r.get(10)?;
            if seq != entries + 1 {
                return Ok(broken(entries + 1, format!("entry {} is missing", entries + 1), entries, &previous));
            }
            let fields = Fields {
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
            if entry_hash(&previous, &fields) != hash {
                return Ok(broken(seq, format!("entry {seq} does not match its hash"), entries, &previous));
            }
            if let Some(expected) = &content {
                let history: Option<(String, String)> = match (r.get::<_, Option<String>>(11)?, r.get::<_, Option<String>>(12)?) {
                    (Some(c), Some(s)) => Some((c, s)),
                    _ => None,
                };
                match history {
                    Some((c, s)) if &content_digest(&c, &s) == expected => {}
                    Some(_) => {
                        return Ok(broken(
                            seq,
                            format!("the history of {entity} {entity_id} version {version:?} was altered"),
                            entries,
                            &previous,
                        ))
                    }
                    None => {
                        return Ok(broken(
                            seq,
                            format!("the history of {entity} {entity_id} version {version:?} is missing"),
                            entries,
                            &previous,
                        ))
                    }
                }
            }
            previous = hash;
            entries += 1;
        }
        Ok(AuditCheck { entries, head: previous, broken_at: None, problem: None })
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
        let check = store.audit_verify().unwrap();
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
            let check = Store::open(&path, &crate::testing::key()).unwrap().audit_verify().unwrap();
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
}
