//! `village-health transfer`: a record that follows its resident to
//! another institution (§9.3) — `out` closes it as moved away and writes
//! the sealed transfer file, `in` shows what a file holds and takes it in.

use std::path::PathBuf;

use chrono::NaiveDate;
use vhr_app::{Clinic, Error, TransferInRequest, TransferMade, TransferOutRequest, TransferPreview, TransferTaken};
use vhr_domain::i18n::Lang;

#[derive(clap::Subcommand)]
pub enum TransferCommand {
    /// Closes the record as moved away (if it is not yet) and writes its
    /// transfer file into DIR; prints the code that opens it, for the
    /// handover record (档案交接记录).
    #[command(alias = "export")]
    Out {
        /// The resident's UUID, record number or ID number.
        resident: String,
        /// The institution that takes the record over (接收单位).
        #[arg(long)]
        to: String,
        /// The day of the move, YYYY-MM-DD (default: today).
        #[arg(long)]
        on: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        received_by: String,
        /// What goes with the resident besides the file (the paper file…).
        #[arg(long, default_value = "")]
        items: String,
        /// The folder the file is written to (a USB stick).
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Records other institutions moved here through the platform, waiting
    /// to be taken in.
    Platform {
        #[arg(long)]
        json: bool,
    },
    /// Takes in a record moved here through the platform, placing it in a village here.
    Take {
        /// The resident's UUID or record number.
        resident: String,
        #[arg(long)]
        village: String,
        #[arg(long)]
        json: bool,
    },
    /// Shows what a transfer file holds; with --village, takes it in there.
    #[command(alias = "import")]
    In {
        file: PathBuf,
        /// The transfer code on the handover record.
        #[arg(long, env = "VHR_TRANSFER_CODE", hide_env_values = true)]
        code: String,
        /// The village of this clinic the resident now lives in: takes the record in.
        #[arg(long)]
        village: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn out(clinic: &mut Clinic, c: &TransferCommand) -> Result<TransferMade, Error> {
    let TransferCommand::Out { resident, to, on, address, received_by, items, dir, .. } = c else { unreachable!("called for out") };
    let current = clinic.resident(resident)?.resident;
    clinic.transfer_out(TransferOutRequest {
        resident_id: current.id,
        expected_version: current.version,
        on: *on,
        destination_institution: to.clone(),
        destination_address: address.clone(),
        received_by: received_by.clone(),
        items: items.clone(),
        folder: dir.clone(),
    })
}

/// What `transfer in` did: shown only, or taken in.
pub enum In {
    Shown(TransferPreview),
    Taken(Box<TransferTaken>),
}

pub fn take_in(clinic: &mut Clinic, c: &TransferCommand) -> Result<In, Error> {
    let TransferCommand::In { file, code, village, .. } = c else { unreachable!("called for in") };
    match village {
        None => clinic.transfer_preview(file, code).map(In::Shown),
        Some(v) => clinic
            .transfer_in(TransferInRequest { path: file.clone(), code: code.clone(), village_code: v.clone() })
            .map(|t| In::Taken(Box::new(t))),
    }
}

pub fn made_lines(m: &TransferMade, lang: Lang) -> Vec<String> {
    let r = &m.resident.resident;
    match lang {
        Lang::Zh => vec![
            format!("{}  {}  已迁出", m.resident.record_no_grouped, r.data.name),
            format!("转移文件：{}（{} 个版本，{} 条服务记录）", m.path.display(), m.versions, m.services),
            format!("转移码：{}  请写在档案交接记录上，随纸质档案交给接收单位；本码只显示这一次", m.code),
        ],
        Lang::En => vec![
            format!("{}  {}  moved away", m.resident.record_no_grouped, r.data.name),
            format!("Transfer file: {} ({} versions, {} service records)", m.path.display(), m.versions, m.services),
            format!("Transfer code: {}  Write it on the handover record that goes with the paper file; it is shown this once", m.code),
        ],
    }
}

pub fn preview_lines(p: &TransferPreview, lang: Lang) -> Vec<String> {
    let birth = p.birth_date.map(|d| d.to_string()).unwrap_or_default();
    let mut lines = match lang {
        Lang::Zh => vec![
            format!("{}  {}  {}  自 {} 转往 {}", p.record_no, p.name, birth, p.from, p.to),
            format!("{} 个版本，{} 条服务记录{}", p.versions, p.services, if p.known_here { "；本机曾管理过这份档案" } else { "" }),
        ],
        Lang::En => vec![
            format!("{}  {}  {}  from {} to {}", p.record_no, p.name, birth, p.from, p.to),
            format!(
                "{} versions, {} service records{}",
                p.versions,
                p.services,
                if p.known_here { "; this install managed it once" } else { "" }
            ),
        ],
    };
    lines.extend(p.problems.iter().map(|x| x.text(lang).to_string()));
    lines
}

pub fn taken_lines(t: &TransferTaken, lang: Lang) -> Vec<String> {
    let r = &t.resident.resident;
    let programs: Vec<&str> = t.programs.iter().map(|p| if lang == Lang::Zh { p.label_zh() } else { p.label_en() }).collect();
    match lang {
        Lang::Zh => vec![
            format!("{}  {}  已转入 {}", t.resident.record_no_grouped, r.data.name, t.resident.village_name),
            format!(
                "带入 {} 个版本（本机已有 {} 个），{} 条服务记录；恢复的管理：{}",
                t.versions,
                t.already_here,
                t.services,
                programs.join("、")
            ),
        ],
        Lang::En => vec![
            format!("{}  {}  taken in, {}", t.resident.record_no_grouped, r.data.name, t.resident.village_name),
            format!(
                "{} versions brought in ({} here already), {} service records; programmes taken up: {}",
                t.versions,
                t.already_here,
                t.services,
                programs.join(", ")
            ),
        ],
    }
}

/// Takes in a record moved here through the platform, found among those waiting.
pub fn take(clinic: &mut Clinic, c: &TransferCommand) -> Result<TransferTaken, Error> {
    let TransferCommand::Take { resident, village, .. } = c else { unreachable!("called for take") };
    let waiting = clinic.platform_transfers()?;
    let Some(r) = waiting.into_iter().map(|v| v.resident).find(|r| r.id == *resident || r.record_no == *resident) else {
        return Err(Error::NotFound { entity: "resident".into(), id: resident.clone() });
    };
    clinic.take_in_from_platform(vhr_app::PlatformTakeIn { resident_id: r.id, expected_version: r.version, village_code: village.clone() })
}
