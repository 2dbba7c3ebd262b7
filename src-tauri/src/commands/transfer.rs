//! A record that follows its resident to another institution: the transfer
//! file written, shown and taken in.

use tauri::State;
use vhr_app::{TransferInRequest, TransferMade, TransferOutRequest, TransferPreview, TransferTaken};

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
