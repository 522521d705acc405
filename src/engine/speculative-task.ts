/**
 * An activity task's completion, and the workflow task it causes for the worker that holds the run on
 * its sticky queue: handed back started in the answer (the worker runs it next), or — when the worker
 * ran that task ahead on its cached run and sends its completion along (a speculative workflow task,
 * protocol 4) — written started and completed in the same transaction, if the run is exactly where
 * the worker predicted. One exchange and one transaction per activity instead of two of each.
 */
import type { HistoryEnd, ParsedRequestOf } from '../../protocol/index.js';
import { SPECULATIVE_EVENTS, continueAsNewSuggested } from '../../protocol/speculation.js';
import { ServiceError } from '../service-error.js';
import type { TaskTokenData } from '../task-token.js';
import { completeActivity, requireStartedActivity } from './activities.js';
import { validateCommands } from './commands.js';
import { measureEvents } from './history-limit.js';
import { completeWorkflowTask } from './lifecycle.js';
import { isRunning, type ActivityState, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';

type CompleteActivityRequest = ParsedRequestOf<'completeActivityTask'>;
type Speculation = NonNullable<CompleteActivityRequest['workflowTaskCompletion']>;

/** What the completion's answer is made of (recorded with a request id, so a retry rebuilds the same answer). */
export interface ActivityCompletion {
  /** The workflow task started for the caller (no speculation, or one refused). */
  claimed?: { runId: string; token: TaskTokenData };
  speculation?: { accepted: boolean; reason?: string };
  /** A speculation taken: the activities its commands started eagerly, and where the history ends now. */
  eager?: Array<{ runId: string; scheduledEventId: number; attempt: number }>;
  historyEnd?: HistoryEnd;
}

/** Completes the activity the token names; the workflow task this causes comes back started, or written completed when speculated. */
export function completeActivityTask(tx: Txn, token: TaskTokenData, req: CompleteActivityRequest): ActivityCompletion {
  const run = tx.loadRun(token.runId);
  const act = requireStartedActivity(run, token);
  const r = run!;
  const held = req.stickyTaskQueue !== undefined && r.sticky?.taskQueue === req.stickyTaskQueue;
  const spec = req.workflowTaskCompletion;
  const refused = spec && (held ? refusal(tx, r, act, spec) : 'the run is not held on this sticky queue');
  if (spec && !refused) return speculate(tx, r, act, req, spec);
  if (held) tx.workflowTaskClaim = { taskQueue: req.stickyTaskQueue!, identity: req.identity };
  tx.acknowledgesAnswer = req.acknowledgesHandOff === true;
  completeActivity(tx, r, act, req.result, req.identity);
  return { ...(tx.claimedWorkflowTask ? { claimed: tx.claimedWorkflowTask } : {}), ...(spec ? { speculation: { accepted: false, reason: refused } } : {}) };
}

/**
 * Why the speculative task cannot be written as the worker ran it, or undefined when it can: the
 * worker predicted the run's history, the task's events and its time, and only the exact run it
 * predicted produces the task it ran. Anything that reached the run meanwhile (a signal, an update, a
 * cancel request, a timer, another activity's result) wrote events or scheduled a task, and the
 * worker must see it in an ordinary task.
 */
function refusal(tx: Txn, run: RunState, act: ActivityState, spec: Speculation): string | undefined {
  if (run.workflowTask) return 'a workflow task is already scheduled or running';
  if (run.buffered.length > 0 || run.firstWorkflowTaskAt !== undefined) return 'events wait for a workflow task';
  if (spec.nextEventId !== run.nextEventId) return `the history moved on (next event ${run.nextEventId}, predicted ${spec.nextEventId})`;
  if (spec.startedEventId !== run.nextEventId + SPECULATIVE_EVENTS - 1) return `the task would start at event ${run.nextEventId + SPECULATIVE_EVENTS - 1}, not ${spec.startedEventId}`;
  const size = run.historySizeBytes ?? 0;
  if (spec.historySizeBytes !== size) return `the history holds ${size} bytes, not ${spec.historySizeBytes}`;
  if ((spec.suggestContinueAsNew === true) !== continueAsNewSuggested(spec.startedEventId, size)) return 'continuing as new is suggested otherwise';
  // The workflow's time in the task: not before the run's last event nor the activity's start, not
  // after now, and within the task's timeout.
  const notBefore = Math.max(run.lastEventTime ?? 0, act.startedTime ?? tx.now);
  if (spec.time > tx.now || spec.time < notBefore || tx.now - spec.time > run.workflowTaskTimeoutMs) return `the task's time ${spec.time} is out of bounds`;
  try {
    // The commands as the completion would see them: after this activity closed.
    const activities = { ...run.activities };
    delete activities[act.scheduledEventId];
    validateCommands({ ...run, activities }, spec.commands);
  } catch (err) {
    if (err instanceof ServiceError) return `the commands are refused (${err.code}: ${err.message})`;
    throw err;
  }
  return undefined;
}

/**
 * Writes what the two exchanges would have: the activity's started and completed events, the workflow
 * task scheduled and started on the sticky queue, then its completion with the commands (eager
 * activities started for the caller) — the whole change at the workflow's time in the task.
 */
function speculate(tx: Txn, run: RunState, act: ActivityState, req: CompleteActivityRequest, spec: Speculation): ActivityCompletion {
  tx.serviceNow = tx.now;
  tx.now = spec.time;
  tx.workflowTaskClaim = { taskQueue: run.sticky!.taskQueue, identity: req.identity };
  // Started and completed in this transaction: nothing is handed over, nothing to acknowledge.
  tx.acknowledgesAnswer = false;
  completeActivity(tx, run, act, req.result, req.identity);
  const claimed = tx.claimedWorkflowTask;
  tx.workflowTaskClaim = undefined;
  // refusal() checked everything that decides these ids; a difference is a bug, and the change is dropped whole.
  if (!claimed || claimed.token.startedEventId !== spec.startedEventId) throw new Error(`speculative workflow task of run ${run.runId}: started at ${claimed?.token.startedEventId}, predicted ${spec.startedEventId}`);
  tx.acknowledgesAnswer = req.acknowledgesHandOff === true;
  completeWorkflowTask(tx, run, claimed.token, {
    taskToken: '',
    commands: spec.commands,
    identity: req.identity,
    ...(spec.stickyAttributes ? { stickyAttributes: spec.stickyAttributes } : {}),
    ...(req.acknowledgesHandOff !== undefined ? { acknowledgesHandOff: req.acknowledgesHandOff } : {}),
  });
  return { speculation: { accepted: true }, eager: [...tx.eagerActivities], ...historyEndOf(tx, run) };
}

/**
 * Where the run's history ends after this change, for the worker that holds it to speculate its next
 * task: only while that can be taken (running, held on a sticky queue, no workflow task pending). The
 * change's events are measured now (once: history-limit.ts keeps the encoding) for their size.
 */
export function historyEndOf(tx: Txn, run: RunState | undefined): { historyEnd?: HistoryEnd } {
  if (!run || !isRunning(run) || run.workflowTask || !run.sticky) return {};
  measureEvents(tx);
  return { historyEnd: { nextEventId: run.nextEventId, historySizeBytes: run.historySizeBytes ?? 0, time: tx.now } };
}
