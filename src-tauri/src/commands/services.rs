//! Service records: prefill, proposals, saving, the timeline and history.

use tauri::State;
use vhr_app::{AddServiceRequest, SavedService, TimelineEntry, UpdateServiceRequest};
use vhr_domain::forms::FormValues;
use vhr_domain::programs::Proposal;
use vhr_store::{HistoryEntry, ServiceRecord};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn prefill_form(shell: State<'_, Shell>, resident_id: String, form_id: String) -> Reply<FormValues> {
    with(&shell, |c| c.prefill(&resident_id, &form_id))
}

#[tauri::command]
pub async fn propose_followup(
    shell: State<'_, Shell>,
    resident_id: String,
    form_id: String,
    values: FormValues,
) -> Reply<Option<Proposal>> {
    with(&shell, |c| c.propose(&resident_id, &form_id, &values))
}

#[tauri::command]
pub async fn add_service(shell: State<'_, Shell>, req: AddServiceRequest) -> Reply<SavedService> {
    with(&shell, |c| c.add_service(req))
}

#[tauri::command]
pub async fn timeline(shell: State<'_, Shell>, resident_id: String) -> Reply<Vec<TimelineEntry>> {
    with(&shell, |c| c.timeline(&resident_id))
}

#[tauri::command]
pub async fn service_history(shell: State<'_, Shell>, id: String) -> Reply<Vec<HistoryEntry>> {
    with(&shell, |c| c.service_history(&id))
}

#[tauri::command]
pub async fn get_service(shell: State<'_, Shell>, id: String) -> Reply<ServiceRecord> {
    with(&shell, |c| c.service(&id))
}

#[tauri::command]
pub async fn update_service(shell: State<'_, Shell>, req: UpdateServiceRequest) -> Reply<SavedService> {
    with(&shell, |c| c.update_service(req))
}
