//! Programmes: status, registration, ending, episode history.

use tauri::State;
use vhr_app::{EndProgramRequest, EnrolRequest, ProgramStatus};
use vhr_store::{EpisodeRecord, HistoryEntry};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn programs_of(shell: State<'_, Shell>, resident_id: String) -> Reply<Vec<ProgramStatus>> {
    with(&shell, |c| c.programs_of(&resident_id))
}

#[tauri::command]
pub async fn enrol(shell: State<'_, Shell>, req: EnrolRequest) -> Reply<EpisodeRecord> {
    with(&shell, |c| c.enrol(req))
}

#[tauri::command]
pub async fn end_program(shell: State<'_, Shell>, req: EndProgramRequest) -> Reply<EpisodeRecord> {
    with(&shell, |c| c.end_program(req))
}

#[tauri::command]
pub async fn episode_history(shell: State<'_, Shell>, id: String) -> Reply<Vec<HistoryEntry>> {
    with(&shell, |c| c.episode_history(&id))
}
