//! A member of the handover archive sealed and opened in chunks: the
//! STREAM construction over XChaCha20-Poly1305 (RustCrypto's
//! `EncryptorBE32`: a 19-byte nonce prefix, a 32-bit counter, a last-chunk
//! flag), so a table of any size is sealed as it is written and opened as
//! it is read, and a chunk altered, moved or cut off does not open. Also
//! what counts and digests the bytes passing through.

use std::io::{Read, Write};

use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, OsRng, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};

/// Plaintext bytes per sealed chunk.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

fn stream_nonce(prefix: &[u8]) -> &chacha20poly1305::aead::generic_array::GenericArray<u8, chacha20poly1305::aead::consts::U19> {
    prefix.into()
}

/// Seals what is written to it chunk by chunk: a 19-byte nonce prefix
/// first, then each full chunk, then the last (possibly empty) one.
pub(super) struct SealWriter<W: Write> {
    out: W,
    sealer: Option<EncryptorBE32<XChaCha20Poly1305>>,
    buf: Vec<u8>,
    aad: Vec<u8>,
}

impl<W: Write> SealWriter<W> {
    pub fn new(mut out: W, key: &[u8; 32], aad: Vec<u8>) -> std::io::Result<SealWriter<W>> {
        let mut prefix = [0u8; 19];
        OsRng.fill_bytes(&mut prefix);
        out.write_all(&prefix)?;
        let sealer = EncryptorBE32::from_aead(XChaCha20Poly1305::new(key.into()), stream_nonce(&prefix));
        Ok(SealWriter { out, sealer: Some(sealer), buf: Vec::with_capacity(CHUNK + 1), aad })
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        let sealer = self.sealer.take().expect("finished once");
        let sealed =
            sealer.encrypt_last(Payload { msg: &self.buf, aad: &self.aad }).map_err(|_| std::io::Error::other("sealing failed"))?;
        self.out.write_all(&sealed)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        // A full chunk goes out only once more follows: the last one is sealed as last.
        while self.buf.len() > CHUNK {
            let sealer = self.sealer.as_mut().expect("not finished");
            let sealed = sealer
                .encrypt_next(Payload { msg: &self.buf[..CHUNK], aad: &self.aad })
                .map_err(|_| std::io::Error::other("sealing failed"))?;
            self.out.write_all(&sealed)?;
            self.buf.drain(..CHUNK);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Opens what [`SealWriter`] sealed; a chunk altered, missing or moved, or
/// the end cut off, is an error.
pub(super) struct OpenReader<R: Read> {
    inner: R,
    opener: Option<DecryptorBE32<XChaCha20Poly1305>>,
    aad: Vec<u8>,
    next: Vec<u8>,
    plain: Vec<u8>,
    at: usize,
}

fn read_up_to(r: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

impl<R: Read> OpenReader<R> {
    pub fn new(mut inner: R, key: &[u8; 32], aad: Vec<u8>) -> std::io::Result<OpenReader<R>> {
        let prefix = read_up_to(&mut inner, 19)?;
        if prefix.len() != 19 {
            return Err(std::io::Error::other("cut short"));
        }
        let opener = DecryptorBE32::from_aead(XChaCha20Poly1305::new(key.into()), stream_nonce(&prefix));
        let next = read_up_to(&mut inner, CHUNK + TAG)?;
        Ok(OpenReader { inner, opener: Some(opener), aad, next, plain: Vec::new(), at: 0 })
    }
}

impl<R: Read> Read for OpenReader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.plain.len() {
            let Some(opener) = self.opener.as_mut() else { return Ok(0) };
            let chunk = std::mem::take(&mut self.next);
            self.next = if chunk.len() == CHUNK + TAG { read_up_to(&mut self.inner, CHUNK + TAG)? } else { Vec::new() };
            let failed = |_| std::io::Error::new(std::io::ErrorKind::InvalidData, "a sealed chunk does not open");
            self.plain = if self.next.is_empty() {
                let opener = self.opener.take().expect("checked above");
                opener.decrypt_last(Payload { msg: &chunk, aad: &self.aad }).map_err(failed)?
            } else {
                opener.decrypt_next(Payload { msg: &chunk, aad: &self.aad }).map_err(failed)?
            };
            self.at = 0;
        }
        let n = out.len().min(self.plain.len() - self.at);
        out[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Counts and digests what passes through.
pub(super) struct Digesting<W> {
    pub inner: W,
    pub hash: Sha256,
    pub bytes: u64,
}

impl<W> Digesting<W> {
    pub fn new(inner: W) -> Digesting<W> {
        Digesting { inner, hash: Sha256::new(), bytes: 0 }
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.hash.update(&data[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Digesting<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.hash.update(&out[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}
