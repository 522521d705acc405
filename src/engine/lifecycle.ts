/**
 * A run's life from the workflow task's side — completing and failing workflow tasks — and the
 * timeouts and timers that fire from the object's alarm. (Start is start.ts; signal, cancel,
 * terminate and close are run-control.ts.)
 */
import { CLOSE_COMMANDS, type ParsedRequestOf } from '../../protocol/index.js';
import { activityDeadlines, dispatchRetryIfDue, timeOutActivity } from './activities.js';
import { applyCommands, validateCommands } from './commands.js';
import { timeOutRun } from './workflow-retry.js';
import { activityHandOffLost, workflowTaskHandOffLost, type WorkerHeardFrom } from './hand-off.js';
import { isRunning, type RunState } from './run-state.js';
import type { Txn } from './transaction.js';
import {
  addInputEvent,
  dispatchWorkflowTaskIfDue,
  endWorkflowTaskUnsuccessfully,
  flushBuffered,
  requireStartedWorkflowTask,
  scheduleWorkflowTask,
  writeTransientEvents,
  DEFAULT_STICKY_SCHEDULE_TO_START_MS,
} from './workflow-tasks.js';
import type { TaskTokenData } from '../task-token.js';

export function completeWorkflowTask(tx: Txn, run: RunState | undefined, token: TaskTokenData, req: ParsedRequestOf<'completeWorkflowTask'>): void {
  const wt = requireStartedWorkflowTask(run, token, req.identity, tx.now);
  const r = run!;
  validateCommands(r, req.commands);
  const closes = req.commands.some((c) => CLOSE_COMMANDS.has(c.type));
  if (closes && r.buffered.length > 0) {
    // New events arrived while the workflow decided to close: it must see them first.
    endWorkflowTaskUnsuccessfully(tx, r, { failed: { cause: 'UNHANDLED_COMMAND', identity: req.identity } }, 1);
    return;
  }
  writeTransientEvents(tx, r, wt);
  const completedEventId = tx.addEvent(r, 'WorkflowTaskCompleted', { scheduledEventId: wt.scheduledEventId, startedEventId: wt.startedEventId!, identity: req.identity });
  r.lastCompletedStartedEventId = wt.startedEventId!;
  // The task stays "running" while its commands apply, so input events they cause are
  // buffered and written after the command events.
  applyCommands(tx, r, req.commands, completedEventId, req.identity);
  r.workflowTask = undefined;
  if (!isRunning(r)) return;
  r.sticky = req.stickyAttributes
    ? {
        taskQueue: req.stickyAttributes.workerTaskQueue,
        scheduleToStartTimeoutMs: req.stickyAttributes.scheduleToStartTimeoutMs ?? DEFAULT_STICKY_SCHEDULE_TO_START_MS,
        ...(req.acknowledgesHandOff === true ? { handOver: req.identity ? { identity: req.identity } : {} } : {}),
      }
    : undefined;
  if (flushBuffered(tx, r)) scheduleWorkflowTask(tx, r);
  tx.touch(r);
}

export function failWorkflowTask(tx: Txn, run: RunState | undefined, token: TaskTokenData, req: ParsedRequestOf<'failWorkflowTask'>): void {
  requireStartedWorkflowTask(run, token, req.identity, tx.now);
  endWorkflowTaskUnsuccessfully(tx, run!, { failed: { cause: req.cause, failure: req.failure, identity: req.identity } });
}

type Due = { at: number; fire: () => void };

/** Everything the run waits for, each with its moment and what firing it does. */
function dueItems(tx: Txn, run: RunState, heardFrom?: WorkerHeardFrom): Due[] {
  if (!isRunning(run)) return [];
  const items: Due[] = [];
  const timeoutRun = (at: number) =>
    items.push({
      at,
      fire: () => {
        flushBuffered(tx, run);
        timeOutRun(tx, run);
      },
    });
  if (run.runDeadline !== undefined) timeoutRun(run.runDeadline);
  if (run.executionDeadline !== undefined) timeoutRun(run.executionDeadline);
  if (run.firstWorkflowTaskAt !== undefined) items.push({ at: run.firstWorkflowTaskAt, fire: () => scheduleWorkflowTask(tx, run) });
  const wt = run.workflowTask;
  if (wt) {
    if (!wt.dispatched && wt.dueAt !== undefined) items.push({ at: wt.dueAt, fire: () => dispatchWorkflowTaskIfDue(tx, run) });
    if (wt.startedTime !== undefined && wt.handOff) items.push({ at: wt.handOff.ackBy, fire: () => workflowTaskHandOffLost(tx, run, heardFrom) });
    if (wt.startedTime !== undefined) {
      items.push({ at: wt.startedTime + run.workflowTaskTimeoutMs, fire: () => endWorkflowTaskUnsuccessfully(tx, run, { timedOut: 'START_TO_CLOSE' }) });
    } else if (wt.sticky && wt.dispatched && run.sticky) {
      items.push({ at: wt.scheduledTime + run.sticky.scheduleToStartTimeoutMs, fire: () => endWorkflowTaskUnsuccessfully(tx, run, { timedOut: 'SCHEDULE_TO_START' }) });
    }
  }
  for (const timer of Object.values(run.timers)) {
    items.push({
      at: timer.fireAt,
      fire: () => {
        delete run.timers[timer.timerId];
        addInputEvent(tx, run, 'TimerFired', { timerId: timer.timerId, startedEventId: timer.startedEventId });
      },
    });
  }
  for (const act of Object.values(run.activities)) {
    for (const d of activityDeadlines(act)) {
      const what = d.what;
      items.push({ at: d.at, fire: () => (what === 'RETRY' ? dispatchRetryIfDue(tx, run, act) : what === 'HAND_OFF_LOST' ? activityHandOffLost(tx, run, act, heardFrom) : timeOutActivity(tx, run, act, what)) });
    }
  }
  return items;
}

/** The earliest moment the run waits for, or undefined when it waits for nothing. */
export function nextWakeup(tx: Txn, run: RunState): number | undefined {
  let min: number | undefined;
  for (const item of dueItems(tx, run)) if (min === undefined || item.at < min) min = item.at;
  return min;
}

/**
 * Fires everything due by `tx.now`, earliest first. Each firing can change what else
 * is pending (a run timeout drops every timer), so the list is recomputed after each.
 */
export function fireDue(tx: Txn, run: RunState, heardFrom?: WorkerHeardFrom): void {
  for (let guard = 0; guard < 10_000; guard++) {
    const due = dueItems(tx, run, heardFrom)
      .filter((i) => i.at <= tx.now)
      .sort((a, b) => a.at - b.at)[0];
    if (!due) return;
    due.fire();
  }
}

