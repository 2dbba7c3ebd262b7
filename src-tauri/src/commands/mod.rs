//! The commands the UI invokes, one file per feature as in `vhr-app`. Each
//! command is a few lines: lock the clinic, call one use case, turn its
//! error into a `WireError` in the user's language.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod closure;
pub mod drafts;
pub mod forms;
pub mod handover;
pub mod households;
pub mod overview;
pub mod printing;
pub mod programs;
pub mod residents;
pub mod serial_blocks;
pub mod services;
pub mod settings;
pub mod sync;
pub mod transfer;
pub mod worklist;

use tauri::State;
use vhr_app::{Clinic, Desk, Error, WireError};

use crate::Shell;

type Reply<T> = Result<T, WireError>;

/// Runs `f` on the signed-in clinic (or answers `not_signed_in`) and reports
/// errors in the user's language; a panic inside becomes an `internal`
/// error (logged by where it happened), never a window left waiting.
#[track_caller]
fn with<T>(shell: &State<'_, Shell>, f: impl FnOnce(&mut Clinic) -> Result<T, Error>) -> Reply<T> {
    let caller = std::panic::Location::caller();
    with_desk_at(shell, caller, |desk| f(desk.clinic()?))
}

/// Runs `f` on the window's session itself: signing in and out, setup, the language.
#[track_caller]
fn with_desk<T>(shell: &State<'_, Shell>, f: impl FnOnce(&mut Desk) -> Result<T, Error>) -> Reply<T> {
    with_desk_at(shell, std::panic::Location::caller(), f)
}

fn with_desk_at<T>(
    shell: &State<'_, Shell>,
    caller: &'static std::panic::Location<'static>,
    f: impl FnOnce(&mut Desk) -> Result<T, Error>,
) -> Reply<T> {
    let mut opened = shell.desk.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let desk = opened.as_mut().map_err(|why| why.clone())?;
    let out = vhr_app::log::guarded(caller, || f(desk));
    let lang = desk.language();
    out.map_err(|e| e.to_wire(lang))
}
