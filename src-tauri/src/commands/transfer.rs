//! A record that follows its resident to another institution: the transfer
//! file written, shown and taken in; and records moved here through the
//! platform, waiting to be taken in.

use tauri::State;
use vhr_app::{PlatformTakeIn, ResidentView, TransferInRequest, TransferMade, TransferOutRequest, TransferPreview, TransferTaken};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn transfer_out(shell: State<'_, Shell>, req: TransferOutRequest) -> Reply<TransferMade> {
    with(&shell, |c| c.transfer_out(req))
}

#[tauri::command]
pub async fn transfer_preview(shell: State<'_, Shell>, path: String, code: String) -> Reply<TransferPreview> {
    with(&shell, |c| c.transfer_preview(std::path::Path::new(&path), &code))
}

#[tauri::command]
pub async fn transfer_in(shell: State<'_, Shell>, req: TransferInRequest) -> Reply<TransferTaken> {
    with(&shell, |c| c.transfer_in(req))
}

#[tauri::command]
pub async fn platform_transfers(shell: State<'_, Shell>) -> Reply<Vec<ResidentView>> {
    with(&shell, |c| c.platform_transfers())
}

#[tauri::command]
pub async fn take_in_from_platform(shell: State<'_, Shell>, req: PlatformTakeIn) -> Reply<TransferTaken> {
    with(&shell, |c| c.take_in_from_platform(req))
}
