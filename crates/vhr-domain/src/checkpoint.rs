//! Signed checkpoints of the audit trail: the trail as a Merkle tree, its
//! head signed by the install.
//!
//! - The tree is the one of RFC 6962 §2.1 (RFC 9162 §2.1): a leaf's hash is
//!   SHA-256(0x00 ‖ leaf), a node's SHA-256(0x01 ‖ left ‖ right), the tree of
//!   `n` leaves splits at the largest power of two below `n`. A leaf here is
//!   one audit entry's chain hash (32 bytes), in order.
//! - A checkpoint is the C2SP `tlog-checkpoint` text — origin, tree size,
//!   base64 root hash, one per line — signed as a C2SP `signed-note` with the
//!   install's Ed25519 key. Whoever holds a checkpoint (the platform, the
//!   township, a printed handover sheet) can tell whether the trail it was
//!   taken from still begins with the same entries: truncating it, or
//!   rewriting any entry before the checkpoint, changes the root.
//!
//! No IO: the key's 32 random bytes are passed in.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// The signature type byte of an Ed25519 signed-note signature.
const ED25519: u8 = 0x01;

/// The hash of one leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The tree grown one leaf at a time, keeping only the roots of its perfect
/// subtrees (at most one per bit of the size): the root of every prefix is
/// at hand in O(log n) without keeping the leaves.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// (leaves under it, its root), largest first.
    peaks: Vec<(u64, Hash)>,
    size: u64,
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf (its data, not yet hashed).
    pub fn push(&mut self, leaf: &[u8]) {
        let mut node = (1u64, leaf_hash(leaf));
        while let Some(&(size, root)) = self.peaks.last() {
            if size != node.0 {
                break;
            }
            self.peaks.pop();
            node = (size * 2, node_hash(&root, &node.1));
        }
        self.peaks.push(node);
        self.size += 1;
    }

    /// The tree's frontier, to be kept beside a checkpoint so that the next
    /// one continues from it without reading the leaves again: each peak as
    /// its leaf count (8 bytes, big-endian) then its root (32 bytes),
    /// largest first.
    pub fn frontier(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.peaks.len() * 40);
        for (size, root) in &self.peaks {
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(root);
        }
        out
    }

    /// The tree of `size` leaves whose frontier is `bytes`. The peaks must be
    /// distinct powers of two, largest first, adding up to `size` — the only
    /// shape a tree of that size has.
    pub fn from_frontier(size: u64, bytes: &[u8]) -> Result<Tree, CheckpointError> {
        let bad = CheckpointError::Malformed("the frontier does not fit the tree size");
        if !bytes.len().is_multiple_of(40) {
            return Err(bad);
        }
        let mut peaks = Vec::with_capacity(bytes.len() / 40);
        let mut total = 0u64;
        for chunk in bytes.chunks_exact(40) {
            let leaves = u64::from_be_bytes(chunk[..8].try_into().expect("8 bytes"));
            let smaller = peaks.last().is_none_or(|&(previous, _)| leaves < previous);
            if !leaves.is_power_of_two() || !smaller {
                return Err(bad);
            }
            total = total.checked_add(leaves).ok_or(bad.clone())?;
            peaks.push((leaves, chunk[8..].try_into().expect("32 bytes")));
        }
        if total != size {
            return Err(bad);
        }
        Ok(Tree { peaks, size })
    }

    /// The Merkle tree hash of every leaf pushed so far; of no leaves, the
    /// hash of the empty string.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some(&(_, mut acc)) = peaks.next() else {
            return Sha256::digest([]).into();
        };
        for (_, left) in peaks {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// What a checkpoint says: this log, this many entries, this root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text that is signed: three lines, each ending in a newline.
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root))
    }

    fn parse_text(text: &str) -> Result<Checkpoint, CheckpointError> {
        let mut lines = text.lines();
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(CheckpointError::Malformed("no origin line"))?;
        let size = lines
            .next()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s.len() == 1 || !s.starts_with('0')))
            .and_then(|s| s.parse().ok())
            .ok_or(CheckpointError::Malformed("the tree size is not a number"))?;
        let root = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or(CheckpointError::Malformed("the root hash is not 32 bytes of base64"))?;
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a checkpoint: {0}")]
    Malformed(&'static str),
    #[error("the checkpoint is not signed by this install's key")]
    NotSigned,
    #[error("the checkpoint's signature does not match its text")]
    BadSignature,
}

/// The install's signing key; its name is the log's origin.
pub struct InstallKey {
    name: String,
    key: SigningKey,
}

impl InstallKey {
    /// `seed` is 32 random bytes, made once per install and kept in the
    /// encrypted store. `name` is a schema-less URL without spaces or `+`.
    pub fn new(name: &str, seed: &[u8; 32]) -> InstallKey {
        InstallKey { name: name.to_string(), key: SigningKey::from_bytes(seed) }
    }

    pub fn verifier(&self) -> Verifier25519 {
        Verifier25519 { name: self.name.clone(), key: self.key.verifying_key() }
    }

    /// The signed note: the checkpoint's text, a blank line, one signature line.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        self.sign_note(&checkpoint.text())
    }

    /// Any text as a C2SP signed note: the text, a blank line, one signature
    /// line. `text` is lines each ending in a newline, none of them empty
    /// (the blank line is where the signatures begin).
    pub fn sign_note(&self, text: &str) -> String {
        debug_assert!(text.ends_with('\n') && !text.contains("\n\n"), "a note's text is non-empty lines");
        let signature = self.key.sign(text.as_bytes());
        let mut blob = self.verifier().key_id().to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

/// Who may check a checkpoint: the key's name and public half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier25519 {
    name: String,
    key: VerifyingKey,
}

impl Verifier25519 {
    /// The key's name: the log's origin.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> [u8; 4] {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        h.update([b'\n', ED25519]);
        h.update(self.key.as_bytes());
        let d = h.finalize();
        [d[0], d[1], d[2], d[3]]
    }

    /// The verifier key as the Go `note` package writes it:
    /// `name+keyid(hex)+base64(0x01 ‖ public key)` — short enough to print.
    pub fn encode(&self) -> String {
        let mut key = vec![ED25519];
        key.extend_from_slice(self.key.as_bytes());
        let id: String = self.key_id().iter().map(|b| format!("{b:02x}")).collect();
        format!("{}+{id}+{}", self.name, B64.encode(key))
    }

    pub fn decode(text: &str) -> Result<Verifier25519, CheckpointError> {
        let bad = CheckpointError::Malformed("not a verifier key");
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(_id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad);
        };
        let key = B64.decode(key).map_err(|_| bad.clone())?;
        let [ED25519, rest @ ..] = key.as_slice() else { return Err(bad) };
        let bytes: [u8; 32] = rest.try_into().map_err(|_| bad.clone())?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad)?;
        Ok(Verifier25519 { name: name.to_string(), key })
    }

    /// The checkpoint a note carries, when this key signed it.
    pub fn open(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let (text, _) = note.split_once("\n\n").ok_or(CheckpointError::Malformed("no signature"))?;
        // The text is read first, so a note that is no checkpoint says so
        // before its signature is looked at.
        Checkpoint::parse_text(&format!("{text}\n"))?;
        Checkpoint::parse_text(&self.open_note(note)?)
    }

    /// The text of any signed note, when this key signed it.
    pub fn open_note(&self, note: &str) -> Result<String, CheckpointError> {
        let (text, signatures) = note.split_once("\n\n").ok_or(CheckpointError::Malformed("no signature"))?;
        let text = format!("{text}\n");
        let prefix = format!("\u{2014} {} ", self.name);
        let mut known = false;
        for line in signatures.lines() {
            let Some(blob) = line.strip_prefix(&prefix).and_then(|b| B64.decode(b).ok()) else { continue };
            if blob.len() != 4 + 64 || blob[..4] != self.key_id() {
                continue;
            }
            known = true;
            let signature = ed25519_dalek::Signature::from_slice(&blob[4..]).map_err(|_| CheckpointError::BadSignature)?;
            self.key.verify(text.as_bytes(), &signature).map_err(|_| CheckpointError::BadSignature)?;
        }
        if !known {
            return Err(CheckpointError::NotSigned);
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree hash as RFC 6962 §2.1 defines it, by recursion over all the
    /// leaves: what [`Tree`] must agree with for every size.
    fn reference_root(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn the_grown_tree_agrees_with_the_recursive_definition_at_every_size() {
        let leaves: Vec<Vec<u8>> = (0..70u8).map(|i| vec![i; (i % 5) as usize]).collect();
        let mut tree = Tree::new();
        assert_eq!(tree.root(), reference_root(&[]), "the empty tree");
        for (n, leaf) in leaves.iter().enumerate() {
            tree.push(leaf);
            assert_eq!(tree.root(), reference_root(&leaves[..=n]), "size {}", n + 1);
        }
    }

    #[test]
    fn a_tree_continued_from_its_frontier_is_the_tree_grown_whole() {
        let mut whole = Tree::new();
        for n in 0..70u8 {
            let kept = Tree::from_frontier(whole.size(), &whole.frontier()).expect("a frontier reads back");
            let mut continued = kept.clone();
            for i in n..70 {
                continued.push(&[i]);
            }
            let mut reference = whole.clone();
            for i in n..70 {
                reference.push(&[i]);
            }
            assert_eq!(continued.root(), reference.root(), "continued from size {n}");
            whole.push(&[n]);
        }
    }

    #[test]
    fn a_frontier_that_cannot_belong_to_the_size_is_refused() {
        let mut tree = Tree::new();
        for i in 0..6u8 {
            tree.push(&[i]);
        }
        let frontier = tree.frontier();
        assert_eq!(frontier.len(), 80, "six leaves are a peak of four and a peak of two");
        assert!(Tree::from_frontier(7, &frontier).is_err(), "the peaks add up to six, not seven");
        assert!(Tree::from_frontier(6, &frontier[..79]).is_err(), "a cut frontier");
        let mut swapped = frontier[40..].to_vec();
        swapped.extend_from_slice(&frontier[..40]);
        assert!(Tree::from_frontier(6, &swapped).is_err(), "the smaller peak cannot come first");
        let mut three = frontier.clone();
        three[7] = 3;
        assert!(Tree::from_frontier(5, &three).is_err(), "a peak of three leaves is no perfect subtree");
        assert!(Tree::from_frontier(0, &[]).is_ok_and(|t| t.root() == Tree::new().root()), "the empty tree");
    }

    #[test]
    fn the_empty_tree_and_one_leaf_match_the_published_values() {
        // RFC 6962 test vectors (certificate-transparency-go's merkle tests):
        // the empty tree and the tree of the single empty leaf.
        let hex = |h: Hash| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(Tree::new().root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let mut one = Tree::new();
        one.push(b"");
        assert_eq!(hex(one.root()), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    }

    fn key() -> InstallKey {
        InstallKey::new("villagehealth.cn/audit/330100-001/test", &[7u8; 32])
    }

    #[test]
    fn a_signed_checkpoint_opens_with_its_key_and_only_as_written() {
        let mut tree = Tree::new();
        for i in 0..5u8 {
            tree.push(&[i]);
        }
        let cp = Checkpoint { origin: "villagehealth.cn/audit/330100-001/test".into(), size: tree.size(), root: tree.root() };
        let note = key().sign(&cp);
        assert!(note.starts_with("villagehealth.cn/audit/330100-001/test\n5\n"), "{note}");
        let verifier = Verifier25519::decode(&key().verifier().encode()).unwrap();
        assert_eq!(verifier.open(&note).unwrap(), cp, "the printed verifier key opens it");

        let shrunk = note.replacen("\n5\n", "\n4\n", 1);
        assert_eq!(verifier.open(&shrunk), Err(CheckpointError::BadSignature), "a smaller tree size cannot be claimed");
        let other = InstallKey::new("villagehealth.cn/audit/330100-001/test", &[8u8; 32]).sign(&cp);
        assert_eq!(verifier.open(&other), Err(CheckpointError::NotSigned), "another install's key is not this one");
        assert!(matches!(verifier.open("garbage"), Err(CheckpointError::Malformed(_))));
    }

    #[test]
    fn any_signed_note_opens_as_its_text_and_a_checkpoint_only_from_checkpoint_text() {
        let text = "village-health handover\n7f3a\nsha256 00ff\n";
        let note = key().sign_note(text);
        let verifier = key().verifier();
        assert_eq!(verifier.open_note(&note).unwrap(), text, "the text comes back as signed");
        assert_eq!(
            verifier.open_note(&note.replacen("00ff", "00fe", 1)),
            Err(CheckpointError::BadSignature),
            "a changed digest does not pass as signed"
        );
        assert!(matches!(verifier.open(&note), Err(CheckpointError::Malformed(_))), "a handover note is not a checkpoint");
    }
}
