//! Residents: reading an ID number as typed, registering, editing, finding,
//! history.

use tauri::State;
use vhr_app::{RegisterRequest, ResidentView, Saved, SearchRequest, UpdateRequest};
use vhr_domain::id_card::CitizenId;
use vhr_domain::problem::Problem;
use vhr_store::{HistoryEntry, ResidentSummary};

use super::{with, Reply};
use crate::Shell;

/// Reads an ID number as typed, for prefilling sex and birth date.
#[tauri::command]
pub async fn parse_id_number(shell: State<'_, Shell>, number: String) -> Reply<Result<CitizenId, Problem>> {
    with(&shell, |c| Ok(c.read_id_number(&number)))
}

#[tauri::command]
pub async fn register_resident(shell: State<'_, Shell>, req: RegisterRequest) -> Reply<Saved> {
    with(&shell, |c| c.register(req))
}

#[tauri::command]
pub async fn update_resident(shell: State<'_, Shell>, req: UpdateRequest) -> Reply<Saved> {
    with(&shell, |c| c.update(req))
}

#[tauri::command]
pub async fn get_resident(shell: State<'_, Shell>, key: String) -> Reply<ResidentView> {
    with(&shell, |c| c.resident(&key))
}

#[tauri::command]
pub async fn search_residents(shell: State<'_, Shell>, req: SearchRequest) -> Reply<Vec<ResidentSummary>> {
    with(&shell, |c| c.search(&req))
}

#[tauri::command]
pub async fn resident_history(shell: State<'_, Shell>, key: String) -> Reply<Vec<HistoryEntry>> {
    with(&shell, |c| c.history(&key))
}
