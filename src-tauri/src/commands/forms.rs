//! The form definitions the window renders, and which forms apply to a
//! resident.

use tauri::State;
use vhr_domain::forms::FormRegistry;

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn form_registry(shell: State<'_, Shell>) -> Reply<FormRegistry> {
    with(&shell, |c| Ok(c.forms().clone()))
}

#[tauri::command]
pub async fn forms_for(shell: State<'_, Shell>, resident_id: String) -> Reply<Vec<String>> {
    with(&shell, |c| c.forms_for(&resident_id))
}
