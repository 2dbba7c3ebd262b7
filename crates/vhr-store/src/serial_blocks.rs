//! Issuing record numbers from this install's serial blocks, one set of
//! blocks per village prefix (spec R2.5, rules in
//! `vhr_domain::serial_blocks`): the next free serial inside the inserting
//! transaction, a provisional local number when none is left, the
//! administrator's new blocks, and the numbers left per village.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use ts_rs::TS;
use vhr_domain::clinic::{ClinicProfile, SerialBlock};
use vhr_domain::problem::Problem;
use vhr_domain::record_number::{Prefix, RecordNumber};
use vhr_domain::serial_blocks::{
    check_new_block, first_in_blocks, left_from, provisional_number, should_warn, PROVISIONAL_MARK, PROVISIONAL_MAX,
};

use crate::residents::{load, profile_in, write_resident};
use vhr_domain::time::Moment;

use crate::{parse_ts, ts, Actor, Result, Store, StoreError};

/// One of a village's blocks as the settings page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BlockRow {
    pub start: u32,
    pub end: u32,
    /// `setup` (the clinic profile's) or `letter` (added from the township's letter).
    pub source: String,
    pub note: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
}

/// Where a village stands with its record numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VillageSerials {
    pub village_code: String,
    pub village_name: String,
    /// Empty until the village issues its first number: then the profile's block.
    pub blocks: Vec<BlockRow>,
    /// Serials still free in the blocks.
    pub left: u32,
    /// What the blocks hold in all.
    pub total: u32,
    /// Few enough left to ask the township for a new block now.
    pub warn: bool,
    /// Records waiting with a provisional number for a final one.
    pub provisional: u32,
    /// Numbers that arrived from the platform inside these blocks: another
    /// install was given the same serials (they are never issued here).
    pub arrived_inside: u32,
}

/// A provisional number replaced by a final one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Renumbered {
    pub resident_id: String,
    pub name: String,
    pub provisional: String,
    pub record_no: String,
}

/// A village's blocks, lowest first; the profile's is the first block of a
/// village that has none yet (written when `seed` is set).
fn blocks_of(
    tx: &rusqlite::Connection,
    prefix: &Prefix,
    profile: &ClinicProfile,
    seed: Option<(&Actor, Moment)>,
) -> Result<Vec<SerialBlock>> {
    let mut stmt = tx.prepare_cached("SELECT start_serial, end_serial FROM serial_block WHERE prefix = ?1 ORDER BY start_serial")?;
    let blocks: Vec<SerialBlock> =
        stmt.query_map([prefix.as_str()], |r| Ok(SerialBlock { start: r.get(0)?, end: r.get(1)? }))?.collect::<rusqlite::Result<_>>()?;
    if !blocks.is_empty() {
        return Ok(blocks);
    }
    if let Some((actor, at)) = seed {
        insert_block(tx, prefix, profile.serial_block, "setup", "", actor, at.at())?;
    }
    Ok(vec![profile.serial_block])
}

/// The next serial a counter holds (`None` before its first number).
fn next_serial(conn: &rusqlite::Connection, key: &str) -> Result<Option<u32>> {
    Ok(conn.query_row("SELECT next_serial FROM serial_counter WHERE prefix = ?1", [key], |r| r.get(0)).optional()?)
}

/// Records a number as issued; its primary key refuses one issued before.
fn issue(tx: &Transaction<'_>, number: &str, resident_id: &str, at: Moment) -> Result<()> {
    tx.execute("INSERT INTO issued_number (record_no, resident_id, issued_at) VALUES (?1, ?2, ?3)", params![number, resident_id, ts(at)])?;
    Ok(())
}

/// The first and last provisional number a village can hold, for range reads.
fn provisional_bounds(prefix: &Prefix) -> (String, String) {
    (format!("{}{PROVISIONAL_MARK}0000", prefix.as_str()), format!("{}{PROVISIONAL_MARK}9999", prefix.as_str()))
}

fn insert_block(
    tx: &rusqlite::Connection,
    prefix: &Prefix,
    b: SerialBlock,
    source: &str,
    note: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO serial_block (prefix, start_serial, end_serial, source, note, added_by, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![prefix.as_str(), b.start, b.end, source, note, actor.name, ts(at)],
    )?;
    Ok(())
}

fn is_taken(tx: &rusqlite::Connection, number: &str) -> Result<bool> {
    Ok(tx.query_row("SELECT 1 FROM issued_number WHERE record_no = ?1", [number], |_| Ok(())).optional()?.is_some())
}

/// Issues the next free serial of the village's blocks, or `None` when
/// they are used up. A serial on file already (a number that arrived from
/// the platform inside a block) is stepped over, never issued twice.
pub(crate) fn allocate(
    tx: &Transaction<'_>,
    prefix: &Prefix,
    profile: &ClinicProfile,
    resident_id: &str,
    actor: &Actor,
    at: Moment,
) -> Result<Option<RecordNumber>> {
    let blocks = blocks_of(tx, prefix, profile, Some((actor, at)))?;
    let first = blocks.first().map(|b| b.start).unwrap_or(1);
    let mut from = next_serial(tx, prefix.as_str())?.unwrap_or(first);
    let number = loop {
        let Some(serial) = first_in_blocks(&blocks, from) else { return Ok(None) };
        let number = RecordNumber::new(prefix, serial);
        if !is_taken(tx, number.as_str())? {
            break number;
        }
        from = serial + 1;
    };
    let block_end = blocks.iter().map(|b| b.end).max().unwrap_or(number.serial());
    tx.execute(
        "INSERT INTO serial_counter (prefix, next_serial, block_end) VALUES (?1, ?2, ?3)
         ON CONFLICT(prefix) DO UPDATE SET next_serial = excluded.next_serial, block_end = excluded.block_end",
        params![prefix.as_str(), number.serial() + 1, block_end],
    )?;
    issue(tx, number.as_str(), resident_id, at)?;
    Ok(Some(number))
}

/// Issues the village's next provisional local number.
pub(crate) fn allocate_provisional(tx: &Transaction<'_>, prefix: &Prefix, resident_id: &str, at: Moment) -> Result<String> {
    let key = format!("{}{PROVISIONAL_MARK}", prefix.as_str());
    let next = next_serial(tx, &key)?.unwrap_or(1);
    if next > PROVISIONAL_MAX {
        return Err(StoreError::SerialBlockExhausted { prefix: prefix.as_str().to_string(), start: 1, end: PROVISIONAL_MAX });
    }
    tx.execute(
        "INSERT INTO serial_counter (prefix, next_serial, block_end) VALUES (?1, ?2, ?3)
         ON CONFLICT(prefix) DO UPDATE SET next_serial = excluded.next_serial",
        params![key, next + 1, PROVISIONAL_MAX],
    )?;
    let number = provisional_number(prefix, next);
    issue(tx, &number, resident_id, at)?;
    Ok(number)
}

/// A number that arrived from the platform: reserved so it is never issued
/// here, and noted when it lies inside this install's blocks.
pub(crate) fn note_arrived(tx: &Transaction<'_>, profile: &ClinicProfile, record_no: &str, resident_id: &str, at: Moment) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO issued_number (record_no, resident_id, issued_at) VALUES (?1, ?2, ?3)",
        params![record_no, resident_id, ts(at)],
    )?;
    let Ok(number) = RecordNumber::parse(record_no) else { return Ok(()) };
    let ours = profile.county_code == number.as_str()[..6] && profile.township_code == number.as_str()[6..9];
    if ours && blocks_of(tx, &number.prefix(), profile, None)?.iter().any(|b| b.contains(number.serial())) {
        tx.execute(
            "INSERT OR IGNORE INTO serial_arrived (record_no, resident_id, arrived_at) VALUES (?1, ?2, ?3)",
            params![record_no, resident_id, ts(at)],
        )?;
    }
    Ok(())
}

impl Store {
    /// Every village's blocks, what is left in them and what waits for a number.
    pub fn village_serials(&self, _actor: &Actor) -> Result<Vec<VillageSerials>> {
        let profile = profile_in(&self.conn)?;
        let mut out = Vec::new();
        for v in &profile.villages {
            let prefix = Prefix::new(&profile.county_code, &profile.township_code, &v.code);
            let mut stmt = self.conn.prepare_cached(
                "SELECT start_serial, end_serial, source, note, added_by, added_at FROM serial_block WHERE prefix = ?1 ORDER BY start_serial",
            )?;
            let rows = stmt.query_map([prefix.as_str()], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            let mut blocks = Vec::new();
            for row in rows {
                let (start, end, source, note, added_by, added_at) = row?;
                blocks.push(BlockRow { start, end, source, note, added_by, added_at: parse_ts(&added_at)? });
            }
            let ranges: Vec<SerialBlock> = blocks.iter().map(|b| SerialBlock { start: b.start, end: b.end }).collect();
            let ranges = if ranges.is_empty() { vec![profile.serial_block] } else { ranges };
            let next = next_serial(&self.conn, prefix.as_str())?.unwrap_or_else(|| ranges.first().map(|b| b.start).unwrap_or(1));
            // Numbers on file ahead of the next serial (arrived from the platform) are not free.
            let mut ahead = 0;
            let mut stmt = self.conn.prepare_cached("SELECT record_no FROM issued_number WHERE record_no >= ?1 AND record_no <= ?2")?;
            for no in stmt
                .query_map(params![RecordNumber::new(&prefix, next.min(99_999)).as_str(), format!("{}99999", prefix.as_str())], |r| {
                    r.get::<_, String>(0)
                })?
            {
                if let Ok(n) = RecordNumber::parse(&no?) {
                    ahead += u32::from(n.serial() >= next && ranges.iter().any(|b| b.contains(n.serial())));
                }
            }
            let left = left_from(&ranges, next).saturating_sub(ahead);
            let total = ranges.iter().map(SerialBlock::len).sum();
            let (lo, hi) = provisional_bounds(&prefix);
            let provisional: u32 =
                self.conn
                    .query_row("SELECT COUNT(*) FROM resident WHERE record_no >= ?1 AND record_no <= ?2", params![lo, hi], |r| r.get(0))?;
            let arrived_inside: u32 = self.conn.query_row(
                "SELECT COUNT(*) FROM serial_arrived WHERE record_no >= ?1 AND record_no <= ?2",
                params![format!("{}00000", prefix.as_str()), format!("{}99999", prefix.as_str())],
                |r| r.get(0),
            )?;
            out.push(VillageSerials {
                village_code: v.code.clone(),
                village_name: v.name.clone(),
                blocks,
                left,
                total,
                warn: should_warn(left, total),
                provisional,
                arrived_inside,
            });
        }
        Ok(out)
    }

    /// Adds a block to a village (typed from the township's letter) and gives
    /// every record waiting with a provisional number of that village a final
    /// one, oldest first, each change written with its history and outbox
    /// entry — all in one transaction.
    pub fn add_serial_block(
        &mut self,
        actor: &Actor,
        village: &str,
        block: SerialBlock,
        note: &str,
        at: Moment,
    ) -> Result<std::result::Result<Vec<Renumbered>, Vec<Problem>>> {
        self.batch(|b| {
            let tx = &b.tx;
            let profile = &b.profile;
            if profile.village(village).is_none() {
                return Ok(Err(vec![Problem::error(
                    "village",
                    "village.unknown",
                    "请选择本机构服务的村（居）委会",
                    "Choose one of the villages this clinic serves",
                )]));
            }
            let prefix = Prefix::new(&profile.county_code, &profile.township_code, village);
            let existing = blocks_of(tx, &prefix, profile, Some((actor, at)))?;
            let problems = check_new_block(block, &existing);
            if !problems.is_empty() {
                return Ok(Err(problems));
            }
            insert_block(tx, &prefix, block, "letter", note.trim(), actor, at.at())?;
            let mut waiting = Vec::new();
            let mut stmt = tx.prepare_cached("SELECT id FROM resident WHERE record_no >= ?1 AND record_no <= ?2 ORDER BY pk")?;
            let (lo, hi) = provisional_bounds(&prefix);
            for id in stmt.query_map(params![lo, hi], |r| r.get::<_, String>(0))? {
                waiting.push(id?);
            }
            drop(stmt);
            let mut renumbered = Vec::new();
            for id in waiting {
                let Some(before) = load(tx, "id = ?1", &id)? else { continue };
                let Some(number) = allocate(tx, &prefix, profile, &id, actor, at)? else { break };
                let mut after = before.clone();
                after.record_no = number.to_string();
                after.version += 1;
                after.updated_by = actor.name.clone();
                after.updated_at = at.at();
                write_resident(tx, actor, Some(&before), &after, at)?;
                renumbered.push(Renumbered {
                    resident_id: id,
                    name: after.data.name.clone(),
                    provisional: before.record_no,
                    record_no: after.record_no,
                });
            }
            Ok(Ok(renumbered))
        })
    }
}
