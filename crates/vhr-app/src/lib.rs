//! The clinic's use cases: set up, sign in, register, change, find and group
//! residents. The CLI and the desktop shell both call this crate and nothing
//! below it, so the two behave the same; it has no Tauri dependency.
//!
//! Time and new ids come from the [`Env`] given at open; the data folder is
//! chosen by the caller (see [`paths`]).

pub mod background;
pub mod env;
mod error;
pub mod forms;
pub mod paths;
mod printing;
mod programs;
mod services;
mod sync;

use std::path::{Path, PathBuf};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::clinic::ClinicProfile;
use vhr_domain::demo;
use vhr_domain::duplicates::{likely_duplicate, DuplicateReason};
use vhr_domain::forms::{validate, FormRegistry, ValidationContext};
use vhr_domain::i18n::Lang;
use vhr_domain::population::{self, Diagnoses, Tag};
use vhr_domain::problem::{has_errors, Problem};
use vhr_domain::record_number::RecordNumber;
use vhr_domain::resident::{age_on, prepare, Membership, Resident, ResidentInput};
use vhr_store::{Actor, HistoryEntry, Household, HouseholdSummary, NewResident, ResidentSummary, SearchSpec, Store, User, UserRecord};

pub use env::{Clock, FixedClock, IdSource, RandomIds, SequentialIds, SystemClock};
pub use error::{Error, WireError};
pub use printing::{CardSize, CardsRequest, Printed, SavedPrint};
pub use programs::{EndProgramRequest, EnrolRequest, ProgramStatus};
pub use services::{AddServiceRequest, SavedService, TimelineEntry, UpdateServiceRequest, WorkItem};
pub use sync::{
    ConflictChoice, ExportFile, ExportSummary, PlatformSetup, Prepared, ResolveRequest, SyncCounts, SyncProgress, SyncReport, SyncSettings,
    SyncStatus,
};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The database file inside a data folder.
pub const DB_FILE: &str = "village-health.db";

/// The world outside the use cases.
pub struct Env {
    pub clock: Box<dyn Clock>,
    pub ids: Box<dyn IdSource>,
}

impl Env {
    pub fn system() -> Env {
        Env { clock: Box::new(SystemClock), ids: Box::new(RandomIds) }
    }
}

/// First-start setup: the clinic and its first user.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SetupRequest {
    pub profile: ClinicProfile,
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// Who is signed in where.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    pub clinic: ClinicProfile,
    pub user: User,
}

/// What the UI needs to know at start: set up or not, who is signed in.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppState {
    pub set_up: bool,
    pub session: Option<SessionInfo>,
    pub lang: Lang,
    pub data_dir: String,
    pub version: String,
    /// Changes saved here and waiting to be uploaded.
    pub outbox_pending: i64,
}

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
    pub village_name: String,
}

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

/// The result of a save: the stored record and any warnings the user confirmed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Saved {
    pub resident: ResidentView,
    pub warnings: Vec<Problem>,
}

/// An open clinic install: its store, form definitions and the signed-in user.
pub struct Clinic {
    pub(crate) store: Store,
    pub(crate) forms: FormRegistry,
    pub(crate) env: Env,
    pub(crate) program_config: vhr_domain::programs::ProgramConfig,
    actor: Option<Actor>,
    data_dir: PathBuf,
}

impl Clinic {
    /// Opens the clinic whose data lives in `data_dir`, creating the folder and
    /// database on first use.
    pub fn open(data_dir: &Path, env: Env) -> Result<Clinic> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::Storage(format!("{}: {e}", data_dir.display())))?;
        let mut store = Store::open(&data_dir.join(DB_FILE))?;
        let forms = forms::load(Some(&data_dir.join("forms")))?;
        // An install's programme thresholds and intervals (docs/configuration.md).
        let config_file = data_dir.join("programs.json");
        let cfg = match std::fs::read_to_string(&config_file) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| Error::Storage(format!("{}: {e}", config_file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vhr_domain::programs::ProgramConfig::default(),
            Err(e) => return Err(Error::Storage(format!("{}: {e}", config_file.display()))),
        };
        store.apply_program_config(&cfg)?;
        Ok(Clinic { store, forms, env, program_config: cfg, actor: None, data_dir: data_dir.to_path_buf() })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn forms(&self) -> &FormRegistry {
        &self.forms
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.env.clock.today()
    }

    pub fn profile(&self) -> Result<Option<ClinicProfile>> {
        Ok(self.store.clinic()?)
    }

    fn profile_required(&self) -> Result<ClinicProfile> {
        self.store.clinic()?.ok_or(Error::NotSetUp)
    }

    pub(crate) fn actor(&self) -> Result<&Actor> {
        self.actor.as_ref().ok_or(Error::NotSignedIn)
    }

    /// Sets up the clinic and its first user, and signs that user in.
    pub fn setup(&mut self, req: SetupRequest) -> Result<SessionInfo> {
        if self.store.clinic()?.is_some() {
            return Err(Error::AlreadySetUp);
        }
        let mut problems = req.profile.validate();
        problems.extend(check_new_user(&req.username, &req.display_name, &req.password));
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        let user = User {
            id: self.env.ids.new_id(),
            username: req.username.trim().to_string(),
            display_name: req.display_name.trim().to_string(),
            role: "admin".into(),
        };
        let record = UserRecord { user: user.clone(), password_hash: hash_password(&req.password)? };
        self.store.initialize(&req.profile, &record, self.env.clock.now())?;
        self.actor = Some(Actor { user_id: user.id.clone(), name: user.display_name.clone() });
        Ok(SessionInfo { clinic: req.profile, user })
    }

    /// The login name of the only user, when there is exactly one.
    pub fn sole_user(&self) -> Result<Option<String>> {
        let users = self.store.users()?;
        Ok(if users.len() == 1 { Some(users[0].username.clone()) } else { None })
    }

    /// Signs a user in with their password.
    pub fn sign_in(&mut self, username: &str, password: &str) -> Result<SessionInfo> {
        let clinic = self.profile_required()?;
        let record = self.store.user_by_name(username.trim())?.ok_or(Error::BadCredentials)?;
        let hash = PasswordHash::new(&record.password_hash).map_err(|e| Error::Storage(e.to_string()))?;
        Argon2::default().verify_password(password.as_bytes(), &hash).map_err(|_| Error::BadCredentials)?;
        self.actor = Some(Actor { user_id: record.user.id.clone(), name: record.user.display_name.clone() });
        Ok(SessionInfo { clinic, user: record.user })
    }

    pub fn sign_out(&mut self) {
        self.actor = None;
    }

    /// The signed-in session, if any.
    pub fn session(&self) -> Result<Option<SessionInfo>> {
        let (Some(actor), Some(clinic)) = (self.actor.as_ref(), self.store.clinic()?) else {
            return Ok(None);
        };
        let user = self.store.users()?.into_iter().find(|u| u.id == actor.user_id).ok_or(Error::NotSignedIn)?;
        Ok(Some(SessionInfo { clinic, user }))
    }

    pub fn app_state(&self, version: &str) -> Result<AppState> {
        Ok(AppState {
            set_up: self.profile()?.is_some(),
            session: self.session()?,
            lang: self.language()?,
            data_dir: self.data_dir.display().to_string(),
            version: version.to_string(),
            outbox_pending: self.store.outbox_pending()?,
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
            if let Some(other) = self.store.resident(self.actor()?, number)?.filter(|o| o.id != except_id) {
                return Err(Error::DuplicateIdNumber { resident_id: other.id, record_no: other.record_no, name: other.data.name });
            }
        }
        if let Some(birth) = ready.birth_date {
            for c in self.store.duplicate_candidates(&ready.name, birth, household_id, except_id)? {
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

    pub(crate) fn gate(problems: Vec<Problem>, confirm: bool) -> Result<Vec<Problem>> {
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        if !problems.is_empty() && !confirm {
            return Err(Error::NeedsConfirmation(problems));
        }
        Ok(problems)
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
        let now = self.env.clock.now();
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
        Ok(Saved { resident: self.view(resident)?, warnings })
    }

    /// Saves an edit of a resident as a new version.
    pub fn update(&mut self, req: UpdateRequest) -> Result<Saved> {
        let actor = self.actor()?.clone();
        let current =
            self.store.resident(&actor, &req.id)?.ok_or_else(|| Error::NotFound { entity: "resident".into(), id: req.id.clone() })?;
        let household = current.household.as_ref().map(|m| m.household_id.clone());
        let (ready, problems) = self.check(req.resident, household.as_deref(), &current.id)?;
        let warnings = Self::gate(problems, req.confirm)?;
        let saved = self.store.update_resident(&actor, &current.id, req.expected_version, ready, self.env.clock.now())?;
        Ok(Saved { resident: self.view(saved)?, warnings })
    }

    /// One resident by UUID, record number or ID number.
    pub fn resident(&self, key: &str) -> Result<ResidentView> {
        let found =
            self.store.resident(self.actor()?, key)?.ok_or_else(|| Error::NotFound { entity: "resident".into(), id: key.to_string() })?;
        self.view(found)
    }

    fn view(&self, resident: Resident) -> Result<ResidentView> {
        let today = self.today();
        let clinic = self.profile_required()?;
        let birth = resident.data.birth_date.unwrap_or(today);
        let no = RecordNumber::parse(&resident.record_no).map_err(Error::Storage)?;
        let standings = self.store.standings_of(self.actor()?, &resident.id, today)?;
        let codes = standings.iter().map(|r| r.standing.program.code()).collect::<Vec<_>>().join(",");
        let registered = population::Registered::from_codes(&codes);
        Ok(ResidentView {
            age: age_on(birth, today),
            tags: population::tags(birth, Diagnoses::from_basic_info(&resident.data.basic_info), registered, today),
            record_no_grouped: no.grouped(),
            record_no_short: no.last8(),
            village_name: clinic.village(&resident.data.village_code).map(|v| v.name.clone()).unwrap_or_default(),
            resident,
        })
    }

    pub fn search(&self, req: &SearchRequest) -> Result<Vec<ResidentSummary>> {
        let spec = SearchSpec {
            query: req.query.clone(),
            village: req.village.clone().filter(|v| !v.is_empty()),
            tag: req.tag,
            today: self.today(),
            limit: req.limit.unwrap_or(50).clamp(1, 500) as usize,
        };
        Ok(self.store.search(self.actor()?, &spec)?)
    }

    pub fn history(&self, key: &str) -> Result<Vec<HistoryEntry>> {
        let r = self.resident(key)?;
        Ok(self.store.history(self.actor()?, "resident", &r.resident.id)?)
    }

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
        Ok(self.store.create_household(&actor, &id, village_code, address.trim(), self.env.clock.now())?)
    }

    pub fn household(&self, id: &str) -> Result<Household> {
        self.store
            .household(self.actor()?, id, self.today())?
            .ok_or_else(|| Error::NotFound { entity: "household".into(), id: id.to_string() })
    }

    pub fn households(&self, village: Option<&str>, query: &str) -> Result<Vec<HouseholdSummary>> {
        self.actor()?;
        Ok(self.store.households(village.filter(|v| !v.is_empty()), query, 200)?)
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
        let saved = self.store.set_membership(&actor, resident_id, expected_version, membership, self.env.clock.now())?;
        self.view(saved)
    }

    /// Fills an empty clinic with `residents` synthetic residents in households,
    /// committing every `batch` households; `progress(done, total)` is told.
    pub fn load_demo(&mut self, residents: usize, seed: u64, progress: &mut dyn FnMut(usize, usize)) -> Result<usize> {
        self.load_demo_over(residents, seed, 1, progress)
    }

    /// The demo clinic with `years` of service history (benchmarks at a million records).
    pub fn load_demo_over(&mut self, residents: usize, seed: u64, years: u32, progress: &mut dyn FnMut(usize, usize)) -> Result<usize> {
        let actor = self.actor()?.clone();
        let clinic = self.profile_required()?;
        let today = self.today();
        let households = demo::households(&clinic, residents, seed, today);
        let mut done = 0;
        let forms = &self.forms;
        let ids = &self.env.ids;
        for chunk in households.chunks(200) {
            let now = self.env.clock.now();
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
                            let date = |f: &Option<String>| {
                                f.as_ref()
                                    .and_then(|f| values.get(f))
                                    .and_then(|v| v.as_str())
                                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                            };
                            let new = vhr_store::NewService {
                                id: ids.new_id(),
                                resident_id: id.clone(),
                                form_id: form.id.clone(),
                                form_version: form.version,
                                service_date: date(&form.service_date).unwrap_or(today),
                                next_date: date(&form.next_date),
                                data: values,
                            };
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

    /// Residents on file per key population today, and in all.
    pub fn overview(&self) -> Result<Overview> {
        let actor = self.actor()?;
        let tags = self.store.tag_counts(actor, self.today())?.into_iter().map(|(tag, count)| TagCount { tag, count }).collect();
        Ok(Overview { residents: self.store.resident_count()?, tags })
    }

    pub fn resident_count(&self) -> Result<i64> {
        Ok(self.store.resident_count()?)
    }

    pub fn service_count(&self) -> Result<i64> {
        Ok(self.store.service_count()?)
    }

    pub fn outbox_pending(&self) -> Result<i64> {
        Ok(self.store.outbox_pending()?)
    }

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
    }
}

fn check_new_user(username: &str, display_name: &str, password: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    if username.trim().is_empty() || username.trim().chars().any(char::is_whitespace) {
        problems.push(Problem::error("username", "user.username", "请填写登录名（不含空格）", "Enter a login name without spaces"));
    }
    if display_name.trim().is_empty() {
        problems.push(Problem::error("display_name", "required", "请填写姓名", "Enter the user's name"));
    }
    if password.chars().count() < 8 {
        problems.push(Problem::error("password", "user.password_short", "密码至少8位", "The password has at least 8 characters"));
    }
    problems
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| Error::Storage(e.to_string()))
}
