//! `village-health`: the clinic from the command line, for scripts, import,
//! export and benchmarks. It calls the same use cases as the desktop app.
//!
//! Exit codes: 0 done; 1 the input was refused (nothing stored); 2 usage;
//! 3 storage or setup trouble.

mod backup;
mod bench;
mod bench_lifecycle;
mod bench_sync;
mod closure;
mod handover;
mod transfer;

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;
use vhr_app::{paths, CardsRequest, Clinic, Env, Error, Install, NewUserRequest, RegisterRequest, SearchRequest, SetupRequest};
use vhr_domain::clinic::{ClinicProfile, SerialBlock, Village};
use vhr_domain::i18n::Lang;
use vhr_domain::population::Tag;
use vhr_domain::resident::ResidentInput;

#[derive(Parser)]
#[command(name = "village-health", version, about = "村卫生室居民健康档案 · Village Health Records", long_about = None)]
struct Cli {
    /// The data folder (default: $VHR_DATA_DIR, else the user's data folder).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Language of messages: zh-CN or en (default: $VHR_LANG, else $LANG, else zh-CN).
    #[arg(long, global = true, env = "VHR_LANG")]
    lang: Option<String>,
    /// The user to act as (default: $VHR_USER, else the only user). The password comes from $VHR_PASSWORD or a prompt.
    #[arg(long, global = true, env = "VHR_USER")]
    user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sets up the clinic and its first user (the password comes from $VHR_PASSWORD or a prompt).
    Init(InitArgs),
    /// Registers, shows, finds and lists the history of residents.
    #[command(subcommand)]
    Resident(ResidentCommand),
    /// Closes a resident's record (death, moving away, lost to follow-up,
    /// another reason): every programme ends with it, nothing is deleted.
    Close(closure::CloseArgs),
    /// Reopens a closed record (moved back, found again) with a reason.
    Reopen(closure::ReopenArgs),
    /// A record that follows its resident to another institution: `out`
    /// writes its sealed transfer file, `in` shows one and takes it in.
    #[command(subcommand)]
    Transfer(transfer::TransferCommand),
    /// Backups: make one now (checked), list them, or check what one holds.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// The complete set for the institution that takes the clinic over:
    /// `export` the archive, `verify` one, `import` one into a fresh data
    /// folder, `unpack` one as plain JSON lines.
    #[command(subcommand)]
    Handover(handover::HandoverCommand),
    /// Merges a second record of one person into the record kept: its
    /// service records move, it is cancelled and points to the one kept.
    Merge(closure::MergeArgs),
    /// Fills the clinic with synthetic demo residents.
    Demo {
        #[arg(long, default_value_t = 300)]
        residents: usize,
        #[arg(long, default_value_t = 20261121)]
        seed: u64,
        /// On an empty data folder, first set up the demo clinic (user demo, password demo1234).
        #[arg(long)]
        setup: bool,
    },
    /// Lists the form definitions, or prints them all as JSON.
    #[command(subcommand)]
    Form(FormCommand),
    /// Record number blocks per village: what is left, and a new block from the township.
    #[command(subcommand)]
    Blocks(BlocksCommand),
    /// Accounts (administrators): add, list, disable, enable, reset a password.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit trail (administrators and township supervisors): check the
    /// whole chain, or list who opened and changed what.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Changes your own password (the old one from $VHR_PASSWORD or a prompt, the new one from $VHR_NEW_PASSWORD or a prompt).
    Password,
    /// When no administrator can sign in: the recovery sheet's code sets a
    /// new password for an administrator (from $VHR_NEW_PASSWORD or a
    /// prompt) and prints a new code; the used one stops working.
    Recover {
        /// The administrator's login name.
        #[arg(long)]
        username: String,
        /// The recovery code (default: $VHR_RECOVERY_CODE, else a prompt).
        #[arg(long, env = "VHR_RECOVERY_CODE", hide_env_values = true)]
        code: Option<String>,
    },
    /// Who is due for a follow-up on a date: missed and overdue first.
    Worklist {
        /// The day to plan for, YYYY-MM-DD (default: today).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Measures search, open and save on a demo clinic (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// Measures pushing a demo clinic to a FHIR server, and incremental passes (scripts/bench-sync.sh).
    BenchSync(bench_sync::SyncBenchArgs),
    /// Prints information cards to one PDF: by village, by creation date, by household or by resident.
    Cards {
        #[arg(long, conflicts_with_all = ["since", "household", "resident"])]
        village: Option<String>,
        /// Records created on or after this day, YYYY-MM-DD.
        #[arg(long, conflicts_with_all = ["household", "resident"])]
        since: Option<String>,
        #[arg(long, conflicts_with = "resident")]
        household: Option<String>,
        /// A resident (UUID, record number or ID number); repeat for several.
        #[arg(long)]
        resident: Vec<String>,
        /// The card size in mm, WIDTHxHEIGHT (default: the clinic's setting, else 85.6x53.98).
        #[arg(long)]
        card_size: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// One sync pass with the platform: pull, then push. Exits 4 when changes
    /// need attention (refused or conflicting), 5 when the platform cannot be reached.
    Sync {
        /// Sets the platform's FHIR base URL first (kept for later passes).
        #[arg(long)]
        url: Option<String>,
        /// Sets a bearer token first (from $VHR_PLATFORM_TOKEN; kept, never printed).
        #[arg(long, env = "VHR_PLATFORM_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Exports the whole record as FHIR R4 resources.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Prints a filled-in form (a service record) as its national A4 page, or
    /// with --basic-info a resident's personal basic information form.
    PrintForm {
        /// The service record's id, or with --basic-info the resident (UUID, record or ID number).
        record: String,
        #[arg(long)]
        basic_info: bool,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
struct InitArgs {
    /// 建档机构名称, the institution's full name.
    #[arg(long)]
    institution: String,
    #[arg(long, default_value = "")]
    institution_phone: String,
    /// GB/T 2260 county code, 6 digits.
    #[arg(long)]
    county: String,
    /// The year of the GB/T 2260 code table.
    #[arg(long, default_value_t = 2024)]
    division_year: u16,
    /// GB/T 10114 township code, 3 digits.
    #[arg(long)]
    township: String,
    #[arg(long)]
    township_name: String,
    /// A village served, as CODE=NAME (e.g. 101=石桥村); repeat for each village.
    #[arg(long = "village", required = true)]
    villages: Vec<String>,
    /// First serial of this install's block.
    #[arg(long, default_value_t = 1)]
    serial_start: u32,
    /// Last serial of this install's block.
    #[arg(long, default_value_t = 99_999)]
    serial_end: u32,
    #[command(flatten)]
    first: FirstUser,
}

/// The first user of a new install, an administrator: who sets it up, or
/// who takes a clinic over from a handover archive.
#[derive(clap::Args)]
pub(crate) struct FirstUser {
    /// Their login name.
    #[arg(long)]
    pub username: String,
    /// Their full name (shown as 建档人).
    #[arg(long)]
    pub display_name: String,
    /// Their phone, printed on the cards of the residents they are responsible doctor of.
    #[arg(long, default_value = "")]
    pub phone: String,
}

#[derive(Subcommand)]
enum BlocksCommand {
    /// Each village's blocks, serials left, provisional records and numbers from elsewhere.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Adds a block the township hospital gave a village; records waiting under
    /// a provisional number get their final ones.
    Add {
        /// The village's 3-digit code.
        #[arg(long)]
        village: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Where the block comes from, e.g. the letter's reference.
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds an account; its password comes from $VHR_NEW_PASSWORD or a prompt.
    Add {
        #[arg(long)]
        username: String,
        /// Full name, shown on what the user records.
        #[arg(long)]
        display_name: String,
        /// doctor, supervisor or admin.
        #[arg(long, default_value = "doctor")]
        role: String,
        #[arg(long, default_value = "")]
        phone: String,
        /// For a village doctor: the 3-digit codes of the villages they keep, e.g. --villages 101,102.
        #[arg(long, value_delimiter = ',')]
        villages: Vec<String>,
    },
    /// Sets the villages a village doctor keeps (from their next sign-in).
    Villages {
        username: String,
        /// 3-digit village codes, e.g. 101,102.
        #[arg(value_delimiter = ',', required = true)]
        villages: Vec<String>,
    },
    /// Every account, disabled ones too.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disables an account: it cannot sign in, and its name stays on what it recorded.
    Disable { username: String },
    /// Enables a disabled account with a new password ($VHR_NEW_PASSWORD or a prompt).
    Enable { username: String },
    /// Sets a new password for an account ($VHR_NEW_PASSWORD or a prompt) and lifts its lockout.
    ResetPassword { username: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recomputes every entry's hash and every change's digest, and checks the
    /// trail against every signed checkpoint; exits 4 when the trail is broken.
    Verify {
        /// A signed checkpoint kept elsewhere (the platform's copy, a handover
        /// sheet), as a file; may be given more than once.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// The key to check checkpoints with, as `audit key` printed it
        /// (by default the install's own).
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Entries, newest first: of one resident, one user, one kind, between dates.
    List {
        /// The resident's UUID, record number or ID number.
        #[arg(long)]
        resident: Option<String>,
        /// A login name.
        #[arg(long)]
        user: Option<String>,
        /// One kind: open, history, view, print, create, update, sign-in, sign-out, lock, sync, …
        #[arg(long)]
        action: Option<String>,
        /// From this day (YYYY-MM-DD, the clinic's local day).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Through this day.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Signs the trail now and prints the checkpoint (a signed note) to keep elsewhere.
    Checkpoint,
    /// Prints the install's public audit key, to check its checkpoints with.
    Key,
}

#[derive(Subcommand)]
enum FormCommand {
    /// The forms this install knows (built in, or replaced in the data folder's forms/).
    List,
    /// Stores a filled-in form for a resident, validated exactly as in the app.
    Add {
        /// The resident's UUID, record number or ID number.
        #[arg(long)]
        resident: String,
        /// The form id, e.g. hypertension_followup (see `form list`).
        #[arg(long)]
        form: String,
        /// The form's values as JSON (a file, or - for standard input).
        #[arg(long)]
        json: String,
        /// Save even when there are warnings.
        #[arg(long)]
        confirm: bool,
    },
    /// Every form definition and code set as JSON, exactly as the desktop UI receives them.
    Registry,
}

#[derive(Subcommand)]
enum ResidentCommand {
    /// Registers one resident from JSON (a file, or - for standard input) and prints the stored record.
    Add {
        #[arg(long)]
        json: String,
        /// Save even when there are warnings (likely duplicate, residence under half a year).
        #[arg(long)]
        confirm: bool,
    },
    /// Registers one resident per JSON line, printing one acknowledgement line per stored resident.
    Import {
        #[arg(long)]
        jsonl: String,
        #[arg(long)]
        confirm: bool,
    },
    /// Shows a resident by UUID, record number or ID number.
    Show {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Finds residents by name, pinyin, initials, ID number, record number (or its last 8 digits) or phone.
    Search {
        query: String,
        #[arg(long)]
        village: Option<String>,
        /// child, elderly, hypertension, diabetes or severe_mental.
        #[arg(long)]
        tag: Option<String>,
        /// active (在册, the default), closed or all.
        #[arg(long, default_value = "active")]
        status: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Lists every version of a resident's record: who changed what, and when.
    History {
        key: String,
        #[arg(long)]
        json: bool,
    },
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
    wire: Option<Value>,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into(), wire: None }
    }
}

fn lang_of(cli: &Cli) -> Lang {
    cli.lang.clone().or_else(|| std::env::var("LANG").ok()).map(|t| Lang::from_tag(&t)).unwrap_or_default()
}

fn fail(e: Error, lang: Lang) -> Failure {
    // By code only: a message may repeat what was typed.
    tracing::warn!(code = e.code(), "command failed");
    let code = match e {
        Error::Storage(_) | Error::Forms(_) | Error::NotSetUp | Error::AlreadySetUp | Error::KeysMissing | Error::KeysDoNotMatch => 3,
        _ => 1,
    };
    let wire = e.to_wire(lang);
    let mut message = wire.message.clone();
    for p in &wire.problems {
        message.push_str(&format!("\n  - {}: {}", p.field, p.text(lang)));
    }
    Failure { code, message, wire: serde_json::to_value(&wire).ok() }
}

/// The text of a JSON input, from a file or standard input (`-`). Bytes
/// that are not UTF-8 (a file saved as GBK) are refused input (exit 1),
/// saying so; a file that cannot be read is a usage error (exit 2).
fn read_source(source: &str) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    if source == "-" {
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::usage(format!("stdin: {e}")))?;
    } else {
        bytes = std::fs::read(source).map_err(|e| Failure::usage(format!("{source}: {e}")))?;
    }
    String::from_utf8(bytes).map_err(|e| Failure {
        code: 1,
        message: format!(
            "{source}：输入不是 UTF-8 编码的文本（第 {} 个字节起），可能保存成了 GBK；请另存为 UTF-8 后再试，未保存任何内容。\n\
             {source}: the input is not UTF-8 text (from byte {}); it may have been saved as GBK. Save it as UTF-8 and try again; nothing was stored.",
            e.utf8_error().valid_up_to() + 1,
            e.utf8_error().valid_up_to() + 1
        ),
        wire: None,
    })
}

fn password(prompt: &str) -> Result<String, Failure> {
    if let Ok(p) = std::env::var("VHR_PASSWORD") {
        return Ok(p);
    }
    rpassword::prompt_password(prompt).map_err(|e| Failure::usage(format!("no password: set VHR_PASSWORD or run in a terminal ({e})")))
}

/// A new password: $VHR_NEW_PASSWORD, else asked twice at the terminal.
fn new_password(prompt: &str) -> Result<String, Failure> {
    if let Ok(p) = std::env::var("VHR_NEW_PASSWORD") {
        return Ok(p);
    }
    let first = rpassword::prompt_password(prompt)
        .map_err(|e| Failure::usage(format!("no password: set VHR_NEW_PASSWORD or run in a terminal ({e})")))?;
    let again = rpassword::prompt_password("再输入一次 / again: ").map_err(|e| Failure::usage(e.to_string()))?;
    if first != again {
        return Err(Failure::usage("两次输入的密码不一致 / the two passwords differ"));
    }
    Ok(first)
}

/// Prints a new recovery code where the person at the terminal sees it, not
/// in a log or a pipe's output.
fn show_recovery_code(code: &str, lang: Lang) {
    if lang == Lang::Zh {
        eprintln!("恢复码（请抄写或打印后锁好；忘记管理员密码时凭它恢复，旧恢复码已作废）：\n  {code}");
    } else {
        eprintln!("Recovery code (write it down or print it and lock it away; it recovers a forgotten administrator password; any earlier code no longer works):\n  {code}");
    }
}

/// The install, the user (`--user`, or the only one) and their password, asked for.
fn credentials(cli: &Cli, lang: Lang) -> Result<(Install, String, String), Failure> {
    let install = Install::at(&paths::data_dir(cli.data_dir.clone()), Env::system()).map_err(|e| fail(e, lang))?;
    if !install.is_set_up().map_err(|e| fail(e, lang))? {
        return Err(fail(Error::NotSetUp, lang));
    }
    let user = match &cli.user {
        Some(u) => u.clone(),
        None => install
            .sole_user()
            .map_err(|e| fail(e, lang))?
            .ok_or_else(|| Failure::usage("several users exist: name one with --user or VHR_USER"))?,
    };
    let pw = password(&format!("{user} 的密码 / password: "))?;
    Ok((install, user, pw))
}

fn signed_in(cli: &Cli, lang: Lang) -> Result<Clinic, Failure> {
    let (mut install, user, pw) = credentials(cli, lang)?;
    let mut clinic = install.sign_in(&user, &pw).map_err(|e| fail(e, lang))?;
    // A configuration file refused at start: the command runs on, and says what to fix.
    for problem in clinic.startup_problems() {
        let wire = problem.to_wire(lang);
        eprintln!("{}", wire.message);
        for p in &wire.problems {
            eprintln!("  - {}", p.text(lang));
        }
    }
    // The first sign-in after the database was encrypted hands out the recovery code.
    if let Some(code) = clinic.session().map_err(|e| fail(e, lang))?.and_then(|s| s.recovery_code) {
        show_recovery_code(&code, lang);
    }
    Ok(clinic)
}

/// Writes a line to standard output. When the reader has gone away (the
/// output piped into `head`), the command ends there, quietly and
/// successfully, as `cat` would: a failure with code 0 and no message.
fn say(line: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(line).and_then(|()| stdout.write_all(b"\n")) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure { code: 0, message: String::new(), wire: None }),
        Err(e) => Err(Failure { code: 1, message: format!("stdout: {e}"), wire: None }),
    }
}

/// `println!` that ends the command quietly when the reader has gone (see [`say`]).
macro_rules! out {
    ($($arg:tt)*) => { say(format_args!($($arg)*))? };
}

/// One line for a record closed or reopened, and one for its programmes.
fn lifecycle_done(done: &vhr_app::Lifecycle, lang: Lang) -> Result<(), Failure> {
    let r = &done.resident.resident;
    out!("{}  {}  {}", done.resident.record_no_grouped, r.data.name, r.status.label().get(lang));
    if !done.programs.is_empty() {
        let names: Vec<&str> = done.programs.iter().map(|p| if lang == Lang::Zh { p.label_zh() } else { p.label_en() }).collect();
        out!("{}{}", if lang == Lang::Zh { "随之变化的管理：" } else { "Programmes with it: " }, names.join(", "));
    }
    Ok(())
}

fn print_json(v: &impl serde::Serialize) -> Result<(), Failure> {
    say(format_args!("{}", serde_json::to_string_pretty(v).expect("serialisable")))
}

fn parse_input(text: &str) -> Result<ResidentInput, Failure> {
    serde_json::from_str(text).map_err(|e| Failure { code: 1, message: format!("JSON: {e}"), wire: None })
}

fn run(cli: &Cli) -> Result<(), Failure> {
    let lang = lang_of(cli);
    match &cli.command {
        Command::Init(a) => {
            let villages = a
                .villages
                .iter()
                .map(|v| {
                    v.split_once('=')
                        .map(|(c, n)| Village { code: c.trim().into(), name: n.trim().into() })
                        .ok_or_else(|| Failure::usage(format!("--village {v}: write CODE=NAME")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let profile = ClinicProfile {
                institution_name: a.institution.clone(),
                institution_phone: a.institution_phone.clone(),
                county_code: a.county.clone(),
                division_code_year: a.division_year,
                township_code: a.township.clone(),
                township_name: a.township_name.clone(),
                villages,
                serial_block: SerialBlock { start: a.serial_start, end: a.serial_end },
            };
            let pw = password(&format!("{} 的新密码 / new password: ", a.first.username))?;
            let dir = paths::data_dir(cli.data_dir.clone());
            let mut install = Install::at(&dir, Env::system()).map_err(|e| fail(e, lang))?;
            let mut clinic = install
                .setup(SetupRequest {
                    profile,
                    username: a.first.username.clone(),
                    display_name: a.first.display_name.clone(),
                    password: pw,
                    phone: a.first.phone.clone(),
                })
                .map_err(|e| fail(e, lang))?;
            let session = clinic.session().map_err(|e| fail(e, lang))?.ok_or_else(|| fail(Error::NotSignedIn, lang))?;
            eprintln!("{} · {}", session.clinic.institution_name, dir.display());
            if let Some(code) = session.recovery_code {
                show_recovery_code(&code, lang);
            }
            Ok(())
        }
        Command::User(UserCommand::Add { username, display_name, role, phone, villages }) => {
            let mut clinic = signed_in(cli, lang)?;
            let pw = new_password(&format!("{username} 的新密码 / new password: "))?;
            let user = clinic
                .add_user(NewUserRequest {
                    username: username.clone(),
                    display_name: display_name.clone(),
                    password: pw,
                    role: role.clone(),
                    phone: phone.clone(),
                    villages: villages.clone(),
                })
                .map_err(|e| fail(e, lang))?;
            out!("{}\t{}\t{}\t{}", user.username, user.display_name, user.role, user.villages.join(","));
            Ok(())
        }
        Command::User(UserCommand::Villages { username, villages }) => {
            let mut clinic = signed_in(cli, lang)?;
            let user = clinic.set_user_villages(username, villages).map_err(|e| fail(e, lang))?;
            out!("{}\t{}\t{}\t{}", user.username, user.display_name, user.role, user.villages.join(","));
            Ok(())
        }
        Command::User(UserCommand::List { json }) => {
            let clinic = signed_in(cli, lang)?;
            let users = clinic.users().map_err(|e| fail(e, lang))?;
            if *json {
                return print_json(&users);
            }
            for u in users {
                let state = match (u.disabled, lang) {
                    (true, Lang::Zh) => "已停用",
                    (true, Lang::En) => "disabled",
                    (false, Lang::Zh) => "在用",
                    (false, Lang::En) => "active",
                };
                out!("{}\t{}\t{}\t{}\t{}", u.username, u.display_name, u.role, state, u.villages.join(","));
            }
            Ok(())
        }
        Command::User(UserCommand::Disable { username }) => {
            let mut clinic = signed_in(cli, lang)?;
            let user = clinic.disable_user(username).map_err(|e| fail(e, lang))?;
            eprintln!("{}", if lang == Lang::Zh { format!("已停用 {}", user.username) } else { format!("disabled {}", user.username) });
            Ok(())
        }
        Command::User(UserCommand::Enable { username }) => {
            let mut clinic = signed_in(cli, lang)?;
            let pw = new_password(&format!("{username} 的新密码 / new password: "))?;
            let user = clinic.enable_user(username, &pw).map_err(|e| fail(e, lang))?;
            eprintln!("{}", if lang == Lang::Zh { format!("已启用 {}", user.username) } else { format!("enabled {}", user.username) });
            Ok(())
        }
        Command::User(UserCommand::ResetPassword { username }) => {
            let mut clinic = signed_in(cli, lang)?;
            let pw = new_password(&format!("{username} 的新密码 / new password: "))?;
            clinic.reset_password(username, &pw).map_err(|e| fail(e, lang))?;
            eprintln!(
                "{}",
                if lang == Lang::Zh { format!("已重设 {username} 的密码") } else { format!("the password of {username} is reset") }
            );
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { checkpoints, key, json }) => {
            let clinic = signed_in(cli, lang)?;
            let mut held = Vec::new();
            for path in checkpoints {
                held.push(std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?);
            }
            let check = clinic.audit_verify(&held, key.as_deref()).map_err(|e| fail(e, lang))?;
            if *json {
                print_json(&check)?;
            } else if check.broken_at.is_none() {
                out!("{}\t{}\t{}", check.entries, check.checkpoints, check.root);
            }
            if let Some(at) = check.broken_at {
                let why = check.problem.as_deref().unwrap_or("");
                let message = match lang {
                    Lang::Zh => format!("审计记录在第 {at} 条处被改动或缺失，之后的记录无法证明未被改动；请立即报告乡镇卫生院，不要再修改本机数据（{why}）"),
                    Lang::En => format!("The audit trail is altered or incomplete at entry {at}; nothing after it can be vouched for. Report it to the township hospital at once and change nothing more on this laptop ({why})"),
                };
                return Err(Failure { code: 4, message, wire: None });
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            let mut clinic = signed_in(cli, lang)?;
            match clinic.write_checkpoint("manual").map_err(|e| fail(e, lang))? {
                Some(cp) => print!("{}", cp.note),
                None => {
                    let last = clinic.checkpoints().map_err(|e| fail(e, lang))?.pop();
                    match last {
                        Some(cp) => print!("{}", cp.note),
                        None => eprintln!("{}", if lang == Lang::Zh { "审计记录为空" } else { "the audit trail is empty" }),
                    }
                }
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Key) => {
            let mut clinic = signed_in(cli, lang)?;
            out!("{}", clinic.audit_key().map_err(|e| fail(e, lang))?);
            Ok(())
        }
        Command::Audit(AuditCommand::List { resident, user, action, from, to, limit, json }) => {
            let clinic = signed_in(cli, lang)?;
            let query = vhr_app::AuditQuery {
                resident: resident.clone(),
                user: user.clone(),
                action: action.clone(),
                from: *from,
                to: *to,
                limit: *limit,
            };
            let entries = clinic.audit_list(&query).map_err(|e| fail(e, lang))?;
            if *json {
                return print_json(&entries);
            }
            for e in entries {
                out!("{}\t{}\t{}\t{}\t{}\t{}", e.seq, e.at.to_rfc3339(), e.user_name, e.action, e.entity, e.entity_id);
            }
            Ok(())
        }
        Command::Password => {
            let mut clinic = signed_in(cli, lang)?;
            let old = password("当前密码 / current password: ")?;
            let new = new_password("新密码 / new password: ")?;
            clinic.change_password(&old, &new).map_err(|e| fail(e, lang))?;
            eprintln!("{}", if lang == Lang::Zh { "密码已更改" } else { "the password is changed" });
            Ok(())
        }
        Command::Recover { username, code } => {
            let mut install = Install::at(&paths::data_dir(cli.data_dir.clone()), Env::system()).map_err(|e| fail(e, lang))?;
            let code = match code {
                Some(c) => c.clone(),
                None => rpassword::prompt_password("恢复码 / recovery code: ").map_err(|e| Failure::usage(e.to_string()))?,
            };
            let pw = new_password(&format!("{username} 的新密码 / new password: "))?;
            let mut clinic = install.recover(&code, username, &pw).map_err(|e| fail(e, lang))?;
            eprintln!(
                "{}",
                if lang == Lang::Zh { format!("已重设 {username} 的密码") } else { format!("the password of {username} is reset") }
            );
            if let Some(code) = clinic.session().map_err(|e| fail(e, lang))?.and_then(|s| s.recovery_code) {
                show_recovery_code(&code, lang);
            }
            Ok(())
        }
        Command::Resident(ResidentCommand::Add { json, confirm }) => {
            let resident = parse_input(&read_source(json)?)?;
            let mut clinic = signed_in(cli, lang)?;
            let saved = clinic.register(RegisterRequest { resident, household: None, confirm: *confirm }).map_err(|e| fail(e, lang))?;
            // What the save says besides the record (a provisional number) goes beside it.
            for w in &saved.warnings {
                eprintln!("{}", w.text(lang));
            }
            print_json(&saved.resident)?;
            Ok(())
        }
        Command::Resident(ResidentCommand::Import { jsonl, confirm }) => {
            let mut clinic = signed_in(cli, lang)?;
            let reader: Box<dyn BufRead> = if jsonl == "-" {
                Box::new(std::io::BufReader::new(std::io::stdin()))
            } else {
                Box::new(std::io::BufReader::new(std::fs::File::open(jsonl).map_err(|e| Failure::usage(format!("{jsonl}: {e}")))?))
            };
            let (mut saved, mut refused) = (0usize, 0usize);
            let stdout = std::io::stdout();
            for (n, line) in reader.lines().enumerate() {
                let line = line.map_err(|e| Failure::usage(e.to_string()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let outcome = parse_input(&line).and_then(|resident| {
                    clinic.register(RegisterRequest { resident, household: None, confirm: *confirm }).map_err(|e| fail(e, lang))
                });
                let mut out = stdout.lock();
                match outcome {
                    Ok(s) => {
                        saved += 1;
                        // The acknowledgement is printed only after the commit returned.
                        let ack =
                            serde_json::json!({"line": n + 1, "id": s.resident.resident.id, "record_no": s.resident.resident.record_no});
                        writeln!(out, "{ack}").and_then(|_| out.flush()).map_err(|e| Failure::usage(e.to_string()))?;
                    }
                    Err(f) => {
                        refused += 1;
                        eprintln!("line {}: {}", n + 1, f.message);
                    }
                }
            }
            eprintln!(
                "{}",
                if lang == Lang::Zh {
                    format!("已保存 {saved} 条，未保存 {refused} 条")
                } else {
                    format!("saved {saved}, refused {refused}")
                }
            );
            if refused > 0 {
                Err(Failure { code: 1, message: String::new(), wire: None })
            } else {
                Ok(())
            }
        }
        Command::Resident(ResidentCommand::Show { key, json }) => {
            let clinic = signed_in(cli, lang)?;
            let v = clinic.resident(key).map_err(|e| fail(e, lang))?;
            if *json {
                print_json(&v)?;
            } else {
                let r = &v.resident;
                out!("{}  {}  {}岁  {}", r.data.name, v.record_no_grouped, v.age, v.village_name);
                out!("{}", r.data.id_document.citizen_number().unwrap_or("-"));
            }
            Ok(())
        }
        Command::Resident(ResidentCommand::Search { query, village, tag, status, limit, json }) => {
            let clinic = signed_in(cli, lang)?;
            let tag: Option<Tag> = match tag {
                Some(t) => Some(
                    serde_json::from_value(Value::String(t.clone()))
                        .map_err(|_| Failure::usage(format!("--tag {t}: one of child, elderly, hypertension, diabetes, severe_mental")))?,
                ),
                None => None,
            };
            let status = serde_json::from_value(Value::String(status.clone()))
                .map_err(|_| Failure::usage(format!("--status {status}: one of active, closed, all")))?;
            let found = clinic
                .search(&SearchRequest { query: query.clone(), village: village.clone(), tag, status, limit: Some(*limit) })
                .map_err(|e| fail(e, lang))?;
            if *json {
                print_json(&found)?;
            } else {
                for r in found {
                    let status = r.status.label();
                    let closed = if r.status == vhr_domain::resident::RecordStatus::Active {
                        String::new()
                    } else {
                        format!("  [{}]", status.get(lang))
                    };
                    out!("{}  {}  {}  {}岁{closed}", r.record_no, r.name, r.sex.label_zh(), r.age);
                }
            }
            Ok(())
        }
        Command::Close(a) => {
            let mut clinic = signed_in(cli, lang)?;
            let done = closure::close(&mut clinic, a).map_err(|e| fail(e, lang))?;
            lifecycle_done(&done, lang)
        }
        Command::Reopen(a) => {
            let mut clinic = signed_in(cli, lang)?;
            let done = closure::reopen(&mut clinic, a).map_err(|e| fail(e, lang))?;
            lifecycle_done(&done, lang)
        }
        Command::Transfer(c @ transfer::TransferCommand::Out { json, .. }) => {
            let mut clinic = signed_in(cli, lang)?;
            let made = transfer::out(&mut clinic, c).map_err(|e| fail(e, lang))?;
            if *json {
                return print_json(&made);
            }
            transfer::made_lines(&made, lang).iter().try_for_each(|l| say(format_args!("{l}")))
        }
        Command::Transfer(transfer::TransferCommand::Platform { json }) => {
            let clinic = signed_in(cli, lang)?;
            let waiting = clinic.platform_transfers().map_err(|e| fail(e, lang))?;
            if *json {
                return print_json(&waiting);
            }
            for v in waiting {
                let r = &v.resident;
                out!(
                    "{}  {}  {}  {}",
                    v.record_no_grouped,
                    r.data.name,
                    r.data.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                    r.institution
                );
            }
            Ok(())
        }
        Command::Transfer(c @ transfer::TransferCommand::Take { json, .. }) => {
            let mut clinic = signed_in(cli, lang)?;
            let taken = transfer::take(&mut clinic, c).map_err(|e| fail(e, lang))?;
            if *json {
                return print_json(&taken);
            }
            transfer::taken_lines(&taken, lang).iter().try_for_each(|l| say(format_args!("{l}")))
        }
        Command::Transfer(c @ transfer::TransferCommand::In { json, .. }) => {
            let mut clinic = signed_in(cli, lang)?;
            match transfer::take_in(&mut clinic, c).map_err(|e| fail(e, lang))? {
                transfer::In::Shown(p) if *json => print_json(&p),
                transfer::In::Taken(t) if *json => print_json(&t),
                transfer::In::Shown(p) => transfer::preview_lines(&p, lang).iter().try_for_each(|l| say(format_args!("{l}"))),
                transfer::In::Taken(t) => transfer::taken_lines(&t, lang).iter().try_for_each(|l| say(format_args!("{l}"))),
            }
        }
        Command::Handover(handover::HandoverCommand::Export { dir, json }) => {
            let mut clinic = signed_in(cli, lang)?;
            let made = clinic.handover_export(dir, &mut handover::progress()).map_err(|e| fail(e, lang))?;
            eprintln!();
            if *json {
                return print_json(&made);
            }
            handover::made_lines(&made, lang).iter().try_for_each(|l| say(format_args!("{l}")))
        }
        Command::Handover(handover::HandoverCommand::Verify { file, code, json }) => {
            let check = vhr_app::handover_verify(file, code.as_deref(), &mut handover::progress()).map_err(|e| fail(e, lang))?;
            eprintln!();
            if *json {
                return print_json(&check);
            }
            handover::check_lines(&check, lang).iter().try_for_each(|l| say(format_args!("{l}")))
        }
        Command::Handover(handover::HandoverCommand::Import {
            file,
            code,
            taker: crate::FirstUser { username, display_name, phone },
            json,
        }) => {
            let mut install = Install::at(&paths::data_dir(cli.data_dir.clone()), Env::system()).map_err(|e| fail(e, lang))?;
            if install.is_set_up().map_err(|e| fail(e, lang))? {
                return Err(fail(Error::AlreadySetUp, lang));
            }
            let summary = vhr_app::handover_summary(file).map_err(|e| fail(e, lang))?;
            handover::summary_lines(&summary, lang).iter().for_each(|l| eprintln!("{l}"));
            let password = new_password(&format!("{username} 的新密码 / new password: "))?;
            let req = vhr_app::HandoverImportRequest {
                path: file.clone(),
                code: code.clone(),
                username: username.clone(),
                display_name: display_name.clone(),
                password,
                phone: phone.clone(),
            };
            let mut clinic = install.import_handover(req, &mut handover::progress()).map_err(|e| fail(e, lang))?;
            eprintln!();
            let session = clinic.session().map_err(|e| fail(e, lang))?;
            if let Some(code) = session.as_ref().and_then(|s| s.recovery_code.as_deref()) {
                show_recovery_code(code, lang);
            }
            if *json {
                return print_json(&summary);
            }
            out!(
                "{}",
                if lang == Lang::Zh {
                    format!("已接手 {} 份档案", summary.residents)
                } else {
                    format!("{} records taken over", summary.residents)
                }
            );
            Ok(())
        }
        Command::Handover(handover::HandoverCommand::Unpack { file, code, dir }) => {
            let tables = vhr_app::handover_unpack(file, code, dir, &mut handover::progress()).map_err(|e| fail(e, lang))?;
            eprintln!();
            for t in tables {
                out!("{}  {}", dir.join(format!("{}.jsonl", t.table)).display(), t.rows);
            }
            Ok(())
        }
        Command::Backup(backup::BackupCommand::Restore { file, damaged, yes, json }) => {
            let restored = backup::restore(cli, lang, file.as_deref(), *damaged, *yes)?;
            if *json {
                print_json(&restored)?;
            } else {
                backup::print_restored(&restored, lang);
            }
            Ok(())
        }
        Command::Backup(backup::BackupCommand::Check { full }) => {
            let clinic = signed_in(cli, lang)?;
            let depth = if *full { vhr_app::IntegrityDepth::Full } else { vhr_app::IntegrityDepth::Quick };
            clinic.check_integrity(depth).map_err(|e| fail(e, lang))?;
            out!("{}", if lang == Lang::Zh { "数据库文件检查完好" } else { "the database file checks out" });
            Ok(())
        }
        Command::Backup(b) => {
            let clinic = signed_in(cli, lang)?;
            match b {
                backup::BackupCommand::Make { to, json } => {
                    let mut shown = 0;
                    let made = clinic
                        .backup(to.as_deref(), &mut |done, total| {
                            let pct = (done * 100).checked_div(total).unwrap_or(100);
                            if pct >= shown + 10 || done == total {
                                shown = pct;
                                eprint!("\r{pct:>3}%");
                            }
                            true
                        })
                        .map_err(|e| fail(e, lang))?;
                    eprintln!();
                    if *json {
                        print_json(&made)?;
                    } else {
                        let s = &made.summary;
                        out!("{}", made.path);
                        if let Some(k) = &made.keys_file {
                            out!("{k}");
                        }
                        out!("{} residents, {} service records, {} rows checked", s.residents, s.services, s.rows);
                    }
                }
                backup::BackupCommand::List { json } => {
                    let list = clinic.backups().map_err(|e| fail(e, lang))?;
                    if *json {
                        print_json(&list)?;
                    } else {
                        for b in list {
                            out!("{}  {}  {} MB", b.name, b.kind, b.bytes / 1_000_000);
                        }
                    }
                }
                backup::BackupCommand::Restore { .. } | backup::BackupCommand::Check { .. } => unreachable!("answered above"),
                backup::BackupCommand::Inspect { file, json } => {
                    let s = clinic.inspect_backup(file).map_err(|e| fail(e, lang))?;
                    if *json {
                        print_json(&s)?;
                    } else {
                        let last = s.last_change.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
                        out!("{} residents, {} service records, last change {last}, schema {}", s.residents, s.services, s.schema_version);
                    }
                }
            }
            Ok(())
        }
        Command::Merge(a) => {
            let mut clinic = signed_in(cli, lang)?;
            let done = closure::merge(&mut clinic, a).map_err(|e| fail(e, lang))?;
            lifecycle_done(&done, lang)
        }
        Command::Resident(ResidentCommand::History { key, json }) => {
            let clinic = signed_in(cli, lang)?;
            let history = clinic.history(key).map_err(|e| fail(e, lang))?;
            if *json {
                print_json(&history)?;
            } else {
                for h in history {
                    out!("v{} {} {} {}", h.version, h.at.format("%Y-%m-%d %H:%M"), h.user_name, h.op);
                    for c in h.changes {
                        out!("    {}: {} → {}", c.field, c.old, c.new);
                    }
                }
            }
            Ok(())
        }
        Command::Demo { residents, seed, setup } => {
            let dir = paths::data_dir(cli.data_dir.clone());
            let mut clinic = if *setup {
                let mut install = Install::at(&dir, Env::system()).map_err(|e| fail(e, lang))?;
                if install.is_set_up().map_err(|e| fail(e, lang))? {
                    eprintln!(
                        "{}",
                        if lang == Lang::Zh {
                            "该数据文件夹已有机构，未改动"
                        } else {
                            "This data folder has a clinic already; left as it is"
                        }
                    );
                    return Ok(());
                }
                install.setup(vhr_app::demo_setup()).map_err(|e| fail(e, lang))?
            } else {
                signed_in(cli, lang)?
            };
            let n = clinic.load_demo(*residents, *seed, 1, &mut |done, total| eprint!("\r{done}/{total}")).map_err(|e| fail(e, lang))?;
            eprintln!();
            eprintln!("{}", if lang == Lang::Zh { format!("已生成 {n} 名演示居民") } else { format!("created {n} demo residents") });
            Ok(())
        }
        Command::Form(FormCommand::List) => {
            let forms = vhr_app::forms::load(Some(&paths::data_dir(cli.data_dir.clone()).join("forms"))).map_err(|e| fail(e, lang))?;
            for f in forms.forms.values() {
                out!("{}\tv{}\t{}\t{}", f.id, f.version, f.title.get(lang), f.document_type.as_deref().unwrap_or("-"));
            }
            Ok(())
        }
        Command::Blocks(BlocksCommand::List { json }) => {
            let clinic = signed_in(cli, lang)?;
            let villages = clinic.village_serials().map_err(|e| fail(e, lang))?;
            if *json {
                print_json(&villages)?;
            } else {
                let zh = lang == Lang::Zh;
                for v in villages {
                    let blocks: Vec<String> = v.blocks.iter().map(|b| format!("{:05}-{:05}", b.start, b.end)).collect();
                    let blocks = if blocks.is_empty() {
                        if zh {
                            "（未开始）".to_string()
                        } else {
                            "(not started)".to_string()
                        }
                    } else {
                        blocks.join(",")
                    };
                    let warn = match (v.warn, zh) {
                        (false, _) => "",
                        (true, true) => "\t请尽快申请新号段",
                        (true, false) => "\task for a new block now",
                    };
                    out!(
                        "{}\t{}\t{}\t{} {}/{}\t{} {}\t{} {}{warn}",
                        v.village_code,
                        v.village_name,
                        blocks,
                        if zh { "剩余" } else { "left" },
                        v.left,
                        v.total,
                        if zh { "临时编号" } else { "provisional" },
                        v.provisional,
                        if zh { "外来号码" } else { "from elsewhere" },
                        v.arrived_inside
                    );
                }
            }
            Ok(())
        }
        Command::Blocks(BlocksCommand::Add { village, from, to, note }) => {
            let mut clinic = signed_in(cli, lang)?;
            let req = vhr_app::AddBlockRequest { village_code: village.clone(), start: from.clone(), end: to.clone(), note: note.clone() };
            for r in clinic.add_serial_block(req).map_err(|e| fail(e, lang))? {
                out!("{}\t{} -> {}", r.name, r.provisional, r.record_no);
            }
            Ok(())
        }
        Command::Form(FormCommand::Add { resident, form, json, confirm }) => {
            let values: serde_json::Map<String, Value> =
                serde_json::from_str(&read_source(json)?).map_err(|e| Failure { code: 1, message: format!("JSON: {e}"), wire: None })?;
            let mut clinic = signed_in(cli, lang)?;
            let saved = clinic
                .add_service(vhr_app::AddServiceRequest { resident_id: resident.clone(), form_id: form.clone(), values, confirm: *confirm })
                .map_err(|e| fail(e, lang))?;
            print_json(&saved)?;
            Ok(())
        }
        Command::Worklist { date, village, json } => {
            let clinic = signed_in(cli, lang)?;
            let day = match date {
                Some(d) => {
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| Failure::usage(format!("--date {d}: write YYYY-MM-DD")))?
                }
                None => clinic.today(),
            };
            let items = clinic.worklist(day, village.as_deref()).map_err(|e| fail(e, lang))?;
            if *json {
                print_json(&items)?;
            } else {
                for i in items {
                    out!(
                        "{}  {}  {}  {}  {}",
                        i.due.state.label().get(lang),
                        i.due.due_on,
                        i.resident.record_no,
                        i.resident.name,
                        i.due.reason.get(lang)
                    );
                }
            }
            Ok(())
        }
        Command::Cards { village, since, household, resident, card_size, out } => {
            let mut clinic = signed_in(cli, lang)?;
            let req = if let Some(code) = village {
                CardsRequest::Village { code: code.clone() }
            } else if let Some(d) = since {
                let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| Failure::usage(format!("--since {d}: write YYYY-MM-DD")))?;
                CardsRequest::Since { date }
            } else if let Some(id) = household {
                CardsRequest::Household { id: id.clone() }
            } else if !resident.is_empty() {
                CardsRequest::Residents { ids: resident.clone() }
            } else {
                return Err(Failure::usage("name the cards: --village CODE, --since YYYY-MM-DD, --household ID or --resident KEY"));
            };
            if let Some(size) = card_size {
                let (w, h) = size
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                    .ok_or_else(|| Failure::usage(format!("--card-size {size}: write WIDTHxHEIGHT in mm, e.g. 85.6x53.98")))?;
                clinic.set_card_size(w, h).map_err(|e| fail(e, lang))?;
            }
            let printed = clinic
                .print_cards(&req, &mut |done, total| {
                    eprint!("\r{done}/{total}");
                    true
                })
                .map_err(|e| fail(e, lang))?;
            eprintln!();
            std::fs::write(out, &printed.pdf).map_err(|e| Failure { code: 3, message: format!("{}: {e}", out.display()), wire: None })?;
            eprintln!(
                "{}",
                if lang == Lang::Zh {
                    format!("已生成 {} 张信息卡：{}", printed.count, out.display())
                } else {
                    format!("{} cards written to {}", printed.count, out.display())
                }
            );
            Ok(())
        }
        Command::PrintForm { record, basic_info, out } => {
            let mut clinic = signed_in(cli, lang)?;
            let printed =
                if *basic_info { clinic.print_basic_info(record) } else { clinic.print_form(record) }.map_err(|e| fail(e, lang))?;
            std::fs::write(out, &printed.pdf).map_err(|e| Failure { code: 3, message: format!("{}: {e}", out.display()), wire: None })?;
            eprintln!("{}", out.display());
            Ok(())
        }
        Command::Form(FormCommand::Registry) => {
            let forms = vhr_app::forms::load(Some(&paths::data_dir(cli.data_dir.clone()).join("forms"))).map_err(|e| fail(e, lang))?;
            out!("{}", serde_json::to_string(&forms).expect("serialisable"));
            Ok(())
        }
        Command::Bench(args) => bench::run(args).map_err(|e| fail(e, lang)),
        Command::BenchSync(args) => bench_sync::run(args).map_err(|e| fail(e, lang)),
        Command::Sync { url, token, json } => {
            let mut clinic = signed_in(cli, lang)?;
            if let Some(u) = url {
                let mut s = clinic.sync_settings().map_err(|e| fail(e, lang))?;
                s.platform.base_url = u.clone();
                clinic.set_sync_settings(&s).map_err(|e| fail(e, lang))?;
            }
            if let Some(t) = token {
                clinic.set_sync_credentials(&vhr_sync::Credentials::Bearer { token: t.clone() }).map_err(|e| fail(e, lang))?;
            }
            let report = clinic
                .sync_once(&mut |p| {
                    eprint!("\r{} {}/{}   ", if p.phase == "pull" { "接收 / pull" } else { "发送 / push" }, p.done, p.total)
                })
                .map_err(|e| fail(e, lang))?;
            eprintln!();
            if *json {
                print_json(&report)?;
            } else {
                out!(
                    "接收 pulled {} · 发送 pushed {} · 待发送 waiting {} · 被拒收 quarantined {} · 冲突 conflicts {} · 搁置 set aside {}",
                    report.pulled,
                    report.pushed,
                    report.counts.waiting,
                    report.counts.quarantined,
                    report.counts.conflicted,
                    report.counts.set_aside
                );
                if let Some(e) = &report.error {
                    out!("{e}");
                }
                // What the platform sent that could not be taken, each with why.
                for s in clinic.sync_set_aside().map_err(|e| fail(e, lang))? {
                    let reason = if lang == Lang::Zh { &s.reason_zh } else { &s.reason_en };
                    out!("搁置 set aside\t{}/{}\t{}", s.resource_type, s.resource_id, reason);
                }
            }
            if report.offline {
                Err(Failure { code: 5, message: report.error.unwrap_or_else(|| "offline".into()), wire: None })
            } else if report.counts.quarantined + report.counts.conflicted + report.counts.set_aside > 0 {
                Err(Failure {
                    code: 4,
                    message: "有记录需要处理（见同步页）/ changes need attention (see the sync page)".into(),
                    wire: None,
                })
            } else {
                Ok(())
            }
        }
        Command::Export(ExportCommand::Fhir { out }) => {
            let clinic = signed_in(cli, lang)?;
            let summary = clinic.export_fhir(out, &mut |done, total| eprint!("\r{done}/{total}   ")).map_err(|e| fail(e, lang))?;
            eprintln!();
            for f in &summary.files {
                out!("{}\t{}", f.count, f.path);
            }
            Ok(())
        }
    }
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Bulk NDJSON, one file per resource type (Patient.ndjson, Observation.ndjson, …).
    Fhir {
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = vhr_app::log::start(&paths::data_dir(cli.data_dir.clone()), "cli");
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if let Some(w) = f.wire {
                if matches!(&cli.command, Command::Resident(ResidentCommand::Add { .. }) | Command::Form(FormCommand::Add { .. })) {
                    let _ = say(format_args!("{}", serde_json::to_string_pretty(&w).unwrap_or_default()));
                }
            }
            if !f.message.is_empty() {
                eprintln!("{}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}
