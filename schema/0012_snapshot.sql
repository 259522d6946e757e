-- 0012_snapshot.sql -- signed rollup snapshots (protocol/SPEC.md "Rollup
-- snapshots") and the checkpoints of the hubs below.
--
-- snapshot_own: the snapshots this hub signed, newest kept (the daemon
-- forwards the newest up; `cdsync export` writes it, with consistency
-- proofs from the checkpoints of those before).  tlog_peer: every checkpoint of a hub below
-- that this node took, each consistent with the one before (SPEC.md
-- §12.6 step 5): sizes only grow.  snapshot_in: snapshots of the hubs
-- below, as signed, with what the recompute from the school bundles
-- found; snapshot_diff: the cells it found different.

CREATE TABLE snapshot_own (
  hash      BLOB PRIMARY KEY CHECK (length(hash) = 32),
  org_code  TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  made_ms   INTEGER NOT NULL,
  bytes     BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX snapshot_own_made ON snapshot_own (made_ms);

CREATE TABLE tlog_peer (
  node_id  BLOB NOT NULL CHECK (length(node_id) = 16),
  size     INTEGER NOT NULL,
  root     BLOB NOT NULL CHECK (length(root) = 32),
  note     BLOB NOT NULL,
  taken_ms INTEGER NOT NULL,
  PRIMARY KEY (node_id, size)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER tlog_peer_keep BEFORE UPDATE ON tlog_peer
BEGIN SELECT RAISE(ABORT, 'tlog_peer: a checkpoint taken is kept as it is'); END;

CREATE TABLE snapshot_in (
  hash       BLOB PRIMARY KEY CHECK (length(hash) = 32),
  hub_id     BLOB NOT NULL CHECK (length(hub_id) = 16),
  org_code   TEXT NOT NULL,
  tree_size  INTEGER NOT NULL,
  taken_ms   INTEGER NOT NULL,
  state      TEXT NOT NULL DEFAULT 'new'
             CHECK (state IN ('new', 'waiting', 'same', 'differs')),
  checked_ms INTEGER,
  ndiff      INTEGER NOT NULL DEFAULT 0,
  note       TEXT,
  bytes      BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX snapshot_in_hub ON snapshot_in (hub_id, tree_size);

CREATE TABLE snapshot_diff (
  hash     BLOB NOT NULL,
  n        INTEGER NOT NULL,
  unit     TEXT NOT NULL,
  period   TEXT NOT NULL,
  field    TEXT NOT NULL,
  signed   INTEGER NOT NULL,
  computed INTEGER NOT NULL,
  PRIMARY KEY (hash, n)
) STRICT, WITHOUT ROWID;
