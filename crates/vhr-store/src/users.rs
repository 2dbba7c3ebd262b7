//! The clinic profile and the users of this install.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use ts_rs::TS;
use vhr_domain::changes::Change;
use vhr_domain::clinic::ClinicProfile;
use vhr_domain::entity::Entity;
use vhr_domain::time::Moment;

use crate::history::{record, Recorded};
use crate::{ts, Actor, Result, Store, StoreError};

/// A user as the rest of the app sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// A phone residents can reach this user on (the card's 责任医生电话).
    pub phone: String,
    /// Disabled accounts cannot sign in; they stay, named on what they recorded.
    pub disabled: bool,
    /// The 3-digit codes of the villages a village doctor reaches (other
    /// roles reach every village; see `vhr_domain::access`).
    pub villages: Vec<String>,
}

/// A user to create, with the password already hashed by the caller.
pub struct UserRecord {
    pub user: User,
    pub password_hash: String,
}

impl Store {
    pub fn clinic(&self) -> Result<Option<ClinicProfile>> {
        let json: Option<String> = self.conn.query_row("SELECT profile FROM clinic", [], |r| r.get(0)).optional()?;
        json.map(|j| serde_json::from_str(&j).map_err(StoreError::from)).transpose()
    }

    /// Sets up the clinic and its first user in one transaction.
    pub fn initialize(&mut self, profile: &ClinicProfile, first: &UserRecord, at: Moment) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: i64 = tx.query_row("SELECT count(*) FROM clinic", [], |r| r.get(0))?;
        if exists > 0 {
            return Err(StoreError::AlreadyInitialized);
        }
        let snapshot = serde_json::to_value(profile)?;
        tx.execute(
            "INSERT INTO clinic (singleton, profile, version, created_at, updated_at) VALUES (1, ?1, 1, ?2, ?2)",
            params![snapshot.to_string(), ts(at)],
        )?;
        let actor = Actor::account(&first.user);
        record(
            &tx,
            &actor,
            at,
            Recorded { entity: Entity::Clinic, entity_id: "clinic", version: 1, op: "create", changes: &[], snapshot: &snapshot },
        )?;
        insert_user(&tx, first, at)?;
        tx.commit()?;
        Ok(())
    }

    pub fn add_user(&mut self, actor: &Actor, new: &UserRecord, at: Moment) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_user(&tx, new, at)?;
        let snapshot = serde_json::to_value(&new.user)?;
        record(
            &tx,
            actor,
            at,
            Recorded { entity: Entity::User, entity_id: &new.user.id, version: 1, op: "create", changes: &[], snapshot: &snapshot },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A user, by login name.
    pub fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        Ok(self.conn.query_row(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE username = ?1"), [username], user_row).optional()?)
    }

    pub fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        Ok(self.conn.query_row(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE id = ?1"), [id], user_row).optional()?)
    }

    pub fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self.conn.prepare(&format!("SELECT {USER_COLUMNS} FROM app_user ORDER BY created_at"))?;
        let rows = stmt.query_map([], user_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Disables or enables an account, as a new version with its history.
    pub fn set_user_disabled(&mut self, actor: &Actor, user_id: &str, disabled: bool, at: Moment) -> Result<User> {
        let value = disabled.then(|| ts(at));
        self.update_user(actor, user_id, "disabled_at", value.map(serde_json::Value::from).unwrap_or_default(), at)
    }

    /// Sets a user's phone, as a new version of the account with its history.
    pub fn set_user_phone(&mut self, actor: &Actor, user_id: &str, phone: &str, at: Moment) -> Result<User> {
        self.update_user(actor, user_id, "phone", phone.into(), at)
    }

    /// Sets the villages a village doctor's account reaches, as a new version
    /// of the account with its history.
    pub fn set_user_villages(&mut self, actor: &Actor, user_id: &str, villages: &[String], at: Moment) -> Result<User> {
        let mut villages = villages.to_vec();
        villages.sort();
        villages.dedup();
        self.update_user(actor, user_id, "villages", serde_json::to_value(villages)?, at)
    }

    /// One column of an account, as a new version with its history.
    fn update_user(&mut self, actor: &Actor, user_id: &str, column: &'static str, new: serde_json::Value, at: Moment) -> Result<User> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (version, old): (i64, rusqlite::types::Value) = tx
            .query_row(&format!("SELECT version, {column} FROM app_user WHERE id = ?1"), [user_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| StoreError::NotFound { entity: Entity::User, id: user_id.to_string() })?;
        let stored: rusqlite::types::Value = match &new {
            serde_json::Value::Null => rusqlite::types::Value::Null,
            serde_json::Value::String(s) => rusqlite::types::Value::Text(s.clone()),
            other => rusqlite::types::Value::Text(other.to_string()),
        };
        tx.execute(&format!("UPDATE app_user SET {column} = ?1, version = ?2 WHERE id = ?3"), params![stored, version + 1, user_id])?;
        let user = tx.query_row(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE id = ?1"), [user_id], user_row)?;
        let old = match old {
            // A list kept as JSON text reads back as the list it is.
            rusqlite::types::Value::Text(s) if new.is_array() => serde_json::from_str(&s)?,
            rusqlite::types::Value::Text(s) => serde_json::Value::String(s),
            _ => serde_json::Value::Null,
        };
        let changes = [Change { field: column.trim_end_matches("_at").into(), old, new }];
        let snapshot = serde_json::to_value(&user)?;
        record(
            &tx,
            actor,
            at,
            Recorded {
                entity: Entity::User,
                entity_id: user_id,
                version: version + 1,
                op: "update",
                changes: &changes,
                snapshot: &snapshot,
            },
        )?;
        tx.commit()?;
        Ok(user)
    }
}

const USER_COLUMNS: &str = "id, username, display_name, role, phone, disabled_at IS NOT NULL, villages";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let villages: String = r.get(6)?;
    let villages = serde_json::from_str(&villages)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e)))?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        phone: r.get(4)?,
        disabled: r.get(5)?,
        villages,
    })
}

fn insert_user(tx: &rusqlite::Transaction<'_>, new: &UserRecord, at: Moment) -> Result<()> {
    let taken: i64 = tx.query_row("SELECT count(*) FROM app_user WHERE username = ?1", [&new.user.username], |r| r.get(0))?;
    if taken > 0 {
        return Err(StoreError::DuplicateUser(new.user.username.clone()));
    }
    tx.execute(
        "INSERT INTO app_user (id, version, username, display_name, password_hash, role, phone, villages, created_at)
         VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            new.user.id,
            new.user.username,
            new.user.display_name,
            new.password_hash,
            new.user.role,
            new.user.phone,
            serde_json::to_string(&new.user.villages)?,
            ts(at)
        ],
    )?;
    Ok(())
}
