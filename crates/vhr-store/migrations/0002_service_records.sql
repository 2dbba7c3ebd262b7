-- Service records: every filled-in national form other than the personal
-- basic information (follow-ups, examinations, visits). Like every entity
-- they are versioned, logged in change_log, queued in outbox, never deleted.

CREATE TABLE service_record (
    pk           INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    version      INTEGER NOT NULL,
    resident_id  TEXT NOT NULL REFERENCES resident(id),
    form_id      TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    service_date TEXT NOT NULL,              -- YYYY-MM-DD: the form's service_date field
    next_date    TEXT,                       -- the form's next_date field, if it books one
    data         TEXT NOT NULL,              -- JSON: the form's values
    status       TEXT NOT NULL DEFAULT 'active',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX service_record_resident ON service_record(resident_id, form_id, service_date);
CREATE INDEX service_record_form_date ON service_record(form_id, service_date);
