//! `village-health handover`: the complete set for the institution that
//! takes the clinic over — `export` writes the archive (administrators) and
//! prints its code once, `verify` checks one (every member against its
//! manifest; with `--code`, its contents and trail too), `import` sets a
//! fresh data folder up from one, `unpack` writes its tables as plain JSON
//! lines for another system.

use std::path::PathBuf;

use vhr_app::{HandoverCheck, HandoverMade, HandoverSummary};
use vhr_domain::i18n::Lang;

#[derive(clap::Subcommand)]
pub enum HandoverCommand {
    /// Writes the archive of every record into DIR (administrators) and
    /// prints the handover code that opens it, for the handover record.
    Export {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Checks an archive: every member against its manifest and the
    /// manifest's signature; with --code, also loads it (into a scratch
    /// database, then gone) and recomputes the audit trail.
    Verify {
        file: PathBuf,
        #[arg(long, env = "VHR_HANDOVER_CODE", hide_env_values = true)]
        code: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Sets up this (empty) data folder from an archive: every record, and
    /// you as a new administrator (password from $VHR_NEW_PASSWORD or a prompt).
    Import {
        file: PathBuf,
        #[arg(long, env = "VHR_HANDOVER_CODE", hide_env_values = true)]
        code: String,
        /// You, as this install's administrator (a login name that is not
        /// one of the archive's accounts).
        #[command(flatten)]
        taker: crate::FirstUser,
        #[arg(long)]
        json: bool,
    },
    /// Writes every table of an archive into DIR as plain JSON lines, for
    /// another system: the records in the clear, for an administrator's hands.
    Unpack {
        file: PathBuf,
        #[arg(long, env = "VHR_HANDOVER_CODE", hide_env_values = true)]
        code: String,
        #[arg(long)]
        dir: PathBuf,
    },
}

/// A progress line on the terminal, every tenth.
pub fn progress() -> impl FnMut(u64, u64) -> bool {
    let mut shown = 0;
    move |done, total| {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        if pct >= shown + 10 || (done == total && pct != shown) {
            shown = pct;
            eprint!("\r{pct:>3}%");
        }
        true
    }
}

pub fn made_lines(m: &HandoverMade, lang: Lang) -> Vec<String> {
    let mb = m.bytes as f64 / 1e6;
    match lang {
        Lang::Zh => vec![
            format!("交接包：{}（{} 份档案，{} 行，{mb:.1} MB）", m.path.display(), m.residents, m.rows),
            format!("审计记录 {} 条，签名公钥：{}", m.audit_entries, m.audit_key),
            format!("交接码：{}  请写在档案交接记录上交给接收单位；本码只显示这一次", m.code),
        ],
        Lang::En => vec![
            format!("Handover archive: {} ({} records, {} rows, {mb:.1} MB)", m.path.display(), m.residents, m.rows),
            format!("{} audit entries, signing key: {}", m.audit_entries, m.audit_key),
            format!("Handover code: {}  Write it on the handover record for the receiving institution; it is shown this once", m.code),
        ],
    }
}

pub fn summary_lines(s: &HandoverSummary, lang: Lang) -> Vec<String> {
    let at = s.made_at.format("%Y-%m-%d %H:%M UTC");
    let mut lines = match lang {
        Lang::Zh => vec![
            format!("{}（{}）于 {at} 由 {} 移交", s.institution, s.region, s.made_by),
            format!(
                "{} 份档案，共 {} 行；审计记录 {} 条；软件 {}，数据结构第 {} 版",
                s.residents, s.rows, s.audit_entries, s.app_version, s.schema_version
            ),
        ],
        Lang::En => vec![
            format!("{} ({}), handed over {at} by {}", s.institution, s.region, s.made_by),
            format!(
                "{} records, {} rows; {} audit entries; app {}, schema {}",
                s.residents, s.rows, s.audit_entries, s.app_version, s.schema_version
            ),
        ],
    };
    lines.extend(s.tables.iter().map(|t| format!("  {:<24}{:>10}", t.table, t.rows)));
    lines
}

pub fn check_lines(c: &HandoverCheck, lang: Lang) -> Vec<String> {
    let mut lines = summary_lines(&c.summary, lang);
    lines.push(match (lang, c.contents_checked) {
        (Lang::Zh, false) => "每个文件都与清单相符，签名有效（输入交接码可再检查内容和审计记录）".into(),
        (Lang::En, false) => {
            "Every member matches the manifest and its signature holds (give the code to check the contents and the trail too)".into()
        }
        (Lang::Zh, true) => {
            format!("内容完整，审计记录 {} 条逐条核对无误，与 {} 个签名检查点相符", c.audit_entries_checked, c.checkpoints_checked)
        }
        (Lang::En, true) => {
            format!(
                "The contents load whole; {} audit entries recomputed, matching {} signed checkpoints",
                c.audit_entries_checked, c.checkpoints_checked
            )
        }
    });
    lines
}
