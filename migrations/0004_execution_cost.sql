-- Cost per execution (src/cost/): each summary carries the run's billable units as its object
-- counted them when the summary was made (protocol/prices.ts ExecutionUnits, as JSON), so that a
-- namespace's month so far is one query over the summaries the runs already write on start and
-- close. NULL for rows written before this migration.
ALTER TABLE executions ADD COLUMN units TEXT;
