//! Which serials an install may issue under each village prefix (spec §2
//! R2.5): blocks the township hospital gives each install per village, the
//! next free serial in them, how many are left and when to warn, and the
//! provisional local number a record gets when no block has one left.
//!
//! The first block of every village is the clinic profile's (set at first
//! start); the administrator adds more, typed from the township's letter.
//! A serial already on file (issued here, or a number that arrived from the
//! platform inside a block) is never issued again: allocation skips it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clinic::SerialBlock;
use crate::problem::Problem;
use crate::record_number::{Prefix, RecordNumber, SERIAL_MAX, SERIAL_MIN};

/// The letter that marks a provisional number in place of the serial's first digit.
pub const PROVISIONAL_MARK: char = 'L';

/// The largest provisional number under one prefix (four digits after the mark).
pub const PROVISIONAL_MAX: u32 = 9_999;

/// Warn when fewer serials than this are left in a village's blocks…
pub const WARN_AT_LEAST: u32 = 50;
/// …or fewer than this share of what its blocks hold, whichever is more.
pub const WARN_SHARE_PERCENT: u32 = 10;

impl SerialBlock {
    pub fn len(&self) -> u32 {
        self.end.saturating_sub(self.start) + 1
    }

    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }

    pub fn contains(&self, serial: u32) -> bool {
        (self.start..=self.end).contains(&serial)
    }
}

/// The first serial at or after `from` that lies in one of `blocks` (in any order).
pub fn first_in_blocks(blocks: &[SerialBlock], from: u32) -> Option<u32> {
    blocks.iter().filter(|b| b.end >= from).map(|b| b.start.max(from)).min()
}

/// The serials left at or after `next` in `blocks`, before subtracting those
/// already taken ahead of `next`.
pub fn left_from(blocks: &[SerialBlock], next: u32) -> u32 {
    blocks.iter().filter(|b| b.end >= next).map(|b| b.end - b.start.max(next) + 1).sum()
}

/// Whether `left` of `total` serials is few enough to warn about.
pub fn should_warn(left: u32, total: u32) -> bool {
    left < WARN_AT_LEAST.max(total * WARN_SHARE_PERCENT / 100)
}

/// Problems with a block the administrator adds to a village that has `existing` ones.
pub fn check_new_block(block: SerialBlock, existing: &[SerialBlock]) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !(SERIAL_MIN..=SERIAL_MAX).contains(&block.start) || !(SERIAL_MIN..=SERIAL_MAX).contains(&block.end) || block.start > block.end {
        problems.push(Problem::error(
            "block",
            "serial_block.range",
            "个人序号段应在 00001–99999 之内，且起始不大于结束",
            "The serial block lies within 00001–99999 and starts no later than it ends",
        ));
    } else if let Some(o) = existing.iter().find(|o| o.start <= block.end && block.start <= o.end) {
        problems.push(Problem::error(
            "block",
            "serial_block.overlap",
            format!("与本村已有号段 {:05}–{:05} 重叠", o.start, o.end),
            format!("Overlaps this village's block {:05}–{:05}", o.start, o.end),
        ));
    }
    problems
}

/// A provisional local number: the village prefix, the mark and four digits.
/// It is 17 characters like a record number, never 17 digits, so it can be
/// told apart everywhere and is never sent as a final number.
pub fn provisional_number(prefix: &Prefix, n: u32) -> String {
    debug_assert!((1..=PROVISIONAL_MAX).contains(&n));
    format!("{}{PROVISIONAL_MARK}{n:04}", prefix.as_str())
}

/// Whether a stored number is a provisional one.
pub fn is_provisional(number: &str) -> bool {
    provisional_prefix(number).is_some()
}

/// The 12-digit village prefix of a provisional number.
pub fn provisional_prefix(number: &str) -> Option<&str> {
    let (prefix, rest) = (number.get(..12)?, number.get(12..)?);
    let digits = rest.strip_prefix(PROVISIONAL_MARK)?;
    let ok = prefix.bytes().all(|b| b.is_ascii_digit()) && digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(prefix)
}

/// A stored number as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ShownNumber {
    /// Grouped 6-3-3-5 for reading aloud and on screen.
    pub grouped: String,
    /// The last 8 characters as the other forms print them, `101-00042`.
    pub short: String,
    /// A provisional local number, to be replaced by a final one.
    pub provisional: bool,
}

/// How a stored number reads, final or provisional; `None` for anything else.
pub fn shown(number: &str) -> Option<ShownNumber> {
    if let Ok(n) = RecordNumber::parse(number) {
        return Some(ShownNumber { grouped: n.grouped(), short: n.last8(), provisional: false });
    }
    provisional_prefix(number)?;
    let (county, township, village, rest) = (&number[..6], &number[6..9], &number[9..12], &number[12..]);
    Some(ShownNumber { grouped: format!("{county} {township} {village} {rest}"), short: format!("{village}-{rest}"), provisional: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn block(start: u32, end: u32) -> SerialBlock {
        SerialBlock { start, end }
    }

    #[test]
    fn the_next_serial_skips_the_gap_between_blocks_and_ends_after_the_last() {
        let blocks = [block(500, 599), block(1, 99)];
        assert_eq!(first_in_blocks(&blocks, 1), Some(1));
        assert_eq!(first_in_blocks(&blocks, 99), Some(99));
        assert_eq!(first_in_blocks(&blocks, 100), Some(500), "the gap between the blocks is not this install's");
        assert_eq!(first_in_blocks(&blocks, 599), Some(599));
        assert_eq!(first_in_blocks(&blocks, 600), None, "no block left");
        assert_eq!(first_in_blocks(&[], 1), None);
    }

    #[test]
    fn left_counts_what_remains_in_every_block_from_the_next_serial() {
        let blocks = [block(1, 100), block(501, 600)];
        assert_eq!(left_from(&blocks, 1), 200);
        assert_eq!(left_from(&blocks, 91), 110);
        assert_eq!(left_from(&blocks, 300), 100);
        assert_eq!(left_from(&blocks, 601), 0);
    }

    #[test]
    fn the_warning_comes_at_a_tenth_of_the_blocks_or_fifty_whichever_is_more() {
        assert!(!should_warn(50, 100), "a small block warns below fifty");
        assert!(should_warn(49, 100));
        assert!(!should_warn(10_000, 99_999));
        assert!(should_warn(9_998, 99_999), "a large block warns a tenth before its end");
    }

    #[test]
    fn a_new_block_must_be_in_range_and_not_overlap_the_villages_others() {
        assert_eq!(check_new_block(block(100, 200), &[block(1, 99)]), vec![]);
        assert_eq!(check_new_block(block(99, 200), &[block(1, 99)])[0].code, "serial_block.overlap");
        assert_eq!(check_new_block(block(200, 100), &[])[0].code, "serial_block.range");
        assert_eq!(check_new_block(block(0, 100), &[])[0].code, "serial_block.range");
        assert_eq!(check_new_block(block(1, 100_000), &[])[0].code, "serial_block.range");
    }

    #[test]
    fn a_provisional_number_is_seventeen_characters_never_seventeen_digits_and_reads_as_provisional() {
        let p = Prefix::new("450102", "101", "101");
        let n = provisional_number(&p, 7);
        assert_eq!(n, "450102101101L0007");
        assert_eq!(n.chars().count(), 17);
        assert!(RecordNumber::parse(&n).is_err(), "never taken for a final number");
        assert!(is_provisional(&n));
        assert_eq!(provisional_prefix(&n), Some("450102101101"));
        assert_eq!(shown(&n), Some(ShownNumber { grouped: "450102 101 101 L0007".into(), short: "101-L0007".into(), provisional: true }));
        assert_eq!(shown("45010210110100042").map(|s| (s.short, s.provisional)), Some(("101-00042".into(), false)));
        for not in ["45010210110100042", "450102101101L007", "450102101101X0007", "45010210110１L0007", "", "L0007"] {
            assert!(!is_provisional(not), "{not:?}");
        }
        assert_eq!(shown("不是编号"), None);
    }
}
