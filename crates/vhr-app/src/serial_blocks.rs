//! Record numbers per village (spec R2.5): how many serials each village has
//! left, the administrator's new blocks typed from the township's letter,
//! and the records whose provisional numbers a new block replaces.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::clinic::SerialBlock;
use vhr_domain::problem::Problem;
use vhr_domain::text::normalize_ascii;
use vhr_store::{Renumbered, VillageSerials};

use crate::{Clinic, Error, Result};

/// A block the township hospital gave this install for one village.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AddBlockRequest {
    pub village_code: String,
    /// The first and last serial as typed (full-width digits are fine).
    pub start: String,
    pub end: String,
    /// Where it comes from, e.g. the letter's reference (卫生院文号).
    #[serde(default)]
    pub note: String,
}

impl Clinic {
    /// Every village's blocks, the serials left and what waits for a number.
    pub fn village_serials(&self) -> Result<Vec<VillageSerials>> {
        Ok(self.store.village_serials(self.actor()?)?)
    }

    /// The villages few serials are left in, or with records waiting under a
    /// provisional number: what the workbench warns about.
    pub fn serial_warnings(&self) -> Result<Vec<VillageSerials>> {
        Ok(self.village_serials()?.into_iter().filter(|v| v.warn || v.provisional > 0).collect())
    }

    /// Adds a block to a village and gives the records waiting there with a
    /// provisional number their final ones (each a new version, with its
    /// history, sent on the next sync).
    pub fn add_serial_block(&mut self, req: AddBlockRequest) -> Result<Vec<Renumbered>> {
        let actor = self.actor()?.clone();
        let serial = |typed: &str| normalize_ascii(typed).trim().parse::<u32>().ok();
        let (Some(start), Some(end)) = (serial(&req.start), serial(&req.end)) else {
            return Err(Error::Invalid(vec![Problem::error(
                "block",
                "serial_block.range",
                "请填写号段的起始和结束序号（1–99999 的数字）",
                "Enter the block's first and last serial (numbers 1–99999)",
            )]));
        };
        let block = SerialBlock { start, end };
        let done = self.store.add_serial_block(&actor, req.village_code.trim(), block, &req.note, self.now())?;
        done.map_err(Error::Invalid)
    }
}
