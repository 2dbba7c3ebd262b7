//! Residents: checking what was typed, registering with a new record
//! number, editing as a new version, finding, and the record's history.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::duplicates::{likely_duplicate, DuplicateReason};
use vhr_domain::entity::Entity;
use vhr_domain::forms::{validate, ValidationContext};
use vhr_domain::id_card::{self, CitizenId};
use vhr_domain::population::{self, Diagnoses, Tag};
use vhr_domain::problem::{has_errors, Problem};
use vhr_domain::resident::{age_on, prepare, Membership, RecordStatus, Resident, ResidentInput};
use vhr_domain::serial_blocks::{is_provisional, shown, ShownNumber};
use vhr_store::{HistoryEntry, NewResident, ResidentSummary, SearchSpec, StatusFilter};

use crate::{Clinic, Error, Result};

/// Which household a resident joins when registered.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HouseholdChoice {
    /// An existing household.
    Join { household_id: String, relation: String, is_head: bool },
    /// A new household at this address, with the resident as its head.
    New { address: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RegisterRequest {
    pub resident: ResidentInput,
    #[serde(default)]
    pub household: Option<HouseholdChoice>,
    /// The user has seen the warnings and wants to save anyway.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct UpdateRequest {
    pub id: String,
    /// The version the edit started from.
    pub expected_version: i64,
    pub resident: ResidentInput,
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub village: Option<String>,
    #[serde(default)]
    pub tag: Option<Tag>,
    /// Records in the register unless asked for closed ones or all.
    #[serde(default)]
    pub status: StatusFilter,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A resident with what the screens derive from the record.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ResidentView {
    pub resident: Resident,
    pub age: u32,
    pub tags: Vec<Tag>,
    /// The record number grouped 6-3-3-5.
    pub record_no_grouped: String,
    /// The last 8 digits as other forms print them.
    pub record_no_short: String,
    /// A provisional local number, to be replaced once the village has a block again.
    pub record_no_provisional: bool,
    pub village_name: String,
}

/// The result of a save: the stored record and any warnings the user confirmed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Saved {
    pub resident: ResidentView,
    pub warnings: Vec<Problem>,
}

impl Clinic {
    /// Reads an ID number as typed (for prefilling sex and birth date), or
    /// says what is wrong with it.
    pub fn read_id_number(&self, number: &str) -> std::result::Result<CitizenId, Problem> {
        id_card::parse(number, self.today()).map_err(|e| {
            let (zh, en) = e.messages();
            Problem::error("id_document.number", e.code(), zh, en)
        })
    }

    /// Checks a resident's input without saving: the same rules as saving.
    pub fn check(&self, input: ResidentInput, household_id: Option<&str>, except_id: &str) -> Result<(ResidentInput, Vec<Problem>)> {
        let clinic = self.profile_required()?;
        let today = self.today();
        let (mut ready, mut problems) = prepare(input, &clinic, today);
        let is_child = ready.birth_date.is_some_and(|b| age_on(b, today) < population::CHILD_UNTIL);
        // Children aged 0–6 do not use the personal basic information form (§5).
        if !(is_child && ready.basic_info.is_empty()) {
            let form = self.forms.form("personal_basic_info").ok_or_else(|| Error::Forms("personal_basic_info is missing".into()))?;
            let (values, form_problems) = validate(form, &self.forms, &ready.basic_info, ValidationContext::on(today), "basic_info");
            ready.basic_info = values;
            problems.extend(form_problems);
        }
        if let (Some(number), false) = (ready.id_document.citizen_number(), has_errors(&problems)) {
            if let Some(other) =
                self.store.resident(self.actor()?, number)?.filter(|o| o.id != except_id && o.status != RecordStatus::Cancelled)
            {
                return Err(Error::DuplicateIdNumber { resident_id: other.id, record_no: other.record_no, name: other.data.name });
            }
        }
        if let Some(birth) = ready.birth_date {
            for c in self.store.duplicate_candidates(self.actor()?, &ready.name, birth, household_id, except_id)? {
                if let Some(reason) = likely_duplicate(&ready.name, birth, household_id, &c.as_candidate()) {
                    let (zh, en) = match reason {
                        DuplicateReason::SameNameAndBirthDate => ("同名且出生日期相同", "same name and birth date"),
                        DuplicateReason::SameHouseholdSimilarName => ("同一家庭且姓名相近", "same household and a similar name"),
                    };
                    problems.push(Problem::warning(
                        "name",
                        "duplicate.likely",
                        format!("可能重复建档：{}（档案号 {}），{zh}", c.name, c.record_no),
                        format!("Possibly a duplicate of {} ({}): {en}", c.name, c.record_no),
                    ));
                }
            }
        }
        Ok((ready, problems))
    }

    /// Registers a new resident, issuing their record number.
    pub fn register(&mut self, req: RegisterRequest) -> Result<Saved> {
        let actor = self.actor()?.clone();
        let joined = match &req.household {
            Some(HouseholdChoice::Join { household_id, .. }) => Some(household_id.as_str()),
            _ => None,
        };
        let (ready, problems) = self.check(req.resident, joined, "")?;
        let warnings = Self::gate(problems, req.confirm)?;
        let now = self.now();
        let id = self.env.ids.new_id();
        let household_id = self.env.ids.new_id();
        let village = ready.village_code.clone();
        let resident = self.store.batch(|b| {
            let household = match req.household {
                None => None,
                Some(HouseholdChoice::Join { household_id, relation, is_head }) => Some(Membership { household_id, relation, is_head }),
                Some(HouseholdChoice::New { address }) => {
                    b.create_household(&actor, &household_id, &village, address.trim(), now)?;
                    Some(Membership { household_id, relation: "户主".into(), is_head: true })
                }
            };
            b.insert_resident(&actor, NewResident { id, data: ready, household }, now)
        })?;
        let mut warnings = warnings;
        if is_provisional(&resident.record_no) {
            warnings.push(Problem::warning(
                "record_no",
                "record_no.provisional",
                format!(
                    "村代码 {village} 的个人序号段已用完：本档案已保存，暂用临时编号 {}。请向乡镇卫生院申请新号段，在“设置”中添加后自动换为正式编号。",
                    resident.record_no
                ),
                format!(
                    "Village {village} has no serials left: the record is saved under the provisional number {}. Ask the township hospital for a new block; once it is added in Settings the record gets its final number.",
                    resident.record_no
                ),
            ));
        }
        Ok(Saved { resident: self.view(resident)?, warnings })
    }

    /// Saves an edit of a resident as a new version.
    pub fn update(&mut self, req: UpdateRequest) -> Result<Saved> {
        let actor = self.actor()?.clone();
        let current = self
            .store
            .resident(&actor, &req.id)?
            .ok_or_else(|| Error::NotFound { entity: Entity::Resident.to_string(), id: req.id.clone() })?;
        let household = current.household.as_ref().map(|m| m.household_id.clone());
        let (ready, problems) = self.check(req.resident, household.as_deref(), &current.id)?;
        let warnings = Self::gate(problems, req.confirm)?;
        let saved = self.store.update_resident(&actor, &current.id, req.expected_version, ready, self.now())?;
        Ok(Saved { resident: self.view(saved)?, warnings })
    }

    /// One resident by UUID, record number or ID number.
    pub fn resident(&self, key: &str) -> Result<ResidentView> {
        let view = self.find_resident(key)?;
        // Every time a person opens a record is in the audit trail.
        self.store.record_access(self.actor()?, "open", &view.resident.id, self.now())?;
        Ok(view)
    }

    /// A resident as a use case needs them for its own work (a save, a
    /// prefill, a print): not a person opening the record, so not an entry
    /// of the audit trail of its own.
    pub(crate) fn find_resident(&self, key: &str) -> Result<ResidentView> {
        let found = self
            .store
            .resident(self.actor()?, key)?
            .ok_or_else(|| Error::NotFound { entity: Entity::Resident.to_string(), id: key.to_string() })?;
        self.view(found)
    }

    pub(crate) fn view(&self, resident: Resident) -> Result<ResidentView> {
        let today = self.today();
        let clinic = self.profile_required()?;
        let birth = resident.data.birth_date.unwrap_or(today);
        // A number of another shape (written by an older version or another
        // system) is shown as it is: the page opens all the same.
        let no = shown(&resident.record_no).unwrap_or_else(|| ShownNumber {
            grouped: resident.record_no.clone(),
            short: {
                let chars: Vec<char> = resident.record_no.chars().collect();
                chars[chars.len().saturating_sub(8)..].iter().collect()
            },
            provisional: false,
        });
        let standings = self.store.standings_of(self.actor()?, &resident.id, today)?;
        let codes = standings.iter().map(|r| r.standing.program.code()).collect::<Vec<_>>().join(",");
        let registered = population::Registered::from_codes(&codes);
        Ok(ResidentView {
            age: age_on(birth, today),
            tags: population::tags(birth, Diagnoses::from_basic_info(&resident.data.basic_info), registered, today),
            record_no_grouped: no.grouped,
            record_no_short: no.short,
            record_no_provisional: no.provisional,
            village_name: clinic.village(&resident.data.village_code).map(|v| v.name.clone()).unwrap_or_default(),
            resident,
        })
    }

    pub fn search(&self, req: &SearchRequest) -> Result<Vec<ResidentSummary>> {
        let spec = SearchSpec {
            query: req.query.clone(),
            village: req.village.clone().filter(|v| !v.is_empty()),
            tag: req.tag,
            status: req.status,
            today: self.today(),
            limit: req.limit.unwrap_or(50).clamp(1, 500) as usize,
        };
        Ok(self.store.search(self.actor()?, &spec)?)
    }

    /// Every version of the resident's basic information: an inspection,
    /// in the audit trail.
    pub fn history(&self, key: &str) -> Result<Vec<HistoryEntry>> {
        let r = self.find_resident(key)?;
        let history = self.store.history(self.actor()?, Entity::Resident, &r.resident.id)?;
        self.store.record_access(self.actor()?, "history", &r.resident.id, self.now())?;
        Ok(history)
    }
}
