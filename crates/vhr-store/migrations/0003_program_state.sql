-- Each resident's state in each programme, kept by the store in the same
-- transaction as every change to the resident or their service records, so
-- the work list is one range scan on `anchor` over this table alone: it
-- repeats the few resident fields a work-list line shows, rather than look
-- up each resident, and it is stored in anchor order (docs/benchmarks.md).
-- The values come from vhr_domain::programs (enrolment, anchor, LastService).

CREATE TABLE program_state (
    resident_id    TEXT NOT NULL REFERENCES resident(id),
    program        TEXT NOT NULL,            -- hypertension | diabetes | elderly
    record_no      TEXT NOT NULL,
    name           TEXT NOT NULL,
    sex            TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    village_code   TEXT NOT NULL,
    id_number      TEXT,
    household_id   TEXT,
    dx_hypertension  INTEGER NOT NULL,
    dx_diabetes      INTEGER NOT NULL,
    dx_severe_mental INTEGER NOT NULL,
    eligible_from  TEXT NOT NULL,            -- the birthday that makes the resident old enough
    enrolled_on    TEXT NOT NULL,
    anchor         TEXT NOT NULL,            -- the earliest date the next service is owed
    last_date      TEXT,
    next_date      TEXT,
    next_step      TEXT,
    classification TEXT,
    summary_zh     TEXT NOT NULL DEFAULT '',
    summary_en     TEXT NOT NULL DEFAULT '',
    -- Stored in anchor order, so the work list reads it front to back.
    PRIMARY KEY (anchor, resident_id, program)
) WITHOUT ROWID;
CREATE UNIQUE INDEX program_state_member ON program_state(resident_id, program);
