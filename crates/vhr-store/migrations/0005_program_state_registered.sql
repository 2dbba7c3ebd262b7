-- The registered programmes a resident is in (comma-separated codes), kept on
-- each of their programme-state rows, so a work-list line carries its
-- key-population tags without a lookup per line (docs/benchmarks.md).
ALTER TABLE program_state ADD COLUMN registered TEXT NOT NULL DEFAULT '';

-- Every resident's programme state is rebuilt once to fill it in.
DELETE FROM setting WHERE key = 'program_state.built';
