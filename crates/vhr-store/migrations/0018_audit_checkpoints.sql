-- Signed checkpoints of the audit trail (issue #12): at each sync pass,
-- each day's close and each handover the install signs the Merkle tree
-- head of its trail (tree size + root, C2SP tlog-checkpoint text as a
-- signed note). The platform receives each one, so a trail truncated or
-- rewritten after a checkpoint is found by whoever holds it.
CREATE TABLE audit_checkpoint (
    tree_size INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    reason    TEXT NOT NULL,   -- sync | day | sign-out | handover | manual
    note      TEXT NOT NULL
);
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;

-- The install's Ed25519 signing key (its 32-byte seed) and the log's name,
-- made once; inside the encrypted database, never exported.
CREATE TABLE audit_key (
    origin TEXT PRIMARY KEY,
    seed   BLOB NOT NULL,
    made_at TEXT NOT NULL
);
CREATE TRIGGER audit_key_no_update BEFORE UPDATE ON audit_key
BEGIN SELECT RAISE(ABORT, 'the audit key is never replaced'); END;
CREATE TRIGGER audit_key_no_delete BEFORE DELETE ON audit_key
BEGIN SELECT RAISE(ABORT, 'the audit key is never replaced'); END;
