-- 0011_rollup.sql -- the nightly rollup's state (client/rollup.c).
--
-- What changed since the last rollup, kept by the triggers below in the
-- same transaction as each write -- a merge from a bundle, a local edit,
-- an import alike -- so that it is exact whatever crashes:
--
-- rollup_new holds the rows added (tbl, id) to the tables whose rows the
-- rollup can add to a unit's figures one at a time: activities,
-- members, benefits, legal cases and events, agreements, council seats,
-- initiatives.  Kept only once there is a rollup (before it, the first
-- rollup counts everything).
--
-- rollup_dirty holds the units to count again whole: the unit of every
-- row changed or removed (before and after an update, so a member moved
-- from one school to another marks both), of every plan or key task
-- added; an activity changed marks the unions of its beneficiaries too, a
-- benefit changed or removed the union of its member, a legal event the
-- unit of its case.  A write to what the tree of unions is made of
-- (org_unit, org_change, the catalog's sheets, meta) sets rollup_state
-- 'tree_changed': the next rollup builds the tree again (else it takes
-- the one it kept, unless a change took effect since) and finds what
-- changed by comparing the two.  The rollup empties the marks in the
-- transaction that writes the figures.
--
-- rollup_unit holds, for each unit of the tree of the last rollup, its
-- place (parent, the unit it counts as, level) and its figures: `leaf`
-- what its own rows give (a unit that counts as another has none), `sums`
-- for a unit above the grassroots the sum of the leaves of the unions
-- under it, both for every period of rollup_state 'periods', encoded as
-- client/rollup.c says.

-- The rollup reads a member's benefits with their activities: the index
-- on member_id covers activity_id too (a superset of the one it replaces).
DROP INDEX benefit_member;
CREATE INDEX benefit_member ON benefit (member_id, activity_id);

CREATE TABLE rollup_new (
  tbl TEXT NOT NULL,
  id  BLOB NOT NULL,
  PRIMARY KEY (tbl, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE rollup_dirty (
  org_id BLOB PRIMARY KEY
) STRICT, WITHOUT ROWID;

CREATE TABLE rollup_unit (
  id        BLOB PRIMARY KEY CHECK (length(id) = 16),
  parent_id BLOB,
  rep       BLOB NOT NULL,
  level     TEXT NOT NULL,
  leaf      BLOB,
  sums      BLOB
) STRICT, WITHOUT ROWID;

CREATE TABLE rollup_state (
  key   TEXT PRIMARY KEY,               -- 'periods', 'made_ms', 'full_ms'
  value ANY
) STRICT, WITHOUT ROWID;

CREATE TRIGGER rollup_activity_ins AFTER INSERT ON activity
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'activity', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_activity_upd AFTER UPDATE ON activity
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) SELECT m.org_id FROM benefit f
    JOIN member m ON m.id = f.member_id WHERE f.activity_id = NEW.id;
END;
CREATE TRIGGER rollup_activity_del AFTER DELETE ON activity
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_member_ins AFTER INSERT ON member
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'member', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_member_upd AFTER UPDATE ON member
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_member_del AFTER DELETE ON member
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_legal_case_ins AFTER INSERT ON legal_case
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'legal_case', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_legal_case_upd AFTER UPDATE ON legal_case
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_legal_case_del AFTER DELETE ON legal_case
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_agreement_ins AFTER INSERT ON agreement
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'agreement', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_agreement_upd AFTER UPDATE ON agreement
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_agreement_del AFTER DELETE ON agreement
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_council_seat_ins AFTER INSERT ON council_seat
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'council_seat', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_council_seat_upd AFTER UPDATE ON council_seat
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_council_seat_del AFTER DELETE ON council_seat
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_initiative_ins AFTER INSERT ON initiative
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'initiative', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_initiative_upd AFTER UPDATE ON initiative
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_initiative_del AFTER DELETE ON initiative
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_plan_ins AFTER INSERT ON plan
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_plan_upd AFTER UPDATE ON plan
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_plan_del AFTER DELETE ON plan
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_key_task_ins AFTER INSERT ON key_task
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_key_task_upd AFTER UPDATE ON key_task
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (NEW.org_id);
END;
CREATE TRIGGER rollup_key_task_del AFTER DELETE ON key_task
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id) VALUES (OLD.org_id);
END;
CREATE TRIGGER rollup_benefit_ins AFTER INSERT ON benefit
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'benefit', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_benefit_upd AFTER UPDATE ON benefit
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id)
    SELECT org_id FROM member WHERE id = OLD.member_id;
  INSERT OR IGNORE INTO rollup_dirty (org_id)
    SELECT org_id FROM member WHERE id = NEW.member_id;
END;
CREATE TRIGGER rollup_benefit_del AFTER DELETE ON benefit
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id)
    SELECT org_id FROM member WHERE id = OLD.member_id;
END;
CREATE TRIGGER rollup_legal_event_ins AFTER INSERT ON legal_event
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) SELECT 'legal_event', NEW.id
    WHERE EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods');
END;
CREATE TRIGGER rollup_legal_event_upd AFTER UPDATE ON legal_event
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id)
    SELECT org_id FROM legal_case WHERE id = OLD.case_id;
  INSERT OR IGNORE INTO rollup_dirty (org_id)
    SELECT org_id FROM legal_case WHERE id = NEW.case_id;
END;
CREATE TRIGGER rollup_legal_event_del AFTER DELETE ON legal_event
BEGIN
  INSERT OR IGNORE INTO rollup_dirty (org_id)
    SELECT org_id FROM legal_case WHERE id = OLD.case_id;
END;
CREATE TRIGGER rollup_tree_org_unit_ins AFTER INSERT ON org_unit
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_org_unit_upd AFTER UPDATE ON org_unit
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_org_unit_del AFTER DELETE ON org_unit
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_org_change_ins AFTER INSERT ON org_change
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_org_change_upd AFTER UPDATE ON org_change
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_org_change_del AFTER DELETE ON org_change
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_trust_sheet_ins AFTER INSERT ON trust_sheet
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_trust_sheet_upd AFTER UPDATE ON trust_sheet
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_trust_sheet_del AFTER DELETE ON trust_sheet
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_meta_ins AFTER INSERT ON meta
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_meta_upd AFTER UPDATE ON meta
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
CREATE TRIGGER rollup_tree_meta_del AFTER DELETE ON meta
BEGIN
  INSERT OR REPLACE INTO rollup_state (key, value) VALUES ('tree_changed', 1);
END;
