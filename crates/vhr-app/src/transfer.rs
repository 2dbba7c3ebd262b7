//! A record that follows its resident to another institution (issue #13,
//! spec §9.3).
//!
//! Out: the record closes as moved away (with its handover record, 档案交接记录)
//! and its complete record — every version of the resident, of each service
//! record and programme episode, and the trail of who saw and changed them —
//! is sealed in one file for the receiving institution. The file is opened
//! by a transfer code of 16 characters that the app shows once, to be
//! written on the handover record that goes with the paper file: the file
//! alone, on a USB stick that is lost, tells nothing.
//!
//! In: the receiving install opens the file with that code, shows who it
//! is, and takes the record in with its history and the same 17-digit
//! number (a number of another township is kept as it is, and reserved so
//! it is never issued here), places it in one of its villages and reopens
//! it, taking up the programmes the move ended. Both ends log the handover.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use vhr_domain::closure::{ClosureReason, Handover, Reopening};
use vhr_domain::problem::Problem;
use vhr_domain::programs::Program;
use vhr_domain::resident::{RecordStatus, Sex};
use vhr_store::TransferRecord;

use crate::closure::{reopen_in, CloseRequest};
use crate::keys::{new_code, normalize_recovery_code, seal_bytes, unseal_bytes, Sealed};
use crate::paths::WholeFile;
use crate::residents::ResidentView;
use crate::{Clinic, Error, Result};

/// How a transfer file's name ends.
pub const TRANSFER_EXT: &str = "vhrtransfer";
const FORMAT: &str = "village-health-transfer";
const FORMAT_VERSION: u32 = 1;
/// The largest transfer file read (a lifetime of follow-ups is well under it).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TransferOutRequest {
    pub resident_id: String,
    /// The version the user saw.
    pub expected_version: i64,
    /// The day of the move (today when not given).
    pub on: Option<NaiveDate>,
    /// 接收单位.
    pub destination_institution: String,
    #[serde(default)]
    pub destination_address: String,
    /// 接收人, when known.
    #[serde(default)]
    pub received_by: String,
    /// 移交内容: what goes with the resident besides this file.
    #[serde(default)]
    pub items: String,
    /// The folder the file is written to (a USB stick).
    #[ts(type = "string")]
    pub folder: PathBuf,
}

/// A transfer file written.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferMade {
    #[ts(type = "string")]
    pub path: PathBuf,
    /// The code that opens the file, shown once: for the handover record.
    pub code: String,
    pub resident: ResidentView,
    pub versions: usize,
    pub services: usize,
}

/// What a transfer file holds, shown before anything is taken in.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferPreview {
    /// The sending institution.
    pub from: String,
    /// The institution it was written for.
    pub to: String,
    pub exported_at: DateTime<Utc>,
    pub record_no: String,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub status: RecordStatus,
    pub versions: usize,
    pub services: usize,
    /// This install has the record already (it moved away from here once).
    pub known_here: bool,
    /// Why it cannot be taken in, or what to know first.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct TransferInRequest {
    #[ts(type = "string")]
    pub path: PathBuf,
    pub code: String,
    /// The village of this clinic the resident now lives in.
    pub village_code: String,
}

/// A record taken in.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransferTaken {
    pub resident: ResidentView,
    /// Versions written here, and those this install had already.
    pub versions: usize,
    pub already_here: usize,
    pub services: usize,
    /// The programmes taken up again.
    pub programs: Vec<Program>,
}

/// The file on disk: who wrote it for whom and when, in the clear; the
/// record sealed, bound to those words.
#[derive(Serialize, Deserialize)]
struct TransferFile {
    format: String,
    version: u32,
    from: String,
    to: String,
    exported_at: DateTime<Utc>,
    sealed: Sealed,
}

impl TransferFile {
    fn context(&self) -> String {
        context(&self.format, self.version, &self.from, &self.to, self.exported_at)
    }
}

/// What the seal is bound to: the words in the clear cannot be changed.
fn context(format: &str, version: u32, from: &str, to: &str, exported_at: DateTime<Utc>) -> String {
    format!("{format}/{version}/{from}/{to}/{}", exported_at.to_rfc3339())
}

fn problem(code: &str, zh: &str, en: &str) -> Error {
    Error::Invalid(vec![Problem::error("file", code, zh, en)])
}

fn not_a_transfer_file() -> Error {
    problem("transfer.not_a_file", "这不是健康档案转移文件，或文件已损坏", "This is not a health record transfer file, or it is damaged")
}

fn digest(bytes: &[u8]) -> String {
    crate::keys::hex(&Sha256::digest(bytes))
}

/// Reads and opens a transfer file: its words in the clear, the record, and
/// the digest of the file as read.
fn open_file(path: &Path, code: &str) -> Result<(TransferFile, TransferRecord, String)> {
    let size = std::fs::metadata(path).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?.len();
    if size > MAX_FILE_BYTES {
        return Err(not_a_transfer_file());
    }
    let bytes = std::fs::read(path).map_err(|e| Error::Storage(format!("{}: {e}", path.display())))?;
    let file: TransferFile = serde_json::from_slice(&bytes).map_err(|_| not_a_transfer_file())?;
    if file.format != FORMAT {
        return Err(not_a_transfer_file());
    }
    if file.version > FORMAT_VERSION {
        return Err(problem(
            "transfer.newer",
            "这个转移文件由更新版本的软件写出，请先升级本软件",
            "This transfer file was written by a newer version of the app; update this one first",
        ));
    }
    let code = normalize_recovery_code(code);
    let plain = unseal_bytes(&file.sealed, &code, &file.context()).map_err(|_| not_a_transfer_file())?.ok_or_else(|| {
        problem(
            "transfer.bad_code",
            "转移码不对（或文件在路上被改动过）：请核对档案交接记录上的转移码",
            "The transfer code is wrong (or the file was altered on the way): check the code on the handover record",
        )
    })?;
    let record: TransferRecord = serde_json::from_slice(&plain).map_err(|_| not_a_transfer_file())?;
    Ok((file, record, digest(&bytes)))
}

impl Clinic {
    /// A village of this clinic, where a record taken in is placed.
    fn village_here(&self, code: &str) -> Result<()> {
        if self.profile_required()?.village(code).is_none() {
            return Err(Error::Invalid(vec![Problem::error(
                "village_code",
                "transfer.village",
                "请选择居民现在居住的本机构所辖村",
                "Choose the village of this clinic the resident now lives in",
            )]));
        }
        Ok(())
    }

    /// Closes the record as moved away (unless it is closed so already: a
    /// file made again) and writes its transfer file into `req.folder`.
    pub fn transfer_out(&mut self, req: TransferOutRequest) -> Result<TransferMade> {
        let view = self.find_resident(&req.resident_id)?;
        let destination = req.destination_institution.trim().to_string();
        // The folder is tried before the record closes: a stick that is not
        // there leaves the record as it was. (Should the writing itself fail
        // after the closure, the record is closed as moved away and its file
        // is made again from it.)
        let name = format!("健康档案转出-{}-{}.{TRANSFER_EXT}", view.resident.record_no, self.today().format("%Y%m%d"));
        let path = req.folder.join(name);
        let partial = WholeFile::create(&path)?;
        let closed = match view.resident.status {
            RecordStatus::Active => {
                if destination.is_empty() {
                    return Err(Error::Invalid(vec![Problem::error(
                        "destination_institution",
                        "closure.destination_required",
                        "请填写接收单位",
                        "Enter the institution that takes the record over",
                    )]));
                }
                let close = CloseRequest {
                    resident_id: view.resident.id.clone(),
                    expected_version: req.expected_version,
                    on: Some(req.on.unwrap_or(self.today())),
                    reason: ClosureReason::MovedAway {
                        destination_institution: destination.clone(),
                        destination_address: req.destination_address.trim().to_string(),
                        handover: Handover { handed_over_by: String::new(), received_by: req.received_by, items: req.items },
                    },
                };
                self.close_record(close)?.resident
            }
            RecordStatus::MovedOut => view,
            _ => {
                return Err(problem(
                    "transfer.not_moving",
                    "该档案已因其他原因结案（死亡、失访、注销等），不能转出",
                    "This record is closed for another reason (death, lost, cancelled…) and cannot be transferred",
                ))
            }
        };
        let to = match closed.resident.closure.as_ref().map(|c| &c.reason) {
            Some(ClosureReason::MovedAway { destination_institution, .. }) => destination_institution.clone(),
            _ => destination,
        };
        let actor = self.actor()?.clone();
        let record = self.store.transfer_record(&actor, &closed.resident.id)?;
        let profile = self.profile_required()?;
        let at = self.now();
        let code = new_code::<10>();
        let body = zeroize::Zeroizing::new(serde_json::to_vec(&record).map_err(|e| Error::Storage(e.to_string()))?);
        let from = profile.institution_name.clone();
        let sealed = seal_bytes(&body, &code, &context(FORMAT, FORMAT_VERSION, &from, &to, at.at()))?;
        let file = TransferFile { format: FORMAT.into(), version: FORMAT_VERSION, from, to: to.clone(), exported_at: at.at(), sealed };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| Error::Storage(e.to_string()))?;
        partial.finish(&bytes)?;
        let (versions, services) = (record.history.len(), record.service_count());
        let handover = vhr_store::TransferLogEntry {
            direction: "out",
            resident_id: &record.resident_id,
            record_no: &record.record_no,
            counterpart: &to,
            file_digest: &digest(&bytes),
            versions,
            trail: None,
        };
        self.store.batch(|b| b.log_transfer(&actor, handover, at))?;
        Ok(TransferMade { path, code, resident: closed, versions, services })
    }

    /// What a transfer file holds, opened with its code; nothing changes.
    pub fn transfer_preview(&self, path: &Path, code: &str) -> Result<TransferPreview> {
        let (file, record, _) = open_file(path, code)?;
        self.preview_of(&file, &record)
    }

    fn preview_of(&self, file: &TransferFile, record: &TransferRecord) -> Result<TransferPreview> {
        let r = record.resident().map_err(|_| not_a_transfer_file())?;
        let here = self.store.resident(self.actor()?, &r.id)?;
        let mut problems = Vec::new();
        if r.status != RecordStatus::MovedOut {
            problems.push(Problem::error(
                "status",
                "transfer.not_moved_away",
                "转出机构没有把这份档案以“迁出”结案，不能接收",
                "The sending institution did not close this record as moved away; it cannot be taken in",
            ));
        }
        if here.as_ref().is_some_and(|h| h.status == RecordStatus::Active) {
            problems.push(Problem::error(
                "status",
                "transfer.active_here",
                "这份档案在本机仍在管理中，无需转入",
                "This record is still managed here; there is nothing to take in",
            ));
        }
        Ok(TransferPreview {
            from: file.from.clone(),
            to: file.to.clone(),
            exported_at: file.exported_at,
            record_no: r.record_no.clone(),
            name: r.data.name.clone(),
            sex: r.data.sex,
            birth_date: r.data.birth_date,
            status: r.status,
            versions: record.history.len(),
            services: record.service_count(),
            known_here: here.is_some(),
            problems,
        })
    }

    /// Takes a transferred record in: its history, the same number, placed
    /// in `village_code` here, reopened with the programmes its move ended.
    pub fn transfer_in(&mut self, req: TransferInRequest) -> Result<TransferTaken> {
        // Opened once: the code's key derivation is the slow part.
        let (file, record, file_digest) = open_file(&req.path, &req.code)?;
        if let Some(p) = self.preview_of(&file, &record)?.problems.into_iter().next() {
            return Err(Error::Invalid(vec![p]));
        }
        self.village_here(&req.village_code)?;
        let resident = record.resident().map_err(|_| not_a_transfer_file())?;
        let closure = resident.closure.clone().ok_or_else(not_a_transfer_file)?;
        let actor = self.actor()?.clone();
        let at = self.now();
        let today = self.today();
        let reopening = Reopening { on: today, why: format!("转入：自{}", file.from), by: actor.name.clone(), at: at.at() };
        let ids: Vec<String> = closure.ended_programs.iter().map(|_| self.env.ids.new_id()).collect();
        let (taken, brought, programs) = self.store.batch(|b| {
            let brought = b.bring_in(&actor, &record, at)?;
            let handover = vhr_store::TransferLogEntry {
                direction: "in",
                resident_id: &record.resident_id,
                record_no: &record.record_no,
                counterpart: &file.from,
                file_digest: &file_digest,
                versions: record.history.len(),
                trail: Some(&record.trail),
            };
            let (reopened, programs) = settle_in(b, &actor, &req.village_code, (&closure, reopening, ids), handover, at)?;
            Ok((reopened, brought, programs))
        })?;
        Ok(TransferTaken {
            resident: self.view(taken)?,
            versions: brought.versions,
            already_here: brought.already_here,
            services: brought.services,
            programs,
        })
    }
}

// Taking in a record another institution moved here through the platform.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct PlatformTakeIn {
    pub resident_id: String,
    pub expected_version: i64,
    // The village of this clinic the resident now lives in.
    pub village_code: String,
}

impl Clinic {
    /// Records another institution closed as moved here, which the platform
    /// brought (`Patient.managingOrganization` naming this clinic): waiting
    /// to be placed in one of its villages.
    pub fn platform_transfers(&self) -> Result<Vec<ResidentView>> {
        let actor = self.actor()?;
        let here = self.profile_required()?.institution_name;
        let mut out = Vec::new();
        for id in self.store.outside_residents()? {
            let Some(r) = self.store.resident(actor, &id)? else { continue };
            if r.status == RecordStatus::MovedOut && r.managed_by == here {
                out.push(self.view(r)?);
            }
        }
        Ok(out)
    }

    /// Takes in a record moved here through the platform: placed in a
    /// village here, managed here, reopened with the programmes its move
    /// ended, the handover logged — then sent, so the platform (and the
    /// institution it came from) knows it is kept here.
    pub fn take_in_from_platform(&mut self, req: PlatformTakeIn) -> Result<TransferTaken> {
        let waiting = self.platform_transfers()?;
        let Some(r) = waiting.into_iter().map(|v| v.resident).find(|r| r.id == req.resident_id) else {
            return Err(problem(
                "transfer.not_moving",
                "这份档案不是转往本机构的待接收档案",
                "This record is not one moved to this institution and waiting to be taken in",
            ));
        };
        if r.version != req.expected_version {
            return Err(Error::VersionConflict { id: r.id, expected: req.expected_version, actual: r.version });
        }
        self.village_here(&req.village_code)?;
        let closure = r.closure.clone().ok_or_else(|| Error::Sync("a record moved away without its closure".into()))?;
        let actor = self.actor()?.clone();
        let at = self.now();
        let from = r.institution.clone();
        let reopening =
            Reopening { on: self.today(), why: format!("转入：自{from}（经平台）"), by: actor.name.clone(), at: at.at() };
        let ids: Vec<String> = closure.ended_programs.iter().map(|_| self.env.ids.new_id()).collect();
        let versions = self.store.history(&actor, vhr_domain::entity::Entity::Resident, &r.id)?.len();
        let (taken, programs) = self.store.batch(|b| {
            let handover = vhr_store::TransferLogEntry {
                direction: "in",
                resident_id: &r.id,
                record_no: &r.record_no,
                counterpart: &from,
                file_digest: "platform",
                versions,
                trail: None,
            };
            settle_in(b, &actor, &req.village_code, (&closure, reopening, ids), handover, at)
        })?;
        self.store.flag_outside(&taken.id, false)?;
        let services = self.store.services_of(&actor, &taken.id)?.len();
        Ok(TransferTaken { resident: self.view(taken)?, versions, already_here: versions, services, programs })
    }
}

/// A record taken in, whichever way it came: placed in a village here and
/// managed here, reopened with the programmes its move ended, and the
/// handover logged — in the caller's transaction.
fn settle_in(
    b: &mut vhr_store::Batch<'_>,
    actor: &vhr_store::Actor,
    village_code: &str,
    (closure, reopening, ids): (&vhr_domain::closure::Closure, Reopening, Vec<String>),
    handover: vhr_store::TransferLogEntry<'_>,
    at: vhr_domain::time::Moment,
) -> std::result::Result<(vhr_domain::resident::Resident, Vec<Program>), vhr_store::StoreError> {
    let placed = b.place_transferred(actor, handover.resident_id, village_code, at)?;
    let taken = reopen_in(b, actor, (&placed.id, placed.version), closure, reopening, ids, at)?;
    b.log_transfer(actor, handover, at)?;
    Ok(taken)
}
