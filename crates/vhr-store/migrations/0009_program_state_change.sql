-- Which residents' programme state changed, in order (issue #10): the work
-- list keeps a day's lines in memory and, on the next request, re-reads only
-- the residents named here since it last looked. One row per refresh; a row
-- with resident_id '*' means every resident's state was rebuilt. This is
-- bookkeeping derived from the records, not a record: rows older than the
-- last 10,000 are pruned when the store opens.
CREATE TABLE program_state_change (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    resident_id TEXT NOT NULL
);
INSERT INTO program_state_change (resident_id) VALUES ('*');
