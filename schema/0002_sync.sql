-- 0002_sync.sql -- the sync tables: the change log every write lands in.
--
-- One row of sync_change is one captured write of one row: the columns it
-- set, with their values, in the "column set" encoding of protocol/SPEC.md,
-- stamped with one hybrid logical clock and the origin node.  Read as
-- column-level changes it is (table, row id, column, value, hlc, origin).
-- seq orders the log on this node; changes with seq above
-- sync_state.sealed_upto are pending (not yet in a bundle).

CREATE TABLE sync_node (
  idx     INTEGER PRIMARY KEY,           -- small local number of a node
  node_id BLOB NOT NULL UNIQUE CHECK (length(node_id) = 16)
) STRICT;

CREATE TABLE sync_change (
  seq  INTEGER PRIMARY KEY,              -- capture order on this node
  tbl  INTEGER NOT NULL,                 -- kind number (SPEC.md "Kinds")
  rid  BLOB NOT NULL CHECK (length(rid) = 16),
  op   INTEGER NOT NULL CHECK (op IN (1, 2)),  -- 1 set columns, 2 delete
  hlc  INTEGER NOT NULL,                 -- SPEC.md "Hybrid logical clock"
  node INTEGER NOT NULL REFERENCES sync_node (idx),
  vals BLOB,                             -- column set; NULL for a delete
  CHECK ((op = 1) = (vals IS NOT NULL))
) STRICT;

CREATE TABLE sync_state (
  key   TEXT PRIMARY KEY,                -- 'hlc', 'sealed_upto', ...
  value ANY
) STRICT, WITHOUT ROWID;
