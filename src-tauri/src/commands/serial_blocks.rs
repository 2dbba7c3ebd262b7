//! Record numbers per village: what is left, the warnings, a new block.

use tauri::State;
use vhr_app::AddBlockRequest;
use vhr_store::{Renumbered, VillageSerials};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn village_serials(shell: State<'_, Shell>) -> Reply<Vec<VillageSerials>> {
    with(&shell, |c| c.village_serials())
}

#[tauri::command]
pub async fn serial_warnings(shell: State<'_, Shell>) -> Reply<Vec<VillageSerials>> {
    with(&shell, |c| c.serial_warnings())
}

#[tauri::command]
pub async fn add_serial_block(shell: State<'_, Shell>, req: AddBlockRequest) -> Reply<Vec<Renumbered>> {
    with(&shell, |c| c.add_serial_block(req))
}
