//! The install's settings that are not a feature's own: the language, the
//! programme thresholds and intervals read from `programs.json`, and the
//! support log as the settings page shows it.

use std::path::Path;

use vhr_domain::i18n::Lang;
use vhr_domain::programs::ProgramConfig;

use crate::{Clinic, Error, Result};

pub(crate) fn lang_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh-CN",
        Lang::En => "en",
    }
}

impl Clinic {
    /// The window's language: kept in the install file, so the sign-in
    /// screen speaks it too (older versions kept it in the database).
    pub fn language(&self) -> Result<Lang> {
        if let Some(tag) = &self.keys.lang {
            return Ok(Lang::from_tag(tag));
        }
        Ok(self.store.setting("language")?.map(|t| Lang::from_tag(&t)).unwrap_or_default())
    }

    pub fn set_language(&mut self, lang: Lang) -> Result<()> {
        self.store.set_setting("language", lang_tag(lang))?;
        self.keys.lang = Some(lang_tag(lang).to_string());
        self.keys.save(&self.data_dir)
    }

    /// The support log's last `lines` lines, for the settings page (it holds
    /// no personal data, but only someone signed in reads it).
    pub fn recent_log(&self, lines: usize) -> Result<LogView> {
        self.actor()?;
        Ok(LogView { folder: crate::log::folder(&self.data_dir).display().to_string(), lines: crate::log::recent(&self.data_dir, lines)? })
    }

    /// Writes the kept days of the support log into one file in the data
    /// folder's `exports/`, to send to support; returns where it is.
    pub fn export_log(&self) -> Result<String> {
        self.actor()?;
        let path = crate::log::export(&self.data_dir, &self.data_dir.join("exports"), self.today())?;
        Ok(path.display().to_string())
    }
}

/// The support log as the settings page shows it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct LogView {
    pub folder: String,
    pub lines: Vec<String>,
}

/// An install's programme thresholds and intervals (`<data dir>/programs.json`,
/// docs/configuration.md), or the spec's when there is no such file.
/// A file that is not JSON of the right shape, or values out of range, are
/// refused as [`Error::Config`], naming the file and each key.
pub(crate) fn program_config(data_dir: &Path) -> Result<ProgramConfig> {
    let config_file = data_dir.join("programs.json");
    let file = config_file.display().to_string();
    let text = match std::fs::read_to_string(&config_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ProgramConfig::default()),
        Err(e) => return Err(Error::Storage(format!("{file}: {e}"))),
    };
    let cfg: ProgramConfig = serde_json::from_str(&text).map_err(|e| Error::Config {
        file: file.clone(),
        problems: vec![vhr_domain::problem::Problem::error(
            "programs.json",
            "config.json",
            format!("第 {} 行第 {} 列：{e}", e.line(), e.column()),
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )],
    })?;
    let problems = cfg.problems();
    if problems.is_empty() {
        Ok(cfg)
    } else {
        Err(Error::Config { file, problems })
    }
}

/// The thresholds and intervals the clinic's programme state was last built
/// with (kept in the database), or the spec's.
pub(crate) fn program_config_in_force(store: &vhr_store::Store) -> Result<ProgramConfig> {
    Ok(match store.setting("programs.config")? {
        Some(json) => serde_json::from_str(&json).map_err(|e| Error::Storage(format!("programs.config: {e}")))?,
        None => ProgramConfig::default(),
    })
}
