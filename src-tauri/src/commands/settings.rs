//! The install's own settings: the language.

use tauri::State;
use vhr_domain::i18n::Lang;

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn set_language(shell: State<'_, Shell>, lang: Lang) -> Reply<()> {
    with(&shell, |c| c.set_language(lang))
}
