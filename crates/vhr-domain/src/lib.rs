//! The domain of village health records, with no IO.
//!
//! Everything here is a pure function of its inputs: "today", new ids and the
//! clinic's configuration are passed in by the caller, never read from the
//! clock, the disk or the network. That keeps the rules (ID validation, record
//! numbers, form validation, key populations, duplicate detection) testable
//! with fixed dates and reusable by the store, the CLI and the desktop shell.

pub mod access;
pub mod card;
pub mod changes;
pub mod checkpoint;
pub mod clinic;
pub mod closure;
pub mod demo;
pub mod duplicates;
pub mod entity;
pub mod forms;
pub mod i18n;
pub mod id_card;
pub mod population;
pub mod problem;
pub mod programs;
pub mod record_number;
pub mod resident;
pub mod search;
pub mod serial_blocks;
pub mod text;
pub mod time;
