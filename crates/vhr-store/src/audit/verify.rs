//! Checking the trail: every entry's hash recomputed in order, the sequence
//! without a gap, every change entry's digest compared with its history row,
//! and the Merkle tree root compared with every signed checkpoint — the
//! install's own and any held elsewhere (the platform's copy, a handover
//! sheet). The first thing that does not match is named.

use std::collections::BTreeMap;

use vhr_domain::checkpoint::{Checkpoint, Tree, Verifier25519};

use super::checkpoints::leaf;
use super::{content_digest, entry_hash, AuditCheck, Fields};
use crate::{Result, Store};

/// A checkpoint to compare the trail with, and how to name it.
struct Expected {
    label: String,
    checkpoint: Checkpoint,
}

fn b64(root: &[u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(root)
}

impl Store {
    /// Walks the whole trail. `held` are signed checkpoints kept outside
    /// this install; `verifier` is the key to check every checkpoint with
    /// (by default the install's own — someone who distrusts this copy of
    /// the database passes the key they were given).
    ///
    /// By default a checkpoint is checked with the key of the log it names:
    /// this install's own, or the key of an install that kept the trail
    /// before a handover (`audit_key_held`).
    pub fn audit_verify(&self, held: &[String], verifier: Option<&Verifier25519>) -> Result<AuditCheck> {
        let keys: Vec<Verifier25519> = match verifier {
            Some(v) => vec![v.clone()],
            None => self.audit_key()?.map(|k| k.verifier()).into_iter().chain(self.held_audit_keys()?).collect(),
        };
        let mut tree = Tree::new();
        let mut previous = String::new();
        let mut entries = 0i64;
        let mut checked = 0i64;
        let result = |entries: i64, head: &str, tree: &Tree, checked: i64, broken: Option<(i64, String)>| {
            let (broken_at, problem) = broken.unzip();
            AuditCheck { entries, head: head.to_string(), root: b64(&tree.root()), checkpoints: checked, broken_at, problem }
        };

        // Every checkpoint must be signed by the key, for this log.
        let mut expected: BTreeMap<u64, Vec<Expected>> = BTreeMap::new();
        let stored = self.checkpoints()?;
        let labelled = stored
            .iter()
            .map(|c| (c.size, format!("the checkpoint of {} ({})", c.at.format("%Y-%m-%d %H:%M UTC"), c.reason), c.note.as_str()))
            .chain(held.iter().enumerate().map(|(i, note)| (0, format!("the checkpoint held outside (#{})", i + 1), note.as_str())));
        for (size, label, note) in labelled {
            let origin = note.lines().next().unwrap_or_default();
            let Some(verifier) = keys.iter().find(|k| k.name() == origin).or(keys.first()) else {
                return Ok(result(
                    0,
                    "",
                    &tree,
                    0,
                    Some((size.max(1), format!("{label} cannot be checked: this install has no audit key"))),
                ));
            };
            let checkpoint = match verifier.open(note) {
                Ok(c) if c.origin == verifier.name() => c,
                Ok(c) => return Ok(result(0, "", &tree, 0, Some((size.max(1), format!("{label} is of another log ({})", c.origin))))),
                Err(e) => return Ok(result(0, "", &tree, 0, Some((size.max(1), format!("{label}: {e}"))))),
            };
            expected.entry(checkpoint.size).or_default().push(Expected { label, checkpoint });
        }

        let mut stmt = self.conn.prepare(
            "SELECT a.seq, a.at, a.user_id, a.user_name, a.action, a.entity, a.entity_id, a.resident_id, a.version, a.content, a.hash,
                    c.changes, c.snapshot
             FROM audit_log a
             LEFT JOIN change_log c ON a.content IS NOT NULL AND c.entity = a.entity AND c.entity_id = a.entity_id AND c.version = a.version
             ORDER BY a.seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut matched_up_to = 0i64;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (at, user_id, user_name, action, entity, entity_id): (String, String, String, String, String, String) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
            let resident_id: Option<String> = r.get(7)?;
            let version: Option<i64> = r.get(8)?;
            let content: Option<String> = r.get(9)?;
            let hash: String = r.get(10)?;
            if seq != entries + 1 {
                let problem = format!("entry {} is missing", entries + 1);
                return Ok(result(entries, &previous, &tree, checked, Some((entries + 1, problem))));
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
            let Some(leaf) = leaf(&hash).filter(|_| entry_hash(&previous, &fields) == hash) else {
                return Ok(result(entries, &previous, &tree, checked, Some((seq, format!("entry {seq} does not match its hash")))));
            };
            // A change entry vouches for its history row, as does the entry
            // of a version brought in by a transfer (an event's content is
            // its detail, with no history row).
            if let Some(expected) = content.as_ref().filter(|_| matches!(action.as_str(), "create" | "update" | "transferred")) {
                let history = match (r.get::<_, Option<String>>(11)?, r.get::<_, Option<String>>(12)?) {
                    (Some(c), Some(s)) => Some(content_digest(&c, &s)),
                    _ => None,
                };
                let problem = match history {
                    Some(digest) if &digest == expected => None,
                    Some(_) => Some(format!("the history of {entity} {entity_id} version {version:?} was altered")),
                    None => Some(format!("the history of {entity} {entity_id} version {version:?} is missing")),
                };
                if let Some(problem) = problem {
                    return Ok(result(entries, &previous, &tree, checked, Some((seq, problem))));
                }
            }
            previous = hash;
            entries += 1;
            tree.push(&leaf);
            if let Some(list) = expected.remove(&tree.size()) {
                let root = tree.root();
                for e in list {
                    if e.checkpoint.root != root {
                        let problem = format!("entries {}–{seq} no longer match {}", matched_up_to + 1, e.label);
                        return Ok(result(entries, &previous, &tree, checked, Some((matched_up_to + 1, problem))));
                    }
                    checked += 1;
                }
                matched_up_to = seq;
            }
        }
        // A checkpoint of more entries than there are: the end was cut off.
        if let Some(e) = expected.into_values().flatten().next() {
            let problem =
                format!("the trail ends at entry {entries}, but {} covers {} entries: entries were removed", e.label, e.checkpoint.size);
            return Ok(result(entries, &previous, &tree, checked, Some((entries + 1, problem))));
        }
        Ok(result(entries, &previous, &tree, checked, None))
    }
}
