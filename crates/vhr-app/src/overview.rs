//! The workbench's numbers: residents on file, per key population, and
//! what is on file in all.

use serde::Serialize;
use ts_rs::TS;
use vhr_domain::population::Tag;
use vhr_store::Counts;

use crate::{Clinic, Result};

/// The numbers on the workbench.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Overview {
    pub residents: i64,
    pub tags: Vec<TagCount>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct TagCount {
    pub tag: Tag,
    pub count: i64,
}

impl Clinic {
    /// Residents on file per key population today, and in all.
    pub fn overview(&self) -> Result<Overview> {
        let actor = self.actor()?;
        let tags = self.store.tag_counts(actor, self.today())?.into_iter().map(|(tag, count)| TagCount { tag, count }).collect();
        Ok(Overview { residents: self.store.resident_count(actor)?, tags })
    }

    /// How much is on file: residents, service records, changes waiting.
    pub fn counts(&self) -> Result<Counts> {
        Ok(self.store.counts(self.actor()?)?)
    }
}
