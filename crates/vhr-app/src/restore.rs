//! Restoring a backup (issue #13), and the way back from a damaged file.
//!
//! A restore first shows what the backup holds next to what the database
//! holds now. Then the database closes, the current file is moved aside into
//! `backups/replaced-<time>.vhrbak` (kept, never deleted by the app), the
//! backup is copied into place, and what the replaced file recorded but
//! never sent is written again ([`vhr_store::replay`]); record numbers it
//! issued are reserved. The next sync pass takes back from the platform
//! what this install had sent since the backup (its own writes are not
//! passed over as echoes for changes made before the restore). Every
//! restore is in the audit trail of the restored database.
//!
//! An administrator restores from the window while signed in; the session
//! ends with it. When the file is damaged so that nobody can sign in, any
//! account whose password unseals the key may restore this install's own
//! last good backup ([`Install::restore_damaged`]): a checked copy of the
//! same install, with the damaged file kept, shows nobody anything new.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;
use vhr_domain::problem::Problem;
use vhr_store::{Actor, BackupSummary, DatabaseKey, Holdings, ReplayCounts, Replayed, Store};

use crate::accounts::{Desk, Install};
use crate::backup::BACKUPS_DIR;
use crate::keys::InstallFile;
use crate::{Clinic, Env, Error, Result, DB_FILE};

/// What a restore would put in place, and what it would replace.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RestorePreview {
    pub path: String,
    pub backup: BackupSummary,
    pub now: Holdings,
}

/// A restore done.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Restored {
    pub from: String,
    pub summary: BackupSummary,
    /// Where the replaced file is kept.
    pub kept_at: String,
    pub replay: ReplayCounts,
    /// Why nothing could be replayed from the replaced file, when so.
    pub replay_problem: Option<String>,
}

/// The sync value `1` while the first pull after a restore is to come: it
/// takes back the platform's copies of this install's own writes instead of
/// passing them over as echoes (their versions tell what is here already;
/// no clock is trusted for it).
pub(crate) const TAKE_BACK_OWN_WRITES: &str = "take_back_own_writes";

impl Clinic {
    /// What a backup holds next to what the database holds now (administrators).
    pub fn restore_preview(&self, path: &Path) -> Result<RestorePreview> {
        self.require_admin()?;
        let backup = vhr_store::inspect_backup(path, &self.key)?;
        Ok(RestorePreview { path: path.display().to_string(), backup, now: self.store.holdings()? })
    }

    /// Writes again into this (restored) database what `kept` recorded and
    /// never sent, and reserves the numbers it issued.
    fn replay_from(&mut self, kept: &Store, actor: &Actor) -> Result<ReplayCounts> {
        let now = self.now();
        let (changes, unreadable) = kept.unsent_changes()?;
        let numbers = kept.issued_numbers()?;
        let mut counts = ReplayCounts { unreadable, ..Default::default() };
        counts.numbers_reserved = self.store.batch(|b| b.reserve_numbers(&numbers, now))?;
        for change in &changes {
            // One change at a time: one that cannot be written does not hold up the rest.
            match self.store.batch(|b| b.replay(actor, change, now)) {
                Ok(Replayed::Written) => counts.written += 1,
                Ok(Replayed::AlreadyHere) => counts.already_here += 1,
                Ok(Replayed::Different) => counts.different += 1,
                Err(e) => {
                    tracing::warn!(entity = %change.entity, id = %change.entity_id, problem = %e, "a change could not be replayed");
                    counts.unreadable += 1;
                }
            }
        }
        Ok(counts)
    }
}

/// `backups/replaced-<local time>.vhrbak`, numbered if taken.
fn aside_path(dir: &Path, env: &Env) -> PathBuf {
    let stamp = env.clock.now().local_time().format("%Y%m%d-%H%M%S").to_string();
    let backups = dir.join(BACKUPS_DIR);
    let mut path = backups.join(format!("replaced-{stamp}.vhrbak"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = backups.join(format!("replaced-{stamp}-{n}.vhrbak"));
    }
    path
}

/// Puts `backup` in place of the database in `dir` (no connection to it may
/// be open), opens the restored database, replays what the replaced file
/// kept unsent, and records the restore in the trail as `user_id` did it.
fn restore_in(dir: &Path, env: &Env, key: DatabaseKey, keys: InstallFile, user_id: &str, backup: &Path) -> Result<(Clinic, Restored)> {
    let aside = aside_path(dir, env);
    let summary = vhr_store::restore_file(&dir.join(DB_FILE), backup, &key, &aside)?;
    tracing::info!(from = %backup.display(), kept = %aside.display(), residents = summary.residents, "database restored from a backup");
    let mut clinic = Clinic::open(dir, env.clone(), key.clone(), keys)?;
    let user = clinic.store.user_by_id(user_id)?;
    let name = user.as_ref().map(|u| u.display_name.clone()).unwrap_or_else(|| user_id.to_string());
    let actor = Actor::install(user_id, &name);
    let (replay, replay_problem) = match Store::open_kept(&aside, &key) {
        Ok(kept) => match clinic.replay_from(&kept, &actor) {
            Ok(counts) => (counts, None),
            Err(e) => (ReplayCounts::default(), Some(e.to_string())),
        },
        Err(e) if !aside.exists() => (ReplayCounts::default(), Some(format!("no database was there to replace ({e})"))),
        Err(e) => (ReplayCounts::default(), Some(e.to_string())),
    };
    let now = clinic.now();
    clinic.store.set_sync_value(TAKE_BACK_OWN_WRITES, "1")?;
    let file_name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let detail = format!(
        "from={} residents={} kept={} replayed={} already_here={} different={} unreadable={} numbers_reserved={}{}",
        file_name(backup),
        summary.residents,
        file_name(&aside),
        replay.written,
        replay.already_here,
        replay.different,
        replay.unreadable,
        replay.numbers_reserved,
        replay_problem.as_deref().map(|p| format!(" problem={p}")).unwrap_or_default(),
    );
    clinic.store.record_event(&actor, "restore", Some(&detail), now)?;
    let restored = Restored { from: backup.display().to_string(), summary, kept_at: aside.display().to_string(), replay, replay_problem };
    Ok((clinic, restored))
}

impl Desk {
    /// Restores `backup` in place of the database (administrators). The
    /// session ends with it: the window goes back to sign-in, on the
    /// restored database. The background sync must be stopped first.
    pub fn restore(&mut self, backup: &Path) -> Result<Restored> {
        let clinic = self.clinic()?;
        let me = clinic.require_admin()?;
        // Refused while still signed in when it is not this install's
        // (restore_file's full check of it comes after the session closes).
        vhr_store::backup_opens_with(backup, &clinic.key)?;
        let (dir, env, key, keys) = (clinic.data_dir().to_path_buf(), clinic.env.clone(), clinic.key.clone(), clinic.keys.clone());
        // The database closes before its file is moved.
        self.sign_out()?;
        let (clinic, restored) = restore_in(&dir, &env, key, keys, &me.id, backup)?;
        drop(clinic);
        self.sign_out()?;
        Ok(restored)
    }

    /// See [`Install::restore_damaged`]; the user is signed in afterwards.
    pub fn restore_damaged(&mut self, username: &str, password: &str, backup: Option<&Path>) -> Result<(crate::SessionInfo, Restored)> {
        if self.clinic.is_some() {
            // The password is checked before the session closes.
            self.install.unseal(username.trim(), password)?;
            self.sign_out()?;
        }
        let (clinic, restored) = self.install.restore_damaged(username, password, backup)?;
        let session = self.enter(clinic)?;
        Ok((session, restored))
    }
}

impl Install {
    /// When the database cannot be used (damaged, or it does not open with
    /// its key): a user's password unseals the key, and `backup` (else the
    /// newest of this install's backups that checks out) replaces the
    /// database, the damaged file kept aside. Signs the user in.
    pub fn restore_damaged(&mut self, username: &str, password: &str, backup: Option<&Path>) -> Result<(Clinic, Restored)> {
        let (user_id, key, _) = self.unseal(username.trim(), password)?;
        let keys = self.file.clone().ok_or(Error::KeysMissing)?;
        // Only a file that cannot be used is replaced this way: a sound one
        // is restored by an administrator, signed in.
        let sound = Clinic::open(self.data_dir(), self.env.clone(), key.clone(), keys.clone())
            .and_then(|c| Ok(c.store.check_integrity(vhr_store::IntegrityDepth::Quick)?))
            .is_ok();
        if sound {
            return Err(Error::Invalid(vec![Problem::error(
                "backup",
                "restore.not_damaged",
                "数据库文件完好，不需要在这里恢复。如要恢复到某个备份，请管理员登录后在「设置 → 备份与恢复」中操作",
                "The database file is sound and needs no restore here. To go back to a backup, an administrator signs in and uses Settings → Backup and restore",
            )]));
        }
        let (dir, env) = (self.data_dir().to_path_buf(), self.env.clone());
        // The newest backup that checks out: restore_file checks each before
        // it moves anything, so a bad one is passed over with nothing changed.
        let candidates = match backup {
            Some(b) => vec![b.to_path_buf()],
            None => backups_newest_first(&dir),
        };
        let mut done = None;
        for path in &candidates {
            match restore_in(&dir, &env, key.clone(), keys.clone(), &user_id, path) {
                Ok(r) => {
                    done = Some(r);
                    break;
                }
                Err(e) if backup.is_none() && matches!(e, Error::Damaged(_) | Error::KeysDoNotMatch | Error::Storage(_)) => {
                    tracing::warn!(file = %path.display(), code = e.code(), "a backup that does not check out is passed over");
                }
                Err(e) => return Err(e),
            }
        }
        let (mut clinic, restored) = done.ok_or(Error::NoGoodBackup)?;
        let user = clinic.store.user_by_id(&user_id)?.ok_or(Error::BadCredentials)?;
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        clinic.signed_in(&user, None, "password; after a restore")?;
        Ok((clinic, restored))
    }
}

/// This install's backups, newest written first, but for the files restores replaced.
pub(crate) fn backups_newest_first(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir.join(BACKUPS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.ends_with(".vhrbak") && !name.starts_with("replaced-")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    files.into_iter().map(|(_, p)| p).collect()
}
