-- 0006_tree.sql -- changes to the tree of unions: rename, move, merge
-- (DOMAIN.md "Real trees change"; client/tree.c; protocol/SPEC.md
-- "Kinds", kind 13).
--
-- An org_change row is a decision of one union (org_id: the union that
-- decided and recorded it, whose row it is for sync scope like every
-- other kind's org_id) about one unit (subject_id), taking effect on
-- effective_on.  The org_unit rows are never rewritten: a unit keeps its
-- id, its records stay attached to it, and the tree of any date is the
-- org_unit rows with the changes up to that date applied (client/tree.c),
-- so history rolls up under the tree as it is now and as it was.
--
--   rename  name       the unit's new name
--   move    parent_id  the unit's new parent
--   merge   into_id    the unit it becomes part of: its records count as
--                      that unit's, its children move under that unit
--
-- The CHECKs keep each change to its own field and refuse a unit moved
-- under, or merged into, itself.  Rules that need the tree (no cycle
-- through other units, a merge within one level, an author above the
-- unit) are judged by client/tree.c when the tree is computed, since
-- changes arrive from other nodes in any order.

CREATE TABLE org_change (
  id           BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id       BLOB NOT NULL REFERENCES org_unit (id),
  subject_id   BLOB NOT NULL REFERENCES org_unit (id),
  effective_on TEXT NOT NULL CHECK (date(effective_on) IS effective_on),
  change       TEXT NOT NULL CHECK (change IN ('rename', 'move', 'merge')),
  name         TEXT CHECK (length(name) BETWEEN 1 AND 300),
  parent_id    BLOB REFERENCES org_unit (id),
  into_id      BLOB REFERENCES org_unit (id),
  note         TEXT,
  CHECK ((change = 'rename') = (name IS NOT NULL)),
  CHECK ((change = 'move') = (parent_id IS NOT NULL)),
  CHECK ((change = 'merge') = (into_id IS NOT NULL)),
  CHECK (parent_id IS NOT subject_id),
  CHECK (into_id IS NOT subject_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX org_change_date ON org_change (effective_on, id);
CREATE INDEX org_change_subject ON org_change (subject_id);
