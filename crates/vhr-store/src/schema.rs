//! Schema migrations, append-only.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::Result;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up(include_str!("../migrations/0002_service_records.sql")),
    ])
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrations().to_latest(conn)?;
    Ok(())
}

/// How many migrations exist; a fully migrated database has this user_version.
pub fn latest_version() -> usize {
    2
}

/// Brings a database to exactly `version` migrations, for tests of upgrades
/// from older schemas.
pub fn migrate_to(conn: &mut Connection, version: usize) -> Result<()> {
    migrations().to_version(conn, version)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().expect("every migration applies on an empty database");
    }

    #[test]
    fn latest_version_counts_every_migration() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(v as usize, latest_version());
    }
}

#[cfg(test)]
mod upgrade_tests {
    use super::*;

    /// A database made by the first release, with data in it, opens with
    /// today's schema and keeps its data.
    #[test]
    fn a_version_1_database_upgrades_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 1).unwrap();
            conn.execute("INSERT INTO setting (key, value) VALUES ('language', 'en')", []).unwrap();
            conn.execute(
                "INSERT INTO outbox (entity, entity_id, version, op, created_at) VALUES ('resident', 'r1', 1, 'create', '2026-01-01T00:00:00Z')",
                [],
            )
            .unwrap();
        }
        let store = crate::Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap() as usize, latest_version());
        assert_eq!(store.setting("language").unwrap().as_deref(), Some("en"));
        assert_eq!(store.outbox_pending().unwrap(), 1);
        assert_eq!(store.conn.query_row("SELECT count(*) FROM service_record", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    }
}
