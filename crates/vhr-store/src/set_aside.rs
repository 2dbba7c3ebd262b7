//! Resources the platform sent that this install could not take: kept with
//! the version tried and the reason, so the pull cursor can move on without
//! passing them by for good. Each pass tries the open ones again; a version
//! that lands settles its row (rows are never deleted).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::{parse_ts, ts, Result, Store};

/// One resource set aside, as the sync page and the CLI's report list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SetAside {
    /// The FHIR resource type, e.g. `Patient`.
    pub resource_type: String,
    pub resource_id: String,
    /// The platform's `meta.versionId` of the copy last tried.
    pub server_version: String,
    /// The resident it is about, when that resident is on this install.
    pub resident_id: Option<String>,
    pub reason_zh: String,
    pub reason_en: String,
    pub first_seen: DateTime<Utc>,
    pub last_tried: DateTime<Utc>,
    /// How many passes tried it.
    pub tries: i64,
}

/// Why a resource was set aside, and what it is about.
#[derive(Debug, Clone, Copy)]
pub struct SetAsideReason<'a> {
    pub resident_id: Option<&'a str>,
    pub zh: &'a str,
    pub en: &'a str,
}

impl Store {
    /// Sets a resource aside (again): the version tried and why. A row
    /// settled before opens again.
    pub fn set_aside(
        &mut self,
        resource_type: &str,
        id: &str,
        server_version: &str,
        why: SetAsideReason<'_>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_set_aside (resource_type, resource_id, server_version, resident_id, reason_zh, reason_en, first_seen, last_tried)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (resource_type, resource_id) DO UPDATE SET
                server_version = excluded.server_version,
                resident_id = COALESCE(excluded.resident_id, resident_id),
                reason_zh = excluded.reason_zh,
                reason_en = excluded.reason_en,
                first_seen = CASE WHEN settled_at IS NULL THEN first_seen ELSE excluded.first_seen END,
                last_tried = excluded.last_tried,
                tries = CASE WHEN settled_at IS NULL THEN tries + 1 ELSE 1 END,
                settled_at = NULL",
            params![resource_type, id, server_version, why.resident_id, why.zh, why.en, ts(at)],
        )?;
        Ok(())
    }

    /// A set-aside resource landed (or was taken another way): its row is
    /// settled. Whether one was open.
    pub fn settle_set_aside(&mut self, resource_type: &str, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE sync_set_aside SET settled_at = ?3 WHERE resource_type = ?1 AND resource_id = ?2 AND settled_at IS NULL",
            params![resource_type, id, ts(at)],
        )?;
        Ok(n > 0)
    }

    /// Whether a resource is set aside and not settled.
    pub fn is_set_aside(&self, resource_type: &str, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM sync_set_aside WHERE resource_type = ?1 AND resource_id = ?2 AND settled_at IS NULL",
                params![resource_type, id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// How many rows are open (for the sync indicator, asked often).
    pub fn set_aside_count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM sync_set_aside WHERE settled_at IS NULL", [], |r| r.get(0))?)
    }

    /// The open rows, the longest waiting first; a row about a resident
    /// out of the actor's reach is not listed.
    pub fn set_aside_open(&self, actor: &crate::Actor) -> Result<Vec<SetAside>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT resource_type, resource_id, server_version, resident_id, reason_zh, reason_en, first_seen, last_tried, tries
             FROM sync_set_aside WHERE settled_at IS NULL ORDER BY first_seen, resource_type, resource_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                SetAside {
                    resource_type: r.get(0)?,
                    resource_id: r.get(1)?,
                    server_version: r.get(2)?,
                    resident_id: r.get(3)?,
                    reason_zh: r.get(4)?,
                    reason_en: r.get(5)?,
                    first_seen: DateTime::<Utc>::MIN_UTC,
                    last_tried: DateTime::<Utc>::MIN_UTC,
                    tries: r.get(8)?,
                },
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut s, first, last) = row?;
            s.first_seen = parse_ts(&first)?;
            s.last_tried = parse_ts(&last)?;
            if let Some(id) = &s.resident_id {
                if !crate::access::entity_in_reach(&self.conn, actor, vhr_domain::entity::Entity::Resident, id)? {
                    continue;
                }
            }
            out.push(s);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(h, 0, 0).unwrap().and_utc()
    }

    #[test]
    fn a_resource_set_aside_stays_open_through_retries_and_is_settled_not_deleted_when_it_lands() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.db"), &crate::testing::key()).unwrap();
        let why = SetAsideReason { resident_id: Some("r1"), zh: "出生日期不一致", en: "birth date differs" };
        store.set_aside("Patient", "r1", "3", why, at(1)).unwrap();
        let again = SetAsideReason { resident_id: None, zh: "性别不一致", en: "sex differs" };
        store.set_aside("Patient", "r1", "4", again, at(2)).unwrap();
        let open = store.set_aside_open(&crate::Actor::install("sync", "平台同步")).unwrap();
        assert_eq!(open.len(), 1, "one row per resource, however often it is tried");
        let row = &open[0];
        assert_eq!(
            (row.server_version.as_str(), row.tries, row.reason_en.as_str()),
            ("4", 2, "sex differs"),
            "the latest try's version and reason"
        );
        assert_eq!((row.first_seen, row.last_tried), (at(1), at(2)));
        assert_eq!(row.resident_id.as_deref(), Some("r1"), "a try that does not know the resident keeps the one known");
        assert!(store.is_set_aside("Patient", "r1").unwrap());

        assert!(store.settle_set_aside("Patient", "r1", at(3)).unwrap());
        assert!(!store.settle_set_aside("Patient", "r1", at(3)).unwrap(), "settling twice settles nothing more");
        assert!(store.set_aside_open(&crate::Actor::install("sync", "平台同步")).unwrap().is_empty());
        assert_eq!(store.set_aside_count().unwrap(), 0);
        assert!(!store.is_set_aside("Patient", "r1").unwrap());
        let kept: i64 = store.conn.query_row("SELECT COUNT(*) FROM sync_set_aside", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, 1, "the settled row is kept");

        // A later broken version opens it again, counted afresh.
        store.set_aside("Patient", "r1", "6", why, at(4)).unwrap();
        let open = store.set_aside_open(&crate::Actor::install("sync", "平台同步")).unwrap();
        assert_eq!((open[0].tries, open[0].first_seen), (1, at(4)));
    }
}
