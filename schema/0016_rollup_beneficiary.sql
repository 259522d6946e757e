-- 0016_rollup_beneficiary.sql -- the members with benefits added since
-- the last rollup, kept by the trigger that keeps the benefits added.
--
-- A night reads the members a benefit was added to, each with all its
-- benefits (client/rollup.c, add_benefits).  Found from rollup_new, that
-- list cost a lookup of each benefit added (47,000 at a national hub) and
-- a sort; kept here, it is read in member order as it is.  Emptied with
-- rollup_new by each rollup.

CREATE TABLE rollup_beneficiary (
  member_id BLOB PRIMARY KEY
) STRICT, WITHOUT ROWID;

DROP TRIGGER rollup_benefit_ins;
CREATE TRIGGER rollup_benefit_ins AFTER INSERT ON benefit
WHEN EXISTS (SELECT 1 FROM rollup_state WHERE key = 'periods')
BEGIN
  INSERT OR IGNORE INTO rollup_new (tbl, id) VALUES ('benefit', NEW.id);
  INSERT OR IGNORE INTO rollup_beneficiary (member_id)
    VALUES (NEW.member_id);
END;

INSERT OR IGNORE INTO rollup_beneficiary (member_id)
  SELECT f.member_id FROM rollup_new n JOIN benefit f ON f.id = n.id
  WHERE n.tbl = 'benefit';
