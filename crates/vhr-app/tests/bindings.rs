//! The UI's TypeScript types are generated from the Rust types that cross the
//! IPC boundary. This test regenerates them and fails when the committed copy
//! in `ui/src/ipc/bindings/` differs; `UPDATE_BINDINGS=1` rewrites it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t as TS>::export_all(&cfg).expect(concat!("exports ", stringify!($t))); )* };
    }
    export!(
        vhr_app::AppState,
        vhr_app::AuditQuery,
        vhr_store::AuditEntry,
        vhr_store::AuditCheck,
        vhr_store::StoredCheckpoint,
        vhr_app::NewUserRequest,
        vhr_app::SyncStatus,
        vhr_app::SyncReport,
        vhr_app::SyncProgress,
        vhr_app::PlatformSetup,
        vhr_app::ResolveRequest,
        vhr_store::AttentionItem,
        vhr_store::FieldConflict,
        vhr_store::SetAside,
        vhr_store::VillageSerials,
        vhr_store::Renumbered,
        vhr_app::AddBlockRequest,
        vhr_app::Overview,
        vhr_app::AddServiceRequest,
        vhr_app::UpdateServiceRequest,
        vhr_app::SavedService,
        vhr_app::WorkItem,
        vhr_app::WorkQuery,
        vhr_app::WorkPage,
        vhr_app::LogView,
        vhr_app::TimelineEntry,
        vhr_app::ProgramStatus,
        vhr_app::CardsRequest,
        vhr_app::SavedPrint,
        vhr_app::CardSize,
        vhr_domain::card::CardData,
        vhr_store::PrintEntry,
        vhr_app::EnrolRequest,
        vhr_app::EndProgramRequest,
        vhr_app::CloseRequest,
        vhr_app::ReopenRequest,
        vhr_app::Lifecycle,
        vhr_app::MergeRequest,
        vhr_app::MergePreview,
        vhr_app::BackupFile,
        vhr_app::BackupMade,
        vhr_app::RestorePreview,
        vhr_app::Restored,
        vhr_app::TransferOutRequest,
        vhr_app::TransferMade,
        vhr_app::TransferPreview,
        vhr_app::TransferInRequest,
        vhr_app::TransferTaken,
        vhr_app::PlatformTakeIn,
        vhr_app::HandoverMade,
        vhr_app::HandoverTable,
        vhr_app::HandoverSummary,
        vhr_app::HandoverCheck,
        vhr_app::HandoverImportRequest,
        vhr_app::IntegrityResult,
        vhr_store::StatusFilter,
        vhr_app::SetupRequest,
        vhr_app::SessionInfo,
        vhr_app::HouseholdChoice,
        vhr_app::RegisterRequest,
        vhr_app::UpdateRequest,
        vhr_app::SearchRequest,
        vhr_app::ResidentView,
        vhr_app::Saved,
        vhr_app::WireError,
        vhr_store::ResidentSummary,
        vhr_store::HistoryEntry,
        vhr_store::Household,
        vhr_store::HouseholdSummary,
        vhr_domain::forms::FormRegistry,
        vhr_domain::id_card::CitizenId,
        vhr_domain::problem::Problem,
        vhr_domain::resident::Membership,
        vhr_domain::population::Tag,
        vhr_domain::i18n::Lang,
    );
}

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".ts") {
            out.insert(name, std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    out
}

#[test]
fn ui_bindings_match_the_rust_types() {
    let committed: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/bindings");
    let fresh = tempfile::tempdir().unwrap();
    export_all(fresh.path());
    let generated = files(fresh.path());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).unwrap();
        for (name, text) in &generated {
            std::fs::write(committed.join(name), text).unwrap();
        }
    }
    let committed = files(&committed);
    let stale: std::collections::BTreeSet<&String> =
        generated.keys().chain(committed.keys()).filter(|name| generated.get(*name) != committed.get(*name)).collect();
    assert!(
        stale.is_empty(),
        "ui/src/ipc/bindings is stale ({stale:?}): run `UPDATE_BINDINGS=1 cargo test -p vhr-app --test bindings` and commit the result"
    );
}
