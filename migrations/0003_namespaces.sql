-- The namespace registry (src/namespaces/): one row per namespace, in the same D1 database as
-- the visibility store. The router reads a namespace once per isolate per few seconds (cached),
-- so this table is off the hot path. Times are milliseconds since the epoch; `data` is JSON.
CREATE TABLE IF NOT EXISTS namespaces (
  name         TEXT    NOT NULL PRIMARY KEY,
  state        TEXT    NOT NULL,
  description  TEXT    NOT NULL DEFAULT '',
  owner_email  TEXT    NOT NULL DEFAULT '',
  data         TEXT    NOT NULL DEFAULT '{}',
  retention_ms INTEGER NOT NULL,
  create_time  INTEGER NOT NULL,
  update_time  INTEGER NOT NULL
) WITHOUT ROWID;
