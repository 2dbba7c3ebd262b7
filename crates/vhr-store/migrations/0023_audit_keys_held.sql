-- The keys of the installs that kept this trail before (issue #13, the
-- handover of the complete set). An install that takes over a clinic's
-- records from a handover archive continues the same trail under its own
-- key; the checkpoints the earlier install signed stay checkable with its
-- public key, kept here (its private half never leaves the install that
-- made it). `vkey` is the signed-note verifier key
-- (name+keyid+base64(0x01 ‖ public key)); `up_to` the trail's length when
-- it was handed over.
CREATE TABLE audit_key_held (
    origin      TEXT PRIMARY KEY,
    vkey        TEXT NOT NULL,
    up_to       INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    how         TEXT NOT NULL CHECK (how IN ('handover'))
);
CREATE TRIGGER audit_key_held_no_update BEFORE UPDATE ON audit_key_held
BEGIN SELECT RAISE(ABORT, 'a held audit key is never replaced'); END;
CREATE TRIGGER audit_key_held_no_delete BEFORE DELETE ON audit_key_held
BEGIN SELECT RAISE(ABORT, 'a held audit key is never replaced'); END;
