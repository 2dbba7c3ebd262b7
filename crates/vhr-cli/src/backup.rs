//! `village-health backup`: a checked backup now (into the data folder's
//! `backups/`, or `--to` a folder such as a USB stick), the backups on
//! file, what one holds, restoring one, and the database file's check.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use vhr_app::{Desk, Env, Restored};
use vhr_domain::i18n::Lang;

use crate::{credentials, fail, paths, Cli, Failure};

#[derive(clap::Subcommand)]
pub enum BackupCommand {
    /// Writes a backup and checks it (administrators); prints where it went and what it holds.
    Make {
        /// A folder outside the data folder (a USB stick): the install file goes beside the backup.
        #[arg(long)]
        to: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The backups in the data folder, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Checks a backup and says what it holds (residents, service records, the last change).
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Replaces the database with a backup (administrators), after showing
    /// what each holds; the current file is kept in backups/, and what it
    /// never sent is written again. `--damaged`: the database cannot be
    /// used; any account's password restores FILE, or the newest backup
    /// that checks out.
    Restore {
        file: Option<PathBuf>,
        #[arg(long)]
        damaged: bool,
        /// Restore without asking to confirm.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Runs SQLite's check of the database file (`--full`: indexes too).
    Check {
        #[arg(long)]
        full: bool,
    },
}

/// Restores a backup: signed in as an administrator, after showing what the
/// backup holds next to what is on file and asking to go on (`--yes` does
/// not ask); or, with `--damaged`, by any account's password.
pub(crate) fn restore(cli: &Cli, lang: Lang, file: Option<&Path>, damaged: bool, yes: bool) -> Result<Restored, Failure> {
    let zh = lang == Lang::Zh;
    if damaged {
        let (mut install, user, pw) = credentials(cli, lang)?;
        let (_clinic, restored) = install.restore_damaged(&user, &pw, file).map_err(|e| fail(e, lang))?;
        return Ok(restored);
    }
    let file = file.ok_or_else(|| Failure::usage("backup restore FILE (or --damaged)"))?;
    let (_, user, pw) = credentials(cli, lang)?;
    let mut desk = Desk::open(&paths::data_dir(cli.data_dir.clone()), Env::system()).map_err(|e| fail(e, lang))?;
    desk.sign_in(&user, &pw).map_err(|e| fail(e, lang))?;
    let preview = desk.clinic().and_then(|c| c.restore_preview(file)).map_err(|e| fail(e, lang))?;
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into());
    let (b, n) = (&preview.backup, &preview.now);
    if zh {
        eprintln!("备份：{} 份档案、{} 条服务记录，最后修改 {}", b.residents, b.services, when(b.last_change));
        eprintln!("现在：{} 份档案、{} 条服务记录，最后修改 {}，{} 条修改尚未上传", n.residents, n.services, when(n.last_change), n.unsent);
        eprintln!("恢复后，现在的文件保存在 backups 文件夹中，其中未上传的修改会重新写入。");
    } else {
        eprintln!("backup: {} residents, {} service records, last change {}", b.residents, b.services, when(b.last_change));
        eprintln!(
            "now:    {} residents, {} service records, last change {}, {} changes not yet sent",
            n.residents,
            n.services,
            when(n.last_change),
            n.unsent
        );
        eprintln!("The current file is kept in the backups folder; what it never sent is written again.");
    }
    if !yes {
        eprint!("{}", if zh { "确定恢复？输入 yes 继续：" } else { "Restore? Type yes to go on: " });
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).map_err(|e| Failure::usage(e.to_string()))?;
        if answer.trim() != "yes" {
            return Err(Failure {
                code: 1,
                message: if zh { "未恢复，什么也没有改动".into() } else { "not restored; nothing changed".into() },
                wire: None,
            });
        }
    }
    desk.restore(file).map_err(|e| fail(e, lang))
}

pub(crate) fn print_restored(r: &Restored, lang: Lang) {
    let p = &r.replay;
    if lang == Lang::Zh {
        println!("已从 {} 恢复：{} 份档案", r.from, r.summary.residents);
        println!("被替换的文件保存在 {}", r.kept_at);
        println!(
            "重新写入未上传的修改 {} 条（已有 {}，不同 {}，无法读取 {}），保留编号 {} 个",
            p.written, p.already_here, p.different, p.unreadable, p.numbers_reserved
        );
    } else {
        println!("restored from {}: {} residents", r.from, r.summary.residents);
        println!("the replaced file is kept at {}", r.kept_at);
        println!(
            "unsent changes written again: {} (here already {}, different {}, unreadable {}); numbers reserved {}",
            p.written, p.already_here, p.different, p.unreadable, p.numbers_reserved
        );
    }
    if let Some(why) = &r.replay_problem {
        println!("{why}");
    }
}
