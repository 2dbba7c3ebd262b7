-- Sync with the platform (issue #4).
--
-- Outbox states: pending (to send), sent (the platform has it), quarantined
-- (the platform refused it; `reason` holds its words), conflict (the
-- platform's copy changed meanwhile; see sync_conflict), pulled (the change
-- came from the platform and is not sent back), local (never leaves this
-- install: the clinic profile and user accounts).
ALTER TABLE outbox ADD COLUMN reason TEXT;
ALTER TABLE outbox ADD COLUMN done_at TEXT;
UPDATE outbox SET state = 'local' WHERE entity IN ('clinic', 'user') AND state = 'pending';
CREATE INDEX outbox_entity ON outbox(entity_id, entity, version);

-- What the platform holds of each entity: the version there of its main
-- resource, the local version that matches it, and that version's content
-- (the base a three-way merge starts from). `outside` flags a resident the
-- platform says lives outside this install's catchment.
CREATE TABLE sync_entity (
    entity         TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    server_version TEXT NOT NULL,
    local_version  INTEGER NOT NULL,
    base           TEXT NOT NULL,
    synced_at      TEXT NOT NULL,
    outside        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity, entity_id)
) WITHOUT ROWID;

-- A field changed both here and on the platform since the base, differently:
-- raised for the doctor to choose, never settled silently.
CREATE TABLE sync_conflict (
    pk             INTEGER PRIMARY KEY,
    entity         TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    field          TEXT NOT NULL,
    base           TEXT,                   -- JSON, null when the field was absent
    local          TEXT,
    remote         TEXT,
    server_version TEXT NOT NULL,
    raised_at      TEXT NOT NULL,
    resolved_at    TEXT,
    resolved_by    TEXT,
    choice         TEXT                    -- local | remote
);
CREATE INDEX sync_conflict_open ON sync_conflict(entity, entity_id) WHERE resolved_at IS NULL;
