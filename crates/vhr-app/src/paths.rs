//! Where the data folder is: `--data-dir`, else `VHR_DATA_DIR`, else the
//! user's data folder for the app (e.g. `~/.local/share/village-health` on
//! Linux, `%APPDATA%\VillageHealth\village-health\data` on Windows).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

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

/// A file written whole or not at all: under `<name>.writing` until it is
/// complete and on disk, then renamed into place (and the folder synced, so
/// the rename is too). Created first, it tells early that the folder cannot
/// be written to; dropped unfinished, the temporary file goes.
pub(crate) struct WholeFile {
    file: Option<std::fs::File>,
    writing: PathBuf,
    path: PathBuf,
    done: bool,
}

impl WholeFile {
    pub fn create(path: &Path) -> Result<WholeFile> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".writing");
        let writing = path.with_file_name(name);
        let file = std::fs::File::create(&writing).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?;
        Ok(WholeFile { file: Some(file), writing, path: path.to_path_buf(), done: false })
    }

    pub fn finish(mut self, bytes: &[u8]) -> Result<()> {
        let path = self.path.clone();
        self.file().write_all(bytes).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?;
        self.commit()
    }

    /// The file being written, for what is written in parts.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.file.as_mut().expect("not finished yet")
    }

    /// What was written to [`WholeFile::file`] goes to disk, then into place.
    pub fn commit(mut self) -> Result<()> {
        let failed = |e: std::io::Error| Error::Storage(format!("{}: {e}", self.path.display()));
        let f = self.file.take().expect("finished once");
        f.sync_all().map_err(failed)?;
        drop(f);
        std::fs::rename(&self.writing, &self.path).map_err(failed)?;
        self.done = true;
        if let Some(Ok(d)) = self.path.parent().map(std::fs::File::open) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for WholeFile {
    fn drop(&mut self) {
        if !self.done {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.writing);
        }
    }
}
