-- 0014_change_via.sql -- the changes a received bundle brought, found
-- without a scan of the whole change log.
--
-- A hub recounting the snapshot of a hub below fills a scratch store with
-- exactly the changes of the bundles that snapshot names (SPEC.md §14.5);
-- without this index each of its bundles' heads scanned sync_change, so a
-- national hub's checks of 700 districts grew with the square of its log.
-- Partial: a node's own changes (via NULL) are never looked up by it.

CREATE INDEX sync_change_via ON sync_change (via) WHERE via IS NOT NULL;
