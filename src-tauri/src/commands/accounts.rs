//! Set-up (the demo clinic too), signing in and out, and what the window
//! needs at start.

use tauri::{Emitter, State};
use vhr_app::{AppState, SessionInfo, SetupRequest};

use super::{with, Reply};
use crate::Shell;

#[tauri::command]
pub async fn app_state(shell: State<'_, Shell>) -> Reply<AppState> {
    with(&shell, |c| c.app_state(env!("CARGO_PKG_VERSION")))
}

/// The signed-in user's own phone, printed on their residents' cards.
#[tauri::command]
pub async fn set_my_phone(shell: State<'_, Shell>, phone: String) -> Reply<vhr_store::User> {
    with(&shell, |c| c.set_my_phone(&phone))
}

#[tauri::command]
pub async fn setup(shell: State<'_, Shell>, req: SetupRequest) -> Reply<SessionInfo> {
    with(&shell, |c| c.setup(req))
}

/// Sets up the demo clinic and fills it, telling the UI how far it got.
#[tauri::command]
pub async fn setup_demo<R: tauri::Runtime>(app: tauri::AppHandle<R>, shell: State<'_, Shell>, residents: usize) -> Reply<SessionInfo> {
    with(&shell, |c| {
        let session = c.setup(vhr_app::demo_setup())?;
        c.load_demo(residents, 20261121, 1, &mut |done, total| {
            let _ = app.emit("demo-progress", (done, total));
        })?;
        Ok(session)
    })
}

#[tauri::command]
pub async fn sign_in(shell: State<'_, Shell>, username: String, password: String) -> Reply<SessionInfo> {
    with(&shell, |c| {
        let session = c.sign_in(&username, &password)?;
        c.prepare_worklist();
        Ok(session)
    })
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Reply<()> {
    with(&shell, |c| {
        c.sign_out();
        Ok(())
    })
}
