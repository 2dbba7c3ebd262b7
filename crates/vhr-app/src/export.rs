//! Export of the complete record as FHIR Bulk Data NDJSON: one file per
//! resource type, one resource per line, with the questionnaire of every form.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;
use vhr_domain::entity::Entity;
use vhr_store::PendingChange;

use crate::{Clinic, Error, Result};

/// What a bulk export wrote: resources per type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
pub struct ExportSummary {
    pub files: Vec<ExportFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ExportFile {
    pub resource_type: String,
    pub path: String,
    pub count: usize,
}

impl Clinic {
    /// Writes every resource of the record as bulk NDJSON (one file per
    /// resource type, one resource per line, as FHIR Bulk Data does), with
    /// the questionnaires of every form, into `dir`.
    pub fn export_fhir(&self, dir: &std::path::Path, progress: &mut dyn FnMut(usize, usize)) -> Result<ExportSummary> {
        use std::io::Write;
        let fhir = self.sync_settings()?.fhir;
        std::fs::create_dir_all(dir).map_err(|e| Error::Storage(format!("{}: {e}", dir.display())))?;
        let mut files: BTreeMap<String, (std::io::BufWriter<std::fs::File>, usize)> = BTreeMap::new();
        let write = |files: &mut BTreeMap<String, (std::io::BufWriter<std::fs::File>, usize)>, resource: &Value| -> Result<()> {
            let t = resource["resourceType"].as_str().unwrap_or("Unknown").to_string();
            if !files.contains_key(&t) {
                let path = dir.join(format!("{t}.ndjson"));
                let f = std::fs::File::create(&path).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?;
                files.insert(t.clone(), (std::io::BufWriter::new(f), 0));
            }
            let (w, n) = files.get_mut(&t).expect("inserted above");
            writeln!(w, "{resource}").map_err(|e| Error::Storage(e.to_string()))?;
            *n += 1;
            Ok(())
        };
        for form in self.forms.forms.values() {
            write(&mut files, &vhr_fhir::questionnaire(form, &self.forms, &fhir))?;
        }
        let mut all = Vec::new();
        for entity in Entity::SYNCED {
            all.extend(self.store.entity_ids(entity)?.into_iter().map(|id| PendingChange { entity, entity_id: id, version: 0 }));
        }
        for (i, c) in all.iter().enumerate() {
            for e in self.prepare_change(c, &fhir)?.entries {
                write(&mut files, &e.resource)?;
            }
            if i % 500 == 0 || i + 1 == all.len() {
                progress(i + 1, all.len());
            }
        }
        // The whole set left the install: one entry, not one per resident.
        self.audit_event("bulk-export", Some(&format!("fhir-ndjson; records: {}", all.len())))?;
        let mut summary = ExportSummary::default();
        for (t, (mut w, count)) in files {
            w.flush().map_err(|e| Error::Storage(e.to_string()))?;
            summary.files.push(ExportFile { path: dir.join(format!("{t}.ndjson")).display().to_string(), resource_type: t, count });
        }
        Ok(summary)
    }
}
