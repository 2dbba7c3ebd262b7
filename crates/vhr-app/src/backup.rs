//! Backups (issue #13): on demand, into the data folder's `backups/` or a
//! folder the administrator chooses (a USB stick), each one checked after
//! it is written; the day's automatic backup, kept a week. A backup is the
//! database encrypted with its own key; one written outside the data
//! folder takes the install file (the key sealed by each password) with
//! it, so it can be restored on another computer by anyone who signs in.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_store::{BackupSummary, IntegrityDepth};

use crate::{Clinic, Error, Result};

/// The folder inside the data folder that holds the install's own backups.
pub const BACKUPS_DIR: &str = "backups";
/// How many daily backups are kept.
pub const DAILY_KEPT: usize = 7;

/// A backup written and checked.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupMade {
    pub path: String,
    /// The install file written beside a backup outside the data folder.
    pub keys_file: Option<String>,
    pub summary: BackupSummary,
}

/// The setting that keeps the last integrity check's result.
const INTEGRITY_LAST: &str = "integrity.last";
/// The clinic's day the last full check ran (passed or not).
const INTEGRITY_FULL_ON: &str = "integrity.full_on";

/// What SQLite's check of the database file found.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct IntegrityResult {
    /// The full check (`integrity_check`), not the quick one.
    pub full: bool,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The clinic's day it ran.
    pub on: chrono::NaiveDate,
    /// What is wrong, when the check failed.
    pub damage: Option<String>,
}

/// A backup on file in the data folder.
#[derive(Debug, Clone, Serialize, TS)]
pub struct BackupFile {
    pub name: String,
    pub path: String,
    /// `daily`, `manual` or `upgrade` (written before a new version changed the database).
    pub kind: String,
    pub bytes: u64,
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Storage(e.to_string())
}

impl Clinic {
    fn backups_dir(&self) -> PathBuf {
        self.data_dir().join(BACKUPS_DIR)
    }

    /// Who the background worker's own work is recorded as (nobody signs in
    /// on its connection): the signed-in user when there is one.
    fn worker_actor(&self) -> vhr_store::Actor {
        self.actor().cloned().unwrap_or_else(|_| vhr_store::Actor::install("upkeep", "自动维护"))
    }

    /// Writes a backup now, checks it, and records it in the audit trail.
    /// `folder` is where (a USB stick); the data folder's `backups/` when
    /// absent. Administrators only. `progress(done, total)` counts pages
    /// and may return `false` to cancel (nothing is left behind then).
    pub fn backup(&self, folder: Option<&Path>, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<BackupMade> {
        self.require_admin()?;
        let stamp = self.now().local_time().format("%Y%m%d-%H%M%S").to_string();
        let (dir, name) = match folder {
            Some(f) => (f.to_path_buf(), format!("village-health-{stamp}.vhrbak")),
            None => (self.backups_dir(), format!("manual-{stamp}.vhrbak")),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::Storage(format!("{}: {e}", dir.display())))?;
        let dest = dir.join(&name);
        // Checked at once, quickly (every page's code, every page and record,
        // the rows counted); the day's backup does the full check.
        let summary = self.store.backup_to(&dest, &self.key, IntegrityDepth::Quick, progress)?;
        let keys_file = match folder {
            Some(_) => {
                let keys = dir.join(format!("village-health-{stamp}.keys.json"));
                std::fs::copy(self.data_dir().join(crate::keys::INSTALL_FILE), &keys).map_err(storage)?;
                Some(keys.display().to_string())
            }
            None => None,
        };
        let detail = format!("residents={} rows={} file={name}", summary.residents, summary.rows);
        self.store.record_event(self.actor()?, "backup", Some(&detail), self.now())?;
        Ok(BackupMade { path: dest.display().to_string(), keys_file, summary })
    }

    /// The day's backup, if none was made today: `backups/daily-YYYYMMDD.vhrbak`,
    /// the oldest dropped beyond [`DAILY_KEPT`].
    pub fn daily_backup_if_due(&self) -> Result<Option<BackupMade>> {
        let dir = self.backups_dir();
        let name = format!("daily-{}.vhrbak", self.today().format("%Y%m%d"));
        if dir.join(&name).exists() {
            return Ok(None);
        }
        std::fs::create_dir_all(&dir).map_err(storage)?;
        let summary = self.store.backup_to(&dir.join(&name), &self.key, IntegrityDepth::Full, &mut |_, _| true)?;
        // Every page was read to copy it, and the copy passed the full check.
        self.note_integrity(true, None)?;
        self.store.record_event(
            &self.worker_actor(),
            "backup",
            Some(&format!("residents={} rows={} file={name}", summary.residents, summary.rows)),
            self.now(),
        )?;
        let mut daily: Vec<BackupFile> = self.backups()?.into_iter().filter(|b| b.kind == "daily").collect();
        daily.sort_by(|a, b| b.name.cmp(&a.name));
        for old in daily.into_iter().skip(DAILY_KEPT) {
            std::fs::remove_file(&old.path).map_err(storage)?;
        }
        Ok(Some(BackupMade { path: dir.join(name).display().to_string(), keys_file: None, summary }))
    }

    /// The backups in the data folder, newest first.
    pub fn backups(&self) -> Result<Vec<BackupFile>> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(self.backups_dir()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(storage(e)),
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".vhrbak") else { continue };
            let kind = stem.split('-').next().unwrap_or("manual").to_string();
            out.push(BackupFile {
                path: entry.path().display().to_string(),
                bytes: entry.metadata().map(|m| m.len()).unwrap_or(0),
                kind,
                name,
            });
        }
        out.sort_by(|a, b| b.name.cmp(&a.name));
        Ok(out)
    }

    /// Checks the database file with SQLite's own check (`Quick` at start,
    /// `Full` once a day, both by the background worker) and keeps the
    /// result; a damaged file is [`Error::Damaged`], also in the audit trail.
    pub fn check_integrity(&self, depth: IntegrityDepth) -> Result<IntegrityResult> {
        let outcome = self.store.check_integrity(depth);
        let result = self.note_integrity(depth == IntegrityDepth::Full, outcome.as_ref().err().map(|e| e.to_string()))?;
        outcome?;
        Ok(result)
    }

    /// Keeps a check's result; a failed one goes in the audit trail too.
    fn note_integrity(&self, full: bool, damage: Option<String>) -> Result<IntegrityResult> {
        let result = IntegrityResult { full, at: self.now().at(), on: self.today(), damage };
        if let Some(damage) = &result.damage {
            let detail = format!("full={full} damage={damage}");
            // The trail may sit on a damaged page itself: the log has it either way.
            if let Err(trail) = self.store.record_event(&self.worker_actor(), "integrity-check", Some(&detail), self.now()) {
                tracing::warn!(problem = %trail, "the failed check could not be written to the audit trail");
            }
        }
        self.store.set_setting(INTEGRITY_LAST, &serde_json::to_string(&result).map_err(storage)?)?;
        if full {
            // Kept apart from the last result: the quick check at every
            // start must not make the day's full check run again.
            self.store.set_setting(INTEGRITY_FULL_ON, &result.on.to_string())?;
        }
        Ok(result)
    }

    /// The last integrity check's result, if one ran.
    pub fn last_integrity_check(&self) -> Result<Option<IntegrityResult>> {
        Ok(self.store.setting(INTEGRITY_LAST)?.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Whether today's full check is still to run.
    pub(crate) fn full_check_due(&self) -> Result<bool> {
        Ok(self.store.setting(INTEGRITY_FULL_ON)?.as_deref() != Some(self.today().to_string().as_str()))
    }

    /// What a backup holds (checked: it opens with this install's key and
    /// passes the integrity check), before anything is restored from it.
    pub fn inspect_backup(&self, path: &Path) -> Result<BackupSummary> {
        self.require_admin()?;
        Ok(vhr_store::inspect_backup(path, &self.key)?)
    }
}
