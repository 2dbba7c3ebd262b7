//! Households: creating one, reading and listing them, and moving residents
//! in, out or to the head.

use vhr_domain::problem::Problem;
use vhr_domain::resident::Membership;
use vhr_store::{Household, HouseholdSummary};

use crate::{Clinic, Error, ResidentView, Result};

impl Clinic {
    pub fn create_household(&mut self, village_code: &str, address: &str) -> Result<Household> {
        let actor = self.actor()?.clone();
        let clinic = self.profile_required()?;
        let mut problems = Vec::new();
        if clinic.village(village_code).is_none() {
            problems.push(Problem::error(
                "village_code",
                "village.unknown",
                "请选择本机构服务的村（居）委会",
                "Choose one of the villages this clinic serves",
            ));
        }
        if address.trim().is_empty() {
            problems.push(Problem::error("address", "required", "请填写家庭住址", "Enter the household's address"));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let id = self.env.ids.new_id();
        Ok(self.store.create_household(&actor, &id, village_code, address.trim(), self.now())?)
    }

    pub fn household(&self, id: &str) -> Result<Household> {
        self.store
            .household(self.actor()?, id, self.today())?
            .ok_or_else(|| Error::NotFound { entity: "household".into(), id: id.to_string() })
    }

    pub fn households(&self, village: Option<&str>, query: &str) -> Result<Vec<HouseholdSummary>> {
        Ok(self.store.households(self.actor()?, village.filter(|v| !v.is_empty()), query, 200)?)
    }

    /// Moves a resident into a household, out of one (`None`), or makes them its head.
    pub fn set_membership(&mut self, resident_id: &str, expected_version: i64, membership: Option<Membership>) -> Result<ResidentView> {
        let actor = self.actor()?.clone();
        if let Some(m) = &membership {
            if m.relation.trim().is_empty() {
                return Err(Error::Invalid(vec![Problem::error(
                    "relation",
                    "required",
                    "请填写与户主关系",
                    "Enter the relationship to the head of household",
                )]));
            }
        }
        let saved = self.store.set_membership(&actor, resident_id, expected_version, membership, self.now())?;
        self.view(saved)
    }
}
