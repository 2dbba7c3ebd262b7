//! A record's closure and reopening, and merging a duplicate.

use tauri::State;
use vhr_app::{CloseRequest, Lifecycle, MergePreview, MergeRequest, ReopenRequest};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn close_record(shell: State<'_, Shell>, req: CloseRequest) -> Reply<Lifecycle> {
    with(&shell, |c| c.close_record(req))
}

#[tauri::command]
pub async fn reopen_record(shell: State<'_, Shell>, req: ReopenRequest) -> Reply<Lifecycle> {
    with(&shell, |c| c.reopen_record(req))
}

#[tauri::command]
pub async fn merge_preview(shell: State<'_, Shell>, keep: String, duplicate: String) -> Reply<MergePreview> {
    with(&shell, |c| c.merge_preview(&keep, &duplicate))
}

#[tauri::command]
pub async fn merge_records(shell: State<'_, Shell>, req: MergeRequest) -> Reply<Lifecycle> {
    with(&shell, |c| c.merge_records(req))
}
