-- The audit trail (issue #12): every change and every time a person opened
-- a record, one row each, in one hash chain. Each row's hash covers the row
-- and the hash before it, and a change's row covers a digest of its history
-- row, so a row altered, removed or slipped in breaks the chain from there
-- (`village-health audit verify`). Metadata only: who, when, what kind of
-- access, which record — never the record's content.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    resident_id TEXT,
    version     INTEGER,
    content     TEXT,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_resident ON audit_log(resident_id, seq);
CREATE INDEX audit_log_user ON audit_log(user_id, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
