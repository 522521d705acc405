/**
 * The invariants every history must keep whatever was killed during the run: nothing lost, nothing
 * completed twice, event ids dense from 1, each activity closed exactly once, and no task started
 * by a worker after it was killed. Pure: histories and the kill log in, violations out.
 */
import type { HistoryEvent } from '../../protocol/index.js';

export interface CheckedWorkflow {
  workflowId: string;
  /** Every run of the id, oldest first (one for these workloads). */
  runs: HistoryEvent[][];
  /** The result the workflow must complete with, as the JSON value of its payload. */
  expected: unknown;
}

/** A worker process killed with SIGKILL: its identity and when (ms since the epoch, same clock as the service). */
export interface Kill {
  identity: string;
  at: number;
}

export interface Violations {
  /** Not completed, or completed with another result. */
  lost: string[];
  completedTwice: string[];
  /** "workflowId: why" for ids not dense from 1. */
  nonDense: string[];
  /** "workflowId: activity scheduled at N closed K times". */
  activityNotClosedOnce: string[];
  /** Workflow tasks started by a worker after its death: "workflowId: event N by identity, ms after the kill". */
  workflowTasksStartedAfterDeath: string[];
  activityTasksStartedAfterDeath: string[];
}

const CLOSE_EVENTS = new Set(['WorkflowExecutionCompleted', 'WorkflowExecutionFailed', 'WorkflowExecutionTimedOut', 'WorkflowExecutionCanceled', 'WorkflowExecutionTerminated', 'WorkflowExecutionContinuedAsNew']);
const ACTIVITY_CLOSES = new Set(['ActivityTaskCompleted', 'ActivityTaskFailed', 'ActivityTaskTimedOut', 'ActivityTaskCanceled']);

/** The JSON value of a json/plain payload (base64 data). */
export function payloadValue(p: { data?: string } | undefined): unknown {
  return p?.data === undefined ? undefined : JSON.parse(Buffer.from(p.data, 'base64').toString('utf8'));
}

export function checkHistories(workflows: CheckedWorkflow[], kills: Kill[]): Violations {
  const v: Violations = { lost: [], completedTwice: [], nonDense: [], activityNotClosedOnce: [], workflowTasksStartedAfterDeath: [], activityTasksStartedAfterDeath: [] };
  const deathOf = new Map<string, number>();
  for (const k of kills) deathOf.set(k.identity, Math.min(k.at, deathOf.get(k.identity) ?? Infinity));

  for (const wf of workflows) {
    const id = wf.workflowId;
    const completions = wf.runs.flat().filter((e) => e.eventType === 'WorkflowExecutionCompleted');
    if (completions.length > 1) v.completedTwice.push(id);
    const last = wf.runs.at(-1)?.at(-1);
    const result = last?.eventType === 'WorkflowExecutionCompleted' ? payloadValue((last.attributes as { result?: { data?: string } }).result) : undefined;
    if (last?.eventType !== 'WorkflowExecutionCompleted' || JSON.stringify(result) !== JSON.stringify(wf.expected)) v.lost.push(id);

    for (const events of wf.runs) {
      const bad = events.findIndex((e, i) => e.eventId !== i + 1);
      if (bad >= 0) v.nonDense.push(`${id}: event at position ${bad + 1} has id ${events[bad]!.eventId}`);
      const closes = events.filter((e) => CLOSE_EVENTS.has(e.eventType));
      if (closes.length > 1 || (closes.length === 1 && closes[0] !== events.at(-1))) v.nonDense.push(`${id}: ${closes.length} close events, or events after the close`);

      const closedCount = new Map<number, number>();
      for (const e of events) {
        if (e.eventType === 'ActivityTaskScheduled') closedCount.set(e.eventId, closedCount.get(e.eventId) ?? 0);
        if (ACTIVITY_CLOSES.has(e.eventType)) {
          const s = (e.attributes as { scheduledEventId: number }).scheduledEventId;
          closedCount.set(s, (closedCount.get(s) ?? 0) + 1);
        }
      }
      const runClosed = closes.length === 1;
      for (const [scheduled, n] of closedCount) {
        // An activity still open when its run closed is dropped with the run; any other is closed once.
        if (n > 1 || (n === 0 && !runClosed) || !events.some((e) => e.eventId === scheduled && e.eventType === 'ActivityTaskScheduled')) {
          v.activityNotClosedOnce.push(`${id}: activity scheduled at ${scheduled} closed ${n} times`);
        }
      }

      for (const e of events) {
        if (e.eventType !== 'WorkflowTaskStarted' && e.eventType !== 'ActivityTaskStarted') continue;
        const identity = (e.attributes as { identity?: string }).identity;
        const death = identity === undefined ? undefined : deathOf.get(identity);
        const at = Date.parse(e.eventTime);
        if (death === undefined || at <= death) continue;
        const line = `${id}: event ${e.eventId} (${e.eventType}) by ${identity}, ${at - death} ms after it was killed`;
        (e.eventType === 'WorkflowTaskStarted' ? v.workflowTasksStartedAfterDeath : v.activityTasksStartedAfterDeath).push(line);
      }
    }
  }
  return v;
}

/** The number of violations of every kind: 0 when the histories are sound. */
export const violationCount = (v: Violations) => Object.values(v).reduce((n, list: string[]) => n + list.length, 0);
