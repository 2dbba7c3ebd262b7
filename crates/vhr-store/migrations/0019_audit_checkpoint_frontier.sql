-- The Merkle tree's frontier kept beside each checkpoint (issue #12): the
-- roots of its perfect subtrees, largest first, each as its leaf count
-- (8 bytes, big-endian) and its hash (32 bytes). The next checkpoint
-- continues from it and reads only the entries written since, instead of
-- the whole trail. Checkpoints from before this column have none; the
-- first checkpoint after the upgrade reads the trail once and keeps one.
-- `audit verify` does not trust it: it recomputes every root from the trail.
ALTER TABLE audit_checkpoint ADD COLUMN frontier BLOB;
