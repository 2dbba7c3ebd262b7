//! Backups, restoring one, and the database file's integrity check.

use std::path::PathBuf;

use std::sync::atomic::Ordering;

use tauri::{AppHandle, Emitter, Runtime, State};
use vhr_app::{BackupFile, BackupMade, BackupSummary, IntegrityDepth, IntegrityResult, RestorePreview, Restored, SessionInfo};

use super::{with, with_desk, Reply};
use crate::Shell;

#[tauri::command]
pub async fn list_backups(shell: State<'_, Shell>) -> Reply<Vec<BackupFile>> {
    with(&shell, |c| c.backups())
}

/// A backup now: into the data folder's `backups/`, or `folder` (a USB
/// stick), reporting `backup-progress` (pages done, total);
/// `cancel_long_work` stops it.
#[tauri::command]
pub async fn make_backup<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, folder: Option<String>) -> Reply<BackupMade> {
    shell.cancel_long.store(false, Ordering::SeqCst);
    with(&shell, |c| {
        c.backup(folder.as_deref().map(std::path::Path::new), &mut |done, total| {
            let _ = app.emit("backup-progress", (done, total));
            !shell.cancel_long.load(Ordering::SeqCst)
        })
    })
}

#[tauri::command]
pub async fn inspect_backup(shell: State<'_, Shell>, path: String) -> Reply<BackupSummary> {
    with(&shell, |c| c.inspect_backup(std::path::Path::new(&path)))
}

#[tauri::command]
pub async fn restore_preview(shell: State<'_, Shell>, path: String) -> Reply<RestorePreview> {
    with(&shell, |c| c.restore_preview(std::path::Path::new(&path)))
}

/// Restores `path`: the background sync stops first, and the window goes
/// back to sign-in on the restored database.
#[tauri::command]
pub async fn restore_backup(shell: State<'_, Shell>, path: String) -> Reply<Restored> {
    shell.stop_sync();
    with_desk(&shell, |d| d.restore(&PathBuf::from(&path)))
}

/// From the sign-in page, when the database is damaged: a password and
/// (optionally) the backup to use; signed in afterwards.
#[tauri::command]
pub async fn restore_damaged<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    username: String,
    password: String,
    path: Option<String>,
) -> Reply<(SessionInfo, Restored)> {
    shell.stop_sync();
    let done = with_desk(&shell, |d| d.restore_damaged(&username, &password, path.as_deref().map(std::path::Path::new)))?;
    shell.start_sync(&app);
    Ok(done)
}

#[tauri::command]
pub async fn last_integrity_check(shell: State<'_, Shell>) -> Reply<Option<IntegrityResult>> {
    with(&shell, |c| c.last_integrity_check())
}

/// The full check now (it reads every page: the window shows it is running).
#[tauri::command]
pub async fn check_integrity(shell: State<'_, Shell>) -> Reply<IntegrityResult> {
    with(&shell, |c| c.check_integrity(IntegrityDepth::Full))
}
