//! Schema migrations, append-only.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::Result;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up(include_str!("../migrations/0002_service_records.sql")),
        M::up(include_str!("../migrations/0003_program_state.sql")),
        M::up(include_str!("../migrations/0004_program_episodes.sql")),
        M::up(include_str!("../migrations/0005_program_state_registered.sql")),
        M::up(include_str!("../migrations/0006_print_log.sql")),
        M::up(include_str!("../migrations/0007_sync.sql")),
        M::up(include_str!("../migrations/0008_conflict_notices.sql")),
        M::up(include_str!("../migrations/0009_program_state_change.sql")),
        M::up(include_str!("../migrations/0010_outbox_by_state_entity.sql")),
        M::up(include_str!("../migrations/0011_resident_population.sql")),
        M::up(include_str!("../migrations/0012_sync_set_aside.sql")),
        M::up(include_str!("../migrations/0013_serial_blocks.sql")),
        M::up(include_str!("../migrations/0014_user_phone.sql")),
        M::up(include_str!("../migrations/0015_user_disabled.sql")),
        M::up(include_str!("../migrations/0016_user_villages.sql")),
        M::up(include_str!("../migrations/0017_audit_log.sql")),
        M::up(include_str!("../migrations/0018_audit_checkpoints.sql")),
        M::up(include_str!("../migrations/0019_audit_checkpoint_frontier.sql")),
        M::up(include_str!("../migrations/0020_drafts.sql")),
        M::up(include_str!("../migrations/0021_resident_closure.sql")),
        M::up(include_str!("../migrations/0022_transfers.sql")),
        M::up(include_str!("../migrations/0023_audit_keys_held.sql")),
    ])
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrations().to_latest(conn)?;
    Ok(())
}

/// How many migrations exist; a fully migrated database has this user_version.
pub fn latest_version() -> usize {
    23
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
        let store = crate::testing::open_old_plain(&path);
        assert_eq!(store.schema_version().unwrap() as usize, latest_version());
        assert_eq!(store.setting("language").unwrap().as_deref(), Some("en"));
        assert_eq!(store.outbox_pending().unwrap(), 1);
        assert_eq!(store.conn.query_row("SELECT count(*) FROM service_record", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    }
}

#[cfg(test)]
mod upgrade_from_2 {
    use super::*;

    /// A database of schema 2 with a hypertensive resident and a follow-up
    /// opens with today's schema, the programme state built from the data
    /// already there.
    #[test]
    fn programme_state_is_built_for_existing_residents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 2).unwrap();
            let data = serde_json::json!({
                "name": "张三", "sex": "1", "birth_date": "1950-01-01", "id_document": {"kind": "none"}, "phone": "13800138000",
                "residence_type": "1", "residence_since": null, "village_code": "101", "current_address": "", "hukou_address": "",
                "responsible_doctor": "", "created_on": "2025-01-10", "basic_info": {"past_diseases": [{"code": "2", "date": "2019-05"}]}
            });
            conn.execute(
                "INSERT INTO resident (id, version, record_no, name, sex, birth_date, village_code, status, dx_hypertension, data, institution,
                     created_by, created_at, updated_by, updated_at)
                 VALUES ('r1', 1, '45010210110100001', '张三', '1', '1950-01-01', '101', 'active', 1, ?1, '卫生室', '李', '2025-01-10T00:00:00Z', '李', '2025-01-10T00:00:00Z')",
                [data.to_string()],
            )
            .unwrap();
            let visit = serde_json::json!({"visit_date": "2026-09-01", "sbp": 150, "dbp": 95, "classification": "2", "next_step": "2", "next_date": "2026-09-15"});
            conn.execute(
                "INSERT INTO service_record (id, version, resident_id, form_id, form_version, service_date, next_date, data, created_by, created_at, updated_by, updated_at)
                 VALUES ('s1', 1, 'r1', 'hypertension_followup', 1, '2026-09-01', '2026-09-15', ?1, '李', '2026-09-01T00:00:00Z', '李', '2026-09-01T00:00:00Z')",
                [visit.to_string()],
            )
            .unwrap();
        }
        let store = crate::testing::open_old_plain(&path);
        let actor = crate::Actor::install("u", "李");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let rows = store.program_rows(&actor, today, today, None).unwrap();
        let mut found: Vec<(String, Option<String>)> = rows
            .iter()
            .map(|r| (format!("{:?}", r.standing.program), r.standing.last.as_ref().and_then(|l| l.next_date).map(|d| d.to_string())))
            .collect();
        found.sort();
        assert_eq!(
            found,
            vec![("Elderly".to_string(), None), ("Hypertension".to_string(), Some("2026-09-15".to_string()))],
            "both programmes, the follow-up booked by the existing visit"
        );
    }
}

#[cfg(test)]
mod upgrade_from_3 {
    use super::*;

    /// A database of schema 3, whose programme state was built before child
    /// health existed, opens with the state rebuilt: a baby on file is owed
    /// their checks at once.
    #[test]
    fn programme_state_is_rebuilt_for_the_new_programmes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 3).unwrap();
            let data = serde_json::json!({
                "name": "小宝", "sex": "2", "birth_date": "2026-10-01", "id_document": {"kind": "none"}, "phone": "",
                "residence_type": "1", "residence_since": null, "village_code": "101", "current_address": "", "hukou_address": "",
                "responsible_doctor": "", "created_on": "2026-10-02", "basic_info": {}
            });
            conn.execute(
                "INSERT INTO resident (id, version, record_no, name, sex, birth_date, village_code, status, data, institution,
                     created_by, created_at, updated_by, updated_at)
                 VALUES ('r1', 1, '45010210110100001', '小宝', '2', '2026-10-01', '101', 'active', ?1, '卫生室', '李', '2026-10-02T00:00:00Z', '李', '2026-10-02T00:00:00Z')",
                [data.to_string()],
            )
            .unwrap();
            conn.execute("INSERT INTO setting (key, value) VALUES ('program_state.built', '1')", []).unwrap();
        }
        let store = crate::testing::open_old_plain(&path);
        assert_eq!(store.schema_version().unwrap() as usize, latest_version());
        let actor = crate::Actor::install("u", "李");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let rows = store.program_rows(&actor, today, today, None).unwrap();
        let plans: Vec<_> = rows.iter().map(|r| (r.standing.program, r.standing.plan.first().map(|v| v.form_id.clone()))).collect();
        assert_eq!(
            plans,
            vec![(vhr_domain::programs::Program::Child, Some("newborn_visit".to_string()))],
            "the newborn visit is still owed (its window closed, but the 1-month check is owed next)"
        );
    }
}

#[cfg(test)]
mod upgrade_from_6 {
    use super::*;
    use vhr_domain::entity::Entity;

    /// A database of schema 6, made before sync existed, opens with its outbox
    /// sorted: the clinic profile and user accounts stay on this install, the
    /// residents' changes wait to be sent, and nothing is yet on the platform.
    #[test]
    fn the_outbox_keeps_what_travels_and_sets_aside_what_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v6.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 6).unwrap();
            for (entity, id) in [("clinic", "clinic"), ("user", "u1"), ("resident", "r1"), ("service_record", "s1")] {
                conn.execute(
                    "INSERT INTO outbox (entity, entity_id, version, op, created_at) VALUES (?1, ?2, 1, 'create', '2026-01-01T00:00:00Z')",
                    [entity, id],
                )
                .unwrap();
            }
        }
        let store = crate::testing::open_old_plain(&path);
        assert_eq!(store.schema_version().unwrap() as usize, latest_version());
        let waiting: Vec<_> = store.pending_changes(10).unwrap().into_iter().map(|c| c.entity).collect();
        assert_eq!(waiting, vec![Entity::Resident, Entity::ServiceRecord], "only the record's changes wait to be sent");
        assert_eq!(store.outbox_counts().unwrap().waiting, 2);
        assert!(store.sync_base(Entity::Resident, "r1").unwrap().is_none(), "nothing is on the platform yet");
    }
}

#[cfg(test)]
mod upgrade_from_every_version {
    use super::*;

    /// A database of every older schema opens with today's; its work-list
    /// readers start from scratch, since the change log begins with the upgrade.
    #[test]
    fn every_older_schema_upgrades_and_starts_the_change_log() {
        for version in 1..latest_version() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("v{version}.db"));
            migrate_to(&mut Connection::open(&path).unwrap(), version).unwrap();
            let store = crate::testing::open_old_plain(&path);
            assert_eq!(store.schema_version().unwrap() as usize, latest_version(), "schema {version} upgrades");
            let actor = crate::Actor::install("u", "李");
            let changes = store.program_changes(&actor, 0).unwrap();
            assert_eq!(changes.residents, None, "a reader of a database upgraded from {version} reads everything first");
            assert_eq!(store.program_changes(&actor, changes.seq).unwrap().residents, Some(Vec::new()), "then follows changes");
            assert_eq!(store.set_aside_open(&actor).unwrap(), vec![], "schema {version} gains an empty list of set-aside resources");
        }
    }
}

#[cfg(test)]
mod upgrade_from_12 {
    use super::*;

    /// A database of schema 12, which issued numbers from the profile's one
    /// block, opens with that block as each issuing village's first block:
    /// numbering goes on where it stopped, and the serials left are counted.
    #[test]
    fn a_village_that_issued_numbers_keeps_its_block_and_goes_on_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v12.db");
        let profile = vhr_domain::clinic::ClinicProfile {
            serial_block: vhr_domain::clinic::SerialBlock { start: 500, end: 900 },
            ..crate::testing::profile()
        };
        let prefix = format!("{}{}{}", profile.county_code, profile.township_code, profile.villages[0].code);
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 12).unwrap();
            conn.execute(
                "INSERT INTO clinic (singleton, profile, version, created_at, updated_at) VALUES (1, ?1, 1, '2025-01-10T00:00:00Z', '2025-01-10T00:00:00Z')",
                [serde_json::to_string(&profile).unwrap()],
            )
            .unwrap();
            conn.execute("INSERT INTO serial_counter (prefix, next_serial, block_end) VALUES (?1, 503, 900)", [&prefix]).unwrap();
        }
        let store = crate::testing::open_old_plain(&path);
        let actor = crate::Actor::install("u", "李");
        let villages = store.village_serials(&actor).unwrap();
        let first = &villages[0];
        assert_eq!(first.blocks.iter().map(|b| (b.start, b.end, b.source.as_str())).collect::<Vec<_>>(), vec![(500, 900, "setup")]);
        assert_eq!((first.left, first.total), (398, 401), "503…900 are left");
        for other in &villages[1..] {
            assert!(other.blocks.is_empty(), "a village that never issued gets its block when it first does");
            assert_eq!(other.left, 401);
        }
    }
}

#[cfg(test)]
mod upgrade_from_15 {
    use super::*;

    /// A database of schema 15, whose accounts saw every village, opens with
    /// each account assigned every village of the clinic: no doctor loses
    /// sight of a resident at the upgrade, until an administrator narrows them.
    #[test]
    fn existing_accounts_keep_every_village_of_the_clinic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v15.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 15).unwrap();
            let profile = serde_json::json!({
                "institution_name": "石桥村卫生室", "institution_phone": "", "county_code": "450102", "division_code_year": 2024,
                "township_code": "101", "township_name": "青山镇",
                "villages": [{"code": "101", "name": "石桥村"}, {"code": "102", "name": "河口村"}],
                "serial_block": {"start": 1, "end": 99999}
            });
            conn.execute(
                "INSERT INTO clinic (singleton, profile, version, created_at, updated_at) VALUES (1, ?1, 1, '2025-01-10T00:00:00Z', '2025-01-10T00:00:00Z')",
                [profile.to_string()],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO app_user (id, version, username, display_name, password_hash, role, phone, created_at)
                 VALUES ('u2', 1, 'wang', '王医生', 'install.json', 'doctor', '', '2025-02-01T00:00:00Z')",
                [],
            )
            .unwrap();
        }
        let store = crate::testing::open_old_plain(&path);
        let wang = store.user_by_name("wang").unwrap().unwrap();
        assert_eq!(wang.villages, vec!["101", "102"], "the doctor keeps both villages they saw before");
        let actor = crate::Actor::account(&wang);
        assert!(actor.access.sees("101") && actor.access.sees("102") && !actor.access.sees("103"));
    }
}

/// Writes `n` audit entries with a raw connection, as a version that had
/// the trail wrote them; their chain hashes, in order.
#[cfg(test)]
fn old_trail(conn: &Connection, n: i64) -> Vec<String> {
    let mut hashes: Vec<String> = Vec::new();
    for seq in 1..=n {
        let f = crate::audit::Fields {
            seq,
            at: "2026-11-30T02:00:00.000000Z",
            user_id: "u1",
            user_name: "李春华",
            action: "open",
            entity: "resident",
            entity_id: "r1",
            resident_id: Some("r1"),
            version: None,
            content: None,
        };
        let hash = crate::audit::chain_hash(hashes.last().map_or("", |h| h.as_str()), &f);
        conn.execute(
            "INSERT INTO audit_log (seq, at, user_id, user_name, action, entity, entity_id, resident_id, hash)
             VALUES (?1, ?2, 'u1', '李春华', 'open', 'resident', 'r1', 'r1', ?3)",
            rusqlite::params![seq, f.at, hash],
        )
        .unwrap();
        hashes.push(hash);
    }
    hashes
}

#[cfg(test)]
mod upgrade_from_17 {
    use super::*;

    /// A database of schema 17 whose trail predates checkpoints opens with
    /// the trail whole, and its first checkpoint covers every old entry.
    #[test]
    fn an_old_trail_verifies_and_is_checkpointed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v17.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            crate::encryption::key_connection(&conn, &crate::testing::key()).unwrap();
            migrate_to(&mut conn, 17).unwrap();
            old_trail(&conn, 3);
        }
        let store = crate::Store::open(&path, &crate::testing::key()).unwrap();
        let check = store.audit_verify(&[], None).unwrap();
        assert_eq!((check.entries, check.broken_at), (3, None), "{check:?}");
        let at = vhr_domain::time::Moment::new(chrono::Utc::now(), chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        let key = store.keep_audit_key("villagehealth.cn/audit/450102-101/old", &[5; 32], at).unwrap();
        let cp = store.write_checkpoint(&key, "day", at).unwrap().expect("the old entries are signed");
        assert_eq!(cp.size, 3);
        assert_eq!(store.audit_verify(&[], None).unwrap().checkpoints, 1);
    }
}

#[cfg(test)]
mod upgrade_from_18 {
    use super::*;
    use vhr_domain::checkpoint::{Checkpoint, InstallKey, Tree};

    /// A database of schema 18 holds checkpoints without a frontier: the
    /// first checkpoint after the upgrade reads the trail from its start,
    /// and it and the old one verify.
    #[test]
    fn checkpoints_kept_without_a_frontier_are_continued_from_the_trail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v18.db");
        let origin = "villagehealth.cn/audit/450102-101/old";
        {
            let mut conn = Connection::open(&path).unwrap();
            crate::encryption::key_connection(&conn, &crate::testing::key()).unwrap();
            migrate_to(&mut conn, 18).unwrap();
            let hashes = old_trail(&conn, 3);
            let mut tree = Tree::new();
            for h in &hashes {
                tree.push(&crate::audit::checkpoints::leaf(h).unwrap());
            }
            let note = InstallKey::new(origin, &[5; 32]).sign(&Checkpoint { origin: origin.into(), size: 3, root: tree.root() });
            conn.execute(
                "INSERT INTO audit_key (origin, seed, made_at) VALUES (?1, ?2, '2026-11-30T02:00:00Z')",
                rusqlite::params![origin, &[5u8; 32][..]],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO audit_checkpoint (tree_size, at, reason, note) VALUES (3, '2026-11-30T02:00:00Z', 'sync', ?1)",
                [note],
            )
            .unwrap();
        }
        let store = crate::Store::open(&path, &crate::testing::key()).unwrap();
        assert_eq!(store.schema_version().unwrap() as usize, latest_version());
        let at = vhr_domain::time::Moment::new(chrono::Utc::now(), chrono::FixedOffset::east_opt(8 * 3600).unwrap());
        store.record_event(&crate::Actor::install("sync", "平台同步"), "sync", Some("pushed=0"), at).unwrap();
        let key = store.audit_key().unwrap().expect("the key is kept");
        assert_eq!(store.write_checkpoint(&key, "day", at).unwrap().expect("one new entry").size, 4);
        let check = store.audit_verify(&[], None).unwrap();
        assert_eq!((check.entries, check.checkpoints, check.broken_at), (4, 2, None), "{check:?}");
    }
}

#[cfg(test)]
mod upgrade_from_20 {
    use super::*;

    /// A database of schema 20 holds a death pulled from the platform before
    /// closures were recorded: after the upgrade it reads as dead with no
    /// closure facts, and searches leave it out unless asked for closed
    /// records.
    #[test]
    fn a_record_closed_before_closures_reads_as_closed_without_facts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v20.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            crate::encryption::key_connection(&conn, &crate::testing::key()).unwrap();
            migrate_to(&mut conn, 20).unwrap();
            let data = serde_json::json!({
                "name": "张三", "sex": "1", "birth_date": "1950-01-01", "id_document": {"kind": "none"}, "phone": "",
                "residence_type": "1", "residence_since": null, "village_code": "101", "current_address": "", "hukou_address": "",
                "responsible_doctor": "", "created_on": "2025-01-10", "basic_info": {}
            });
            for (id, no, status) in [("r1", "45010210110100001", "dead"), ("r2", "45010210110100002", "active")] {
                conn.execute(
                    "INSERT INTO resident (id, version, record_no, name, sex, birth_date, village_code, status, data, institution,
                         created_by, created_at, updated_by, updated_at)
                     VALUES (?1, 1, ?2, '张三', '1', '1950-01-01', '101', ?3, ?4, '卫生室', '李', '2025-01-10T00:00:00Z', '李', '2025-01-10T00:00:00Z')",
                    rusqlite::params![id, no, status, data.to_string()],
                )
                .unwrap();
            }
        }
        let store = crate::Store::open(&path, &crate::testing::key()).unwrap();
        assert_eq!(store.schema_version().unwrap() as usize, latest_version());
        let before = crate::inspect_backup(&dir.path().join("backups/upgrade-v20.vhrbak"), &crate::testing::key())
            .expect("a checked backup of the database as it was, before the upgrade");
        assert_eq!((before.schema_version, before.residents), (20, 2));
        let actor = crate::Actor::install("u", "李");
        let dead = store.resident(&actor, "r1").unwrap().expect("kept");
        assert_eq!((dead.status, dead.closure, dead.reopened), (vhr_domain::resident::RecordStatus::Dead, None, None));
        let spec = |status| crate::SearchSpec {
            query: String::new(),
            village: None,
            tag: None,
            status,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            limit: 10,
        };
        let ids = |status| store.search(&actor, &spec(status)).unwrap().into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(crate::StatusFilter::Active), ["r2"]);
        assert_eq!(ids(crate::StatusFilter::Closed), ["r1"]);
        assert_eq!(ids(crate::StatusFilter::All), ["r1", "r2"]);
    }
}
