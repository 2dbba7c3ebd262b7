//! Schema migrations, append-only.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::Result;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(include_str!("../migrations/0001_initial.sql"))])
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrations().to_latest(conn)?;
    Ok(())
}

/// How many migrations exist; a fully migrated database has this user_version.
pub fn latest_version() -> usize {
    1
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
