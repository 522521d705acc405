/**
 * Reset, as Temporal's ResetWorkflowExecution: how Temporal users recover from a bug once a fixed
 * worker is deployed. A new run of the same workflow id gets the old run's history up to the reset
 * point, then a WorkflowTaskFailed (cause RESET_WORKFLOW, naming both runs), then the signals and
 * updates the old run received after the point (re-applied unless excluded), then a new workflow
 * task — which the fixed code replays and goes on from. The current run, when running, is
 * terminated with the reason; the old run points to the new one (describe's `resetRunId`) and the
 * new one to the old (`resetFromRunId`, and its WorkflowTaskFailed's `baseRunId`). One transaction.
 */
import type { AttributesOf, EventType, HistoryEvent, ParsedRequestOf, ResetType } from '../../protocol/index.js';
import { ServiceError } from '../service-error.js';
import { dispatchActivity } from './activities.js';
import { rebuildRun } from './rebuild.js';
import { resolveRun, terminateRun } from './run-control.js';
import { isRunning, type BufferedEvent, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import { scheduleWorkflowTask } from './workflow-tasks.js';

export type ResetRequest = ParsedRequestOf<'resetWorkflow'>;

/** Temporal's identities for what the reset itself writes. */
const RESET_TASK_IDENTITY = 'history-service';
const TERMINATE_IDENTITY = 'history-resetter';
/** How many runs of a continue-as-new chain a reset follows to re-apply their signals. */
const MAX_CHAIN_RUNS = 100;

const invalidPoint = (message: string, details: Record<string, unknown>) => new ServiceError('INVALID_RESET_POINT', message, details);

/**
 * The reset point of a `FirstWorkflowTask` or `LastWorkflowTask` reset in a run's history, as
 * Temporal's CLI finds it: the first (last) WorkflowTaskCompleted, or when no task completed, the
 * event after the first WorkflowTaskScheduled. Undefined when no workflow task was ever scheduled.
 */
export function resetPointOf(events: HistoryEvent[], type: 'FirstWorkflowTask' | 'LastWorkflowTask'): number | undefined {
  const completed = events.filter((e) => e.eventType === 'WorkflowTaskCompleted');
  const chosen = type === 'FirstWorkflowTask' ? completed[0] : completed.at(-1);
  if (chosen) return chosen.eventId;
  const scheduled = events.find((e) => e.eventType === 'WorkflowTaskScheduled');
  return scheduled ? scheduled.eventId + 1 : undefined;
}

/** The run to reset and the event to reset it to, from an event id or a reset type. */
function resolvePoint(tx: Txn, workflowId: string, req: ResetRequest): { base: RunState; eventId: number } {
  const named = resolveRun(tx, workflowId, req.runId);
  if (req.eventId !== undefined) return { base: named, eventId: req.eventId };
  const type: ResetType = req.resetType!;
  if (type === 'LastContinuedAsNew') {
    const started = tx.store.readEvents(named.runId, 1, 1)[0];
    const previousId = started?.eventType === 'WorkflowExecutionStarted' ? started.attributes.continuedExecutionRunId : undefined;
    const previous = previousId ? tx.loadRun(previousId) : undefined;
    if (!previous) {
      throw invalidPoint(`Cannot reset run ${named.runId} with LastContinuedAsNew: it did not continue from another run of '${workflowId}'.`, { runId: named.runId, resetType: type });
    }
    const last = tx.store.readEvents(previous.runId, 1).filter((e) => e.eventType === 'WorkflowTaskCompleted').at(-1);
    if (!last) throw invalidPoint(`Cannot reset with LastContinuedAsNew: the previous run ${previous.runId} has no completed workflow task.`, { runId: previous.runId, resetType: type });
    return { base: previous, eventId: last.eventId };
  }
  const eventId = resetPointOf(tx.store.readEvents(named.runId, 1), type);
  if (eventId === undefined) throw invalidPoint(`Cannot reset run ${named.runId} with ${type}: it has no workflow task yet.`, { runId: named.runId, resetType: type });
  return { base: named, eventId };
}

/**
 * The inputs to re-apply: the base run's events from the reset point on, then those of each run the
 * base continued into (continue-as-new, retry, cron) up to the current run, then what the current
 * run holds buffered behind a running workflow task. Only signals and accepted updates, minus the
 * excluded kinds.
 */
function inputsAfter(tx: Txn, base: RunState, eventId: number, exclude: ReadonlySet<string>): BufferedEvent[] {
  const wanted = (t: EventType) => (t === 'WorkflowExecutionSignaled' && !exclude.has('Signal')) || (t === 'WorkflowExecutionUpdateAccepted' && !exclude.has('Update'));
  const out: BufferedEvent[] = [];
  const take = (events: Array<{ eventType: EventType; attributes: unknown; time: number }>) => {
    for (const e of events) if (wanted(e.eventType)) out.push({ eventType: e.eventType, attributes: e.attributes as BufferedEvent['attributes'], time: e.time });
  };
  const fromStore = (runId: string, from: number) => take(tx.store.readEvents(runId, from).map((e) => ({ ...e, time: Date.parse(e.eventTime) })));
  let run: RunState | undefined = base;
  fromStore(base.runId, eventId);
  for (let hops = 0; run && hops < MAX_CHAIN_RUNS; hops++) {
    if (isRunning(run)) {
      take(run.buffered);
      break;
    }
    const close: HistoryEvent | undefined = run.closeEventId ? tx.store.readEvents(run.runId, run.closeEventId, run.closeEventId)[0] : undefined;
    const next: string | undefined = (close?.attributes as { newExecutionRunId?: string } | undefined)?.newExecutionRunId;
    run = next ? tx.loadRun(next) : undefined;
    if (run) fromStore(run.runId, 1);
  }
  return out;
}

/**
 * Resets the run the request names (else the current one) to its reset point, in `tx`; returns
 * the new run's id.
 * @throws {ServiceError} INVALID_RESET_POINT when the point is not a workflow task boundary of
 * that run, or cannot be rebuilt (rebuild.ts); WORKFLOW_NOT_FOUND when the run does not exist.
 */
export function resetWorkflow(tx: Txn, workflowId: string, req: ResetRequest): { runId: string } {
  const { base, eventId } = resolvePoint(tx, workflowId, req);
  const lastEventId = base.nextEventId - 1;
  if (eventId <= 1 || eventId > lastEventId) {
    throw invalidPoint(`Cannot reset run ${base.runId} to event ${eventId}: the event id must be over 1 and at most the run's last event id, ${lastEventId}.`, { runId: base.runId, eventId });
  }
  const newRunId = tx.makeRunId();
  const prefix = tx.store.readEvents(base.runId, 1, eventId - 1);
  const { run, task } = rebuildRun(base, prefix, newRunId, tx.now);
  const reapply = inputsAfter(tx, base, eventId, new Set(req.reapplyExclude));
  const reason = req.reason || 'reset';

  const currentId = tx.currentRunId();
  const current = currentId ? tx.loadRun(currentId) : undefined;
  if (current && isRunning(current)) {
    // The workflow goes on in the new run: the parent (if any) hears of the new run's close, not
    // of this termination, as with continue-as-new.
    const parent = current.parent;
    current.parent = undefined;
    terminateRun(tx, current, reason, undefined, TERMINATE_IDENTITY);
    current.parent = parent;
  }
  for (const old of new Set([base, ...(current ? [current] : [])])) {
    old.resetRunId = newRunId;
    tx.touch(old);
  }

  // The new history: the old one's events up to the point, with their ids and times.
  for (const e of prefix) tx.addEvent(run, e.eventType, e.attributes as never, Date.parse(e.eventTime));
  const startedEventId = task.startedEventId ?? tx.addEvent(run, 'WorkflowTaskStarted', { scheduledEventId: task.scheduledEventId, identity: RESET_TASK_IDENTITY });
  tx.addEvent(run, 'WorkflowTaskFailed', {
    scheduledEventId: task.scheduledEventId,
    startedEventId,
    cause: 'RESET_WORKFLOW',
    failure: { message: reason, source: 'Keel', applicationFailureInfo: { type: 'ResetWorkflow', nonRetryable: true } },
    identity: RESET_TASK_IDENTITY,
    baseRunId: base.runId,
    newRunId,
  });
  for (const input of reapply) {
    if (input.eventType === 'WorkflowExecutionUpdateAccepted') {
      const a = input.attributes as AttributesOf<'WorkflowExecutionUpdateAccepted'>;
      if (run.updates?.[a.protocolInstanceId]) continue; // accepted before the point: already in the new history
      const id = tx.addEvent(run, 'WorkflowExecutionUpdateAccepted', { ...a, acceptedRequestSequencingEventId: run.nextEventId - 1 });
      (run.updates ??= {})[a.protocolInstanceId] = { acceptedEventId: id };
    } else {
      // Written now, as Temporal re-applies them: history's times only go forward.
      tx.addEvent(run, input.eventType, input.attributes as never);
    }
  }
  tx.newCurrentRunId = newRunId;
  tx.markVisibility(run);
  for (const act of Object.values(run.activities)) dispatchActivity(tx, run, act);
  scheduleWorkflowTask(tx, run);
  return { runId: newRunId };
}
