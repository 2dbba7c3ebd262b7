//! Errors of the use cases, and how they reach a user: `{code, message}`.

use serde::Serialize;
use ts_rs::TS;
use vhr_domain::i18n::Lang;
use vhr_domain::problem::Problem;
use vhr_store::StoreError;
use vhr_sync::TransportError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the input has problems")]
    Invalid(Vec<Problem>),
    #[error("the input needs confirmation")]
    NeedsConfirmation(Vec<Problem>),
    #[error("the ID number is on file already")]
    DuplicateIdNumber { resident_id: String, record_no: String, name: String },
    #[error("the clinic is not set up")]
    NotSetUp,
    #[error("the clinic is set up already")]
    AlreadySetUp,
    #[error("nobody is signed in")]
    NotSignedIn,
    /// The window is locked (idle, or on demand): only the password unlocks it.
    #[error("the window is locked")]
    Locked,
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many wrong passwords in a row: no password is tried until `until`
    /// (the clinic's local time, HH:MM).
    #[error("the account is locked until {until}")]
    AccountLocked { until: String },
    #[error("the account is disabled")]
    AccountDisabled,
    /// The database is encrypted but this install has no key file for it: a
    /// database copied to another computer without its install file.
    #[error("the database's key file is missing")]
    KeysMissing,
    /// The install file's key does not open the database beside it.
    #[error("the key file does not belong to this database")]
    KeysDoNotMatch,
    #[error("the recovery code is wrong")]
    BadRecoveryCode,
    /// The signed-in user's role does not allow this.
    #[error("not allowed for this role")]
    Forbidden,
    /// A change to a resident of a village this account does not serve, or
    /// (for a township supervisor) to personal basic information.
    #[error("out of this account's villages")]
    OutOfReach,
    #[error("the serial block is used up")]
    SerialBlockExhausted { village: String, start: u32, end: u32 },
    #[error("changed meanwhile")]
    VersionConflict { id: String, expected: i64, actual: i64 },
    #[error("{entity} {id} not found")]
    NotFound { entity: String, id: String },
    #[error("form definitions are inconsistent: {0}")]
    Forms(String),
    #[error("storage failed: {0}")]
    Storage(String),
    /// The database file is damaged (SQLite's check failed, or a page cannot be read).
    #[error("the database file is damaged: {0}")]
    Damaged(String),
    /// A restore was asked for and none of the install's backups checks out.
    #[error("no backup checks out")]
    NoGoodBackup,
    #[error("printing was cancelled")]
    Cancelled,
    #[error("printing failed: {0}")]
    Print(String),
    /// A resource the platform sent could not be read, or a sync request makes no sense.
    #[error("sync failed: {0}")]
    Sync(String),
    /// The platform did not answer, or not whole: what waits is kept for the next pass.
    #[error("the platform cannot be reached: {0}")]
    Platform(#[from] TransportError),
    /// A configuration file the install's staff edit is wrong; the clinic
    /// runs on without it and says what to fix, in which file.
    #[error("{file} is refused")]
    Config { file: String, problems: Vec<Problem> },
    /// A fault in the program itself (a panic caught at the edge): logged by
    /// where it happened; what the user typed is kept by the window.
    #[error("an internal error")]
    Internal,
}

/// An error as the UI and the CLI's JSON output receive it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct WireError {
    pub code: String,
    pub message: String,
    /// Field-level problems, for `invalid` and `needs_confirmation`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// The record this error is about, e.g. the one holding a duplicate ID number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<String>,
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::NeedsConfirmation(_) => "needs_confirmation",
            Error::DuplicateIdNumber { .. } => "duplicate_id_number",
            Error::NotSetUp => "not_set_up",
            Error::AlreadySetUp => "already_set_up",
            Error::NotSignedIn => "not_signed_in",
            Error::Locked => "locked",
            Error::BadCredentials => "bad_credentials",
            Error::AccountLocked { .. } => "account_locked",
            Error::AccountDisabled => "account_disabled",
            Error::KeysMissing => "keys_missing",
            Error::KeysDoNotMatch => "keys_do_not_match",
            Error::BadRecoveryCode => "bad_recovery_code",
            Error::Forbidden => "forbidden",
            Error::OutOfReach => "out_of_reach",
            Error::SerialBlockExhausted { .. } => "serial_block_exhausted",
            Error::VersionConflict { .. } => "version_conflict",
            Error::NotFound { .. } => "not_found",
            Error::Forms(_) => "form_definition",
            Error::Storage(_) => "storage",
            Error::Damaged(_) => "database_damaged",
            Error::NoGoodBackup => "no_good_backup",
            Error::Cancelled => "cancelled",
            Error::Print(_) => "print",
            Error::Sync(_) => "sync",
            Error::Platform(_) => "platform_unreachable",
            Error::Config { .. } => "configuration",
            Error::Internal => "internal",
        }
    }

    /// The message for a person, in their language, saying what to do.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            // A file refused as a whole (a transfer file, a handover archive):
            // its one problem is the message — there is no field to mark.
            Error::Invalid(p) if p.len() == 1 && p[0].field == "file" => p[0].text(lang).to_string(),
            Error::Invalid(p) => {
                let n = p.iter().filter(|p| p.is_error()).count();
                if zh {
                    format!("有 {n} 处需要修改，请查看标红的项目")
                } else {
                    format!("{n} item(s) need correcting; see the fields marked in red")
                }
            }
            Error::NeedsConfirmation(p) => {
                let first = p.first().map(|p| p.text(lang).to_string()).unwrap_or_default();
                if zh {
                    format!("请确认后再保存：{first}")
                } else {
                    format!("Please confirm before saving: {first}")
                }
            }
            Error::DuplicateIdNumber { record_no, name, .. } => {
                if zh {
                    format!("该身份证号已建档：{name}（档案号 {record_no}），不能重复建档。可打开已有档案。")
                } else {
                    format!("This ID number already has a record: {name} ({record_no}). Open the existing record instead.")
                }
            }
            Error::NotSetUp => {
                if zh {
                    "尚未设置本机构，请先完成首次设置".into()
                } else {
                    "The clinic is not set up yet; complete the first-start setup".into()
                }
            }
            Error::AlreadySetUp => {
                if zh {
                    "本机构已经设置过".into()
                } else {
                    "The clinic is set up already".into()
                }
            }
            Error::NotSignedIn => {
                if zh {
                    "请先登录".into()
                } else {
                    "Please sign in first".into()
                }
            }
            Error::Locked => {
                if zh {
                    "已锁定，请输入密码解锁；未保存的内容仍在".into()
                } else {
                    "Locked: enter your password to unlock; nothing you typed is lost".into()
                }
            }
            Error::BadCredentials => {
                if zh {
                    "用户名或密码不正确".into()
                } else {
                    "Wrong user name or password".into()
                }
            }
            Error::AccountLocked { until } => {
                if zh {
                    format!("密码连续输错次数过多，该账户已锁定至 {until}。请稍后再试，或请管理员重置密码")
                } else {
                    format!("Too many wrong passwords in a row: the account is locked until {until}. Try again later, or ask an administrator to reset the password")
                }
            }
            Error::AccountDisabled => {
                if zh {
                    "该账户已停用，请联系本机构的管理员".into()
                } else {
                    "This account is disabled; ask the clinic's administrator".into()
                }
            }
            Error::KeysMissing => {
                if zh {
                    "数据库文件已加密（或已损坏），但旁边没有它的密钥文件 install.json。若数据库是从别的电脑复制来的，请把原电脑数据文件夹中的 install.json 一并复制过来；数据库未被改动".into()
                } else {
                    "The database file is encrypted (or damaged) and its key file install.json is not beside it. If the database was copied from another computer, copy install.json from that computer's data folder too; the database was not changed".into()
                }
            }
            Error::KeysDoNotMatch => {
                if zh {
                    "密钥文件 install.json 与数据库不配套，无法打开。请使用与该数据库一起保存的 install.json；数据库未被改动".into()
                } else {
                    "The key file install.json does not belong to this database, so it cannot be opened. Use the install.json saved with this database; the database was not changed".into()
                }
            }
            Error::BadRecoveryCode => {
                if zh {
                    "恢复码不正确，请对照恢复单逐字核对（不区分大小写，横线可省略）".into()
                } else {
                    "The recovery code is wrong; check it against the recovery sheet character by character (case and dashes do not matter)"
                        .into()
                }
            }
            Error::Forbidden => {
                if zh {
                    "当前账户的角色不能进行此操作".into()
                } else {
                    "Your account's role does not allow this".into()
                }
            }
            Error::OutOfReach => {
                if zh {
                    "您的账户不能在该村建档或修改个人基本信息：村医只管理分配给自己的村，乡镇督导记录服务和督导意见。如需调整，请联系管理员"
                        .into()
                } else {
                    "Your account cannot register residents or edit personal information in this village: village doctors keep the villages assigned to them, township supervisors record services and supervision notes. Ask an administrator to change this".into()
                }
            }
            Error::SerialBlockExhausted { village, start, end } => {
                if zh {
                    format!("村代码 {village} 的个人序号段 {start:05}–{end:05} 已用完，请向乡镇卫生院申请新的号段")
                } else {
                    format!(
                        "The serial block {start:05}–{end:05} for village {village} is used up; ask the township hospital for a new block"
                    )
                }
            }
            Error::VersionConflict { .. } => {
                if zh {
                    "该档案已被他人修改，请重新打开后再编辑".into()
                } else {
                    "Someone else changed this record meanwhile; reopen it and edit again".into()
                }
            }
            Error::NotFound { .. } => {
                if zh {
                    "没有找到该档案".into()
                } else {
                    "The record was not found".into()
                }
            }
            Error::Forms(e) => {
                if zh {
                    format!("表单定义有误：{e}")
                } else {
                    format!("A form definition is wrong: {e}")
                }
            }
            Error::Storage(e) => {
                if zh {
                    format!("数据保存失败，已输入的内容未丢失，请重试：{e}")
                } else {
                    format!("Saving failed; nothing you typed is lost, please try again: {e}")
                }
            }
            Error::Damaged(e) => {
                if zh {
                    format!("数据库文件已损坏（{e}）。程序不会改动损坏的文件。请用最近一次完好的备份恢复（管理员：设置 → 备份与恢复；无法登录时在登录页恢复），恢复后平台上已有的内容会在下次同步时取回")
                } else {
                    format!("The database file is damaged ({e}). The program does not change the damaged file. Restore the last good backup (administrators: Settings → Backup and restore; on the sign-in page when nobody can sign in); what the platform holds comes back at the next sync")
                }
            }
            Error::NoGoodBackup => {
                if zh {
                    "数据文件夹的 backups 中没有能打开且检查完好的备份。请找到备份文件（例如 U 盘上的 village-health-….vhrbak）并选择它"
                        .into()
                } else {
                    "No backup in the data folder's backups opens and checks out. Find a backup file (such as village-health-….vhrbak on a USB stick) and choose it".into()
                }
            }
            Error::Cancelled => {
                if zh {
                    "已取消打印，未生成文件".into()
                } else {
                    "Printing was cancelled; no file was made".into()
                }
            }
            Error::Print(e) => {
                if zh {
                    format!("无法生成打印文件：{e}")
                } else {
                    format!("The print file could not be made: {e}")
                }
            }
            Error::Sync(e) => {
                if zh {
                    format!("同步未完成：{e}")
                } else {
                    format!("Sync did not finish: {e}")
                }
            }
            Error::Platform(e) => {
                if zh {
                    format!("暂时无法连接平台，已保存的内容留在本机，下次同步时上传：{e}")
                } else {
                    format!("The platform cannot be reached now; what was saved stays here and goes up on the next sync: {e}")
                }
            }
            Error::Config { file, problems } => {
                let first = problems.first().map(|p| p.text(lang).to_string()).unwrap_or_default();
                let n = problems.len();
                if zh {
                    format!("配置文件 {file} 有 {n} 处错误，暂按上次的设置运行。请改正后重新启动：{first}")
                } else {
                    format!("The configuration file {file} has {n} error(s); the last settings in force are used meanwhile. Correct it and restart: {first}")
                }
            }
            Error::Internal => {
                if zh {
                    "程序出错，本次操作未完成，已填写的内容仍保留。问题已记入日志（设置 → 日志），可导出后发给技术支持。".into()
                } else {
                    "Something went wrong in the program and this was not done; what you filled in is kept. It is in the log (Settings → Log), which you can export for support.".into()
                }
            }
        }
    }

    pub fn to_wire(&self, lang: Lang) -> WireError {
        WireError {
            code: self.code().to_string(),
            message: self.message(lang),
            problems: match self {
                Error::Invalid(p) | Error::NeedsConfirmation(p) | Error::Config { problems: p, .. } => p.clone(),
                _ => vec![],
            },
            resident_id: match self {
                Error::DuplicateIdNumber { resident_id, .. } => Some(resident_id.clone()),
                Error::VersionConflict { id, .. } => Some(id.clone()),
                _ => None,
            },
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotInitialized => Error::NotSetUp,
            StoreError::Cancelled => Error::Cancelled,
            StoreError::AlreadyInitialized => Error::AlreadySetUp,
            StoreError::DuplicateIdNumber { resident_id, record_no, name, .. } => Error::DuplicateIdNumber { resident_id, record_no, name },
            StoreError::SerialBlockExhausted { prefix, start, end } => {
                Error::SerialBlockExhausted { village: prefix[9..].to_string(), start, end }
            }
            StoreError::VersionConflict { id, expected, actual, .. } => Error::VersionConflict { id, expected, actual },
            StoreError::NotFound { entity, id } => Error::NotFound { entity: entity.to_string(), id },
            StoreError::AlreadyEnded { .. } => Error::Invalid(vec![Problem::error(
                "program",
                "program.ended",
                "该项管理已经结束",
                "This programme episode has ended already",
            )]),
            StoreError::RecordNumberTaken { record_no, name, .. } => Error::Invalid(vec![Problem::error(
                "record_no",
                "record_no.taken",
                format!("健康档案编号 {record_no} 在本机已属于 {name} 的档案：两家机构发了同一个编号，请与乡镇卫生院核对号段"),
                format!("The record number {record_no} belongs to {name}'s record here: two institutions issued the same number; check the serial blocks with the township hospital"),
            )]),
            StoreError::DuplicateUser(name) => Error::Invalid(vec![Problem::error(
                "username",
                "user.duplicate",
                format!("用户名 {name} 已存在"),
                format!("The user name {name} is taken"),
            )]),
            StoreError::RecordClosed { .. } => Error::Invalid(vec![Problem::error(
                "status",
                "closure.already_closed",
                "该档案已结案",
                "This record is closed already",
            )]),
            StoreError::RecordNotClosed { .. } => Error::Invalid(vec![Problem::error(
                "status",
                "closure.not_closed",
                "该档案未结案",
                "The record is not closed",
            )]),
            StoreError::TransferDiverged { .. } => Error::Invalid(vec![Problem::error(
                "file",
                "transfer.diverged",
                "本机的这份档案在转出后又有修改，与转入文件的记录不一致，不能直接接收；请与转出机构核对后再接收",
                "This record changed here after it left, so it no longer agrees with the transfer file; check with the sending institution before taking it in",
            )]),
            StoreError::WrongKey => Error::KeysDoNotMatch,
            StoreError::Damaged(d) => Error::Damaged(d),
            StoreError::Forbidden { .. } => Error::OutOfReach,
            StoreError::IdNumberOutOfReach { .. } => Error::Invalid(vec![Problem::error(
                "id_number",
                "id_number.elsewhere",
                "该身份证号已在本机其他村建档（不在您负责的村），不能重复建档；请联系乡镇督导或管理员核对",
                "This ID number already has a record in a village you do not serve; it cannot be registered twice. Ask the township supervisor or an administrator",
            )]),
            other => Error::Storage(other.to_string()),
        }
    }
}

/// What the window shows when the data folder cannot be opened at all: in
/// both languages (the language setting is inside what failed to open),
/// naming the folder, and saying that nothing in it was changed.
pub fn startup_failure(data_dir: &std::path::Path, e: &Error) -> WireError {
    let dir = data_dir.display();
    if matches!(e, Error::KeysMissing | Error::KeysDoNotMatch) {
        return WireError {
            code: "startup_failed".into(),
            message: format!("无法打开数据文件夹 {dir}：{}\n{dir}: {}", e.message(Lang::Zh), e.message(Lang::En)),
            problems: vec![],
            resident_id: None,
        };
    }
    WireError {
        code: "startup_failed".into(),
        message: format!(
            "无法打开数据文件夹 {dir}（{e}）。请检查该文件夹是否存在、是否可写、磁盘是否已满；文件夹中的数据未被改动，处理后重新启动本程序。\n\
             The data folder {dir} cannot be opened ({e}). Check that it exists, can be written and that the disk is not full; nothing in it was changed. Start the program again once it is fixed.",
        ),
        problems: vec![],
        resident_id: None,
    }
}
