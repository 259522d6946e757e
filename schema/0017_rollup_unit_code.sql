-- 0017_rollup_unit_code.sql -- the org code of each unit of the rollup.
--
-- The tree of unions holds the schools and hubs the catalog enrols whose
-- records never reached the store (client/tree.h, rule 1): they count in
-- the denominators of the shares of unions.  Such a unit has no org_unit
-- row, so the rollup keeps each unit's code itself, for the units of a
-- snapshot (SPEC.md §14) and for the figures of a unit asked by code.
-- The next rollup builds the tree again and adds those units.

ALTER TABLE rollup_unit ADD COLUMN code TEXT;
UPDATE rollup_unit SET code = (SELECT o.code FROM org_unit o
                               WHERE o.id = rollup_unit.id);
CREATE INDEX rollup_unit_code ON rollup_unit (code);
INSERT OR REPLACE INTO rollup_state (key, value)
  SELECT 'tree_changed', 1 WHERE EXISTS (SELECT 1 FROM rollup_unit);
