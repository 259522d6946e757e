-- 0003_merge.sql -- what merging other nodes' changes and moving bundles
-- needs (protocol/SPEC.md sections 6-8).

-- The base of a change: the greatest HLC of that row its writer knew when
-- it wrote (0 for a new row); tells a concurrent edit from a later one.
ALTER TABLE sync_change ADD COLUMN base INTEGER NOT NULL DEFAULT 0;
-- The received bundle a change came in (sync_bundle_in.id); minus the
-- number of this node's own bundle it was recovered from after a restore
-- (-seq); NULL for a change written here and not sealed by that route.
-- Only NULL ones are sealed into this node's bundles.
ALTER TABLE sync_change ADD COLUMN via INTEGER;
-- Merging folds every change of one row: find them without a scan.
CREATE INDEX sync_change_row ON sync_change (tbl, rid);

-- Rows whose merged values break a rule of the data (say two concurrent
-- edits of two dates of one member): kept in the log, not shown, listed.
CREATE TABLE sync_invalid (
  tbl    INTEGER NOT NULL,
  rid    BLOB NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (tbl, rid)
) STRICT, WITHOUT ROWID;

-- Changes stamped further ahead of this node's clock than the bound when
-- they arrived: accepted, and listed.
CREATE TABLE sync_future (
  seq      INTEGER PRIMARY KEY,          -- sync_change.seq
  ahead_ms INTEGER NOT NULL
) STRICT;

-- Other nodes this node knows the keys of (until the signed catalog).
CREATE TABLE sync_peer (
  node_id   BLOB PRIMARY KEY CHECK (length(node_id) = 16),
  org_code  TEXT NOT NULL,
  sign_pk   BLOB NOT NULL CHECK (length(sign_pk) = 32),
  box_pk    BLOB NOT NULL CHECK (length(box_pk) = 32),
  upstream  INTEGER NOT NULL DEFAULT 0 CHECK (upstream IN (0, 1)),
  last_seq  INTEGER NOT NULL DEFAULT 0,  -- chain head merged here
  last_hash BLOB,                        -- its hash
  frozen    INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1))
) STRICT, WITHOUT ROWID;

-- Bundles this node sealed, byte for byte (export writes them again).
CREATE TABLE sync_bundle_out (
  seq      INTEGER PRIMARY KEY,
  hash     BLOB NOT NULL CHECK (length(hash) = 32),
  last_seq INTEGER NOT NULL,             -- last sync_change.seq sealed
  changes  INTEGER NOT NULL,
  bytes    BLOB NOT NULL
) STRICT;

-- Bundles received: merged, held after a gap, or kept as evidence of a
-- fork (two different bundles with one sequence number).
CREATE TABLE sync_bundle_in (
  id       INTEGER PRIMARY KEY,
  hash     BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
  node_id  BLOB NOT NULL CHECK (length(node_id) = 16),
  seq      INTEGER NOT NULL,
  status   TEXT NOT NULL CHECK (status IN ('merged', 'held', 'evidence')),
  bytes    BLOB NOT NULL,
  note     TEXT
) STRICT;
CREATE INDEX sync_bundle_in_node ON sync_bundle_in (node_id, seq);

-- The same-union rules compare two rows only when both are here: a merge
-- may bring a beneficiary before its member (the API checks references
-- itself before writing).
DROP TRIGGER benefit_same_union_ins;
DROP TRIGGER benefit_same_union_upd;
DROP TRIGGER council_seat_same_union_ins;
DROP TRIGGER council_seat_same_union_upd;
CREATE TRIGGER benefit_same_union_ins BEFORE INSERT ON benefit
WHEN EXISTS (SELECT 1 FROM member WHERE id = NEW.member_id)
 AND EXISTS (SELECT 1 FROM activity WHERE id = NEW.activity_id)
 AND (SELECT org_id FROM member WHERE id = NEW.member_id)
     IS NOT (SELECT org_id FROM activity WHERE id = NEW.activity_id)
BEGIN SELECT RAISE(ABORT, 'benefit: member is not in the union of the activity'); END;
CREATE TRIGGER benefit_same_union_upd BEFORE UPDATE OF activity_id, member_id ON benefit
WHEN EXISTS (SELECT 1 FROM member WHERE id = NEW.member_id)
 AND EXISTS (SELECT 1 FROM activity WHERE id = NEW.activity_id)
 AND (SELECT org_id FROM member WHERE id = NEW.member_id)
     IS NOT (SELECT org_id FROM activity WHERE id = NEW.activity_id)
BEGIN SELECT RAISE(ABORT, 'benefit: member is not in the union of the activity'); END;
CREATE TRIGGER council_seat_same_union_ins BEFORE INSERT ON council_seat
WHEN EXISTS (SELECT 1 FROM member WHERE id = NEW.member_id)
 AND (SELECT org_id FROM member WHERE id = NEW.member_id) IS NOT NEW.org_id
BEGIN SELECT RAISE(ABORT, 'council_seat: member is not in this union'); END;
CREATE TRIGGER council_seat_same_union_upd BEFORE UPDATE OF org_id, member_id ON council_seat
WHEN EXISTS (SELECT 1 FROM member WHERE id = NEW.member_id)
 AND (SELECT org_id FROM member WHERE id = NEW.member_id) IS NOT NEW.org_id
BEGIN SELECT RAISE(ABORT, 'council_seat: member is not in this union'); END;
