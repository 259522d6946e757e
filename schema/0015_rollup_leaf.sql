-- 0015_rollup_leaf.sql -- the rollup's leaves, apart from its tree.
--
-- rollup_unit kept each unit's leaf inline: every rollup reads the whole
-- tree (to check it against the tree of today, and the sums of the units
-- above the grassroots), and at a national hub that read went through
-- the whole 41 MB table, 34 MB of it leaves, to find 5 MB of tree and
-- sums.  rollup_leaf holds the leaf of
-- each unit that has one (a unit counted as itself), encoded as
-- client/rollup.c says; rollup_unit keeps the place and the sums.

CREATE TABLE rollup_leaf (
  id   BLOB PRIMARY KEY CHECK (length(id) = 16),
  leaf BLOB NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO rollup_leaf (id, leaf)
  SELECT id, leaf FROM rollup_unit WHERE leaf IS NOT NULL;
ALTER TABLE rollup_unit DROP COLUMN leaf;
