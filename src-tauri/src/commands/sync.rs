//! Sync: the status, a pass now (run by the background worker), what needs
//! attention, conflicts, and the platform settings.

use tauri::State;
use vhr_app::{PlatformSetup, ResolveRequest, SyncStatus};
use vhr_domain::entity::Entity;
use vhr_store::{AttentionItem, FieldConflict, ResidentSummary, SetAside};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn sync_status(shell: State<'_, Shell>) -> Reply<SyncStatus> {
    with(&shell, |c| c.sync_status())
}

/// Asks the background sync for a pass now; progress and the new status
/// arrive as `sync-progress` and `sync-status` events.
#[tauri::command]
pub async fn sync_now(shell: State<'_, Shell>) -> Reply<()> {
    shell.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn sync_attention(shell: State<'_, Shell>) -> Reply<Vec<AttentionItem>> {
    with(&shell, |c| c.sync_attention())
}

#[tauri::command]
pub async fn sync_set_aside(shell: State<'_, Shell>) -> Reply<Vec<SetAside>> {
    with(&shell, |c| c.sync_set_aside())
}

#[tauri::command]
pub async fn sync_conflicts(shell: State<'_, Shell>) -> Reply<Vec<FieldConflict>> {
    with(&shell, |c| c.sync_conflicts())
}

#[tauri::command]
pub async fn resolve_conflicts(shell: State<'_, Shell>, req: ResolveRequest) -> Reply<()> {
    with(&shell, |c| c.resolve_conflicts(req))?;
    shell.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn retry_sync(shell: State<'_, Shell>, entity: Entity, id: String) -> Reply<()> {
    with(&shell, |c| c.retry_sync(entity, &id).map(|_| ()))?;
    shell.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn platform_setup(shell: State<'_, Shell>) -> Reply<PlatformSetup> {
    with(&shell, |c| c.platform_setup())
}

#[tauri::command]
pub async fn set_platform_setup(shell: State<'_, Shell>, req: PlatformSetup) -> Reply<PlatformSetup> {
    let saved = with(&shell, |c| c.set_platform_setup(req))?;
    shell.sync_now();
    Ok(saved)
}

#[tauri::command]
pub async fn sync_outside(shell: State<'_, Shell>) -> Reply<Vec<ResidentSummary>> {
    with(&shell, |c| c.outside_catchment())
}
