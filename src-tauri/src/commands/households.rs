//! Households: create, read, list, and membership.

use tauri::State;
use vhr_app::ResidentView;
use vhr_domain::resident::Membership;
use vhr_store::{Household, HouseholdSummary};

use super::{with, Reply};
use crate::Shell;

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
