-- Every printed card and form (§8 C3: who, when, which resident). Rows are
-- only ever added; the audit issue will chain them into the tamper-evident
-- trail.
CREATE TABLE print_log (
    pk          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,              -- one id per print job (a batch of cards is one job)
    at          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    kind        TEXT NOT NULL,              -- card | form
    resident_id TEXT NOT NULL REFERENCES resident(id),
    record_id   TEXT                        -- the service record a printed form shows
);
CREATE INDEX print_log_resident ON print_log(resident_id, at);
