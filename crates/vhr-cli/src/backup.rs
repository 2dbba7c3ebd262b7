//! `village-health backup`: a checked backup now (into the data folder's
//! `backups/`, or `--to` a folder such as a USB stick), the backups on
//! file, and what one holds.

use std::path::PathBuf;

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
}
