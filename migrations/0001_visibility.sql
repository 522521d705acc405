-- The visibility store (D1 binding VISIBILITY): one summary row per workflow run, written
-- from each execution's outbox (src/visibility/), read by list and count.
-- Apply with `npx wrangler d1 migrations apply VISIBILITY --remote` (or --local); `keel dev`,
-- keel/testing and the workerd tests apply it themselves.

-- One row per run. Times are milliseconds since the epoch; `status` is the wire spelling
-- (RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT).
-- `version` is the run's last event id when the summary was made: a summary is written
-- only over an older one, so a delayed or repeated delivery never undoes a newer one.
CREATE TABLE IF NOT EXISTS executions (
  namespace         TEXT    NOT NULL,
  run_id            TEXT    NOT NULL,
  workflow_id       TEXT    NOT NULL,
  workflow_type     TEXT    NOT NULL,
  task_queue        TEXT    NOT NULL,
  status            TEXT    NOT NULL,
  start_time        INTEGER NOT NULL,
  execution_time    INTEGER NOT NULL,
  close_time        INTEGER,
  history_length    INTEGER NOT NULL,
  first_run_id      TEXT    NOT NULL,
  -- Opaque payloads ({ metadata, data }) as JSON: the service never decodes them.
  memo              TEXT,
  -- The search attributes as the run was given them (JSON), for answers; filters use the
  -- typed rows of search_attributes.
  search_attributes TEXT,
  version           INTEGER NOT NULL,
  PRIMARY KEY (namespace, run_id)
);

-- The default order (newest start first) and the common filters, each ending in the
-- default order so that a filtered page is read straight off its index.
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (namespace, start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (namespace, status, start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_type ON executions (namespace, workflow_type, start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_workflow_id ON executions (namespace, workflow_id, start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_task_queue ON executions (namespace, task_queue, start_time DESC, run_id DESC);
CREATE INDEX IF NOT EXISTS executions_by_close ON executions (namespace, close_time DESC, run_id DESC);

-- Custom search attributes, typed: one row per value (a list gives one per element, a Text
-- value one per word, numbered by ord). Keyword, KeywordList and Text keep `str`; Int,
-- Double and Bool (0/1) keep `num`; Datetime keeps its milliseconds in `num` and ISO text
-- in `str`. Filters compare a literal with the column of each type it can stand for.
CREATE TABLE IF NOT EXISTS search_attributes (
  namespace TEXT    NOT NULL,
  run_id    TEXT    NOT NULL,
  name      TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  ord       INTEGER NOT NULL,
  str       TEXT,
  num       NUMERIC,
  PRIMARY KEY (namespace, run_id, name, ord)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS search_attributes_by_str ON search_attributes (namespace, name, str);
CREATE INDEX IF NOT EXISTS search_attributes_by_num ON search_attributes (namespace, name, num);
