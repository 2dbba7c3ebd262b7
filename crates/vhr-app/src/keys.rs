//! The install file, `install.json`, beside the database: what the install
//! needs before its encrypted database can open. It holds the database's one
//! data key, sealed once per user with a key derived from that user's
//! password (argon2id) and once with the recovery code; the count of wrong
//! passwords per login name (the lockout); and the window's language. Nothing
//! in it is personal data, and nothing in it opens the database without a
//! password or the recovery code.
//!
//! A sealed key is XChaCha20-Poly1305 over the 32-byte data key, with the
//! account it belongs to as associated data, so a sealed key moved to
//! another account's entry does not open.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vhr_store::DatabaseKey;
use zeroize::Zeroizing;

use crate::{Error, Result};

pub(crate) const INSTALL_FILE: &str = "install.json";

/// Wrong passwords in a row before an account is locked, and for how long.
pub(crate) const MAX_FAILURES: u32 = 5;
pub(crate) const LOCK_MINUTES: i64 = 15;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct InstallFile {
    pub format: u32,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub accounts: Vec<KeyAccount>,
    #[serde(default)]
    pub recovery: Option<Sealed>,
    #[serde(default)]
    pub failures: BTreeMap<String, Failures>,
}

/// One user's way in: their sealed copy of the data key. A disabled account
/// keeps its entry (so it is told it is disabled) but loses the key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyAccount {
    pub user_id: String,
    pub username: String,
    #[serde(default)]
    pub disabled: bool,
    pub sealed: Option<Sealed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub kdf: String,
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    pub salt: String,
    pub nonce: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Failures {
    pub count: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl InstallFile {
    pub fn new() -> InstallFile {
        InstallFile { format: 1, lang: None, accounts: Vec::new(), recovery: None, failures: BTreeMap::new() }
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(INSTALL_FILE)
    }

    /// The install file in `dir`, or `None` when there is none.
    pub fn load(dir: &Path) -> Result<Option<InstallFile>> {
        let path = InstallFile::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::Storage(format!("{}: {e}", path.display()))),
        };
        let file: InstallFile =
            serde_json::from_str(&text).map_err(|e| Error::Storage(format!("{} cannot be read: {e}", path.display())))?;
        if file.format != 1 {
            return Err(Error::Storage(format!("{} is of format {}, which this version does not know", path.display(), file.format)));
        }
        Ok(Some(file))
    }

    /// Writes the file whole or not at all: a temporary file, flushed to
    /// disk, then renamed over the old one.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("the install file serialises");
        crate::paths::WholeFile::create(&InstallFile::path(dir))?.finish(text.as_bytes())
    }

    pub fn account(&self, username: &str) -> Option<&KeyAccount> {
        self.accounts.iter().find(|a| a.username == username)
    }

    /// Sets (or replaces) a user's sealed key, enabling the account.
    pub fn set_account(&mut self, user_id: &str, username: &str, sealed: Sealed) {
        self.accounts.retain(|a| a.user_id != user_id);
        self.accounts.push(KeyAccount { user_id: user_id.into(), username: username.into(), disabled: false, sealed: Some(sealed) });
        self.failures.remove(username);
    }

    /// Takes a user's key away; the entry stays, marked disabled.
    pub fn disable_account(&mut self, user_id: &str) {
        for a in self.accounts.iter_mut().filter(|a| a.user_id == user_id) {
            a.disabled = true;
            a.sealed = None;
        }
    }

    /// The login names that can sign in.
    pub fn enabled_usernames(&self) -> Vec<String> {
        self.accounts.iter().filter(|a| !a.disabled && a.sealed.is_some()).map(|a| a.username.clone()).collect()
    }

    /// Until when `username` may not try a password, if locked at `now`.
    pub fn locked_until(&self, username: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.failures.get(username).and_then(|f| f.locked_until).filter(|until| *until > now)
    }

    /// Counts a wrong password; the fifth in a row locks the account.
    pub fn note_failure(&mut self, username: &str, now: DateTime<Utc>) {
        let f = self.failures.entry(username.to_string()).or_default();
        if f.locked_until.is_some_and(|u| u <= now) {
            *f = Failures::default();
        }
        f.count += 1;
        if f.count >= MAX_FAILURES {
            f.locked_until = Some(now + chrono::Duration::minutes(LOCK_MINUTES));
        }
    }

    pub fn note_success(&mut self, username: &str) {
        self.failures.remove(username);
    }
}

/// What a sealed key belongs to, bound into the seal.
pub(crate) fn user_context(user_id: &str) -> String {
    format!("village-health/data-key/user/{user_id}")
}

pub(crate) const RECOVERY_CONTEXT: &str = "village-health/data-key/recovery";

/// 32 random bytes for the install's audit signing key (Ed25519 seed).
pub(crate) fn new_signing_seed() -> Zeroizing<[u8; 32]> {
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(seed.as_mut());
    seed
}

/// A new random data key for a new database.
pub(crate) fn new_data_key() -> DatabaseKey {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let key = DatabaseKey::from_bytes(bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    key
}

fn derive(secret: &[u8], salt: &[u8], m_kib: u32, t: u32, p: u32) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(m_kib, t, p, Some(32)).map_err(|e| Error::Storage(format!("argon2 parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret, salt, out.as_mut())
        .map_err(|e| Error::Storage(format!("argon2: {e}")))?;
    Ok(out)
}

/// Seals the data key with `secret` (a password or the recovery code).
pub(crate) fn seal(key: &DatabaseKey, secret: &str, context: &str) -> Result<Sealed> {
    seal_bytes(key.as_bytes(), secret, context)
}

/// Seals `msg` with a key derived from `secret`; `context` is bound to it
/// (the same context opens it, no other).
pub(crate) fn seal_bytes(msg: &[u8], secret: &str, context: &str) -> Result<Sealed> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let (m_kib, t, p) = (Params::DEFAULT_M_COST, Params::DEFAULT_T_COST, Params::DEFAULT_P_COST);
    let kek = derive(secret.as_bytes(), &salt, m_kib, t, p)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg, aad: context.as_bytes() })
        .map_err(|_| Error::Storage("sealing failed".into()))?;
    Ok(Sealed { kdf: "argon2id".into(), m_kib, t, p, salt: hex(&salt), nonce: hex(&nonce), key: hex(&sealed) })
}

/// The data key, when `secret` is the one it was sealed with.
pub(crate) fn unseal(sealed: &Sealed, secret: &str, context: &str) -> Result<Option<DatabaseKey>> {
    let bad = |what: &str| Error::Storage(format!("install.json: a sealed key's {what} cannot be read"));
    let Some(plain) = unseal_bytes(sealed, secret, context).map_err(bad)? else { return Ok(None) };
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| bad("length"))?;
    Ok(Some(DatabaseKey::from_bytes(bytes)))
}

/// What was sealed, when `secret` and `context` are the ones it was sealed
/// with; `None` when they are not (or the sealed bytes were altered). The
/// error names the part that cannot be read.
pub(crate) fn unseal_bytes(sealed: &Sealed, secret: &str, context: &str) -> Result<Option<Zeroizing<Vec<u8>>>, &'static str> {
    // A file from elsewhere (a transfer) could ask for any cost: more than
    // 256 MiB or 16 passes is not one this app wrote.
    if sealed.kdf != "argon2id" || sealed.m_kib > 256 * 1024 || sealed.t > 16 || sealed.p > 16 {
        return Err("method");
    }
    let salt = unhex(&sealed.salt).ok_or("salt")?;
    let nonce = unhex(&sealed.nonce).filter(|n| n.len() == 24).ok_or("nonce")?;
    let body = unhex(&sealed.key).ok_or("key")?;
    let kek = derive(secret.as_bytes(), &salt, sealed.m_kib, sealed.t, sealed.p).map_err(|_| "method")?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    Ok(cipher.decrypt(XNonce::from_slice(&nonce), Payload { msg: &body, aad: context.as_bytes() }).ok().map(Zeroizing::new))
}

/// Crockford's base-32 alphabet: no I, L, O or U to misread on paper.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new recovery code: 160 random bits as 32 characters in groups of four,
/// e.g. `7K2M-…`, to be printed once on the recovery sheet.
pub(crate) fn new_recovery_code() -> String {
    new_code::<20>()
}

/// `N` random bytes as Crockford base-32 in groups of four (every 5 bytes
/// make 8 characters).
pub(crate) fn new_code<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut chars = String::new();
    for b in bytes {
        bits = (bits << 8) | u64::from(b);
        nbits += 8;
        while nbits >= 5 {
            nbits -= 5;
            chars.push(CROCKFORD[((bits >> nbits) & 31) as usize] as char);
        }
    }
    chars.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).expect("ascii")).collect::<Vec<_>>().join("-")
}

/// A recovery code as typed: case, spaces and dashes do not matter, and
/// O/I/L read as 0/1/1.
pub(crate) fn normalize_recovery_code(typed: &str) -> String {
    let mut out = String::new();
    let kept = typed.chars().filter(|c| !c.is_whitespace() && *c != '-');
    for (i, c) in kept.enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        });
    }
    out
}

/// Bytes as lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_with_its_secret_only_and_only_for_its_account() {
        let key = new_data_key();
        let sealed = seal(&key, "correct horse", &user_context("u1")).unwrap();
        assert_eq!(unseal(&sealed, "correct horse", &user_context("u1")).unwrap().as_ref(), Some(&key));
        assert!(unseal(&sealed, "correct hors", &user_context("u1")).unwrap().is_none(), "a wrong password opens nothing");
        assert!(unseal(&sealed, "correct horse", &user_context("u2")).unwrap().is_none(), "moved to another account it opens nothing");
        let mut tampered = sealed.clone();
        tampered.key.replace_range(0..2, if &tampered.key[0..2] == "00" { "01" } else { "00" });
        assert!(unseal(&tampered, "correct horse", &user_context("u1")).unwrap().is_none(), "an edited seal opens nothing");
    }

    #[test]
    fn recovery_codes_are_read_back_however_they_are_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 39, "32 characters in 8 groups: {code}");
        assert_eq!(normalize_recovery_code(&code.to_lowercase().replace('-', " ")), code);
        assert_eq!(normalize_recovery_code("abcd-efgh-ol00"), "ABCD-EFGH-0100", "O, I and L are read as digits");
        assert_ne!(new_recovery_code(), code, "every code is new");
    }

    #[test]
    fn the_fifth_wrong_password_in_a_row_locks_for_fifteen_minutes_then_counting_starts_again() {
        let mut f = InstallFile::new();
        let t0 = "2026-12-02T02:00:00Z".parse::<DateTime<Utc>>().unwrap();
        for _ in 0..4 {
            f.note_failure("li", t0);
        }
        assert_eq!(f.locked_until("li", t0), None, "four wrong passwords do not lock");
        f.note_failure("li", t0);
        assert_eq!(f.locked_until("li", t0), Some(t0 + chrono::Duration::minutes(15)));
        assert_eq!(f.locked_until("wang", t0), None, "another login is not affected");
        let later = t0 + chrono::Duration::minutes(16);
        assert_eq!(f.locked_until("li", later), None, "the lock ends by itself");
        f.note_failure("li", later);
        assert_eq!(f.failures["li"].count, 1, "after the lock, counting starts again");
    }
}
