-- Transfers between institutions (issue #13, spec §9.3). A record that
-- moves with its resident is managed by the institution that took it in;
-- the institution that created it (建档单位) stays as first written. NULL:
-- managed where it was created.
ALTER TABLE resident ADD COLUMN managed_by TEXT;
-- The handover of a record at either end (档案交接记录): a transfer file
-- written for another institution ('out'), or one taken in from it ('in').
-- `audit` keeps, for a record taken in, the trail the sending institution
-- kept of it (who saw and changed it there), as that file carried it.
CREATE TABLE transfer_log (
    seq            INTEGER PRIMARY KEY,
    direction      TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    resident_id    TEXT NOT NULL,
    record_no      TEXT NOT NULL,
    counterpart    TEXT NOT NULL,
    file_digest    TEXT NOT NULL,
    versions       INTEGER NOT NULL,
    user_id        TEXT NOT NULL,
    user_name      TEXT NOT NULL,
    at             TEXT NOT NULL,
    audit          TEXT
);
CREATE INDEX transfer_log_resident ON transfer_log (resident_id, seq);
CREATE TRIGGER transfer_log_no_update BEFORE UPDATE ON transfer_log
BEGIN SELECT RAISE(ABORT, 'the transfer log is append-only'); END;
CREATE TRIGGER transfer_log_no_delete BEFORE DELETE ON transfer_log
BEGIN SELECT RAISE(ABORT, 'the transfer log is append-only'); END;
