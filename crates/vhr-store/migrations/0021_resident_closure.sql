-- A record's closure (issue #13, spec §9.2): why and when it closed (death,
-- moving away with its handover record, loss to follow-up, a duplicate
-- merged into another record), and its latest reopening, as JSON beside the
-- status. Both are part of every version the history keeps. A record closed
-- before this version (a death pulled from the platform) keeps its status
-- with no closure facts.
ALTER TABLE resident ADD COLUMN closure TEXT;
ALTER TABLE resident ADD COLUMN reopened TEXT;
-- The records merged into this one (JSON: id and record number of each).
ALTER TABLE resident ADD COLUMN merged_from TEXT;
-- Searches leave closed records out by default.
CREATE INDEX resident_status ON resident (status) WHERE status <> 'active';
-- The number of a record merged into another finds the one kept. A number
-- is never issued again (issued_number keeps it); this only points onward.
CREATE TABLE merged_number (
    record_no TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL
) WITHOUT ROWID;
-- A citizen ID number belongs to one record in the register; a duplicate
-- merged away keeps the number it was registered with, so the record kept
-- may carry it too.
DROP INDEX resident_id_number;
CREATE UNIQUE INDEX resident_id_number ON resident(id_number) WHERE id_number IS NOT NULL AND status <> 'cancelled';
