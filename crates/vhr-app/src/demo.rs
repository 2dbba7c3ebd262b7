//! The demo clinic: its setup, and filling it with made-up residents,
//! households and a year (or more, for benchmarks) of services.

use vhr_domain::clinic::ClinicProfile;
use vhr_domain::demo;
use vhr_domain::forms::{validate, ValidationContext};
use vhr_domain::resident::{prepare, Membership};
use vhr_store::NewResident;

use crate::{services, Clinic, Result, SetupRequest};

impl Clinic {
    /// Fills an empty clinic with `residents` synthetic residents in
    /// households and `years` of service history (a year for the demo
    /// clinic, more for benchmarks at a million records), committing every
    /// 200 households; `progress(done, total)` is told.
    pub fn load_demo(&mut self, residents: usize, seed: u64, years: u32, progress: &mut dyn FnMut(usize, usize)) -> Result<usize> {
        let actor = self.actor()?.clone();
        let clinic = self.profile_required()?;
        let today = self.today();
        let households = demo::households(&clinic, residents, seed, today);
        let mut done = 0;
        let forms = &self.forms;
        let ids = &self.env.ids;
        for chunk in households.chunks(200) {
            let now = self.now();
            let planned: Vec<(String, Vec<(String, demo::DemoMember)>)> = chunk
                .iter()
                .map(|h| (self.env.ids.new_id(), h.members.iter().map(|m| (self.env.ids.new_id(), m.clone())).collect()))
                .collect();
            // Each resident's history gets its own seed, across chunks too.
            let base = done;
            done += self.store.batch(|b| {
                let mut n = 0;
                for ((household_id, members), h) in planned.into_iter().zip(chunk) {
                    let village = members.first().map(|(_, m)| m.input.village_code.clone()).unwrap_or_default();
                    b.create_household(&actor, &household_id, &village, &h.address, now)?;
                    for (id, m) in members {
                        let (ready, _) = prepare(m.input, &clinic, today);
                        let services = demo::followups_over(&ready, today, seed ^ (base + n) as u64, years);
                        let household = Some(Membership { household_id: household_id.clone(), relation: m.relation, is_head: m.is_head });
                        b.insert_resident(&actor, NewResident { id: id.clone(), data: ready, household }, now)?;
                        for s in services {
                            let form = forms.form(&s.form_id).expect("the demo fills built-in forms");
                            let (values, _) = validate(form, forms, &s.values, ValidationContext::on(today), "values");
                            let new = services::new_service(form, ids.new_id(), id.clone(), values, today);
                            let record = b.insert_service(&actor, new, now)?;
                            services::apply_episode_effect(b, &actor, &record, ids.new_id(), false, now)?;
                        }
                        n += 1;
                    }
                }
                Ok(n)
            })?;
            progress(done, residents);
        }
        Ok(done)
    }
}

/// The demo clinic's setup: a made-up institution with three villages, and
/// the user `demo` with password `demo1234`.
pub fn demo_setup() -> SetupRequest {
    use vhr_domain::clinic::{SerialBlock, Village};
    SetupRequest {
        profile: ClinicProfile {
            institution_name: "青山镇卫生院石桥村卫生室（演示）".into(),
            institution_phone: "0771-5550123".into(),
            county_code: "450102".into(),
            division_code_year: 2024,
            township_code: "101".into(),
            township_name: "青山镇".into(),
            villages: vec![
                Village { code: "101".into(), name: "石桥村".into() },
                Village { code: "102".into(), name: "河口村".into() },
                Village { code: "103".into(), name: "杨柳村".into() },
            ],
            serial_block: SerialBlock { start: 1, end: 99_999 },
        },
        username: "demo".into(),
        display_name: "李春华".into(),
        password: "demo1234".into(),
        phone: "13878712345".into(),
    }
}
