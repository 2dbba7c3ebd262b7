-- What the platform sent that this install could not take (issue #11): one
-- row per resource, with the version last tried and why, in both languages.
-- The pull cursor moves on, but a row here is tried again on every pass
-- until a version lands; then it is settled (never deleted).
CREATE TABLE sync_set_aside (
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    server_version TEXT NOT NULL,
    resident_id    TEXT,                   -- the resident it is about, when known
    reason_zh      TEXT NOT NULL,
    reason_en      TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    last_tried     TEXT NOT NULL,
    tries          INTEGER NOT NULL DEFAULT 1,
    settled_at     TEXT,
    PRIMARY KEY (resource_type, resource_id)
) WITHOUT ROWID;
