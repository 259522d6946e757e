-- 0010_tlog.sql -- the transparency log of the bundles this node took in
-- (protocol/SPEC.md §12).
--
-- tlog_leaf is the log: one row per bundle first taken in -- merged or
-- held for a gap, never a replay, a refusal or fork evidence -- written in
-- the same transaction as its row of sync_bundle_in, in the order bundles
-- are taken in; idx is the leaf index, from 0, without holes.  leaf is the
-- 65-byte leaf of §12.1, hash its RFC 9162 leaf hash SHA-256(0x00 || leaf);
-- the roots and proofs of §12.2-12.3 are computed from these hashes
-- (client/tlog.c).  A leaf never changes and is never removed: the
-- triggers refuse it, as the log is append-only.
--
-- tlog_checkpoint keeps every tree head this node signed (one per size,
-- the latest signature), so that it never signs two roots for one size.
--
-- A store upgraded with bundles already taken in gets their leaves, in the
-- order it took them in, at its first use of the log: 'tlog_backfill' in
-- sync_state names the last of them (the leaf hash needs SHA-256, which
-- SQL has not).

CREATE TABLE tlog_leaf (
  idx    INTEGER PRIMARY KEY CHECK (idx >= 0),   -- leaf index, from 0
  bundle BLOB NOT NULL UNIQUE CHECK (length(bundle) = 32),  -- its hash
  leaf   BLOB NOT NULL CHECK (length(leaf) = 65),   -- SPEC.md §12.1
  hash   BLOB NOT NULL CHECK (length(hash) = 32)    -- RFC 9162 leaf hash
) STRICT;

CREATE TRIGGER tlog_leaf_no_update BEFORE UPDATE ON tlog_leaf
BEGIN
  SELECT RAISE(ABORT, 'the transparency log is append-only');
END;
CREATE TRIGGER tlog_leaf_no_delete BEFORE DELETE ON tlog_leaf
BEGIN
  SELECT RAISE(ABORT, 'the transparency log is append-only');
END;

CREATE TABLE tlog_checkpoint (
  size      INTEGER PRIMARY KEY CHECK (size >= 0),  -- leaves in the tree
  root      BLOB NOT NULL CHECK (length(root) = 32),
  note      BLOB NOT NULL,                          -- the signed note
  signed_ms INTEGER NOT NULL                        -- this node's clock
) STRICT;

-- the last bundle taken in before the log: up to it, leaves to write
INSERT INTO sync_state (key, value)
  SELECT 'tlog_backfill', max(id) FROM sync_bundle_in
   WHERE status IN ('merged', 'held')
  HAVING max(id) IS NOT NULL;
