-- 0018_rollup_night.sql -- what the rollup keeps so that a night writes
-- little: the differences of the leaves, each member's care.
--
-- A night adds the benefits added to the figures of their members'
-- unions (client/rollup.c, add_benefits).  A member covered in a period
-- already counts there, so the night needs each such member's care
-- before those benefits.  Read from the member's row and all its
-- benefits, each with its activity, that was half of a national night
-- (46,000 members, 165,000 benefits, 21,000 activities).
--
-- rollup_care keeps, for each unit whose members the last rollup counted
-- (the grassroots unions and the units merged into them), its members'
-- care: one blob of entries in member id order, each the member id (16
-- bytes), then an unsigned LEB128 varint of care << 1 | w, and when w is
-- 0 a varint of win: `care` the periods with a care activity it
-- benefited from, `win` the periods whose window it is in (w = 1: every
-- period), both bit sets over the periods of rollup_state 'periods'
-- (bit i: period i).  One row a unit, so that a full rollup writes 60,000 rows,
-- not 2 million, and a night reads and writes one for each school a
-- benefit went to.  A unit counted again whole keeps its members' care
-- anew, a full rollup all of it; a member added since has none kept
-- until a benefit is added to it, when the night takes it from its rows.
--
-- rollup_leaf_diff keeps, for a leaf a night added rows to, its
-- difference from the leaf in rollup_leaf: a night touches 14,000 of the
-- 60,000 leaves of a national hub, 8 to a page, and writing each back
-- whole rewrote 93% of that table's pages every night.  Encoded as the
-- leaves are (client/rollup.c) but each value a zigzag varint (-1 -> 1,
-- 1 -> 2, -2 -> 3, ...); a unit's figures are its leaf plus its
-- difference.  A difference that grows past half its leaf's bytes is
-- written into the leaf; a unit counted again whole has its leaf written
-- and no difference.
--
-- rollup_beneficiary now holds each benefit added, by the unit its member
-- belonged to when it was added (x'' when the store had no such member
-- then), the member and the activity: what the night needs of it, in
-- the order it reads rollup_care; the benefits added are no longer kept
-- in rollup_new as well (what waits for the next rollup is counted in
-- both tables).  The rollup layout becomes "v4"
-- (client/rollup.c), so the next rollup counts all and fills rollup_care.

CREATE TABLE rollup_leaf_diff (
  id   BLOB PRIMARY KEY CHECK (length(id) = 16),
  diff BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE rollup_care (
  org_id BLOB PRIMARY KEY,
  care   BLOB NOT NULL
) STRICT, WITHOUT ROWID;

DROP TRIGGER rollup_benefit_ins;
CREATE TABLE rollup_benefit_added (
  org_id      BLOB NOT NULL,
  member_id   BLOB NOT NULL,
  activity_id BLOB NOT NULL,
  PRIMARY KEY (org_id, member_id, activity_id)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO rollup_benefit_added (org_id, member_id, activity_id)
  SELECT coalesce(m.org_id, x''), f.member_id, f.activity_id
  FROM rollup_new n JOIN benefit f ON f.id = n.id
  LEFT JOIN member m ON m.id = f.member_id WHERE n.tbl = 'benefit';
DELETE FROM rollup_new WHERE tbl = 'benefit';
DROP TABLE rollup_beneficiary;
ALTER TABLE rollup_benefit_added RENAME TO rollup_beneficiary;

CREATE TRIGGER rollup_benefit_ins AFTER INSERT ON benefit
WHEN EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods')
BEGIN
  INSERT OR IGNORE INTO rollup_beneficiary (org_id, member_id, activity_id)
    VALUES (coalesce((SELECT org_id FROM member WHERE id = NEW.member_id),
                     x''),
            NEW.member_id, NEW.activity_id);
END;
