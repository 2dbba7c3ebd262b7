//! The clinic's use cases, one module per feature. The CLI and the desktop
//! shell both call this crate and nothing below it, so the two behave the
//! same; it has no Tauri dependency.
//!
//! This file is the hub: [`Clinic`] (an open install), [`Env`] (the clock
//! and id source it is given), opening, and the re-exports. Time and new ids
//! come from the [`Env`]; the data folder is chosen by the caller (see
//! [`paths`]). ARCHITECTURE.md's code map names every feature's file.

mod accounts;
mod audit;
pub mod background;
mod backup;
mod closure;
mod demo;
mod drafts;
pub mod env;
mod error;
mod export;
pub mod forms;
mod handover;
mod households;
mod keys;
pub mod log;
mod overview;
pub mod paths;
mod printing;
mod programs;
mod residents;
mod restore;
mod serial_blocks;
mod services;
mod settings;
mod sync;
mod transfer;
mod worklist;

use std::path::{Path, PathBuf};

use vhr_domain::clinic::ClinicProfile;
use vhr_domain::forms::FormRegistry;
use vhr_domain::problem::{has_errors, Problem};
use vhr_domain::time::Moment;
use vhr_store::{Actor, Store};

pub use accounts::{AppState, Desk, Install, NewUserRequest, SessionInfo, SetupRequest};
pub use audit::AuditQuery;
pub use backup::{BackupFile, BackupMade, IntegrityResult, BACKUPS_DIR, DAILY_KEPT};
pub use closure::{CloseRequest, Lifecycle, MergePreview, MergeRequest, ProposedClosure, ReopenRequest};
pub use demo::demo_setup;
pub use env::{Clock, FixedClock, IdSource, RandomIds, SequentialIds, SystemClock};
pub use error::{startup_failure, Error, WireError};
pub use export::{ExportFile, ExportSummary};
pub use handover::{
    handover_summary, handover_unpack, handover_verify, HandoverCheck, HandoverImportRequest, HandoverMade, HandoverSummary, HandoverTable,
    HANDOVER_EXT,
};
pub use overview::{Overview, TagCount};
pub use printing::{CardSize, CardsRequest, Printed, SavedPrint};
pub use programs::{EndProgramRequest, EnrolRequest, ProgramStatus};
pub use residents::{HouseholdChoice, RegisterRequest, ResidentView, Saved, SearchRequest, UpdateRequest};
pub use restore::{RestorePreview, Restored};
pub use serial_blocks::AddBlockRequest;
pub use services::{AddServiceRequest, SavedService, TimelineEntry, UpdateServiceRequest};
pub use settings::LogView;
pub use sync::{ConflictChoice, PlatformSetup, Prepared, ResolveRequest, SyncCounts, SyncProgress, SyncReport, SyncSettings, SyncStatus};
pub use transfer::{PlatformTakeIn, TransferInRequest, TransferMade, TransferOutRequest, TransferPreview, TransferTaken, TRANSFER_EXT};
pub use vhr_store::{BackupSummary, IntegrityDepth};
pub use worklist::{WorkItem, WorkPage, WorkQuery};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The database file inside a data folder.
pub const DB_FILE: &str = "village-health.db";

/// The world outside the use cases.
#[derive(Clone)]
pub struct Env {
    pub clock: std::sync::Arc<dyn Clock>,
    pub ids: std::sync::Arc<dyn IdSource>,
}

impl Env {
    pub fn system() -> Env {
        Env { clock: std::sync::Arc::new(SystemClock), ids: std::sync::Arc::new(RandomIds) }
    }
}

/// An open clinic install: its store, form definitions and the signed-in user.
pub struct Clinic {
    pub(crate) store: Store,
    pub(crate) forms: FormRegistry,
    pub(crate) env: Env,
    pub(crate) program_config: vhr_domain::programs::ProgramConfig,
    pub(crate) actor: Option<Actor>,
    /// The work list's day, kept between requests (see [`worklist::DayLines`]).
    pub(crate) day_lines: std::cell::RefCell<Option<worklist::DayLines>>,
    /// What was wrong in the install's configuration when it opened, and
    /// what the clinic does instead (it keeps running).
    pub(crate) startup_problems: Vec<Error>,
    data_dir: PathBuf,
    /// The key the database was opened with, to seal it for a new password.
    pub(crate) key: vhr_store::DatabaseKey,
    /// The install file as this session last wrote it.
    pub(crate) keys: keys::InstallFile,
    /// A new recovery code not yet shown to the user (see [`SessionInfo`]).
    pub(crate) recovery_code: Option<String>,
}

impl Clinic {
    /// Opens the clinic whose data lives in `data_dir` with the database key
    /// a password unsealed ([`Install`]); nobody is signed in yet.
    pub(crate) fn open(data_dir: &Path, env: Env, key: vhr_store::DatabaseKey, keys: keys::InstallFile) -> Result<Clinic> {
        let mut store = Store::open(&data_dir.join(DB_FILE), &key)?;
        let mut startup_problems = Vec::new();
        let forms_dir = data_dir.join("forms");
        let forms = match forms::load(Some(&forms_dir)) {
            Ok(forms) => forms,
            // A province's replacement form file that is wrong: the national
            // forms stand in, and the window says which file to fix.
            Err(Error::Forms(why)) => {
                let problem = vhr_domain::problem::Problem::error(
                    "forms",
                    "config.form",
                    format!("表单文件有错误，暂用国家标准表单：{why}"),
                    format!("A form file is wrong; the national forms are used meanwhile: {why}"),
                );
                let e = Error::Config { file: forms_dir.display().to_string(), problems: vec![problem] };
                tracing::warn!(code = e.code(), problem = %why, "form files refused");
                startup_problems.push(e);
                forms::load(None)?
            }
            Err(e) => return Err(e),
        };
        let cfg = match settings::program_config(data_dir) {
            Ok(cfg) => {
                store.apply_program_config(&cfg)?;
                cfg
            }
            // A hand-edited programs.json that is wrong: the clinic keeps the
            // thresholds last in force (or the spec's) and says what to fix.
            Err(e @ Error::Config { .. }) => {
                tracing::warn!(code = e.code(), problem = %e, "configuration refused");
                startup_problems.push(e);
                settings::program_config_in_force(&store)?
            }
            Err(e) => return Err(e),
        };
        Ok(Clinic {
            store,
            forms,
            env,
            program_config: cfg,
            actor: None,
            day_lines: Default::default(),
            startup_problems,
            data_dir: data_dir.to_path_buf(),
            key,
            keys,
            recovery_code: None,
        })
    }

    /// What was wrong in the configuration when the clinic opened (shown at
    /// the top of the window and by the CLI), each saying what to fix and where.
    pub fn startup_problems(&self) -> &[Error] {
        &self.startup_problems
    }

    /// A second connection to this clinic for the background sync, with the
    /// same key and a small page cache (it streams the outbox and the
    /// platform's pages). Nobody is signed in on it.
    pub(crate) fn open_for_sync(&self) -> Result<Clinic> {
        let clinic = Clinic::open(&self.data_dir, self.env.clone(), self.key.clone(), self.keys.clone())?;
        clinic.store.use_small_cache()?;
        Ok(clinic)
    }

    /// Starts the background sync on its own connection to this clinic.
    pub fn start_sync(&self, on_event: impl Fn(background::SyncEvent) + Send + 'static) -> Result<background::SyncWorker> {
        Ok(background::SyncWorker::start(self.open_for_sync()?, on_event))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn forms(&self) -> &FormRegistry {
        &self.forms
    }

    /// The clinic's calendar day, from the app's clock in the install's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.env.clock.today()
    }

    /// Now, as the clinic lives it: the instant and the local day.
    pub(crate) fn now(&self) -> Moment {
        self.env.clock.now()
    }

    pub fn profile(&self) -> Result<Option<ClinicProfile>> {
        Ok(self.store.clinic()?)
    }

    pub(crate) fn profile_required(&self) -> Result<ClinicProfile> {
        self.store.clinic()?.ok_or(Error::NotSetUp)
    }

    pub(crate) fn actor(&self) -> Result<&Actor> {
        self.actor.as_ref().ok_or(Error::NotSignedIn)
    }

    pub(crate) fn gate(problems: Vec<Problem>, confirm: bool) -> Result<Vec<Problem>> {
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        if !problems.is_empty() && !confirm {
            return Err(Error::NeedsConfirmation(problems));
        }
        Ok(problems)
    }
}
