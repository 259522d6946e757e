-- 0001_domain.sql -- the domain tables of a cdsync store (DOMAIN.md).
--
-- Every domain table has a 16-byte time-ordered random id (protocol/SPEC.md
-- "Row ids") as its primary key and is STRICT, so a value of the wrong type
-- is refused by SQLite itself.  Dates are ISO 'YYYY-MM-DD' text and must
-- be real calendar dates (date(x) IS x refuses 2025-02-30); money is whole
-- VND, never negative.  The C layer (client/kinds.c) checks the same rules
-- first to give a message that says what and where; these constraints are
-- the backstop for everything else that writes here, merges included.
--
-- Natural keys (a member's code, one beneficiary per activity and member)
-- are not UNIQUE here: offline writers may both create one, and merge must
-- never fail on it.  The API refuses duplicates on the writing node.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,                -- 'node_id', 'role', 'org_id'
  value ANY
) STRICT, WITHOUT ROWID;

CREATE TABLE org_unit (
  id        BLOB PRIMARY KEY CHECK (length(id) = 16),
  code      TEXT NOT NULL CHECK (length(code) BETWEEN 1 AND 64
                                 AND code NOT GLOB '*[^A-Za-z0-9._-]*'),
  name      TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  level     TEXT NOT NULL CHECK (level IN ('national', 'upper', 'grassroots')),
  parent_id BLOB REFERENCES org_unit (id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX org_unit_code ON org_unit (code);

CREATE TABLE member (
  id         BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id     BLOB NOT NULL REFERENCES org_unit (id),
  code       TEXT CHECK (length(code) BETWEEN 1 AND 32),
  full_name  TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
  sex        TEXT CHECK (sex IN ('male', 'female')),
  birth_year INTEGER CHECK (birth_year BETWEEN 1900 AND 2100),
  job        TEXT CHECK (job IN ('teacher', 'staff', 'manager')),
  joined_on  TEXT CHECK (date(joined_on) IS joined_on),
  left_on    TEXT CHECK (date(left_on) IS left_on),
  CHECK (left_on >= joined_on OR left_on IS NULL OR joined_on IS NULL)
) STRICT, WITHOUT ROWID;
CREATE INDEX member_org_code ON member (org_id, code);

CREATE TABLE plan (
  id            BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id        BLOB NOT NULL REFERENCES org_unit (id),
  school_year   INTEGER NOT NULL CHECK (school_year BETWEEN 2000 AND 2100),
  title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  tied_to_tasks INTEGER NOT NULL DEFAULT 1 CHECK (tied_to_tasks IN (0, 1)),
  adopted_on    TEXT CHECK (date(adopted_on) IS adopted_on),
  note          TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX plan_org_year ON plan (org_id, school_year);

CREATE TABLE key_task (
  id         BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id     BLOB NOT NULL REFERENCES org_unit (id),
  term_start INTEGER NOT NULL DEFAULT 2023 CHECK (term_start BETWEEN 2000 AND 2100),
  kind       TEXT NOT NULL CHECK (kind IN ('task', 'strategy')),
  title      TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  detail     TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX key_task_org ON key_task (org_id, term_start);

CREATE TABLE activity (
  id           BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id       BLOB NOT NULL REFERENCES org_unit (id),
  held_on      TEXT NOT NULL CHECK (date(held_on) IS held_on),
  title        TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  kind         TEXT NOT NULL CHECK (kind IN ('propaganda', 'training', 'care',
                 'culture', 'health', 'emulation', 'dialogue', 'inspection',
                 'remote_support', 'welfare')),
  programme    TEXT CHECK (programme IN ('tet_sum_vay', 'cam_on_nld',
                 'cho_tet', 'bua_com', 'disaster', 'epidemic', 'hardship')),
  key_task_id  BLOB REFERENCES key_task (id),
  innovative   INTEGER NOT NULL DEFAULT 0 CHECK (innovative IN (0, 1)),
  cost         INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0),
  funding      TEXT CHECK (funding IN ('union', 'unit', 'sponsor', 'mixed', 'other')),
  participants INTEGER CHECK (participants >= 0),
  note         TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX activity_org_date ON activity (org_id, held_on);

-- A member who benefited from an activity.  The id is derived from
-- (activity, member) (SPEC.md "Derived ids"), so two devices that record
-- the same beneficiary offline make the same row.
CREATE TABLE benefit (
  id          BLOB PRIMARY KEY CHECK (length(id) = 16),
  activity_id BLOB NOT NULL REFERENCES activity (id),
  member_id   BLOB NOT NULL REFERENCES member (id),
  amount      INTEGER NOT NULL DEFAULT 0 CHECK (amount >= 0),
  form        TEXT CHECK (form IN ('cash', 'goods', 'service'))
) STRICT, WITHOUT ROWID;
CREATE INDEX benefit_activity ON benefit (activity_id);
CREATE INDEX benefit_member ON benefit (member_id);

CREATE TABLE legal_case (
  id        BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id    BLOB NOT NULL REFERENCES org_unit (id),
  member_id BLOB REFERENCES member (id),
  opened_on TEXT NOT NULL CHECK (date(opened_on) IS opened_on),
  topic     TEXT NOT NULL CHECK (length(topic) BETWEEN 1 AND 500),
  status    TEXT NOT NULL DEFAULT 'open'
              CHECK (status IN ('open', 'advised', 'escalated', 'resolved')),
  closed_on TEXT CHECK (date(closed_on) IS closed_on),
  note      TEXT,
  CHECK (closed_on >= opened_on OR closed_on IS NULL)
) STRICT, WITHOUT ROWID;
CREATE INDEX legal_case_org ON legal_case (org_id, opened_on);

-- The status history of a legal case: one row per change of status.
CREATE TABLE legal_event (
  id      BLOB PRIMARY KEY CHECK (length(id) = 16),
  case_id BLOB NOT NULL REFERENCES legal_case (id),
  at      TEXT NOT NULL CHECK (date(at) IS at),
  status  TEXT NOT NULL
            CHECK (status IN ('open', 'advised', 'escalated', 'resolved')),
  note    TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX legal_event_case ON legal_event (case_id, at);

CREATE TABLE council_seat (
  id        BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id    BLOB NOT NULL REFERENCES org_unit (id),
  member_id BLOB NOT NULL REFERENCES member (id),
  council   TEXT NOT NULL CHECK (council IN ('salary', 'emulation',
              'recruitment', 'training', 'evaluation', 'school')),
  from_on   TEXT NOT NULL CHECK (date(from_on) IS from_on),
  to_on     TEXT CHECK (date(to_on) IS to_on),
  CHECK (to_on >= from_on OR to_on IS NULL)
) STRICT, WITHOUT ROWID;
CREATE INDEX council_seat_org ON council_seat (org_id);

CREATE TABLE initiative (
  id           BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id       BLOB NOT NULL REFERENCES org_unit (id),
  title        TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  author       TEXT NOT NULL CHECK (length(author) BETWEEN 1 AND 200),
  member_id    BLOB REFERENCES member (id),
  year         INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  clc_proposed INTEGER NOT NULL DEFAULT 0 CHECK (clc_proposed IN (0, 1)),
  clc_outcome  TEXT CHECK (clc_outcome IN ('pending', 'awarded', 'not_awarded')),
  CHECK (clc_outcome IS NULL OR clc_proposed = 1)
) STRICT, WITHOUT ROWID;
CREATE INDEX initiative_org ON initiative (org_id, year);

CREATE TABLE award (
  id             BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id         BLOB NOT NULL REFERENCES org_unit (id),
  awarded_on     TEXT NOT NULL CHECK (date(awarded_on) IS awarded_on),
  title          TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('collective', 'individual')),
  recipient      TEXT NOT NULL CHECK (length(recipient) BETWEEN 1 AND 300),
  member_id      BLOB REFERENCES member (id),
  issuer         TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX award_org ON award (org_id, awarded_on);

CREATE TABLE agreement (
  id        BLOB PRIMARY KEY CHECK (length(id) = 16),
  org_id    BLOB NOT NULL REFERENCES org_unit (id),
  partner   TEXT NOT NULL CHECK (length(partner) BETWEEN 1 AND 300),
  title     TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  signed_on TEXT NOT NULL CHECK (date(signed_on) IS signed_on),
  ends_on   TEXT CHECK (date(ends_on) IS ends_on),
  CHECK (ends_on >= signed_on OR ends_on IS NULL)
) STRICT, WITHOUT ROWID;
CREATE INDEX agreement_org ON agreement (org_id, signed_on);

-- Cross-row rules that CHECK cannot express.  Messages start with the
-- table name so the C layer can show them as they are.
CREATE TRIGGER benefit_same_union_ins BEFORE INSERT ON benefit
WHEN (SELECT org_id FROM member WHERE id = NEW.member_id)
     IS NOT (SELECT org_id FROM activity WHERE id = NEW.activity_id)
BEGIN SELECT RAISE(ABORT, 'benefit: member is not in the union of the activity'); END;
CREATE TRIGGER benefit_same_union_upd BEFORE UPDATE OF activity_id, member_id ON benefit
WHEN (SELECT org_id FROM member WHERE id = NEW.member_id)
     IS NOT (SELECT org_id FROM activity WHERE id = NEW.activity_id)
BEGIN SELECT RAISE(ABORT, 'benefit: member is not in the union of the activity'); END;
CREATE TRIGGER council_seat_same_union_ins BEFORE INSERT ON council_seat
WHEN (SELECT org_id FROM member WHERE id = NEW.member_id) IS NOT NEW.org_id
BEGIN SELECT RAISE(ABORT, 'council_seat: member is not in this union'); END;
CREATE TRIGGER council_seat_same_union_upd BEFORE UPDATE OF org_id, member_id ON council_seat
WHEN (SELECT org_id FROM member WHERE id = NEW.member_id) IS NOT NEW.org_id
BEGIN SELECT RAISE(ABORT, 'council_seat: member is not in this union'); END;
