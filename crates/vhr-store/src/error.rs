//! What can go wrong in the store.

use vhr_domain::entity::Entity;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("the database does not open with this key (another install's file, or not a database)")]
    WrongKey,
    #[error("database file: {0}")]
    File(String),
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// The database file itself is damaged: SQLite's integrity check failed,
    /// or a page could not be read.
    #[error("the database file is damaged: {0}")]
    Damaged(String),
    #[error("the clinic has not been set up")]
    NotInitialized,
    #[error("the clinic is already set up")]
    AlreadyInitialized,
    #[error("a user named {0} exists already")]
    DuplicateUser(String),
    #[error("ID number {id_number} belongs to {name} ({record_no}) already")]
    DuplicateIdNumber { id_number: String, resident_id: String, record_no: String, name: String },
    #[error("ID number {id_number} is on file in a village out of this account's reach")]
    IdNumberOutOfReach { id_number: String },
    #[error("record number {record_no} belongs to {name} already")]
    RecordNumberTaken { record_no: String, resident_id: String, name: String },
    #[error("no serials left in block {start}–{end} for {prefix}")]
    SerialBlockExhausted { prefix: String, start: u32, end: u32 },
    #[error("{entity} {id} was changed meanwhile: version {actual}, edit based on {expected}")]
    VersionConflict { entity: Entity, id: String, expected: i64, actual: i64 },
    #[error("resident {id} is closed already ({status:?})")]
    RecordClosed { id: String, status: vhr_domain::resident::RecordStatus },
    #[error("resident {id} is not closed")]
    RecordNotClosed { id: String },
    #[error("programme episode {id} has ended already")]
    AlreadyEnded { id: String },
    #[error("{entity} {id} is out of this account's reach for this change")]
    Forbidden { entity: Entity, id: String },
    /// A transferred record whose history here is not the file's: it
    /// changed here and there since it left.
    #[error("{entity} {id} version {version} here is not the transferred record's")]
    TransferDiverged { entity: Entity, id: String, version: i64 },
    #[error("cancelled")]
    Cancelled,
    #[error("{entity} {id} not found")]
    NotFound { entity: Entity, id: String },
}

/// A page that cannot be read is damage to the file, wherever it shows.
/// SQLCipher reports a page that fails its authentication check as "out of
/// memory" (its codec cannot give the page), so that is damage here too.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseCorrupt => StoreError::Damaged(e.to_string()),
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OutOfMemory => {
                StoreError::Damaged("a page failed its check and cannot be read".into())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}
