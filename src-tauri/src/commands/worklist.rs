//! The work list.

use tauri::State;
use vhr_app::WorkItem;

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn worklist(shell: State<'_, Shell>, date: Option<String>, village: Option<String>) -> Reply<Vec<WorkItem>> {
    with(&shell, |c| c.worklist_on(date.as_deref(), village.as_deref()))
}
