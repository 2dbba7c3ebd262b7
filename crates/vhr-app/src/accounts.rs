//! Accounts: first-start setup, signing in and out, the session, and what
//! the window needs to know at start. (Roles, lockout and idle lock belong
//! here too.)

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::clinic::ClinicProfile;
use vhr_domain::i18n::Lang;
use vhr_domain::problem::{has_errors, Problem};
use vhr_domain::resident::phone_problem;
use vhr_domain::text::normalize_ascii;
use vhr_store::{Actor, User, UserRecord};

use crate::{Clinic, Error, Result, WireError};

/// First-start setup: the clinic and its first user.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct SetupRequest {
    pub profile: ClinicProfile,
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// The first user's phone, printed on the cards of their residents.
    #[serde(default)]
    pub phone: String,
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
    /// What was wrong in the configuration at start, and what to fix where.
    pub startup_problems: Vec<WireError>,
}

impl Clinic {
    /// Sets up the clinic and its first user, and signs that user in.
    pub fn setup(&mut self, req: SetupRequest) -> Result<SessionInfo> {
        if self.store.clinic()?.is_some() {
            return Err(Error::AlreadySetUp);
        }
        let mut problems = req.profile.validate();
        problems.extend(check_new_user(&req.username, &req.display_name, &req.password));
        let phone = normalize_ascii(&req.phone);
        problems.extend(phone_problem("phone", &phone));
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        let user = User {
            id: self.env.ids.new_id(),
            username: req.username.trim().to_string(),
            display_name: req.display_name.trim().to_string(),
            role: "admin".into(),
            phone,
        };
        let record = UserRecord { user: user.clone(), password_hash: hash_password(&req.password)? };
        self.store.initialize(&req.profile, &record, self.now())?;
        self.actor = Some(Actor { user_id: user.id.clone(), name: user.display_name.clone() });
        Ok(SessionInfo { clinic: req.profile, user })
    }

    /// Sets the signed-in user's own phone (printed on the cards of the
    /// residents they are the responsible doctor of).
    pub fn set_my_phone(&mut self, phone: &str) -> Result<User> {
        let actor = self.actor()?.clone();
        let phone = normalize_ascii(phone);
        if let Some(p) = phone_problem("phone", &phone) {
            return Err(Error::Invalid(vec![p]));
        }
        Ok(self.store.set_user_phone(&actor, &actor.user_id, &phone, self.now())?)
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

    /// Ends the session; nothing read for it stays in memory.
    pub fn sign_out(&mut self) {
        self.actor = None;
        self.day_lines.take();
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
        let lang = self.language()?;
        Ok(AppState {
            set_up: self.profile()?.is_some(),
            session: self.session()?,
            lang,
            data_dir: self.data_dir.display().to_string(),
            version: version.to_string(),
            outbox_pending: self.store.outbox_pending()?,
            startup_problems: self.startup_problems.iter().map(|e| e.to_wire(lang)).collect(),
        })
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
