-- 0004_trust.sql -- the signed catalog (protocol/SPEC.md "Trust").
--
-- trust_sheet keeps the newest edition of every sheet this node has
-- verified, as signed bytes; the catalog is all of them, chained from the
-- national root key (meta 'root_pk').  sync_peer rows that come from the
-- catalog say so, with the role, the end of validity and the time from
-- which the key was revoked.

CREATE TABLE trust_sheet (
  issuer  BLOB PRIMARY KEY CHECK (length(issuer) = 16),  -- node id
  serial  INTEGER NOT NULL CHECK (serial >= 1),         -- its edition
  bytes   BLOB NOT NULL
) STRICT, WITHOUT ROWID;

ALTER TABLE sync_peer ADD COLUMN role INTEGER;           -- cdsync_role
ALTER TABLE sync_peer ADD COLUMN valid_from INTEGER;     -- ms
ALTER TABLE sync_peer ADD COLUMN valid_until INTEGER;    -- ms, NULL: none
ALTER TABLE sync_peer ADD COLUMN revoked_from INTEGER;   -- ms, NULL: not
ALTER TABLE sync_peer ADD COLUMN catalog INTEGER NOT NULL DEFAULT 0
  CHECK (catalog IN (0, 1));                             -- from the catalog
