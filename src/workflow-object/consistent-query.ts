/**
 * A query on its way to a worker: through the run's workflow task queue (its sticky queue when a
 * worker holds the run), answered within the long-poll limit. Nothing is written: queries live
 * only in memory (src/query-broker.ts).
 */
import type { ParsedRequestOf, ResponseOf } from '../../protocol/index.js';
import type { Clock } from '../clock.js';
import { isRunning, type RunState } from '../engine/run-state.js';
import type { QueryBroker } from '../query-broker.js';
import { ServiceError } from '../service-error.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { HistoryWaiters } from './history-waiters.js';

export async function askQuery(
  deps: { store: WorkflowStore; clock: Clock; waiters: HistoryWaiters; queries: QueryBroker },
  run: RunState,
  req: ParsedRequestOf<'queryWorkflow'>,
  deadline: number,
): Promise<ResponseOf<'queryWorkflow'>> {
  const { store, clock } = deps;
  // As Temporal's consistent queries: a query sent after a signal sees it. While the run has a
  // workflow task scheduled or running, the query waits (up to the long-poll limit) for it to
  // end, so the worker answers from state that includes every event accepted before the query.
  while (isRunning(run) && run.workflowTask && clock.now() < deadline) {
    await deps.waiters.wait(run.runId, deadline - clock.now());
    run = store.loadRun(run.runId) ?? run;
  }
  const reject = req.queryRejectCondition;
  if ((reject === 'NOT_OPEN' && !isRunning(run)) || (reject === 'NOT_COMPLETED_CLEANLY' && !isRunning(run) && run.status !== 'COMPLETED')) {
    throw new ServiceError('QUERY_REJECTED', `Query '${req.queryType}' rejected by condition ${reject}: workflow '${run.workflowId}' run ${run.runId} is ${run.status}.`, { status: run.status, queryRejectCondition: reject });
  }
  const { answer } = await deps.queries.ask({
    namespace: run.namespace,
    workflowId: run.workflowId,
    runId: run.runId,
    queryType: req.queryType,
    queryArgs: req.queryArgs,
    ...(req.header ? { header: req.header } : {}),
    taskQueue: run.taskQueue,
    ...(isRunning(run) && run.sticky ? { stickyTaskQueue: run.sticky.taskQueue, stickyTimeoutMs: run.sticky.scheduleToStartTimeoutMs } : {}),
  });
  return answer ? { answer } : {};
}
