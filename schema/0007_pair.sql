-- 0007_pair.sql -- client devices paired with this node (protocol/SPEC.md
-- "Pairing").
--
-- pair_code holds the keys of the pairing codes this node has shown and
-- not yet used (the code itself is not kept): a code works once, until it
-- expires.  pair_client is every client this node certified, with the
-- certificate it issued; a revoked client is refused from then on.

CREATE TABLE pair_code (
  key        BLOB PRIMARY KEY CHECK (length(key) = 32),
  expires_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE pair_client (
  client_id  BLOB PRIMARY KEY CHECK (length(client_id) = 16),
  sign_pk    BLOB NOT NULL CHECK (length(sign_pk) = 32),
  box_pk     BLOB NOT NULL CHECK (length(box_pk) = 32),
  device     TEXT NOT NULL,
  paired_ms  INTEGER NOT NULL,
  revoked_ms INTEGER,                   -- NULL: not revoked
  cert       BLOB NOT NULL              -- the signed certificate
) STRICT, WITHOUT ROWID;
