//! The install's own settings: the language, and the support log.

use tauri::State;
use vhr_app::LogView;
use vhr_domain::i18n::Lang;

use super::{with, with_desk, Reply};
use crate::Shell;

#[tauri::command]
pub async fn set_language(shell: State<'_, Shell>, lang: Lang) -> Reply<()> {
    with_desk(&shell, |d| d.set_language(lang))
}

#[tauri::command]
pub async fn recent_log(shell: State<'_, Shell>) -> Reply<LogView> {
    with(&shell, |c| c.recent_log(200))
}

#[tauri::command]
pub async fn export_log(shell: State<'_, Shell>) -> Reply<String> {
    with(&shell, |c| c.export_log())
}
