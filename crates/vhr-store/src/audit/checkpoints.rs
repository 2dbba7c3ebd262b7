//! Signed checkpoints: the Merkle tree head of the trail, signed with the
//! install's Ed25519 key (`vhr_domain::checkpoint`), kept append-only
//! (migration 0018) and sent to the platform by the sync.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;
use vhr_domain::checkpoint::{Checkpoint, InstallKey, Tree, Verifier25519};
use vhr_domain::time::Moment;
use zeroize::Zeroizing;

use crate::{parse_ts, ts, Result, Store, StoreError};

/// One checkpoint as kept: the signed note and when and why it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct StoredCheckpoint {
    pub size: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    /// `sync`, `day`, `sign-out`, `handover` or `manual`.
    pub reason: String,
    /// The C2SP signed note: origin, size, root, a blank line, the signature.
    pub note: String,
}

pub(crate) const REASONS: [&str; 5] = ["sync", "day", "sign-out", "handover", "manual"];

/// An entry's chain hash as the leaf of the tree: its 32 bytes.
pub(crate) fn leaf(hash_hex: &str) -> Option<[u8; 32]> {
    if hash_hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hash_hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Store {
    /// The install's signing key, when one was made.
    pub fn audit_key(&self) -> Result<Option<InstallKey>> {
        let row: Option<(String, Vec<u8>)> =
            self.conn.query_row("SELECT origin, seed FROM audit_key LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let Some((origin, seed)) = row else { return Ok(None) };
        let seed = Zeroizing::new(seed);
        let bytes: &[u8; 32] = seed.as_slice().try_into().map_err(|_| StoreError::Corrupt("the audit key is not 32 bytes".into()))?;
        Ok(Some(InstallKey::new(&origin, bytes)))
    }

    /// Keeps the public key of an install that kept this trail before it
    /// was handed over here, to check the checkpoints it signed.
    pub fn hold_audit_key(&self, key: &Verifier25519, up_to: i64, at: Moment) -> Result<()> {
        self.conn.execute(
            "INSERT INTO audit_key_held (origin, vkey, up_to, received_at, how) VALUES (?1, ?2, ?3, ?4, 'handover')",
            params![key.name(), key.encode(), up_to, ts(at)],
        )?;
        Ok(())
    }

    /// The keys of the installs that kept this trail before, oldest first.
    pub fn held_audit_keys(&self) -> Result<Vec<Verifier25519>> {
        let mut stmt = self.conn.prepare("SELECT vkey FROM audit_key_held ORDER BY up_to")?;
        let keys = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        keys.iter().map(|k| Verifier25519::decode(k).map_err(|e| StoreError::Corrupt(format!("a held audit key: {e}")))).collect()
    }

    /// Keeps the install's signing key, made once (a second call keeps the first).
    pub fn keep_audit_key(&self, origin: &str, seed: &[u8; 32], at: Moment) -> Result<InstallKey> {
        if let Some(key) = self.audit_key()? {
            return Ok(key);
        }
        if origin.is_empty() || origin.contains([' ', '+', '\n']) {
            return Err(StoreError::Corrupt(format!("{origin:?} cannot name a log")));
        }
        self.conn.execute("INSERT INTO audit_key (origin, seed, made_at) VALUES (?1, ?2, ?3)", params![origin, &seed[..], ts(at)])?;
        Ok(InstallKey::new(origin, seed))
    }

    /// Signs the tree head of the whole trail, unless the last checkpoint
    /// already covers every entry (then `None`).
    pub fn write_checkpoint(&self, key: &InstallKey, reason: &str, at: Moment) -> Result<Option<StoredCheckpoint>> {
        if !REASONS.contains(&reason) {
            return Err(StoreError::Corrupt(format!("{reason:?} is not a reason for a checkpoint")));
        }
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate)?;
        let last: Option<(i64, Option<Vec<u8>>)> = tx
            .query_row("SELECT tree_size, frontier FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        // Continue from the last checkpoint's frontier; a checkpoint kept
        // before frontiers existed (or one whose frontier does not fit) means
        // reading the trail from its start once.
        let mut tree = match &last {
            Some((size, Some(frontier))) => Tree::from_frontier(*size as u64, frontier).unwrap_or_default(),
            _ => Tree::new(),
        };
        {
            let mut stmt = tx.prepare_cached("SELECT seq, hash FROM audit_log WHERE seq > ?1 ORDER BY seq")?;
            let mut rows = stmt.query([tree.size() as i64])?;
            while let Some(r) = rows.next()? {
                let (seq, hash): (i64, String) = (r.get(0)?, r.get(1)?);
                if seq != tree.size() as i64 + 1 {
                    return Err(StoreError::Corrupt(format!("audit entry {} is missing", tree.size() + 1)));
                }
                let bytes = leaf(&hash).ok_or_else(|| StoreError::Corrupt(format!("audit entry {seq} has no hash")))?;
                tree.push(&bytes);
            }
        }
        let size = tree.size() as i64;
        if size == 0 || last.as_ref().is_some_and(|(l, _)| *l >= size) {
            return Ok(None);
        }
        let checkpoint = Checkpoint { origin: key.verifier().name().to_string(), size: tree.size(), root: tree.root() };
        let stored = StoredCheckpoint { size, at: at.at(), reason: reason.to_string(), note: key.sign(&checkpoint) };
        tx.execute(
            "INSERT INTO audit_checkpoint (tree_size, at, reason, note, frontier) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![stored.size, ts(at), stored.reason, stored.note, tree.frontier()],
        )?;
        tx.commit()?;
        Ok(Some(stored))
    }

    /// Every checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>> {
        self.checkpoints_after(0)
    }

    /// Checkpoints of a larger tree than `size`, oldest first: what the sync
    /// has not sent yet.
    pub fn checkpoints_after(&self, size: i64) -> Result<Vec<StoredCheckpoint>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT tree_size, at, reason, note FROM audit_checkpoint WHERE tree_size > ?1 ORDER BY tree_size")?;
        let rows = stmt.query_map([size], row)?;
        rows.map(|r| r?.into_stored()).collect()
    }

    /// The newest checkpoint, for "has today been closed".
    pub fn last_checkpoint(&self) -> Result<Option<StoredCheckpoint>> {
        let found = self
            .conn
            .prepare_cached("SELECT tree_size, at, reason, note FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1")?
            .query_row([], row)
            .optional()?;
        found.map(Row::into_stored).transpose()
    }
}

struct Row(i64, String, String, String);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

impl Row {
    fn into_stored(self) -> Result<StoredCheckpoint> {
        Ok(StoredCheckpoint { size: self.0, at: parse_ts(&self.1)?, reason: self.2, note: self.3 })
    }
}
