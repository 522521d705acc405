-- Every index entry is a billed D1 row written (Cloudflare's D1 pricing: an index adds a written
-- row to each write of its columns), on every summary a run writes and again when retention
-- deletes it. An index stays only where a list query needs it to read a page instead of the
-- namespace:
--   executions_by_start        the default order (newest start first), which every list without
--                              ORDER BY walks, filtered or not;
--   executions_by_workflow_id  `WorkflowId = '…'` (a handle's runs, the CLI, the UI's search), a
--                              handful of rows among millions;
--   executions_by_status       `ExecutionStatus = 'Running'`, the UI's first filter: the few running
--                              among many closed.
-- The others served filters that match a large share of a namespace (a workflow type, a task queue)
-- or an order (close time) that lists rarely take: such a list walks executions_by_start and filters,
-- reading more rows (a D1 row read costs a thousandth of a row written) instead of every W1 paying
-- for the index.
DROP INDEX IF EXISTS executions_by_type;
DROP INDEX IF EXISTS executions_by_task_queue;
DROP INDEX IF EXISTS executions_by_close;
