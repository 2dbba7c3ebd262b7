//! The support log: what someone helping a clinic far away needs to know —
//! start-up, configuration problems, errors by their code, sync passes and
//! their outcome, panics by where they happened — in a daily file under the
//! data folder's `logs/`, the last 14 days kept. Never a name, ID number,
//! phone or address: errors are logged by code and place, never by message
//! (messages repeat what was typed), and a panic by its location, never its
//! text.

use std::io::{BufRead, Write};
use std::panic::Location;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};

use crate::{Error, Result};

/// How many days of log files are kept.
pub const KEPT_DAYS: usize = 14;

/// Keeps the log writing; dropping it writes out what is still buffered.
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Where the log files of the clinic in `data_dir` are.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The clinic's local time on each line.
struct LocalTime;

impl tracing_subscriber::fmt::time::FormatTime for LocalTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "{}", chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f %:z"))
    }
}

/// Starts the log for this process (`program` names it: `desktop`, `cli`)
/// and records panics in it. Best effort: when the folder cannot be written
/// the program runs without a log, and says so on standard error.
pub fn start(data_dir: &Path, program: &str) -> Option<LogGuard> {
    // The folder first: the appender's clean-up of old files complains on
    // standard error about a folder it cannot list (the first start).
    let _ = std::fs::create_dir_all(folder(data_dir));
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(format!("village-health-{program}"))
        .filename_suffix("log")
        .max_log_files(KEPT_DAYS)
        .build(folder(data_dir));
    let appender = match appender {
        Ok(a) => a,
        Err(e) => {
            eprintln!("日志无法写入 / the log cannot be written ({}): {e}", folder(data_dir).display());
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let subscriber = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_timer(LocalTime).with_target(false).finish();
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        return None; // this process logs already
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The place, never the text: a panic's message may hold what was typed.
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        tracing::error!(at, thread, "panic");
        default_hook(info);
    }));
    tracing::info!(program, version = env!("CARGO_PKG_VERSION"), os = std::env::consts::OS, "start");
    Some(LogGuard { _writer: guard })
}

/// Runs `f`, turning a panic inside it into [`Error::Internal`] so the
/// window shows an error and keeps what was typed; the panic is logged (by
/// the hook [`start`] sets). Errors are logged by code and by `caller`, the
/// place in the shell that asked.
pub fn guarded<T>(caller: &'static Location<'static>, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(Err(Error::Internal));
    if let Err(e) = &result {
        let at = format!("{}:{}", caller.file(), caller.line());
        match e {
            // What a person corrects or decides is not a fault.
            Error::Invalid(_)
            | Error::NeedsConfirmation(_)
            | Error::DuplicateIdNumber { .. }
            | Error::BadCredentials
            | Error::Cancelled => {
                tracing::debug!(code = e.code(), at, "refused")
            }
            _ => tracing::warn!(code = e.code(), at, "failed"),
        }
    }
    result
}

/// The last `lines` lines of the log, newest last, across the kept days.
pub fn recent(data_dir: &Path, lines: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for file in files(data_dir)?.iter().rev() {
        let text = std::fs::File::open(file).map_err(|e| Error::Storage(format!("{}: {e}", file.display())))?;
        let mut these: Vec<String> = std::io::BufReader::new(text).lines().map_while(std::result::Result::ok).collect();
        these.append(&mut out);
        out = these;
        if out.len() >= lines {
            break;
        }
    }
    let skip = out.len().saturating_sub(lines);
    Ok(out.split_off(skip))
}

/// Writes every kept day's log into one file in `dest_dir`, to send to
/// whoever supports the clinic; returns its path.
pub fn export(data_dir: &Path, dest_dir: &Path, today: chrono::NaiveDate) -> Result<PathBuf> {
    std::fs::create_dir_all(dest_dir).map_err(|e| Error::Storage(format!("{}: {e}", dest_dir.display())))?;
    let dest = dest_dir.join(format!("village-health-log-{}.txt", today.format("%Y%m%d")));
    let mut out = std::fs::File::create(&dest).map_err(|e| Error::Storage(format!("{}: {e}", dest.display())))?;
    for file in files(data_dir)? {
        let text = std::fs::read(&file).map_err(|e| Error::Storage(format!("{}: {e}", file.display())))?;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        writeln!(out, "== {name}").and_then(|()| out.write_all(&text)).map_err(|e| Error::Storage(format!("{}: {e}", dest.display())))?;
    }
    Ok(dest)
}

/// The kept log files, oldest first (their names end in the day).
fn files(data_dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = folder(data_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::Storage(format!("{}: {e}", dir.display()))),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("village-health-")))
        .collect();
    files.sort_by_key(|p| {
        // village-health-desktop.2026-12-02.log: by day, then by program.
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let day = name.split('.').nth(1).unwrap_or_default().to_string();
        (day, name)
    });
    Ok(files)
}
