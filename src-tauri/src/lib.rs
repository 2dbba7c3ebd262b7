//! The desktop shell: a thin Tauri layer over `vhr-app`.
//!
//! Each command takes its arguments, calls one use case and returns its result
//! or a `{code, message, problems?, resident_id?}` error in the user's
//! language. No rule lives here; the CLI runs the same rules through the same
//! crate.

mod commands;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use tauri::{Emitter, Manager};
use vhr_app::background::{SyncEvent, SyncWorker};
use vhr_app::{paths, Clinic, Env};

/// The one open clinic, shared by every command, and the flag that stops a
/// batch print (set without waiting for the clinic, which the batch holds).
pub struct Shell {
    clinic: Mutex<Clinic>,
    cancel_print: AtomicBool,
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

pub fn run() {
    let dir = paths::data_dir(data_dir_arg());
    let clinic = match Clinic::open(&dir, Env::system()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("无法打开数据文件夹 / cannot open the data folder {}: {e}", dir.display());
            std::process::exit(3);
        }
    };
    tauri::Builder::default()
        .manage(Shell { clinic: Mutex::new(clinic), cancel_print: AtomicBool::new(false) })
        .setup(move |app| {
            // Sync runs beside the window on its own connection, so a slow
            // platform never holds up the doctor.
            let handle = app.handle().clone();
            let worker = SyncWorker::start(dir, move |event| {
                let _ = match event {
                    SyncEvent::Progress(p) => handle.emit("sync-progress", p),
                    SyncEvent::Finished(r) => handle.emit("sync-finished", r),
                    SyncEvent::Status(s) => handle.emit("sync-status", s),
                };
            });
            app.manage(worker);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::setup,
            commands::setup_demo,
            commands::sign_in,
            commands::sign_out,
            commands::set_language,
            commands::form_registry,
            commands::parse_id_number,
            commands::register_resident,
            commands::update_resident,
            commands::get_resident,
            commands::overview,
            commands::search_residents,
            commands::resident_history,
            commands::create_household,
            commands::get_household,
            commands::list_households,
            commands::set_membership,
            commands::worklist,
            commands::prefill_form,
            commands::propose_followup,
            commands::add_service,
            commands::timeline,
            commands::service_history,
            commands::get_service,
            commands::update_service,
            commands::programs_of,
            commands::enrol,
            commands::end_program,
            commands::episode_history,
            commands::forms_for,
            commands::card_of,
            commands::print_card,
            commands::print_cards,
            commands::cancel_print,
            commands::print_form,
            commands::print_basic_info,
            commands::card_size,
            commands::set_card_size,
            commands::prints_of,
            commands::open_path,
            commands::sync_status,
            commands::sync_now,
            commands::sync_attention,
            commands::sync_conflicts,
            commands::sync_outside,
            commands::resolve_conflicts,
            commands::retry_sync,
            commands::platform_setup,
            commands::set_platform_setup,
        ])
        .run(tauri::generate_context!())
        .expect("the desktop window could not start");
}
