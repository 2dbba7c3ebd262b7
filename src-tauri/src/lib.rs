//! The desktop shell: a thin Tauri layer over `vhr-app`.
//!
//! Each command takes its arguments, calls one use case and returns its result
//! or a `{code, message, problems?, resident_id?}` error in the user's
//! language. No rule lives here; the CLI runs the same rules through the same
//! crate.

mod commands;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use tauri::Emitter;
use vhr_app::background::{SyncEvent, SyncWorker};
use vhr_app::{paths, Desk, Env};

/// The window's one session (locked, or a signed-in clinic), shared by
/// every command; the background sync of the signed-in clinic; and the flag
/// that stops a batch print (set without waiting for the clinic, which the
/// batch holds). When the data folder cannot be opened the window still
/// starts, and every command answers with why (`startup_failed`).
pub struct Shell {
    desk: Mutex<Result<Desk, vhr_app::WireError>>,
    sync: Mutex<Option<SyncWorker>>,
    cancel_print: AtomicBool,
    /// Stops long work other than printing: a backup, a handover being
    /// written, checked or taken over.
    pub(crate) cancel_long: AtomicBool,
}

/// Reads `--data-dir DIR` from the command line.
fn data_dir_arg() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(d) = a.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(d));
        }
    }
    None
}

/// Opens the clinic in `dir` for the window. A folder that cannot be opened
/// still gives a shell: every command then answers why (`startup_failed`).
pub fn open_shell(dir: &Path) -> Shell {
    let desk = Desk::open(dir, Env::system()).map_err(|e| {
        tracing::error!(code = e.code(), problem = %e, "cannot open the data folder");
        eprintln!("无法打开数据文件夹 / cannot open the data folder {}: {e}", dir.display());
        vhr_app::startup_failure(dir, &e)
    });
    Shell { desk: Mutex::new(desk), sync: Mutex::new(None), cancel_print: AtomicBool::new(false), cancel_long: AtomicBool::new(false) }
}

impl Shell {
    /// Starts the background sync of the clinic just signed in, on its own
    /// connection, so a slow platform never holds up the doctor.
    fn start_sync<R: tauri::Runtime>(&self, app: &tauri::AppHandle<R>) {
        let handle = app.clone();
        let worker = self.desk.lock().ok().and_then(|mut d| {
            let desk = d.as_mut().ok()?;
            desk.clinic()
                .ok()?
                .start_sync(move |event| {
                    let _ = match event {
                        SyncEvent::Progress(p) => handle.emit("sync-progress", p),
                        SyncEvent::Finished(r) => handle.emit("sync-finished", r),
                        SyncEvent::Status(s) => handle.emit("sync-status", s),
                        SyncEvent::Damaged(r) => handle.emit("database-damaged", r),
                    };
                })
                .map_err(|e| tracing::warn!(code = e.code(), "the background sync did not start"))
                .ok()
        });
        *self.sync.lock().unwrap_or_else(|p| p.into_inner()) = worker;
    }

    /// Stops the background sync (at sign-out: its key leaves memory too).
    fn stop_sync(&self) {
        self.sync.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Asks the background sync for a pass now, when one is running.
    fn sync_now(&self) {
        if let Some(w) = self.sync.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            w.sync_now();
        }
    }
}

/// Every command the window may call: one list, for the window and for the
/// tests that drive the command layer (`tests/commands.rs`).
pub fn commands<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::accounts::app_state,
        commands::accounts::setup,
        commands::accounts::set_my_phone,
        commands::accounts::setup_demo,
        commands::accounts::sign_in,
        commands::accounts::sign_out,
        commands::accounts::recover,
        commands::accounts::change_password,
        commands::accounts::new_recovery_code,
        commands::accounts::list_users,
        commands::accounts::add_user,
        commands::accounts::reset_password,
        commands::accounts::disable_user,
        commands::accounts::set_user_villages,
        commands::accounts::enable_user,
        commands::accounts::user_history,
        commands::audit::record_access_log,
        commands::audit::audit_list,
        commands::audit::audit_verify,
        commands::audit::audit_checkpoints,
        commands::audit::audit_key,
        commands::audit::set_idle_lock_minutes,
        commands::audit::lock,
        commands::audit::unlock,
        commands::drafts::get_draft,
        commands::drafts::keep_draft,
        commands::drafts::forget_draft,
        commands::settings::set_language,
        commands::settings::recent_log,
        commands::settings::export_log,
        commands::serial_blocks::village_serials,
        commands::serial_blocks::serial_warnings,
        commands::serial_blocks::add_serial_block,
        commands::forms::form_registry,
        commands::residents::parse_id_number,
        commands::residents::register_resident,
        commands::residents::update_resident,
        commands::residents::get_resident,
        commands::overview::overview,
        commands::residents::search_residents,
        commands::residents::resident_history,
        commands::households::create_household,
        commands::households::get_household,
        commands::households::list_households,
        commands::households::set_membership,
        commands::worklist::worklist_page,
        commands::services::prefill_form,
        commands::services::propose_followup,
        commands::services::add_service,
        commands::services::timeline,
        commands::services::service_history,
        commands::services::get_service,
        commands::services::update_service,
        commands::programs::programs_of,
        commands::programs::enrol,
        commands::programs::end_program,
        commands::programs::episode_history,
        commands::closure::close_record,
        commands::closure::reopen_record,
        commands::closure::merge_preview,
        commands::closure::merge_records,
        commands::transfer::transfer_out,
        commands::transfer::transfer_preview,
        commands::transfer::transfer_in,
        commands::transfer::platform_transfers,
        commands::transfer::take_in_from_platform,
        commands::handover::handover_export,
        commands::handover::handover_check,
        commands::handover::handover_import,
        commands::handover::cancel_long_work,
        commands::backup::list_backups,
        commands::backup::make_backup,
        commands::backup::inspect_backup,
        commands::backup::restore_preview,
        commands::backup::restore_backup,
        commands::backup::restore_damaged,
        commands::backup::last_integrity_check,
        commands::backup::check_integrity,
        commands::forms::forms_for,
        commands::printing::card_of,
        commands::printing::print_card,
        commands::printing::print_cards,
        commands::printing::cancel_print,
        commands::printing::print_form,
        commands::printing::print_basic_info,
        commands::printing::card_size,
        commands::printing::set_card_size,
        commands::printing::prints_of,
        commands::printing::open_path,
        commands::sync::sync_status,
        commands::sync::sync_now,
        commands::sync::sync_attention,
        commands::sync::sync_conflicts,
        commands::sync::sync_set_aside,
        commands::sync::sync_outside,
        commands::sync::resolve_conflicts,
        commands::sync::retry_sync,
        commands::sync::platform_setup,
        commands::sync::set_platform_setup,
    ]
}

pub fn run() {
    let dir = paths::data_dir(data_dir_arg());
    let _log = vhr_app::log::start(&dir, "desktop");
    let shell = open_shell(&dir);
    tauri::Builder::default()
        .manage(shell)
        .invoke_handler(commands())
        .run(tauri::generate_context!())
        .expect("the desktop window could not start");
}
