-- Schedules in the visibility store: one row per schedule, written by its object
-- (src/schedule-object.ts) after each change, read by list. `entry` is the list entry
-- (Temporal's ScheduleListEntry) as JSON; `version` orders writes so that a late write never
-- undoes a newer one. A deleted schedule's row is removed.
CREATE TABLE IF NOT EXISTS schedules (
  namespace   TEXT    NOT NULL,
  schedule_id TEXT    NOT NULL,
  entry       TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (namespace, schedule_id)
) WITHOUT ROWID;
