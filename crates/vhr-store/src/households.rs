//! Households: residents linked under a head, with their relationships.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_domain::resident::{Membership, Resident};
use vhr_domain::time::Moment;

use crate::history::{record, Recorded};
use crate::residents::{load_resident, write_resident, ResidentSummary, SearchSpec};
use crate::{ts, Actor, Result, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Household {
    pub id: String,
    pub version: i64,
    pub village_code: String,
    pub address: String,
    pub members: Vec<HouseholdMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HouseholdMember {
    pub resident: ResidentSummary,
    pub relation: String,
    pub is_head: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HouseholdSummary {
    pub id: String,
    pub village_code: String,
    pub address: String,
    pub head_name: Option<String>,
    pub members: i64,
}

/// Makes every other head of the household a plain member, as new versions.
pub(crate) fn clear_other_heads(tx: &Transaction<'_>, actor: &Actor, household_id: &str, keep: &str, at: Moment) -> Result<()> {
    let others: Vec<String> = tx
        .prepare_cached("SELECT id FROM resident WHERE household_id = ?1 AND is_head = 1 AND id <> ?2")?
        .query_map(params![household_id, keep], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in others {
        let before = load_resident(tx, &id)?;
        let mut after = before.clone();
        if let Some(m) = after.household.as_mut() {
            m.is_head = false;
        }
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        write_resident(tx, actor, Some(&before), &after, at)?;
    }
    Ok(())
}

impl Store {
    pub fn create_household(&mut self, actor: &Actor, id: &str, village_code: &str, address: &str, at: Moment) -> Result<Household> {
        self.batch(|b| b.create_household(actor, id, village_code, address, at))
    }

    /// Puts a resident into a household (or takes them out with `None`), as a
    /// new version of the resident. A new head replaces the old one.
    pub fn set_membership(
        &mut self,
        actor: &Actor,
        resident_id: &str,
        expected_version: i64,
        membership: Option<Membership>,
        at: Moment,
    ) -> Result<Resident> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = load_resident(&tx, resident_id)?;
        if !actor.access.sees(&before.data.village_code) {
            return Err(StoreError::NotFound { entity: Entity::Resident, id: resident_id.into() });
        }
        crate::access::check_edit(actor, &before.data.village_code, resident_id)?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                entity: Entity::Resident,
                id: resident_id.into(),
                expected: expected_version,
                actual: before.version,
            });
        }
        if let Some(m) = &membership {
            let sql = format!("SELECT pk FROM household WHERE id = ?1 AND {}", crate::access::reach(actor, "village_code"));
            let exists: Option<i64> = tx.query_row(&sql, [&m.household_id], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound { entity: Entity::Household, id: m.household_id.clone() });
            }
        }
        let mut after = before.clone();
        after.household = membership;
        after.version += 1;
        after.updated_by = actor.name.clone();
        after.updated_at = at.at();
        write_resident(&tx, actor, Some(&before), &after, at)?;
        if let Some(m) = after.household.as_ref().filter(|m| m.is_head) {
            clear_other_heads(&tx, actor, &m.household_id, resident_id, at)?;
        }
        tx.commit()?;
        Ok(after)
    }

    pub fn household(&self, actor: &Actor, id: &str, today: NaiveDate) -> Result<Option<Household>> {
        let head: Option<(i64, String, String)> = self
            .conn
            .query_row("SELECT version, village_code, address FROM household WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((version, village_code, address)) = head.filter(|(_, village, _)| actor.access.sees(village)) else {
            return Ok(None);
        };
        let ids: Vec<(String, Option<String>, bool)> = self
            .conn
            .prepare_cached("SELECT id, relation, is_head FROM resident WHERE household_id = ?1 ORDER BY is_head DESC, birth_date")?
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut members = Vec::new();
        for (rid, relation, is_head) in ids {
            let spec = SearchSpec { query: String::new(), village: None, tag: None, status: Default::default(), today, limit: 1 };
            if let Some(resident) = self.summary_by_id(actor, &rid, &spec)? {
                members.push(HouseholdMember { resident, relation: relation.unwrap_or_default(), is_head });
            }
        }
        Ok(Some(Household { id: id.to_string(), version, village_code, address, members }))
    }

    /// Households of a village (or all), with their heads, by address.
    pub fn households(&self, actor: &Actor, village: Option<&str>, query: &str, limit: usize) -> Result<Vec<HouseholdSummary>> {
        let like = format!("%{}%", query.trim());
        let (households, residents) = (crate::access::reach(actor, "h.village_code"), crate::access::reach(actor, "village_code"));
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT h.id, h.village_code, h.address,
                    (SELECT name FROM resident WHERE household_id = h.id AND is_head = 1 AND {residents} LIMIT 1),
                    (SELECT count(*) FROM resident WHERE household_id = h.id AND {residents})
             FROM household h
             WHERE (?1 IS NULL OR h.village_code = ?1) AND {households}
               AND (?2 = '%%' OR h.address LIKE ?2
                    OR EXISTS (SELECT 1 FROM resident r WHERE r.household_id = h.id AND r.name LIKE ?2 AND {}))
             ORDER BY h.village_code, h.address LIMIT ?3",
            crate::access::reach(actor, "r.village_code")
        ))?;
        let rows = stmt.query_map(params![village, like, limit as i64], |r| {
            Ok(HouseholdSummary { id: r.get(0)?, village_code: r.get(1)?, address: r.get(2)?, head_name: r.get(3)?, members: r.get(4)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl crate::Batch<'_> {
    /// Creates a household within the batch's transaction.
    pub fn create_household(&mut self, actor: &Actor, id: &str, village_code: &str, address: &str, at: Moment) -> Result<Household> {
        let tx = &self.tx;
        crate::access::check_edit(actor, village_code, id)?;
        tx.execute(
            "INSERT INTO household (id, version, village_code, address, created_at, updated_at) VALUES (?1, 1, ?2, ?3, ?4, ?4)",
            params![id, village_code, address, ts(at)],
        )?;
        let snapshot = json!({"id": id, "village_code": village_code, "address": address});
        record(
            tx,
            actor,
            at,
            Recorded { entity: Entity::Household, entity_id: id, version: 1, op: "create", changes: &[], snapshot: &snapshot },
        )?;
        Ok(Household {
            id: id.to_string(),
            version: 1,
            village_code: village_code.to_string(),
            address: address.to_string(),
            members: vec![],
        })
    }
}
