//! Where the data folder is: `--data-dir`, else `VHR_DATA_DIR`, else the
//! user's data folder for the app (e.g. `~/.local/share/village-health` on
//! Linux, `%APPDATA%\VillageHealth\village-health\data` on Windows).

use std::path::PathBuf;

/// The environment variable that overrides the data folder.
pub const DATA_DIR_ENV: &str = "VHR_DATA_DIR";

pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = flag {
        return dir;
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("cn", "VillageHealth", "village-health")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from("village-health-data"))
}
