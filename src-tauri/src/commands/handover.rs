//! The handover of the complete set: the archive written (administrators),
//! checked, and taken over by a fresh install on its first start. Long work
//! reports `handover-progress` (done, total); `cancel_long_work` stops it.

use std::path::Path;
use std::sync::atomic::Ordering;

use tauri::{AppHandle, Emitter, Runtime, State};
use vhr_app::{HandoverCheck, HandoverImportRequest, HandoverMade, SessionInfo};

use super::{with, with_desk, Reply};
use crate::Shell;

#[tauri::command]
pub async fn handover_export<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, folder: String) -> Reply<HandoverMade> {
    shell.cancel_long.store(false, Ordering::SeqCst);
    with(&shell, |c| {
        c.handover_export(Path::new(&folder), &mut |done, total| {
            let _ = app.emit("handover-progress", (done, total));
            !shell.cancel_long.load(Ordering::SeqCst)
        })
    })
}

/// What an archive holds, every member checked against its manifest; with
/// the code, its contents and trail too.
#[tauri::command]
pub async fn handover_check<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    path: String,
    code: Option<String>,
) -> Reply<HandoverCheck> {
    shell.cancel_long.store(false, Ordering::SeqCst);
    with_desk(&shell, |_| {
        vhr_app::handover_verify(Path::new(&path), code.as_deref(), &mut |done, total| {
            let _ = app.emit("handover-progress", (done, total));
            !shell.cancel_long.load(Ordering::SeqCst)
        })
    })
}

#[tauri::command]
pub async fn handover_import<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, req: HandoverImportRequest) -> Reply<SessionInfo> {
    shell.cancel_long.store(false, Ordering::SeqCst);
    let session = with_desk(&shell, |d| {
        d.import_handover(req, &mut |done, total| {
            let _ = app.emit("handover-progress", (done, total));
            !shell.cancel_long.load(Ordering::SeqCst)
        })
    })?;
    shell.start_sync(&app);
    Ok(session)
}

/// Stops the long work running: a backup, or a handover written, checked or taken over.
#[tauri::command]
pub async fn cancel_long_work(shell: State<'_, Shell>) -> Reply<()> {
    shell.cancel_long.store(true, Ordering::SeqCst);
    Ok(())
}
