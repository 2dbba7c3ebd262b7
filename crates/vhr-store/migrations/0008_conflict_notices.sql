-- Conflicts raised on both installs (issue #4). The install that finds a
-- conflict publishes a notice (a FHIR Task) so the other install raises it
-- too; whichever decides first closes the notice, and the other adopts the
-- decision. `origin` says where a conflict was found: `local` (a merge here)
-- or `remote` (another install's notice).
ALTER TABLE sync_conflict ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';
ALTER TABLE sync_conflict ADD COLUMN notice_id TEXT;
ALTER TABLE sync_conflict ADD COLUMN notice_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_conflict ADD COLUMN notice_closed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sync_conflict_notice ON sync_conflict(notice_id);
