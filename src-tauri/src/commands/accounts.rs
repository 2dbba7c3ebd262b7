//! Set-up (the demo clinic too), signing in and out, recovery, what the
//! window needs at start, and the administrator's work on accounts.

use tauri::{AppHandle, Emitter, Runtime, State};
use vhr_app::{AppState, NewUserRequest, SessionInfo, SetupRequest};
use vhr_store::{HistoryEntry, User};

use super::{with, with_desk, Reply};
use crate::Shell;

#[tauri::command]
pub async fn app_state(shell: State<'_, Shell>) -> Reply<AppState> {
    with_desk(&shell, |d| d.app_state(env!("CARGO_PKG_VERSION")))
}

/// The signed-in user's own phone, printed on their residents' cards.
#[tauri::command]
pub async fn set_my_phone(shell: State<'_, Shell>, phone: String) -> Reply<User> {
    with(&shell, |c| c.set_my_phone(&phone))
}

#[tauri::command]
pub async fn setup<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, req: SetupRequest) -> Reply<SessionInfo> {
    let session = with_desk(&shell, |d| d.setup(req))?;
    shell.start_sync(&app);
    Ok(session)
}

/// Sets up the demo clinic and fills it, telling the UI how far it got.
#[tauri::command]
pub async fn setup_demo<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, residents: usize) -> Reply<SessionInfo> {
    let session = with_desk(&shell, |d| {
        let session = d.setup(vhr_app::demo_setup())?;
        d.clinic()?.load_demo(residents, 20261121, 1, &mut |done, total| {
            let _ = app.emit("demo-progress", (done, total));
        })?;
        Ok(session)
    })?;
    shell.start_sync(&app);
    Ok(session)
}

#[tauri::command]
pub async fn sign_in<R: Runtime>(app: AppHandle<R>, shell: State<'_, Shell>, username: String, password: String) -> Reply<SessionInfo> {
    shell.stop_sync();
    let session = with_desk(&shell, |d| {
        let session = d.sign_in(&username, &password)?;
        d.clinic()?.prepare_worklist();
        Ok(session)
    })?;
    shell.start_sync(&app);
    Ok(session)
}

/// The recovery sheet's code sets a new password for an administrator.
#[tauri::command]
pub async fn recover<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    code: String,
    username: String,
    password: String,
) -> Reply<SessionInfo> {
    shell.stop_sync();
    let session = with_desk(&shell, |d| d.recover(&code, &username, &password))?;
    shell.start_sync(&app);
    Ok(session)
}

#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>) -> Reply<()> {
    shell.stop_sync();
    with_desk(&shell, |d| d.sign_out())
}

#[tauri::command]
pub async fn change_password(shell: State<'_, Shell>, old: String, new: String) -> Reply<()> {
    with(&shell, |c| c.change_password(&old, &new))
}

/// A new recovery sheet's code; the old sheet stops working.
#[tauri::command]
pub async fn new_recovery_code(shell: State<'_, Shell>) -> Reply<String> {
    with(&shell, |c| c.new_recovery_code())
}

#[tauri::command]
pub async fn list_users(shell: State<'_, Shell>) -> Reply<Vec<User>> {
    with(&shell, |c| c.users())
}

#[tauri::command]
pub async fn add_user(shell: State<'_, Shell>, req: NewUserRequest) -> Reply<User> {
    with(&shell, |c| c.add_user(req))
}

#[tauri::command]
pub async fn reset_password(shell: State<'_, Shell>, username: String, password: String) -> Reply<()> {
    with(&shell, |c| c.reset_password(&username, &password))
}

#[tauri::command]
pub async fn disable_user(shell: State<'_, Shell>, username: String) -> Reply<User> {
    with(&shell, |c| c.disable_user(&username))
}

#[tauri::command]
pub async fn set_user_villages(shell: State<'_, Shell>, username: String, villages: Vec<String>) -> Reply<User> {
    with(&shell, |c| c.set_user_villages(&username, &villages))
}

#[tauri::command]
pub async fn enable_user(shell: State<'_, Shell>, username: String, password: String) -> Reply<User> {
    with(&shell, |c| c.enable_user(&username, &password))
}

#[tauri::command]
pub async fn user_history(shell: State<'_, Shell>, username: String) -> Reply<Vec<HistoryEntry>> {
    with(&shell, |c| c.user_history(&username))
}
