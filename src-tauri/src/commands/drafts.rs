//! Half-typed forms, kept per user in the encrypted store.

use tauri::State;

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn get_draft(shell: State<'_, Shell>, key: String) -> Reply<Option<serde_json::Value>> {
    with(&shell, |c| c.draft(&key))
}

#[tauri::command]
pub async fn keep_draft(shell: State<'_, Shell>, key: String, value: serde_json::Value) -> Reply<()> {
    with(&shell, |c| c.keep_draft(&key, &value))
}

#[tauri::command]
pub async fn forget_draft(shell: State<'_, Shell>, key: String) -> Reply<()> {
    with(&shell, |c| c.forget_draft(&key))
}
