-- 0005_rotation.sql -- keys that rotate (protocol/SPEC.md "Hand-over").
--
-- A node's key hands over to a new one from a bundle number on: bundles
-- before it stay valid with the old key, those from it on need the new
-- one.  sync_key_old keeps, for every node (this one too), each earlier
-- signing key and the first bundle it may no longer sign; sync_peer's
-- key is valid from key_from_seq on.  trust_handover keeps the signed
-- hand-overs this node made (to send to its parent) and those its
-- children sent (taken into its sheet).

CREATE TABLE sync_key_old (
  node_id  BLOB NOT NULL CHECK (length(node_id) = 16),
  sign_pk  BLOB NOT NULL CHECK (length(sign_pk) = 32),
  upto_seq INTEGER NOT NULL CHECK (upto_seq >= 1),  -- first bundle it may not sign
  PRIMARY KEY (node_id, sign_pk)
) STRICT, WITHOUT ROWID;

ALTER TABLE sync_peer ADD COLUMN key_from_seq INTEGER NOT NULL DEFAULT 1;

CREATE TABLE trust_handover (
  node_id BLOB NOT NULL CHECK (length(node_id) = 16),
  old_pk  BLOB NOT NULL CHECK (length(old_pk) = 32),
  seq     INTEGER NOT NULL,                            -- from_seq
  bytes   BLOB NOT NULL,                               -- the signed file
  PRIMARY KEY (node_id, old_pk)
) STRICT, WITHOUT ROWID;
