//! The workbench's numbers.

use tauri::State;
use vhr_app::Overview;

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn overview(shell: State<'_, Shell>) -> Reply<Overview> {
    with(&shell, |c| c.overview())
}
