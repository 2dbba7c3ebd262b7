//! Printing: cards and forms as PDF (a batch reports progress and can be
//! cancelled), the print log, the card size, and opening a PDF in the system
//! viewer.

use std::sync::atomic::Ordering;

use tauri::{Emitter, State};
use vhr_app::{CardSize, CardsRequest, SavedPrint, WireError};
use vhr_domain::card::CardData;
use vhr_store::PrintEntry;

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn card_of(shell: State<'_, Shell>, resident_id: String) -> Reply<CardData> {
    with(&shell, |c| c.card(&resident_id))
}

#[tauri::command]
pub async fn print_card(shell: State<'_, Shell>, resident_id: String) -> Reply<SavedPrint> {
    with(&shell, |c| {
        let printed = c.print_cards(&CardsRequest::Residents { ids: vec![resident_id] }, &mut |_, _| true)?;
        c.save_print(&printed)
    })
}

/// A batch of cards, reporting `print-progress` (done, total); `cancel_print` stops it.
#[tauri::command]
pub async fn print_cards<R: tauri::Runtime>(app: tauri::AppHandle<R>, shell: State<'_, Shell>, req: CardsRequest) -> Reply<SavedPrint> {
    shell.cancel_print.store(false, Ordering::SeqCst);
    with(&shell, |c| {
        let printed = c.print_cards(&req, &mut |done, total| {
            let _ = app.emit("print-progress", (done, total));
            !shell.cancel_print.load(Ordering::SeqCst)
        })?;
        c.save_print(&printed)
    })
}

#[tauri::command]
pub async fn cancel_print(shell: State<'_, Shell>) -> Reply<()> {
    shell.cancel_print.store(true, Ordering::SeqCst);
    Ok(())
}

#[tauri::command]
pub async fn print_form(shell: State<'_, Shell>, record_id: String) -> Reply<SavedPrint> {
    with(&shell, |c| {
        let printed = c.print_form(&record_id)?;
        c.save_print(&printed)
    })
}

#[tauri::command]
pub async fn prints_of(shell: State<'_, Shell>, resident_id: String) -> Reply<Vec<PrintEntry>> {
    with(&shell, |c| c.prints_of(&resident_id))
}

/// Opens a printed PDF in the system's viewer, from which it is printed.
#[tauri::command]
pub async fn open_path(path: String) -> Reply<()> {
    let opener = if cfg!(windows) { ("cmd", vec!["/c", "start", "", path.as_str()]) } else { ("xdg-open", vec![path.as_str()]) };
    std::process::Command::new(opener.0).args(&opener.1).spawn().map(|_| ()).map_err(|e| WireError {
        code: "open".into(),
        message: format!("无法打开 {path}：{e}"),
        problems: vec![],
        resident_id: None,
    })
}

#[tauri::command]
pub async fn print_basic_info(shell: State<'_, Shell>, resident_id: String) -> Reply<SavedPrint> {
    with(&shell, |c| {
        let printed = c.print_basic_info(&resident_id)?;
        c.save_print(&printed)
    })
}

#[tauri::command]
pub async fn card_size(shell: State<'_, Shell>) -> Reply<CardSize> {
    with(&shell, |c| c.card_size())
}

#[tauri::command]
pub async fn set_card_size(shell: State<'_, Shell>, size: CardSize) -> Reply<CardSize> {
    with(&shell, |c| {
        c.set_card_size(size.width_mm, size.height_mm)?;
        c.card_size()
    })
}
