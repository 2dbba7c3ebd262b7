-- The first schema. Migrations are append-only: never edit this file once
-- released; add the next one instead.
--
-- Every entity row has a stable UUID (`id`) and a `version` that grows by one
-- with each change. Each change writes its `change_log` row (history) and its
-- `outbox` row (for sync) in the same transaction as the row itself. Nothing
-- is ever deleted: records are closed by status.

CREATE TABLE clinic (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    profile     TEXT NOT NULL,              -- JSON: vhr_domain::clinic::ClinicProfile
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE app_user (
    id            TEXT PRIMARY KEY,
    version       INTEGER NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- The next serial each 12-digit prefix (county + township + village) issues,
-- and the end of the block this install may issue from (R2.5).
CREATE TABLE serial_counter (
    prefix      TEXT PRIMARY KEY,
    next_serial INTEGER NOT NULL,
    block_end   INTEGER NOT NULL
);

-- Every record number ever issued. The primary key makes reuse impossible.
CREATE TABLE issued_number (
    record_no   TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    issued_at   TEXT NOT NULL
);

CREATE TABLE household (
    pk           INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    version      INTEGER NOT NULL,
    village_code TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE resident (
    pk               INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    version          INTEGER NOT NULL,
    record_no        TEXT NOT NULL UNIQUE,
    id_number        TEXT,                  -- citizen ID number, normalised
    name             TEXT NOT NULL,
    sex              TEXT NOT NULL,
    birth_date       TEXT NOT NULL,         -- YYYY-MM-DD
    village_code     TEXT NOT NULL,
    status           TEXT NOT NULL,
    household_id     TEXT REFERENCES household(id),
    relation         TEXT,
    is_head          INTEGER NOT NULL DEFAULT 0,
    dx_hypertension  INTEGER NOT NULL DEFAULT 0,
    dx_diabetes      INTEGER NOT NULL DEFAULT 0,
    dx_severe_mental INTEGER NOT NULL DEFAULT 0,
    data             TEXT NOT NULL,         -- JSON: vhr_domain::resident::ResidentInput
    institution      TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX resident_id_number ON resident(id_number) WHERE id_number IS NOT NULL;
CREATE INDEX resident_birth ON resident(birth_date);
CREATE INDEX resident_household ON resident(household_id);
CREATE INDEX resident_village ON resident(village_code, record_no);

-- Namespaced search keys (see vhr_domain::search); one range scan per prefix.
CREATE TABLE search_key (
    key         TEXT NOT NULL,
    resident_pk INTEGER NOT NULL REFERENCES resident(pk),
    PRIMARY KEY (key, resident_pk)
) WITHOUT ROWID;
CREATE INDEX search_key_resident ON search_key(resident_pk);

-- History: one row per version of every entity, with what changed.
CREATE TABLE change_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    op         TEXT NOT NULL,               -- create | update
    user_id    TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    at         TEXT NOT NULL,
    changes    TEXT NOT NULL,               -- JSON: [{field, old, new}]
    snapshot   TEXT NOT NULL,               -- JSON of the entity at this version
    UNIQUE (entity, entity_id, version)
);

-- Local changes waiting to be pushed; the sync module consumes them.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    op         TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX outbox_state ON outbox(state, seq);

CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
