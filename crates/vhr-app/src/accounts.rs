//! Accounts: the install before anyone signs in ([`Install`]), first-start
//! setup, signing in (the password unseals the database's key), the lockout,
//! recovery with the recovery sheet, and the administrator's work on users.
//! The window's one session over all of it is [`Desk`].

use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vhr_domain::access::Role;
use vhr_domain::clinic::ClinicProfile;
use vhr_domain::i18n::Lang;
use vhr_domain::problem::{has_errors, Problem};
use vhr_domain::resident::phone_problem;
use vhr_domain::text::normalize_ascii;
use vhr_store::{FileState, User, UserRecord};

use crate::keys::{self, InstallFile};
use crate::{Clinic, Env, Error, Result, WireError, DB_FILE};

/// What the password column holds for accounts whose password is checked by
/// unsealing the database key in `install.json`.
pub(crate) const SEALED_IN_INSTALL_FILE: &str = "install.json";

/// First-start setup: the clinic and its first user (an administrator).
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

/// A user an administrator adds.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// `doctor`, `supervisor` or `admin`.
    pub role: String,
    #[serde(default)]
    pub phone: String,
    /// For a village doctor: the 3-digit codes of the villages they keep.
    #[serde(default)]
    pub villages: Vec<String>,
}

/// Who is signed in where.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionInfo {
    pub clinic: ClinicProfile,
    pub user: User,
    /// A new recovery code, shown (and printed) once: at setup, after a
    /// recovery, when the database was just encrypted, or when an
    /// administrator asked for a new sheet. The one before it no longer works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    /// Minutes without a key press or a click before the window locks.
    pub idle_lock_minutes: u32,
}

/// What the UI needs to know at start: set up or not, who is signed in.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppState {
    pub set_up: bool,
    pub session: Option<SessionInfo>,
    pub lang: Lang,
    pub data_dir: String,
    pub version: String,
    /// Changes saved here and waiting to be uploaded (0 until someone signs in).
    pub outbox_pending: i64,
    /// The only user who can sign in, to fill the sign-in form.
    pub sole_user: Option<String>,
    /// What was wrong in the configuration at start, and what to fix where.
    pub startup_problems: Vec<WireError>,
    /// The window is locked and waits for the password.
    pub locked: bool,
}

/// An install's data folder before anyone has signed in: the database is
/// encrypted, and only a password (or the recovery code) opens it.
pub struct Install {
    dir: PathBuf,
    pub(crate) env: Env,
    pub(crate) file: Option<InstallFile>,
}

impl Install {
    /// The install in `data_dir`, creating the folder on first use. Opens no database.
    pub fn at(data_dir: &Path, env: Env) -> Result<Install> {
        std::fs::create_dir_all(data_dir).map_err(|e| Error::Storage(format!("{}: {e}", data_dir.display())))?;
        let file = InstallFile::load(data_dir)?;
        // An encrypted database (or a file that is not one) with no key file
        // beside it: nothing can open it here, and the window says so at start.
        if file.is_none() && vhr_store::file_state(&data_dir.join(DB_FILE))? == FileState::Encrypted {
            return Err(Error::KeysMissing);
        }
        Ok(Install { dir: data_dir.to_path_buf(), env, file })
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    fn db_path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }

    fn db_state(&self) -> Result<FileState> {
        Ok(vhr_store::file_state(&self.db_path())?)
    }

    /// Whether this install has been set up (by this version or an older one).
    pub fn is_set_up(&self) -> Result<bool> {
        Ok(match self.db_state()? {
            FileState::Missing => false,
            FileState::Encrypted => true,
            FileState::Plain => !vhr_store::plain_users(&self.db_path())?.is_empty(),
        })
    }

    pub fn language(&self) -> Lang {
        self.file.as_ref().and_then(|f| f.lang.as_deref()).map(Lang::from_tag).unwrap_or_default()
    }

    /// Sets the window's language before anyone signs in.
    pub fn set_language(&mut self, lang: Lang) -> Result<()> {
        let file = self.file.get_or_insert_with(InstallFile::new);
        file.lang = Some(crate::settings::lang_tag(lang).to_string());
        file.save(&self.dir)
    }

    /// The login name of the only user who can sign in, when there is one.
    pub fn sole_user(&self) -> Result<Option<String>> {
        let names: Vec<String> = match self.db_state()? {
            FileState::Plain => vhr_store::plain_users(&self.db_path())?.into_iter().map(|(_, name, _)| name).collect(),
            _ => self.file.as_ref().map(InstallFile::enabled_usernames).unwrap_or_default(),
        };
        Ok(if names.len() == 1 { names.into_iter().next() } else { None })
    }

    pub fn app_state(&self, version: &str) -> Result<AppState> {
        Ok(AppState {
            set_up: self.is_set_up()?,
            session: None,
            lang: self.language(),
            data_dir: self.dir.display().to_string(),
            version: version.to_string(),
            outbox_pending: 0,
            sole_user: self.sole_user()?,
            startup_problems: Vec::new(),
            locked: false,
        })
    }

    /// Sets up the clinic and its first user, an administrator, and signs
    /// them in. A new random key encrypts the new database; the first user's
    /// password and a new recovery code (in the session, to print) seal it.
    pub fn setup(&mut self, req: SetupRequest) -> Result<Clinic> {
        if self.is_set_up()? {
            return Err(Error::AlreadySetUp);
        }
        let mut problems = req.profile.validate();
        problems.extend(check_new_user(&req.username, &req.display_name, &req.password));
        let phone = normalize_ascii(&req.phone);
        problems.extend(phone_problem("phone", &phone));
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        if self.db_state()? == FileState::Plain {
            // An older version made the file but was never set up: nothing in it.
            let aside = self.dir.join(format!("{DB_FILE}.never-set-up"));
            std::fs::rename(self.db_path(), &aside).map_err(|e| Error::Storage(e.to_string()))?;
        }
        let key = keys::new_data_key();
        let (user, file, code) = self.first_administrator(&req.username, &req.display_name, phone, &req.password, &key)?;
        // The key is on disk, sealed, before the database it opens exists.
        file.save(&self.dir)?;
        self.file = Some(file.clone());
        let mut clinic = Clinic::open(&self.dir, self.env.clone(), key, file)?;
        let record = UserRecord { user: user.clone(), password_hash: SEALED_IN_INSTALL_FILE.into() };
        clinic.store.initialize(&req.profile, &record, clinic.now())?;
        clinic.signed_in(&user, Some(code), "setup")?;
        Ok(clinic)
    }

    /// A new install's first administrator, and the install file that seals
    /// `key` for their password and for a new recovery code (returned, to
    /// print once). Nothing is written yet.
    pub(crate) fn first_administrator(
        &self,
        username: &str,
        display_name: &str,
        phone: String,
        password: &str,
        key: &vhr_store::DatabaseKey,
    ) -> Result<(User, InstallFile, String)> {
        let user = User {
            id: self.env.ids.new_id(),
            username: username.trim().to_string(),
            display_name: display_name.trim().to_string(),
            role: "admin".into(),
            phone,
            disabled: false,
            villages: Vec::new(),
        };
        let code = keys::new_recovery_code();
        let mut file = InstallFile::new();
        file.lang = self.file.as_ref().and_then(|f| f.lang.clone());
        file.set_account(&user.id, &user.username, keys::seal(key, password, &keys::user_context(&user.id))?);
        file.recovery = Some(keys::seal(key, &code, keys::RECOVERY_CONTEXT)?);
        Ok((user, file, code))
    }

    /// Signs a user in: their password unseals the database key. Five wrong
    /// passwords in a row lock the account for a quarter of an hour. A plain
    /// database of an older version is encrypted here, at its first sign-in.
    pub fn sign_in(&mut self, username: &str, password: &str) -> Result<Clinic> {
        let username = username.trim();
        match self.db_state()? {
            FileState::Missing => Err(Error::NotSetUp),
            FileState::Plain => self.sign_in_and_encrypt(username, password),
            FileState::Encrypted => {
                let (user_id, key, failed) = self.unseal(username, password)?;
                let file = self.file.clone().ok_or(Error::KeysMissing)?;
                let mut clinic = Clinic::open(&self.dir, self.env.clone(), key, file)?;
                let user = clinic.store.user_by_id(&user_id)?.ok_or(Error::BadCredentials)?;
                if user.disabled {
                    return Err(Error::AccountDisabled);
                }
                clinic.signed_in(&user, None, &format!("password; wrong before: {failed}"))?;
                Ok(clinic)
            }
        }
    }

    /// The database key, unsealed by a user's password (the lockout counted
    /// as at sign-in); with the user's id and the wrong passwords before.
    pub(crate) fn unseal(&mut self, username: &str, password: &str) -> Result<(String, vhr_store::DatabaseKey, u32)> {
        let now = self.env.clock.now();
        let mut file = self.file.clone().ok_or(Error::KeysMissing)?;
        if let Some(until) = file.locked_until(username, now.at()) {
            return Err(locked(until, now));
        }
        let account = file.account(username).cloned().ok_or(Error::BadCredentials)?;
        let Some(sealed) = account.sealed.as_ref().filter(|_| !account.disabled) else {
            return Err(Error::AccountDisabled);
        };
        let Some(key) = keys::unseal(sealed, password, &keys::user_context(&account.user_id))? else {
            return Err(self.wrong_password(file, username)?);
        };
        let failed = file.failures.get(username).map(|f| f.count).unwrap_or(0);
        if file.failures.contains_key(username) {
            file.note_success(username);
            file.save(&self.dir)?;
        }
        self.file = Some(file);
        Ok((account.user_id, key, failed))
    }

    /// The first sign-in to a plain database of a version before encryption:
    /// the password is checked against that version's hash; then an
    /// encrypted copy is written and checked (integrity, every table's rows,
    /// the schema), the key is sealed on disk, and only then does the copy
    /// replace the plain file. A failure anywhere leaves the plain file as it was.
    fn sign_in_and_encrypt(&mut self, username: &str, password: &str) -> Result<Clinic> {
        let db = self.db_path();
        let now = self.env.clock.now();
        let mut file = self.file.clone().unwrap_or_else(InstallFile::new);
        if let Some(until) = file.locked_until(username, now.at()) {
            return Err(locked(until, now));
        }
        let users = vhr_store::plain_users(&db)?;
        let (user_id, _, hash) = users.into_iter().find(|(_, name, _)| name == username).ok_or(Error::BadCredentials)?;
        let hash = PasswordHash::new(&hash).map_err(|e| Error::Storage(e.to_string()))?;
        if Argon2::default().verify_password(password.as_bytes(), &hash).is_err() {
            return Err(self.wrong_password(file, username)?);
        }
        let key = keys::new_data_key();
        let copy = self.dir.join(format!("{DB_FILE}.encrypting"));
        remove_if_there(&copy)?;
        let check = vhr_store::encrypted_copy(&db, &copy, &key)?;
        tracing::info!(tables = check.tables, rows = check.rows, "plain database copied encrypted and checked");
        let code = keys::new_recovery_code();
        file.set_account(&user_id, username, keys::seal(&key, password, &keys::user_context(&user_id))?);
        file.recovery = Some(keys::seal(&key, &code, keys::RECOVERY_CONTEXT)?);
        file.save(&self.dir)?;
        self.file = Some(file.clone());
        // The plain file's write-ahead log was emptied into it by the copy;
        // a leftover one must not be replayed onto the encrypted file.
        for suffix in ["-wal", "-shm"] {
            remove_if_there(&self.dir.join(format!("{DB_FILE}{suffix}")))?;
        }
        std::fs::rename(&copy, &db).map_err(|e| Error::Storage(format!("{}: {e}", db.display())))?;
        tracing::info!("the database is encrypted now");
        let mut clinic = Clinic::open(&self.dir, self.env.clone(), key, file)?;
        let user = clinic.store.user_by_id(&user_id)?.ok_or(Error::BadCredentials)?;
        clinic.signed_in(&user, Some(code), "password; database encrypted")?;
        Ok(clinic)
    }

    /// Counts a wrong password on disk; the error to show: wrong, or locked
    /// when this one was the fifth in a row.
    fn wrong_password(&mut self, mut file: InstallFile, username: &str) -> Result<Error> {
        let now = self.env.clock.now();
        file.note_failure(username, now.at());
        file.save(&self.dir)?;
        let until = file.locked_until(username, now.at());
        self.file = Some(file);
        Ok(until.map(|u| locked(u, now)).unwrap_or(Error::BadCredentials))
    }

    /// Recovery when no administrator can sign in: the recovery code from
    /// the sheet printed at setup unseals the key, `username` (an
    /// administrator) gets `new_password`, and a new recovery code replaces
    /// the used one (in the session, to print).
    pub fn recover(&mut self, code: &str, username: &str, new_password: &str) -> Result<Clinic> {
        const RECOVERY: &str = "(recovery)";
        let now = self.env.clock.now();
        let mut file = self.file.clone().ok_or(Error::KeysMissing)?;
        if let Some(until) = file.locked_until(RECOVERY, now.at()) {
            return Err(locked(until, now));
        }
        require_password(new_password)?;
        let sealed = file.recovery.clone().ok_or(Error::BadRecoveryCode)?;
        let Some(key) = keys::unseal(&sealed, &keys::normalize_recovery_code(code), keys::RECOVERY_CONTEXT)? else {
            file.note_failure(RECOVERY, now.at());
            file.save(&self.dir)?;
            self.file = Some(file);
            return Err(Error::BadRecoveryCode);
        };
        let mut clinic = Clinic::open(&self.dir, self.env.clone(), key, file)?;
        let user = clinic.store.user_by_name(username.trim())?.filter(|u| u.role == "admin" && !u.disabled).ok_or_else(|| {
            Error::Invalid(vec![Problem::error(
                "username",
                "user.not_admin",
                "恢复码只能为本机构在用的管理员账户重设密码，请填写管理员的登录名",
                "The recovery code resets the password of an administrator account in use; enter an administrator's login name",
            )])
        })?;
        let fresh = keys::new_recovery_code();
        clinic.keys.set_account(&user.id, &user.username, keys::seal(&clinic.key, new_password, &keys::user_context(&user.id))?);
        clinic.keys.recovery = Some(keys::seal(&clinic.key, &fresh, keys::RECOVERY_CONTEXT)?);
        clinic.keys.note_success(RECOVERY);
        clinic.keys.save(&self.dir)?;
        self.file = Some(clinic.keys.clone());
        tracing::info!("an administrator's password was reset with the recovery code");
        clinic.signed_in(&user, Some(fresh), "recovery code")?;
        clinic.audit_event("recover", None)?;
        Ok(clinic)
    }
}

fn locked(until: chrono::DateTime<chrono::Utc>, now: vhr_domain::time::Moment) -> Error {
    Error::AccountLocked { until: until.with_timezone(&now.local_time().timezone()).format("%H:%M").to_string() }
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Storage(format!("{}: {e}", path.display()))),
        _ => Ok(()),
    }
}

/// The window's one session: the install, and the clinic once someone has
/// signed in. Every command of the window goes through it.
pub struct Desk {
    pub(crate) install: Install,
    pub(crate) clinic: Option<Clinic>,
    /// Locked (idle or on demand): every command but unlock and sign-out is
    /// refused until the signed-in user's password is given again.
    locked: bool,
}

impl Desk {
    pub fn open(data_dir: &Path, env: Env) -> Result<Desk> {
        Ok(Desk { install: Install::at(data_dir, env)?, clinic: None, locked: false })
    }

    /// The signed-in clinic, or `not_signed_in`, or `locked`.
    pub fn clinic(&mut self) -> Result<&mut Clinic> {
        if self.locked {
            return Err(Error::Locked);
        }
        self.clinic.as_mut().ok_or(Error::NotSignedIn)
    }

    /// Locks the window: idle too long, or the user stepped away (Ctrl+L).
    /// The window keeps what was typed; the core answers nothing but unlock.
    pub fn lock(&mut self) -> Result<()> {
        let clinic = self.clinic.as_mut().ok_or(Error::NotSignedIn)?;
        if !self.locked {
            clinic.note_lock(true)?;
            self.locked = true;
        }
        Ok(())
    }

    /// Unlocks with the signed-in user's password. Wrong passwords count as
    /// at sign-in; the one that locks the account also signs the session out.
    pub fn unlock(&mut self, password: &str) -> Result<()> {
        let clinic = self.clinic.as_mut().ok_or(Error::NotSignedIn)?;
        if !self.locked {
            return Ok(());
        }
        match clinic.check_own_password(password) {
            Ok(()) => {
                clinic.note_lock(false)?;
                self.locked = false;
                Ok(())
            }
            Err(e @ Error::AccountLocked { .. }) => {
                self.locked = false;
                self.sign_out()?;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    pub fn language(&self) -> Lang {
        match &self.clinic {
            Some(c) => c.language().unwrap_or_default(),
            None => self.install.language(),
        }
    }

    pub fn set_language(&mut self, lang: Lang) -> Result<()> {
        match self.clinic.as_mut() {
            Some(c) => c.set_language(lang),
            None => self.install.set_language(lang),
        }
    }

    pub fn app_state(&mut self, version: &str) -> Result<AppState> {
        let locked = self.locked;
        let mut state = match self.clinic.as_mut() {
            Some(c) => c.app_state(version)?,
            None => self.install.app_state(version)?,
        };
        state.locked = locked;
        Ok(state)
    }

    pub fn setup(&mut self, req: SetupRequest) -> Result<SessionInfo> {
        let clinic = self.install.setup(req)?;
        self.enter(clinic)
    }

    pub fn sign_in(&mut self, username: &str, password: &str) -> Result<SessionInfo> {
        if self.clinic.is_some() {
            self.sign_out()?;
        }
        let clinic = self.install.sign_in(username, password)?;
        self.enter(clinic)
    }

    pub fn recover(&mut self, code: &str, username: &str, new_password: &str) -> Result<SessionInfo> {
        let clinic = self.install.recover(code, username, new_password)?;
        self.enter(clinic)
    }

    pub(crate) fn enter(&mut self, mut clinic: Clinic) -> Result<SessionInfo> {
        let session = clinic.session()?.ok_or(Error::NotSignedIn)?;
        self.clinic = Some(clinic);
        Ok(session)
    }

    /// Ends the session: the sign-out is recorded and the trail signed (a
    /// failure to is logged, never keeps anyone signed in), then the
    /// database closes and its key leaves memory.
    pub fn sign_out(&mut self) -> Result<()> {
        self.locked = false;
        if let Some(mut clinic) = self.clinic.take() {
            if let Err(e) = clinic.signing_out() {
                tracing::warn!(error = %e, "the sign-out could not be recorded in the audit trail");
            }
        }
        self.install = Install::at(&self.install.dir.clone(), self.install.env.clone())?;
        Ok(())
    }
}

impl Clinic {
    /// The session starts: recorded in the trail (`how`: by password or
    /// recovery code, and how many wrong passwords came before), and the
    /// day before closed with a checkpoint if it was not yet.
    pub(crate) fn signed_in(&mut self, user: &User, recovery_code: Option<String>, how: &str) -> Result<()> {
        self.actor = Some(vhr_store::Actor::account(user));
        self.recovery_code = recovery_code;
        self.audit_event("sign-in", Some(how))?;
        self.close_day_if_due()?;
        Ok(())
    }

    /// The signed-in user's password, given again to unlock the window:
    /// wrong ones are counted on disk as at sign-in (five in a row lock the
    /// account for a quarter of an hour).
    pub(crate) fn check_own_password(&mut self, password: &str) -> Result<()> {
        let me = self.me()?;
        let now = self.now();
        if let Some(until) = self.keys.locked_until(&me.username, now.at()) {
            return Err(locked(until, now));
        }
        let sealed = self.keys.account(&me.username).and_then(|a| a.sealed.clone()).ok_or(Error::AccountDisabled)?;
        if keys::unseal(&sealed, password, &keys::user_context(&me.id))?.is_some() {
            if self.keys.failures.contains_key(&me.username) {
                self.keys.note_success(&me.username);
                self.keys.save(self.data_dir())?;
            }
            return Ok(());
        }
        self.keys.note_failure(&me.username, now.at());
        self.keys.save(self.data_dir())?;
        Err(self.keys.locked_until(&me.username, now.at()).map(|u| locked(u, now)).unwrap_or(Error::BadCredentials))
    }

    /// The session ends: recorded, and the trail signed.
    pub fn signing_out(&mut self) -> Result<()> {
        self.audit_event("sign-out", None)?;
        self.write_checkpoint("sign-out")?;
        Ok(())
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

    /// The signed-in user.
    pub fn me(&self) -> Result<User> {
        let actor = self.actor()?;
        self.store.user_by_id(&actor.user_id)?.ok_or(Error::NotSignedIn)
    }

    pub(crate) fn require_admin(&self) -> Result<User> {
        let me = self.me()?;
        if Role::parse(&me.role) != Some(Role::Admin) {
            return Err(Error::Forbidden);
        }
        Ok(me)
    }

    /// Seals the data key with `password` for `user` (their new or first
    /// password) and writes the install file.
    fn seal_for(&mut self, user: &User, password: &str) -> Result<()> {
        self.keys.set_account(&user.id, &user.username, keys::seal(&self.key, password, &keys::user_context(&user.id))?);
        self.keys.save(&self.data_dir)
    }

    /// Every account, disabled ones too (for administrators).
    pub fn users(&self) -> Result<Vec<User>> {
        self.require_admin()?;
        Ok(self.store.users()?)
    }

    /// An account's history: created, phone changed, disabled, enabled, by whom.
    pub fn user_history(&self, username: &str) -> Result<Vec<vhr_store::HistoryEntry>> {
        self.require_admin()?;
        let user = self.account(username)?;
        Ok(self.store.history(self.actor()?, vhr_domain::entity::Entity::User, &user.id)?)
    }

    /// An administrator adds an account, which can sign in at once.
    pub fn add_user(&mut self, req: NewUserRequest) -> Result<User> {
        let me = self.require_admin()?;
        let mut problems = check_new_user(&req.username, &req.display_name, &req.password);
        match Role::parse(&req.role) {
            None => problems.push(Problem::error(
                "role",
                "user.role",
                "请选择角色：村医、乡镇督导或管理员",
                "Choose a role: village doctor, township supervisor or administrator",
            )),
            Some(role) if role.has_villages() => problems.extend(self.village_problems(&req.villages)?),
            Some(_) => {}
        }
        let phone = normalize_ascii(&req.phone);
        problems.extend(phone_problem("phone", &phone));
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        let user = User {
            id: self.env.ids.new_id(),
            username: req.username.trim().to_string(),
            display_name: req.display_name.trim().to_string(),
            role: req.role.clone(),
            phone,
            disabled: false,
            villages: if Role::parse(&req.role).is_some_and(Role::has_villages) { req.villages.clone() } else { Vec::new() },
        };
        let actor = self.actor()?.clone();
        self.store.add_user(&actor, &UserRecord { user: user.clone(), password_hash: SEALED_IN_INSTALL_FILE.into() }, self.now())?;
        self.seal_for(&user, &req.password)?;
        tracing::info!(by = %me.id, user = %user.id, role = %user.role, "account added");
        Ok(user)
    }

    fn account(&self, username: &str) -> Result<User> {
        self.store.user_by_name(username.trim())?.ok_or_else(|| Error::NotFound { entity: "user".into(), id: username.to_string() })
    }

    /// An administrator sets a new password for an account in use (and
    /// lifts its lockout). The database is not re-encrypted: one key is sealed anew.
    pub fn reset_password(&mut self, username: &str, new_password: &str) -> Result<()> {
        self.require_admin()?;
        let user = self.account(username)?;
        if user.disabled {
            return Err(Error::AccountDisabled);
        }
        require_password(new_password)?;
        self.seal_for(&user, new_password)?;
        tracing::info!(user = %user.id, "password reset by an administrator");
        Ok(())
    }

    /// The signed-in user changes their own password.
    pub fn change_password(&mut self, old: &str, new: &str) -> Result<()> {
        let me = self.me()?;
        let sealed = self.keys.account(&me.username).and_then(|a| a.sealed.clone()).ok_or(Error::AccountDisabled)?;
        if keys::unseal(&sealed, old, &keys::user_context(&me.id))?.is_none() {
            return Err(Error::BadCredentials);
        }
        require_password(new)?;
        self.seal_for(&me, new)?;
        Ok(())
    }

    /// An administrator disables an account: it can no longer sign in, and
    /// stays, with its name on what it recorded. Never the last administrator.
    pub fn disable_user(&mut self, username: &str) -> Result<User> {
        let me = self.require_admin()?;
        let user = self.account(username)?;
        let admins_left = self.store.users()?.iter().filter(|u| u.role == "admin" && !u.disabled && u.id != user.id).count();
        if user.id == me.id || (user.role == "admin" && admins_left == 0) {
            return Err(Error::Invalid(vec![Problem::error(
                "username",
                "user.last_admin",
                "不能停用自己的账户或最后一个管理员账户",
                "You cannot disable your own account or the last administrator",
            )]));
        }
        let actor = self.actor()?.clone();
        let user = self.store.set_user_disabled(&actor, &user.id, true, self.now())?;
        self.keys.disable_account(&user.id);
        self.keys.save(self.data_dir())?;
        tracing::info!(user = %user.id, "account disabled");
        Ok(user)
    }

    /// An administrator sets the villages a village doctor keeps. They take
    /// effect at the doctor's next sign-in.
    pub fn set_user_villages(&mut self, username: &str, villages: &[String]) -> Result<User> {
        self.require_admin()?;
        let user = self.account(username)?;
        if !Role::parse(&user.role).is_some_and(Role::has_villages) {
            return Err(Error::Invalid(vec![Problem::error(
                "villages",
                "user.villages_role",
                "只有村医账户需要分配村：乡镇督导和管理员可查看全部村",
                "Only village doctors are assigned villages: supervisors and administrators see every village",
            )]));
        }
        let problems = self.village_problems(villages)?;
        if has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        let actor = self.actor()?.clone();
        let user = self.store.set_user_villages(&actor, &user.id, villages, self.now())?;
        tracing::info!(user = %user.id, villages = user.villages.len(), "villages assigned");
        Ok(user)
    }

    /// A village doctor keeps at least one village, each one this clinic serves.
    fn village_problems(&self, villages: &[String]) -> Result<Vec<Problem>> {
        let profile = self.profile_required()?;
        let mut problems = Vec::new();
        if villages.is_empty() {
            problems.push(Problem::error(
                "villages",
                "user.villages_empty",
                "请为村医至少选择一个负责的村",
                "Choose at least one village for a village doctor",
            ));
        }
        for code in villages.iter().filter(|c| !profile.villages.iter().any(|v| &v.code == *c)) {
            problems.push(Problem::error(
                "villages",
                "user.village_unknown",
                format!("村代码 {code} 不是本机构服务的村"),
                format!("Village code {code} is not one this clinic serves"),
            ));
        }
        Ok(problems)
    }

    /// An administrator enables a disabled account again, with a new password.
    pub fn enable_user(&mut self, username: &str, new_password: &str) -> Result<User> {
        self.require_admin()?;
        let user = self.account(username)?;
        require_password(new_password)?;
        let actor = self.actor()?.clone();
        let user = self.store.set_user_disabled(&actor, &user.id, false, self.now())?;
        self.seal_for(&user, new_password)?;
        Ok(user)
    }

    /// An administrator prints a new recovery sheet; the old code stops working.
    pub fn new_recovery_code(&mut self) -> Result<String> {
        self.require_admin()?;
        let code = keys::new_recovery_code();
        self.keys.recovery = Some(keys::seal(&self.key, &code, keys::RECOVERY_CONTEXT)?);
        self.keys.save(self.data_dir())?;
        Ok(code)
    }

    /// The signed-in session, if any. A recovery code waiting to be shown
    /// is handed over once.
    pub fn session(&mut self) -> Result<Option<SessionInfo>> {
        let (Some(actor), Some(clinic)) = (self.actor.as_ref(), self.store.clinic()?) else {
            return Ok(None);
        };
        let user = self.store.user_by_id(&actor.user_id)?.ok_or(Error::NotSignedIn)?;
        let idle_lock_minutes = self.idle_lock_minutes()?;
        Ok(Some(SessionInfo { clinic, user, recovery_code: self.recovery_code.take(), idle_lock_minutes }))
    }

    pub fn app_state(&mut self, version: &str) -> Result<AppState> {
        let lang = self.language()?;
        Ok(AppState {
            set_up: self.profile()?.is_some(),
            session: self.session()?,
            lang,
            data_dir: self.data_dir().display().to_string(),
            version: version.to_string(),
            outbox_pending: self.store.outbox_pending()?,
            sole_user: None,
            startup_problems: self.startup_problems.iter().map(|e| e.to_wire(lang)).collect(),
            locked: false,
        })
    }
}

fn require_password(password: &str) -> Result<()> {
    let problems = check_password(password);
    if has_errors(&problems) {
        return Err(Error::Invalid(problems));
    }
    Ok(())
}

fn check_password(password: &str) -> Vec<Problem> {
    if password.chars().count() < 8 {
        vec![Problem::error("password", "user.password_short", "密码至少8位", "The password has at least 8 characters")]
    } else {
        Vec::new()
    }
}

pub(crate) fn check_new_user(username: &str, display_name: &str, password: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    if username.trim().is_empty() || username.trim().chars().any(char::is_whitespace) {
        problems.push(Problem::error("username", "user.username", "请填写登录名（不含空格）", "Enter a login name without spaces"));
    }
    if display_name.trim().is_empty() {
        problems.push(Problem::error("display_name", "required", "请填写姓名", "Enter the user's name"));
    }
    problems.extend(check_password(password));
    problems
}
