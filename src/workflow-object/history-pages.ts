/**
 * Reading history in pages: `getWorkflowHistory` (with its long polls for a new event or the
 * close), and a workflow task's history, which goes in pages when it is too big for one answer.
 */
import { Limits, type HistoryEvent, type ParsedRequestOf, type ResponseOf } from '../../protocol/index.js';
import type { Clock } from '../clock.js';
import { resolveRun } from '../engine/run-control.js';
import { isRunning, type RunState } from '../engine/run-state.js';
import { transientEvents } from '../engine/workflow-tasks.js';
import { ServiceError } from '../service-error.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import type { HistoryWaiters } from './history-waiters.js';

/** A workflow task's history from `from`: one answer's worth of stored events, then (on the last page) the transient ones. */
export function workflowTaskHistory(store: WorkflowStore, run: RunState, from: number, startedEventId: number): { events: HistoryEvent[]; more: boolean } {
  const transient = run.workflowTask?.startedEventId === startedEventId ? transientEvents(run) : [];
  const storedEnd = Math.min(startedEventId, run.nextEventId - 1);
  const events = store.viewEvents(run.runId, from, storedEnd, -1, Limits.maxHistoryPageBytes);
  const last = events.at(-1)?.eventId ?? from - 1;
  if (last < storedEnd) return { events, more: true };
  return { events: [...events, ...transient], more: false };
}

/**
 * A page of history. With `waitNewEvent`, holds the call (up to `deadline`) until an event after
 * the page token exists, or — with `closeEventOnly` — until the run closes, so a client waits for
 * a result without busy polling.
 */
export async function readHistory(
  deps: { store: WorkflowStore; clock: Clock; waiters: HistoryWaiters; workflowId: string },
  req: ParsedRequestOf<'getWorkflowHistory'>,
  deadline: number,
): Promise<ResponseOf<'getWorkflowHistory'>> {
  const { store, clock, workflowId } = deps;
  // A read changes nothing: runs and events as the last change left them when it wrote them (no parse).
  const runs = store.reader;
  const token = req.nextPageToken ? parsePageToken(req.nextPageToken) : undefined;
  if (token?.taskStartedEventId !== undefined) return workflowTaskHistoryPage(store, resolveRun(runs, workflowId, req.runId), token.from, token.taskStartedEventId);
  const from = token?.from ?? 1;
  // The run is fixed when the call arrives: a run started meanwhile (TERMINATE_EXISTING,
  // a new start after a close) must not take the place of the one being waited on.
  let run = resolveRun(runs, workflowId, req.runId);
  const runId = run.runId;
  for (;;) {
    if (req.closeEventOnly) {
      if (run.closeEventId !== undefined) return { runId: run.runId, events: store.viewEvents(run.runId, run.closeEventId, run.closeEventId) };
    } else {
      const limit = req.pageSize ?? Limits.maxHistoryPageSize;
      const events = store.viewEvents(run.runId, from, undefined, limit, Limits.maxHistoryPageBytes);
      const last = events.at(-1)?.eventId ?? from - 1;
      const more = isRunning(run) || last < run.nextEventId - 1;
      if (events.length > 0 || !req.waitNewEvent || !isRunning(run)) {
        return { runId: run.runId, events, ...(more ? { nextPageToken: String(last + 1) } : {}) };
      }
    }
    const left = deadline - clock.now();
    if (!req.waitNewEvent || left <= 0) {
      return { runId: run.runId, events: [], ...(isRunning(run) ? { nextPageToken: String(from) } : {}) };
    }
    await deps.waiters.wait(run.runId, left, req.closeEventOnly === true);
    run = resolveRun(runs, workflowId, runId);
  }
}

/** The run's close event, waited for until `deadline` (a start that waits: StartWorkflowRequest.waitForClose). */
export async function waitForCloseEvent(deps: Parameters<typeof readHistory>[0], runId: string, deadline: number): Promise<{ closeEvent?: HistoryEvent }> {
  const closeEvent = (await readHistory(deps, { runId, waitNewEvent: true, closeEventOnly: true }, deadline)).events.at(-1);
  return closeEvent ? { closeEvent } : {};
}

/**
 * The next page of a workflow task's history (Temporal's paged poll answer): stored events from
 * `from` up to the task's started event, within the byte budget of one answer; the last page
 * ends with the task's transient events, as the task's own history would have.
 */
function workflowTaskHistoryPage(store: WorkflowStore, run: RunState, from: number, startedEventId: number): ResponseOf<'getWorkflowHistory'> {
  const { events, more } = workflowTaskHistory(store, run, from, startedEventId);
  return { runId: run.runId, events, ...(more ? { nextPageToken: taskPageToken(events.at(-1)!.eventId + 1, startedEventId) } : {}) };
}

/**
 * History page tokens: the next event id (`"42"`), or for the pages of a workflow task's history
 * `"task:42:57"` (the next event id and the task's started event id, where its pages end).
 */
function parsePageToken(token: string): { from: number; taskStartedEventId?: number } {
  const m = /^(?:task:)?([1-9][0-9]{0,14})(?::([1-9][0-9]{0,14}))?$/.exec(token);
  if (!m || token.startsWith('task:') !== (m[2] !== undefined)) {
    throw new ServiceError('INVALID_ARGUMENT', `nextPageToken '${token.slice(0, 100)}' is not one this service issued; pass back the token from the previous page.`, { issues: [{ path: 'nextPageToken', message: 'not a token this service issued' }] });
  }
  return { from: Number(m[1]), ...(m[2] !== undefined ? { taskStartedEventId: Number(m[2]) } : {}) };
}

/** The token of a workflow task's next history page. */
export const taskPageToken = (from: number, startedEventId: number) => `task:${from}:${startedEventId}`;
