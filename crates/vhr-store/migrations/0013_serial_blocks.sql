-- Serial blocks per village prefix (issue #11, spec R2.5). Each village's
-- first block is the clinic profile's, written here the first time the
-- village issues a number; the administrator adds more, typed from the
-- township's letter (`source` = letter). Blocks are never removed.
CREATE TABLE serial_block (
    pk           INTEGER PRIMARY KEY,
    prefix       TEXT NOT NULL,              -- county + township + village, 12 digits
    start_serial INTEGER NOT NULL,
    end_serial   INTEGER NOT NULL,
    source       TEXT NOT NULL,              -- setup | letter
    note         TEXT NOT NULL DEFAULT '',   -- e.g. the letter's reference
    added_by     TEXT NOT NULL,
    added_at     TEXT NOT NULL
);
CREATE INDEX serial_block_prefix ON serial_block(prefix, start_serial);

-- A village that issued numbers before keeps the block it issued them from.
INSERT INTO serial_block (prefix, start_serial, end_serial, source, added_by, added_at)
SELECT c.prefix, COALESCE(json_extract(p.profile, '$.serial_block.start'), 1), c.block_end, 'setup', 'upgrade',
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM serial_counter c, clinic p
WHERE c.prefix NOT LIKE '%L';

-- Numbers that arrived from the platform inside one of this install's
-- blocks: reserved (in issued_number) so they are never issued here, and
-- listed, since another install was given the same serials.
CREATE TABLE serial_arrived (
    record_no   TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    arrived_at  TEXT NOT NULL
) WITHOUT ROWID;
