-- 0013_witness.sql -- cosignatures of this hub's checkpoints by the hubs
-- below it, its witnesses (protocol/SPEC.md §12.9).
--
-- tlog_cosig: for each size of this hub's log (a tree head it signed and
-- keeps in tlog_checkpoint) and each witness (a hub of the catalog), the
-- newest cosignature line it sent back (c2sp.org/tlog-cosignature@v1),
-- checked against the witness's key before it is kept; `time` is the
-- witness's, in seconds.  A witness keeps the checkpoints it cosigned in
-- tlog_peer (0012), as the hub above keeps those of the hubs below.

CREATE TABLE tlog_cosig (
  size     INTEGER NOT NULL CHECK (size >= 0),
  witness  BLOB NOT NULL CHECK (length(witness) = 16),
  time     INTEGER NOT NULL CHECK (time >= 0),
  line     TEXT NOT NULL,
  taken_ms INTEGER NOT NULL,
  PRIMARY KEY (size, witness)
) STRICT, WITHOUT ROWID;
