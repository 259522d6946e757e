-- 0009_voucher.sql -- what hubs below vouch for (protocol/SPEC.md §10.6,
-- §11): a receipt signed by a hub below this node, for a bundle of a node
-- below that hub, says when that hub first took the bundle in.  A bundle
-- whose signer was revoked (or whose enrolment ended) after that time
-- still counts here, however late it arrives: the time that counts is
-- when a hub first logged it, not this node's, and never a school's
-- clock.  One row per (bundle, hub); kept whether or not this node holds
-- the bundle yet (the receipt usually arrives just before it).

CREATE TABLE sync_voucher (
  hash    BLOB NOT NULL CHECK (length(hash) = 32),   -- the bundle
  hub     BLOB NOT NULL CHECK (length(hub) = 16),    -- who vouches
  node_id BLOB NOT NULL CHECK (length(node_id) = 16),  -- its sender
  seq     INTEGER NOT NULL CHECK (seq >= 1),
  seen_ms INTEGER NOT NULL,                          -- hub's clock
  bytes   BLOB NOT NULL,                             -- the signed receipt
  PRIMARY KEY (hash, hub)
) STRICT, WITHOUT ROWID;
