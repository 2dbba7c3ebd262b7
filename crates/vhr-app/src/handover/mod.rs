//! The handover of the complete set (issue #13; seed 004: institutions
//! "hand over the complete set of residents' health records" when they
//! change): one archive with every row of every table — every resident and
//! every version, every service record, the print log, the audit trail and
//! its checkpoints — a manifest of checksums, and the trail's last signed
//! checkpoint. It is checked without the code (every member against the
//! manifest), checked with it (loaded into a scratch database, the trail
//! recomputed against the checkpoint), and imported into a fresh install,
//! which continues the clinic: the same records, numbers, trail and outbox.
//!
//! The archive is a POSIX tar file (`docs/handover.md`): one member per
//! table, `tables/<table>.jsonl.sealed` (the store's JSON lines, deflated,
//! sealed with XChaCha20-Poly1305 in 64 KiB chunks — the STREAM
//! construction — under a random archive key; each member's name and the
//! archive's id are bound in), then `manifest.json` (no personal data: the
//! institution, counts, checksums, the archive key sealed by the handover
//! code, the audit key's public half and the checkpoint) and
//! `manifest.sig`, the manifest's digest as a signed note of the install's
//! audit key. The handover code, shown once, goes on the handover record.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;
use vhr_domain::checkpoint::Verifier25519;
use vhr_domain::problem::Problem;
use vhr_store::{DumpSink, Loader, StoreError, TableRows, UserRecord};
use zeroize::Zeroizing;

use crate::accounts::{check_new_user, Install, SEALED_IN_INSTALL_FILE};
use crate::keys::{self, hex, new_code, normalize_recovery_code, seal_bytes, unseal_bytes, Sealed};
use crate::paths::WholeFile;

mod sealed;
use crate::{Clinic, Error, Result, DB_FILE};
use sealed::{Digesting, OpenReader, SealWriter};

/// How a handover archive's name ends.
pub const HANDOVER_EXT: &str = "vhrhandover";
const FORMAT: &str = "village-health-handover";
const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SIGNATURE: &str = "manifest.sig";

/// One member of the archive, as the manifest lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Member {
    name: String,
    table: String,
    rows: u64,
    bytes: u64,
    sha256: String,
}

/// What `manifest.json` says, in the clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    id: String,
    app_version: String,
    schema_version: usize,
    made_at: DateTime<Utc>,
    made_by: String,
    institution: String,
    region: String,
    residents: u64,
    /// The archive key, sealed by the handover code, bound to the archive id.
    key: Sealed,
    audit: AuditHead,
    members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuditHead {
    /// The verifier key of the install that made the archive.
    vkey: String,
    entries: i64,
    /// The checkpoint signed for the handover, covering every entry.
    checkpoint: String,
}

// An archive written.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HandoverMade {
    pub path: PathBuf,
    // The handover code, shown once, for the handover record.
    pub code: String,
    pub residents: u64,
    pub rows: u64,
    pub bytes: u64,
    // The audit key's public half, to compare with what the platform holds.
    pub audit_key: String,
    pub audit_entries: i64,
}

// One table an archive holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HandoverTable {
    pub table: String,
    pub rows: u64,
}

// What an archive holds, from its manifest.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HandoverSummary {
    pub path: PathBuf,
    pub made_at: DateTime<Utc>,
    pub made_by: String,
    pub institution: String,
    pub region: String,
    pub app_version: String,
    pub schema_version: usize,
    pub residents: u64,
    pub rows: u64,
    pub bytes: u64,
    pub tables: Vec<HandoverTable>,
    pub audit_key: String,
    pub audit_entries: i64,
}

// The result of a check: the manifest's word, and with the code how the
// contents and the trail came out.
#[derive(Debug, Clone, Serialize, TS)]
pub struct HandoverCheck {
    pub summary: HandoverSummary,
    // Whether the contents were opened (a code was given) and loaded.
    pub contents_checked: bool,
    // With the code: the trail's entries and checkpoints that matched.
    pub audit_entries_checked: i64,
    pub checkpoints_checked: i64,
}

// Who takes the records over at a fresh install: their own administrator
// account (the archive's accounts come across to name who did what, and
// sign in again once an administrator sets their passwords).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct HandoverImportRequest {
    pub path: PathBuf,
    pub code: String,
    pub username: String,
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub phone: String,
}

fn problem(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    Error::Invalid(vec![Problem::error("file", code, zh, en)])
}

fn not_an_archive() -> Error {
    problem("handover.not_a_file", "这不是健康档案交接包，或文件已损坏", "This is not a health record handover archive, or it is damaged")
}

fn damaged(member: &str) -> Error {
    problem(
        "handover.damaged",
        format!("交接包已损坏或被改动：{member} 与清单不符。请向移交单位重新索取"),
        format!("The handover archive is damaged or was altered: {member} does not match its manifest. Ask the handing-over institution for it again"),
    )
}

fn bad_code() -> Error {
    problem(
        "handover.bad_code",
        "交接码不对：请核对档案交接记录上的交接码",
        "The handover code is wrong: check the code on the handover record",
    )
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Storage(format!("{}: {e}", path.display()))
}

/// What the sealed archive key is bound to.
fn key_context(id: &str) -> String {
    format!("{FORMAT}/{FORMAT_VERSION}/{id}")
}

/// The signed note's text: the archive and its manifest's digest.
fn signed_text(id: &str, manifest: &[u8]) -> String {
    format!("{FORMAT}\n{id}\nsha256 {}\n", hex(&Sha256::digest(manifest)))
}

fn member_name(table: &str) -> String {
    format!("tables/{table}.jsonl.sealed")
}

fn aad(id: &str, member: &str) -> Vec<u8> {
    format!("{id}/{member}").into_bytes()
}

/// A tar header for a regular file.
fn tar_header(name: &str, size: u64, mtime: u64) -> std::io::Result<tar::Header> {
    let mut h = tar::Header::new_ustar();
    h.set_path(name)?;
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(mtime);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

fn pad(file: &mut File, size: u64) -> std::io::Result<()> {
    let rest = (512 - size % 512) % 512;
    file.write_all(&vec![0u8; rest as usize])
}

type MemberWriter = flate2::write::DeflateEncoder<SealWriter<Digesting<std::io::BufWriter<File>>>>;

/// Writes the archive's members as the dump produces them: each member's
/// header is written once its size is known (a blank one is kept for it).
struct ArchiveSink<'a> {
    file: Option<File>,
    id: String,
    key: Zeroizing<[u8; 32]>,
    mtime: u64,
    current: Option<(u64, MemberWriter)>,
    members: Vec<Member>,
    progress: &'a mut dyn FnMut(u64, u64) -> bool,
}

fn store_io(e: std::io::Error) -> StoreError {
    StoreError::File(e.to_string())
}

impl DumpSink for ArchiveSink<'_> {
    fn begin(&mut self, table: &str) -> vhr_store::Result<()> {
        let mut file = self.file.take().expect("one member at a time");
        let start = file.stream_position().map_err(store_io)?;
        file.write_all(&[0u8; 512]).map_err(store_io)?;
        let out = Digesting::new(std::io::BufWriter::with_capacity(1 << 20, file));
        let sealed = SealWriter::new(out, &self.key, aad(&self.id, &member_name(table))).map_err(store_io)?;
        self.current = Some((start, flate2::write::DeflateEncoder::new(sealed, flate2::Compression::fast())));
        Ok(())
    }

    fn line(&mut self, line: &[u8]) -> vhr_store::Result<()> {
        self.current.as_mut().expect("a member is open").1.write_all(line).map_err(store_io)
    }

    fn end(&mut self, t: &TableRows) -> vhr_store::Result<()> {
        let (start, w) = self.current.take().expect("a member is open");
        let digesting = w.finish().map_err(store_io)?.finish().map_err(store_io)?;
        let (bytes, sha256) = (digesting.bytes, hex(&digesting.hash.clone().finalize()));
        let mut file = digesting.inner.into_inner().map_err(|e| store_io(e.into_error()))?;
        pad(&mut file, bytes).map_err(store_io)?;
        let end = file.stream_position().map_err(store_io)?;
        let name = member_name(&t.table);
        let header = tar_header(&name, bytes, self.mtime).map_err(store_io)?;
        file.seek(SeekFrom::Start(start)).map_err(store_io)?;
        file.write_all(header.as_bytes()).map_err(store_io)?;
        file.seek(SeekFrom::Start(end)).map_err(store_io)?;
        self.file = Some(file);
        self.members.push(Member { name, table: t.table.clone(), rows: t.rows, bytes, sha256 });
        Ok(())
    }

    fn progress(&mut self, done: u64, total: u64) -> bool {
        (self.progress)(done, total)
    }
}

/// Appends a small member whole.
fn append(file: &mut File, name: &str, bytes: &[u8], mtime: u64) -> std::io::Result<()> {
    file.write_all(tar_header(name, bytes.len() as u64, mtime)?.as_bytes())?;
    file.write_all(bytes)?;
    pad(file, bytes.len() as u64)
}

/// Where each member of an archive lies in its file.
struct Layout {
    file: File,
    members: Vec<(String, u64, u64)>,
}

impl Layout {
    fn read(path: &Path) -> Result<Layout> {
        let file = File::open(path).map_err(io(path))?;
        let mut members = Vec::new();
        let mut archive = tar::Archive::new(file.try_clone().map_err(io(path))?);
        for entry in archive.entries_with_seek().map_err(|_| not_an_archive())? {
            let entry = entry.map_err(|_| not_an_archive())?;
            let name = entry.path().map_err(|_| not_an_archive())?.to_string_lossy().into_owned();
            members.push((name, entry.raw_file_position(), entry.size()));
        }
        Ok(Layout { file, members })
    }

    fn find(&self, name: &str) -> Option<(u64, u64)> {
        self.members.iter().find(|(n, ..)| n == name).map(|&(_, at, size)| (at, size))
    }

    fn member(&self, name: &str) -> Result<impl Read + '_> {
        let (at, size) = self.find(name).ok_or_else(|| damaged(name))?;
        let mut f = &self.file;
        f.seek(SeekFrom::Start(at)).map_err(|_| damaged(name))?;
        Ok(std::io::BufReader::with_capacity(1 << 20, f.take(size)))
    }

    fn small(&self, name: &str) -> Result<Vec<u8>> {
        let (_, size) = self.find(name).ok_or_else(not_an_archive)?;
        if size > 64 << 20 {
            return Err(not_an_archive());
        }
        let mut out = Vec::new();
        self.member(name)?.read_to_end(&mut out).map_err(|_| not_an_archive())?;
        Ok(out)
    }
}

/// An archive whose manifest was read and whose signature holds.
struct Opened {
    path: PathBuf,
    layout: Layout,
    manifest: Manifest,
    bytes: u64,
}

fn open_archive(path: &Path) -> Result<Opened> {
    let bytes = std::fs::metadata(path).map_err(io(path))?.len();
    let layout = Layout::read(path)?;
    let raw = layout.small(MANIFEST)?;
    let manifest: Manifest = serde_json::from_slice(&raw).map_err(|_| not_an_archive())?;
    if manifest.format != FORMAT {
        return Err(not_an_archive());
    }
    if manifest.version > FORMAT_VERSION || manifest.schema_version > vhr_store::latest_schema_version() {
        return Err(problem(
            "handover.newer",
            "这个交接包由更新版本的软件写出，请先升级本软件",
            "This handover archive was written by a newer version of the app; update this one first",
        ));
    }
    let note = String::from_utf8(layout.small(SIGNATURE)?).map_err(|_| damaged(SIGNATURE))?;
    let verifier = Verifier25519::decode(&manifest.audit.vkey).map_err(|_| damaged(MANIFEST))?;
    match verifier.open_note(&note) {
        Ok(text) if text == signed_text(&manifest.id, &raw) => {}
        _ => return Err(damaged(MANIFEST)),
    }
    match verifier.open(&manifest.audit.checkpoint) {
        Ok(cp) if cp.size as i64 == manifest.audit.entries => {}
        _ => return Err(damaged(MANIFEST)),
    }
    Ok(Opened { path: path.to_path_buf(), layout, manifest, bytes })
}

impl Opened {
    fn summary(&self) -> HandoverSummary {
        let m = &self.manifest;
        HandoverSummary {
            path: self.path.clone(),
            made_at: m.made_at,
            made_by: m.made_by.clone(),
            institution: m.institution.clone(),
            region: m.region.clone(),
            app_version: m.app_version.clone(),
            schema_version: m.schema_version,
            residents: m.residents,
            rows: m.members.iter().map(|t| t.rows).sum(),
            bytes: self.bytes,
            tables: m.members.iter().map(|t| HandoverTable { table: t.table.clone(), rows: t.rows }).collect(),
            audit_key: m.audit.vkey.clone(),
            audit_entries: m.audit.entries,
        }
    }

    /// Every member is the manifest's, and nothing else is in the archive.
    fn check_members(&self, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()> {
        let known = |n: &str| n == MANIFEST || n == SIGNATURE || self.manifest.members.iter().any(|m| m.name == n);
        if let Some((extra, ..)) = self.layout.members.iter().find(|(n, ..)| !known(n)) {
            return Err(damaged(extra));
        }
        // A name twice: which copy is meant cannot be told.
        let mut names: Vec<&str> = self.layout.members.iter().map(|(n, ..)| n.as_str()).collect();
        names.sort_unstable();
        if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(damaged(twice[0]));
        }
        let total: u64 = self.manifest.members.iter().map(|m| m.bytes).sum();
        let mut done = 0u64;
        for m in &self.manifest.members {
            let (_, size) = self.layout.find(&m.name).ok_or_else(|| damaged(&m.name))?;
            if size != m.bytes {
                return Err(damaged(&m.name));
            }
            let mut r = Digesting::new(self.layout.member(&m.name)?);
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = r.read(&mut buf).map_err(|_| damaged(&m.name))?;
                if n == 0 {
                    break;
                }
                done += n as u64;
                if !progress(done, total) {
                    return Err(Error::Cancelled);
                }
            }
            if hex(&r.hash.finalize()) != m.sha256 {
                return Err(damaged(&m.name));
            }
        }
        Ok(())
    }

    /// The archive key, when `code` is the handover code.
    fn key(&self, code: &str) -> Result<Zeroizing<[u8; 32]>> {
        let code = normalize_recovery_code(code);
        let plain = unseal_bytes(&self.manifest.key, &code, &key_context(&self.manifest.id))
            .map_err(|_| damaged(MANIFEST))?
            .ok_or_else(bad_code)?;
        let key: [u8; 32] = plain.as_slice().try_into().map_err(|_| damaged(MANIFEST))?;
        Ok(Zeroizing::new(key))
    }

    /// Loads every table into a new database at `db` (which must not exist).
    fn load(&self, key: &[u8; 32], db: &Path, db_key: &vhr_store::DatabaseKey, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()> {
        let mut loader = Loader::create(db, db_key, self.manifest.schema_version)?;
        let total: u64 = self.manifest.members.iter().map(|m| m.rows).sum();
        let mut before = 0u64;
        for m in &self.manifest.members {
            let opened =
                OpenReader::new(self.layout.member(&m.name)?, key, aad(&self.manifest.id, &m.name)).map_err(|_| damaged(&m.name))?;
            let mut lines = BufReader::with_capacity(1 << 20, flate2::read::DeflateDecoder::new(opened));
            let loaded = loader.load_table(&mut lines, &mut |n| progress(before + n, total)).map_err(|e| match e {
                StoreError::File(_) | StoreError::Corrupt(_) => damaged(&m.name),
                e => e.into(),
            })?;
            if loaded.table != m.table || loaded.rows != m.rows {
                return Err(damaged(&m.name));
            }
            before += m.rows;
        }
        loader.finish().map_err(|e| match e {
            StoreError::Corrupt(why) => {
                problem("handover.incomplete", format!("交接包内容不完整：{why}"), format!("The handover archive is incomplete: {why}"))
            }
            e => e.into(),
        })?;
        Ok(())
    }
}

/// The folder name a handover archive goes under: the clinic's region and the day.
fn archive_name(region: &str, day: chrono::NaiveDate) -> String {
    format!("健康档案交接-{region}-{}.{HANDOVER_EXT}", day.format("%Y%m%d"))
}

/// Removes a database file and what SQLite keeps beside it.
fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// What an archive holds, from its manifest, after checking every member
/// against it (no code needed); with the code, also loads it into a scratch
/// database and checks the trail against its checkpoint.
pub fn handover_verify(path: &Path, code: Option<&str>, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<HandoverCheck> {
    let opened = open_archive(path)?;
    opened.check_members(progress)?;
    let mut check = HandoverCheck { summary: opened.summary(), contents_checked: false, audit_entries_checked: 0, checkpoints_checked: 0 };
    let Some(code) = code else { return Ok(check) };
    let key = opened.key(code)?;
    let scratch = std::env::temp_dir().join(format!("vhr-handover-check-{}.db", uuid::Uuid::new_v4()));
    let result = (|| {
        let db_key = keys::new_data_key();
        opened.load(&key, &scratch, &db_key, progress)?;
        let store = vhr_store::Store::open(&scratch, &db_key)?;
        let held = Verifier25519::decode(&opened.manifest.audit.vkey).map_err(|_| damaged(MANIFEST))?;
        let audit = store.audit_verify(std::slice::from_ref(&opened.manifest.audit.checkpoint), Some(&held))?;
        if let Some(problem_at) = audit.broken_at {
            let why = audit.problem.unwrap_or_default();
            return Err(problem(
                "handover.audit",
                format!("交接包里的审计记录在第 {problem_at} 条不符：{why}"),
                format!("The archive's audit trail does not hold at entry {problem_at}: {why}"),
            ));
        }
        Ok((audit.entries, audit.checkpoints))
    })();
    remove_database(&scratch);
    let (entries, checkpoints) = result?;
    check.contents_checked = true;
    check.audit_entries_checked = entries;
    check.checkpoints_checked = checkpoints;
    Ok(check)
}

/// Writes every table of an archive, opened with its code, into `folder`
/// as plain JSON lines (`<table>.jsonl`: the head line, then one array per
/// row) — for another system to read. What it writes is the records in the
/// clear: it is for an administrator's hands only.
pub fn handover_unpack(path: &Path, code: &str, folder: &Path, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<Vec<HandoverTable>> {
    let opened = open_archive(path)?;
    let key = opened.key(code)?;
    std::fs::create_dir_all(folder).map_err(io(folder))?;
    let total: u64 = opened.manifest.members.iter().map(|m| m.bytes).sum();
    let mut done = 0u64;
    let mut out = Vec::new();
    for m in &opened.manifest.members {
        let target = folder.join(format!("{}.jsonl", m.table));
        let mut whole = WholeFile::create(&target)?;
        // The seal authenticates every chunk: no digest is needed to trust it.
        let member = opened.layout.member(&m.name)?;
        let mut plain = flate2::read::DeflateDecoder::new(
            OpenReader::new(member, &key, aad(&opened.manifest.id, &m.name)).map_err(|_| damaged(&m.name))?,
        );
        let mut buf = vec![0u8; 1 << 16];
        let mut lines = 0u64;
        loop {
            let n = plain.read(&mut buf).map_err(|_| damaged(&m.name))?;
            if n == 0 {
                break;
            }
            lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            whole.file().write_all(&buf[..n]).map_err(io(&target))?;
            // How far into the member (its compressed bytes, near its sealed size).
            if !progress((done + plain.total_in()).min(total), total) {
                return Err(Error::Cancelled);
            }
        }
        done += m.bytes;
        if lines != m.rows + 1 {
            return Err(damaged(&m.name));
        }
        whole.commit()?;
        out.push(HandoverTable { table: m.table.clone(), rows: m.rows });
    }
    Ok(out)
}

/// What an archive holds, from its manifest (its signature checked).
pub fn handover_summary(path: &Path) -> Result<HandoverSummary> {
    Ok(open_archive(path)?.summary())
}

impl Clinic {
    /// Writes the complete set into `folder` as one archive (administrators).
    /// The handover is recorded and the trail signed first, so the archive's
    /// checkpoint covers its own making.
    pub fn handover_export(&mut self, folder: &Path, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<HandoverMade> {
        let me = self.require_admin()?;
        if !folder.is_absolute() {
            return Err(Error::Invalid(vec![Problem::error(
                "folder",
                "handover.folder",
                "请选择要写入交接包的文件夹（如U盘）",
                "Choose the folder to write the archive to (a USB stick)",
            )]));
        }
        let profile = self.profile_required()?;
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        let region = format!("{}{}", profile.county_code, profile.township_code);
        let path = folder.join(archive_name(&region, now.today()));
        let mut whole = WholeFile::create(&path)?;
        self.audit_event("handover-out", Some(&id))?;
        let checkpoint = match self.write_checkpoint("handover")? {
            Some(cp) => cp,
            None => self.store.last_checkpoint()?.ok_or_else(|| Error::Storage("the trail has no checkpoint".into()))?,
        };
        let vkey = self.audit_key()?;

        let mut archive_key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(archive_key.as_mut());
        let code = new_code::<10>();
        let sealed_key = seal_bytes(archive_key.as_ref(), &code, &key_context(&id))?;
        let mtime = now.at().timestamp().max(0) as u64;
        let file = whole.file().try_clone().map_err(io(&path))?;
        let mut sink =
            ArchiveSink { file: Some(file), id: id.clone(), key: archive_key, mtime, current: None, members: Vec::new(), progress };
        let tables = self.store.dump_tables(&mut sink)?;
        let mut file = sink.file.take().expect("every member closed");
        let residents = tables.iter().find(|t| t.table == "resident").map_or(0, |t| t.rows);
        let manifest = Manifest {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            id: id.clone(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: self.store.schema_version()? as usize,
            made_at: now.at(),
            made_by: format!("{} ({})", me.display_name, me.username),
            institution: profile.institution_name.clone(),
            region,
            residents,
            key: sealed_key,
            audit: AuditHead { vkey: vkey.clone(), entries: checkpoint.size, checkpoint: checkpoint.note.clone() },
            members: sink.members,
        };
        let raw = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Storage(e.to_string()))?;
        let note = self.audit_signing_key()?.sign_note(&signed_text(&id, &raw));
        append(&mut file, MANIFEST, &raw, mtime).map_err(io(&path))?;
        append(&mut file, SIGNATURE, note.as_bytes(), mtime).map_err(io(&path))?;
        file.write_all(&[0u8; 1024]).map_err(io(&path))?;
        drop(file);
        whole.commit()?;
        let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
        tracing::info!(residents, bytes, "handover archive written");
        Ok(HandoverMade {
            path,
            code,
            residents,
            rows: tables.iter().map(|t| t.rows).sum(),
            bytes,
            audit_key: vkey,
            audit_entries: checkpoint.size,
        })
    }
}

impl Install {
    /// A fresh install takes over the complete set from a handover archive:
    /// every row as it was handed over, a new data key, and the person taking
    /// over as a new administrator (signed in). The trail continues under
    /// this install's own key; the handing-over install's public key is kept
    /// to check the checkpoints it signed.
    pub fn import_handover(&mut self, req: HandoverImportRequest, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<Clinic> {
        if self.is_set_up()? {
            return Err(Error::AlreadySetUp);
        }
        let mut problems = check_new_user(&req.username, &req.display_name, &req.password);
        let phone = vhr_domain::text::normalize_ascii(&req.phone);
        problems.extend(vhr_domain::resident::phone_problem("phone", &phone));
        if vhr_domain::problem::has_errors(&problems) {
            return Err(Error::Invalid(problems));
        }
        let opened = open_archive(&req.path)?;
        let archive_key = opened.key(&req.code)?;
        let db = self.data_dir().join(DB_FILE);
        let loading = self.data_dir().join(format!("{DB_FILE}.handover"));
        remove_database(&loading);
        let key = keys::new_data_key();
        if let Err(e) = opened.load(&archive_key, &loading, &key, progress) {
            remove_database(&loading);
            return Err(e);
        }
        std::fs::rename(&loading, &db).map_err(io(&db))?;

        let (user, file, recovery) = self.first_administrator(&req.username, &req.display_name, phone, &req.password, &key)?;
        let taken = (|| {
            let mut clinic = Clinic::open(self.data_dir(), self.env.clone(), key, file.clone())?;
            if clinic.store.user_by_name(&user.username)?.is_some() {
                return Err(Error::Invalid(vec![Problem::error(
                    "username",
                    "handover.username_taken",
                    "交接包里已有这个登录名，请另取一个",
                    "The handover archive has an account with this login name already; choose another",
                )]));
            }
            let now = clinic.now();
            let held = Verifier25519::decode(&opened.manifest.audit.vkey).map_err(|_| damaged(MANIFEST))?;
            clinic.store.hold_audit_key(&held, opened.manifest.audit.entries, now)?;
            let actor = vhr_store::Actor::account(&user);
            let record = UserRecord { user: user.clone(), password_hash: SEALED_IN_INSTALL_FILE.into() };
            clinic.store.add_user(&actor, &record, now)?;
            Ok(clinic)
        })();
        let mut clinic = match taken {
            Ok(c) => c,
            Err(e) => {
                remove_database(&db);
                return Err(e);
            }
        };
        // The key is on disk, sealed, once the database it opens holds the set.
        file.save(self.data_dir())?;
        self.file = Some(file);
        clinic.signed_in(&user, Some(recovery), "handover")?;
        clinic.audit_event("handover-in", Some(&opened.manifest.id))?;
        clinic.write_checkpoint("handover")?;
        tracing::info!(residents = opened.manifest.residents, "handover archive taken in");
        Ok(clinic)
    }
}

impl crate::Desk {
    /// The window's first start on a fresh install: take the clinic over
    /// from a handover archive and sign the person taking over in.
    pub fn import_handover(
        &mut self,
        req: HandoverImportRequest,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<crate::SessionInfo> {
        let clinic = self.install.import_handover(req, progress)?;
        self.enter(clinic)
    }
}
