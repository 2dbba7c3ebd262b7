//! The work list, a screen of one view at a time.

use tauri::State;
use vhr_app::{WorkPage, WorkQuery};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn worklist_page(shell: State<'_, Shell>, query: WorkQuery) -> Reply<WorkPage> {
    with(&shell, |c| c.worklist_page(&query))
}
