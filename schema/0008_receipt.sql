-- 0008_receipt.sql -- signed receipts and the outbox (protocol/SPEC.md
-- "Receipts").
--
-- A hub vouches, in a receipt, for the time it first took a bundle in:
-- sync_bundle_in keeps that time (seen_ms) and the time the bundle reached
-- its status (status_ms: when it was held, or merged), both by this
-- node's clock, so a receipt is made again with the same bytes.  Bundles
-- taken in before this migration get the time of the upgrade: this node
-- had them by then.
--
-- sync_receipt keeps the receipts this node took from the nodes above it,
-- for its own bundles and those it forwards: one per (bundle, hub,
-- status).  The outbox -- the bundles still to go up -- is every bundle
-- this node holds (its own in sync_bundle_out, forwarded ones merged in
-- sync_bundle_in) with no receipt of status merged (1) from a node that
-- is upstream of this one; it is a query, not a table (client/receipt.c).

ALTER TABLE sync_bundle_in ADD COLUMN seen_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_bundle_in ADD COLUMN status_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sync_bundle_in
   SET seen_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000,
       status_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;

-- a bundle this node sealed, found by its hash (receipts, uploads)
CREATE INDEX sync_bundle_out_hash ON sync_bundle_out (hash);

CREATE TABLE sync_receipt (
  id       INTEGER PRIMARY KEY,          -- order taken in
  hash     BLOB NOT NULL CHECK (length(hash) = 32),     -- the bundle
  hub      BLOB NOT NULL CHECK (length(hub) = 16),      -- who signed
  status   INTEGER NOT NULL CHECK (status IN (1, 2)),   -- merged, held
  node_id  BLOB NOT NULL CHECK (length(node_id) = 16),  -- bundle's sender
  seq      INTEGER NOT NULL CHECK (seq >= 1),
  seen_ms  INTEGER NOT NULL,             -- hub's clock: first took it in
  made_ms  INTEGER NOT NULL,             -- hub's clock: reached status
  taken_ms INTEGER NOT NULL,             -- this node's clock: kept it
  bytes    BLOB NOT NULL,                -- the signed receipt
  UNIQUE (hash, hub, status)
) STRICT;
