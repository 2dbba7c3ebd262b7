//! The install's settings that are not a feature's own: the language, and
//! the programme thresholds and intervals read from `programs.json`.

use std::path::Path;

use vhr_domain::i18n::Lang;
use vhr_domain::programs::ProgramConfig;

use crate::{Clinic, Error, Result};

impl Clinic {
    pub fn language(&self) -> Result<Lang> {
        Ok(self.store.setting("language")?.map(|t| Lang::from_tag(&t)).unwrap_or_default())
    }

    pub fn set_language(&self, lang: Lang) -> Result<()> {
        let tag = match lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        };
        Ok(self.store.set_setting("language", tag)?)
    }
}

/// An install's programme thresholds and intervals (`<data dir>/programs.json`,
/// docs/configuration.md), or the spec's when there is no such file.
pub(crate) fn program_config(data_dir: &Path) -> Result<ProgramConfig> {
    let config_file = data_dir.join("programs.json");
    match std::fs::read_to_string(&config_file) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Storage(format!("{}: {e}", config_file.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProgramConfig::default()),
        Err(e) => Err(Error::Storage(format!("{}: {e}", config_file.display()))),
    }
}
