//! The audit trail (who opened a record, the administrator's screen, the
//! check of the whole trail), and locking the window.

use tauri::State;
use vhr_app::AuditQuery;
use vhr_store::{AuditCheck, AuditEntry, StoredCheckpoint};

use super::{with, with_desk, Reply};
use crate::Shell;

/// Who opened, printed or changed this resident's record ("谁查看过").
#[tauri::command]
pub async fn record_access_log(shell: State<'_, Shell>, key: String) -> Reply<Vec<AuditEntry>> {
    with(&shell, |c| c.record_access_log(&key))
}

#[tauri::command]
pub async fn audit_list(shell: State<'_, Shell>, query: AuditQuery) -> Reply<Vec<AuditEntry>> {
    with(&shell, |c| c.audit_list(&query))
}

#[tauri::command]
pub async fn audit_verify(shell: State<'_, Shell>) -> Reply<AuditCheck> {
    with(&shell, |c| c.audit_verify(&[], None))
}

#[tauri::command]
pub async fn audit_checkpoints(shell: State<'_, Shell>) -> Reply<Vec<StoredCheckpoint>> {
    with(&shell, |c| c.checkpoints())
}

/// The install's public audit key, to print for whoever checks its checkpoints.
#[tauri::command]
pub async fn audit_key(shell: State<'_, Shell>) -> Reply<String> {
    with(&shell, |c| c.audit_key())
}

#[tauri::command]
pub async fn set_idle_lock_minutes(shell: State<'_, Shell>, minutes: u32) -> Reply<u32> {
    with(&shell, |c| c.set_idle_lock_minutes(minutes))
}

#[tauri::command]
pub async fn lock(shell: State<'_, Shell>) -> Reply<()> {
    with_desk(&shell, |d| d.lock())
}

#[tauri::command]
pub async fn unlock(shell: State<'_, Shell>, password: String) -> Reply<()> {
    with_desk(&shell, |d| d.unlock(&password))
}
