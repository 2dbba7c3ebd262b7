-- Programme episodes (§7, §9): a registered pregnancy, a severe mental
-- disorder registration, a TB management notice, and every exit from a
-- programme with its date and reason (program_exit_reason). Rows are never
-- deleted; an ended episode keeps its end. Derived programmes (hypertension,
-- diabetes, the annual check, child health) get a row only when someone
-- records an exit or a re-entry.

CREATE TABLE program_episode (
    pk          INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    resident_id TEXT NOT NULL REFERENCES resident(id),
    program     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    started_on  TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',   -- lmp, delivery_date, discharge_date, notice_date
    ended_on    TEXT,
    end_reason  TEXT,
    end_note    TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX program_episode_member ON program_episode(resident_id, program, pk);

-- Sequence programmes (child health, maternal care) keep the visits still
-- owed, each with its window, as JSON (vhr_domain::programs::PlannedVisit);
-- `until` ends a programme by itself (a child's 7th birthday).
ALTER TABLE program_state ADD COLUMN until TEXT;
ALTER TABLE program_state ADD COLUMN plan TEXT NOT NULL DEFAULT '[]';

-- Every resident's programme state is rebuilt once for the new programmes.
DELETE FROM setting WHERE key = 'program_state.built';
