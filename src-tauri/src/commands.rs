//! The commands the UI invokes. Each is a few lines: lock the clinic, call
//! one use case, turn its error into a `WireError`.

use std::sync::atomic::Ordering;

use tauri::{Emitter, State};
use vhr_app::{AddServiceRequest, SavedService, TimelineEntry, UpdateServiceRequest, WorkItem};
use vhr_app::{
    AppState, Clinic, Error, Overview, RegisterRequest, ResidentView, Saved, SearchRequest, SessionInfo, SetupRequest, UpdateRequest,
    WireError,
};
use vhr_app::{CardSize, CardsRequest, EndProgramRequest, EnrolRequest, ProgramStatus, SavedPrint};
use vhr_app::{PlatformSetup, ResolveRequest, SyncStatus};
use vhr_domain::card::CardData;
use vhr_domain::forms::{FormRegistry, FormValues};
use vhr_domain::i18n::Lang;
use vhr_domain::id_card::{self, CitizenId};
use vhr_domain::problem::Problem;
use vhr_domain::programs::Proposal;
use vhr_domain::resident::Membership;
use vhr_store::{AttentionItem, FieldConflict};
use vhr_store::{EpisodeRecord, HistoryEntry, Household, HouseholdSummary, PrintEntry, ResidentSummary, ServiceRecord};

use crate::Shell;

type Reply<T> = Result<T, WireError>;

/// Runs `f` on the clinic and reports errors in the user's language.
fn with<T>(shell: &State<'_, Shell>, f: impl FnOnce(&mut Clinic) -> Result<T, Error>) -> Reply<T> {
    let mut clinic = shell.clinic.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let lang = clinic.language().unwrap_or_default();
    f(&mut clinic).map_err(|e| e.to_wire(lang))
}

#[tauri::command]
pub async fn app_state(shell: State<'_, Shell>) -> Reply<AppState> {
    with(&shell, |c| c.app_state(env!("CARGO_PKG_VERSION")))
}

#[tauri::command]
pub async fn setup(shell: State<'_, Shell>, req: SetupRequest) -> Reply<SessionInfo> {
    with(&shell, |c| c.setup(req))
}

/// Sets up the demo clinic and fills it, telling the UI how far it got.
#[tauri::command]
pub async fn setup_demo(app: tauri::AppHandle, shell: State<'_, Shell>, residents: usize) -> Reply<SessionInfo> {
    with(&shell, |c| {
        let session = c.setup(vhr_app::demo_setup())?;
        c.load_demo(residents, 20261121, &mut |done, total| {
            let _ = app.emit("demo-progress", (done, total));
        })?;
        Ok(session)
    })
}

#[tauri::command]
pub async fn sign_in(shell: State<'_, Shell>, username: String, password: String) -> Reply<SessionInfo> {
    with(&shell, |c| c.sign_in(&username, &password))
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Reply<()> {
    with(&shell, |c| {
        c.sign_out();
        Ok(())
    })
}

#[tauri::command]
pub async fn set_language(shell: State<'_, Shell>, lang: Lang) -> Reply<()> {
    with(&shell, |c| c.set_language(lang))
}

#[tauri::command]
pub async fn form_registry(shell: State<'_, Shell>) -> Reply<FormRegistry> {
    with(&shell, |c| Ok(c.forms().clone()))
}

/// Reads an ID number as typed, for prefilling sex and birth date.
#[tauri::command]
pub async fn parse_id_number(shell: State<'_, Shell>, number: String) -> Reply<Result<CitizenId, Problem>> {
    with(&shell, |c| {
        Ok(id_card::parse(&number, c.today()).map_err(|e| {
            let (zh, en) = e.messages();
            Problem::error("id_document.number", e.code(), zh, en)
        }))
    })
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
pub async fn overview(shell: State<'_, Shell>) -> Reply<Overview> {
    with(&shell, |c| c.overview())
}

#[tauri::command]
pub async fn search_residents(shell: State<'_, Shell>, req: SearchRequest) -> Reply<Vec<ResidentSummary>> {
    with(&shell, |c| c.search(&req))
}

#[tauri::command]
pub async fn resident_history(shell: State<'_, Shell>, key: String) -> Reply<Vec<HistoryEntry>> {
    with(&shell, |c| c.history(&key))
}

#[tauri::command]
pub async fn create_household(shell: State<'_, Shell>, village_code: String, address: String) -> Reply<Household> {
    with(&shell, |c| c.create_household(&village_code, &address))
}

#[tauri::command]
pub async fn get_household(shell: State<'_, Shell>, id: String) -> Reply<Household> {
    with(&shell, |c| c.household(&id))
}

#[tauri::command]
pub async fn list_households(shell: State<'_, Shell>, village: Option<String>, query: String) -> Reply<Vec<HouseholdSummary>> {
    with(&shell, |c| c.households(village.as_deref(), &query))
}

#[tauri::command]
pub async fn set_membership(
    shell: State<'_, Shell>,
    resident_id: String,
    expected_version: i64,
    membership: Option<Membership>,
) -> Reply<ResidentView> {
    with(&shell, |c| c.set_membership(&resident_id, expected_version, membership))
}

#[tauri::command]
pub async fn worklist(shell: State<'_, Shell>, date: Option<String>, village: Option<String>) -> Reply<Vec<WorkItem>> {
    with(&shell, |c| {
        let day = match date.as_deref() {
            Some(d) => {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| Error::NotFound { entity: "date".into(), id: d.into() })?
            }
            None => c.today(),
        };
        c.worklist(day, village.as_deref())
    })
}

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

#[tauri::command]
pub async fn forms_for(shell: State<'_, Shell>, resident_id: String) -> Reply<Vec<String>> {
    with(&shell, |c| c.forms_for(&resident_id))
}

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
pub async fn print_cards(app: tauri::AppHandle, shell: State<'_, Shell>, req: CardsRequest) -> Reply<SavedPrint> {
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

#[tauri::command]
pub async fn sync_status(shell: State<'_, Shell>) -> Reply<SyncStatus> {
    with(&shell, |c| c.sync_status())
}

/// Asks the background sync for a pass now; progress and the new status
/// arrive as `sync-progress` and `sync-status` events.
#[tauri::command]
pub async fn sync_now(worker: State<'_, vhr_app::background::SyncWorker>) -> Reply<()> {
    worker.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn sync_attention(shell: State<'_, Shell>) -> Reply<Vec<AttentionItem>> {
    with(&shell, |c| c.sync_attention())
}

#[tauri::command]
pub async fn sync_conflicts(shell: State<'_, Shell>) -> Reply<Vec<FieldConflict>> {
    with(&shell, |c| c.sync_conflicts())
}

#[tauri::command]
pub async fn resolve_conflicts(
    shell: State<'_, Shell>,
    worker: State<'_, vhr_app::background::SyncWorker>,
    req: ResolveRequest,
) -> Reply<()> {
    with(&shell, |c| c.resolve_conflicts(req))?;
    worker.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn retry_sync(
    shell: State<'_, Shell>,
    worker: State<'_, vhr_app::background::SyncWorker>,
    entity: String,
    id: String,
) -> Reply<()> {
    with(&shell, |c| c.retry_sync(&entity, &id).map(|_| ()))?;
    worker.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn platform_setup(shell: State<'_, Shell>) -> Reply<PlatformSetup> {
    with(&shell, |c| c.platform_setup())
}

#[tauri::command]
pub async fn set_platform_setup(
    shell: State<'_, Shell>,
    worker: State<'_, vhr_app::background::SyncWorker>,
    req: PlatformSetup,
) -> Reply<PlatformSetup> {
    let saved = with(&shell, |c| c.set_platform_setup(req))?;
    worker.sync_now();
    Ok(saved)
}

#[tauri::command]
pub async fn sync_outside(shell: State<'_, Shell>) -> Reply<Vec<ResidentSummary>> {
    with(&shell, |c| c.outside_catchment())
}
