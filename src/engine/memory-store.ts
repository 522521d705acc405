/**
 * MemoryStore: an ExecutionStore in memory that applies each change as the workflow object's
 * storage does — all of it or, when the change throws, nothing — so the engine runs and is
 * tested without workerd. Runs are kept as JSON text, as storage keeps them, so a change never
 * reaches stored state except through what it writes.
 */
import type { HistoryEvent } from '../../protocol/index.js';
import type { RunState } from './run-state.js';
import { Txn, type Dispatch, type EncodedRun, type ExecutionStore } from './transaction.js';
import type { WorkflowCall } from './workflow-call.js';

export class MemoryStore implements ExecutionStore {
  private readonly runs = new Map<string, string>();
  private readonly events = new Map<string, HistoryEvent[]>();
  private current: string | undefined;
  /** Tasks handed to the outbox, in order. */
  readonly dispatched: Dispatch[] = [];
  /** Calls to other workflows, in order. */
  readonly calls: WorkflowCall[] = [];
  private runIds = 0;

  /** The time the next change is computed at; tests move it. */
  constructor(public now = Date.UTC(2026, 0, 1)) {}

  currentRunId(): string | undefined {
    return this.current;
  }

  loadRun(runId: string): RunState | undefined {
    const text = this.runs.get(runId);
    return text === undefined ? undefined : (JSON.parse(text) as RunState);
  }

  encodeRun(run: RunState): EncodedRun & { json: string } {
    const json = JSON.stringify(run);
    return { json, bytes: new TextEncoder().encode(json).length };
  }

  readEvents(runId: string, from: number, to = Number.MAX_SAFE_INTEGER, limit = -1): HistoryEvent[] {
    const events = (this.events.get(runId) ?? []).filter((e) => e.eventId >= from && e.eventId <= to);
    return structuredClone(limit < 0 ? events : events.slice(0, limit));
  }

  /** Runs one engine change at `now` and keeps what it wrote; a change that throws keeps nothing. */
  change<T>(fn: (tx: Txn) => T): T {
    const tx = new Txn(this, this.now);
    tx.makeRunId = () => `run-${++this.runIds}`;
    const result = fn(tx);
    for (const { runId, event } of tx.events) {
      const list = this.events.get(runId) ?? [];
      list.push(structuredClone(event));
      this.events.set(runId, list);
    }
    for (const run of tx.runs.values()) this.runs.set(run.runId, (tx.encodedRuns.get(run.runId) as { json: string } | undefined)?.json ?? JSON.stringify(run));
    if (tx.newCurrentRunId) this.current = tx.newCurrentRunId;
    this.dispatched.push(...tx.dispatches);
    this.calls.push(...tx.calls);
    return result;
  }

  /** The event types of a run's history, in order. */
  eventTypes(runId: string): string[] {
    return (this.events.get(runId) ?? []).map((e) => e.eventType);
  }
}
