//! Unsaved typing, per user, inside the encrypted database (migration 0020):
//! what a form holds before it is saved. Scratch, not a record — replaced as
//! the user types, removed when the form is saved or discarded, no history,
//! no outbox — and only ever the acting user's own.

use rusqlite::{params, OptionalExtension};
use vhr_domain::time::Moment;

use crate::{ts, Actor, Result, Store};

impl Store {
    /// The acting user's draft under `key`, when there is one.
    pub fn draft(&self, actor: &Actor, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT data FROM draft WHERE user_id = ?1 AND key = ?2")?
            .query_row(params![actor.user_id, key], |r| r.get(0))
            .optional()?)
    }

    /// Keeps `data` as the acting user's draft under `key`, replacing what was there.
    pub fn put_draft(&self, actor: &Actor, key: &str, data: &str, at: Moment) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO draft (user_id, key, data, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_id, key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
            )?
            .execute(params![actor.user_id, key, data, ts(at)])?;
        Ok(())
    }

    /// Removes the acting user's draft under `key` (none there is no error).
    pub fn drop_draft(&self, actor: &Actor, key: &str) -> Result<()> {
        self.conn.prepare_cached("DELETE FROM draft WHERE user_id = ?1 AND key = ?2")?.execute(params![actor.user_id, key])?;
        Ok(())
    }

    /// The keys of the acting user's drafts, newest first: the forms they left half-typed.
    pub fn draft_keys(&self, actor: &Actor) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT key FROM draft WHERE user_id = ?1 ORDER BY updated_at DESC, key")?;
        let keys = stmt.query_map([&actor.user_id], |r| r.get(0))?;
        Ok(keys.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment(minute: u32) -> Moment {
        use chrono::TimeZone;
        Moment::new(chrono::Utc.with_ymd_and_hms(2026, 12, 3, 1, minute, 0).unwrap(), chrono::FixedOffset::east_opt(8 * 3600).unwrap())
    }

    #[test]
    fn a_draft_is_the_users_own_replaced_as_they_type_and_gone_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("d.db"), &crate::testing::key()).unwrap();
        let li = Actor::install("li", "李春华");
        let wang = Actor::install("wang", "王医生");
        store.put_draft(&li, "resident:new", r#"{"name":"张"}"#, moment(1)).unwrap();
        store.put_draft(&li, "resident:new", r#"{"name":"张三"}"#, moment(2)).unwrap();
        store.put_draft(&li, "service:r1:hypertension_followup", "{}", moment(3)).unwrap();
        assert_eq!(store.draft(&li, "resident:new").unwrap().as_deref(), Some(r#"{"name":"张三"}"#), "the last typing replaces the first");
        assert_eq!(store.draft(&wang, "resident:new").unwrap(), None, "another user never sees it");
        assert_eq!(store.draft_keys(&li).unwrap(), vec!["service:r1:hypertension_followup", "resident:new"], "newest first");
        store.drop_draft(&li, "resident:new").unwrap();
        store.drop_draft(&wang, "service:r1:hypertension_followup").unwrap();
        assert_eq!(store.draft(&li, "resident:new").unwrap(), None);
        assert_eq!(store.draft_keys(&li).unwrap(), vec!["service:r1:hypertension_followup"], "another user's drop leaves it");
    }
}
