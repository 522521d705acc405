/**
 * A provisional workflow (protocol 9, `StartWorkflowRequest.provisional`): a run started for a caller
 * that tells no one of the start before its result — a client's `execute` — is kept in memory only
 * while its own worker runs it (its first workflow task handed in the start's answer, its activities
 * eagerly, the next workflow task with each completion). Nothing of it has been acknowledged to anyone
 * who could act on it, so nothing of it need be durable yet: a crash loses it whole, the caller's
 * `execute` finds no run and starts it again (its activities may run again, as after any crash before
 * their completions were recorded).
 *
 * Its rows are held (StateTable `holdPending`) and written — once each, however often they changed —
 * by the change that closes it; by any change or read that reaches it from anywhere else (a signal, a
 * describe, a list); by a change that needs another object or the alarm's wait (a task for a queue, a
 * call, a timer); and at the latest when a timeout it waits for comes or PROVISIONAL_MS after it began
 * (KEEL_PROVISIONAL_MS), with its alarm. A one-activity workflow is then one commit and one row written
 * instead of three commits and four rows: Cloudflare bills per row written, and a commit is the fsync a
 * caller waits for.
 */
import { nextWakeup } from '../engine/lifecycle.js';
import { ServiceError } from '../service-error.js';
import { isRunning } from '../engine/run-state.js';
import type { Txn } from '../engine/transaction.js';
import type { WorkflowStore } from '../storage/workflow-store.js';

/** How long a workflow stays provisional at most, by default: past it, it is written as any other (and its alarm set). */
export const PROVISIONAL_MS = 1000;
/** The most KEEL_PROVISIONAL_MS may say: a run stays unwritten a minute at most, whatever the setting. */
const MAX_PROVISIONAL_MS = 60_000;

/** The hold of the deployment (KEEL_PROVISIONAL_MS; 0: no start is provisional). */
export function provisionalMs(env: { KEEL_PROVISIONAL_MS?: string }): number {
  if (env.KEEL_PROVISIONAL_MS === undefined || env.KEEL_PROVISIONAL_MS === '') return PROVISIONAL_MS;
  const n = Number(env.KEEL_PROVISIONAL_MS);
  return Number.isFinite(n) && n >= 0 ? Math.min(n, MAX_PROVISIONAL_MS) : PROVISIONAL_MS;
}

export class ProvisionalWorkflow {
  /** When the workflow must be written by (the workflow's clock), while it is provisional. */
  private writeBy = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt: number | undefined;
  /** The earliest moment the held run waits for (a task's timeout, an acknowledgement), as its last change left it. */
  private due: number | undefined;

  /**
   * @param holdMs how long it may stay in memory only (`provisionalMs`; 0: it never does).
   * @param writeHeld writes the workflow in a change of its own (WorkflowHost `writeProvisional`).
   */
  constructor(
    private readonly store: WorkflowStore,
    private readonly holdMs: number,
    private readonly writeHeld: () => void,
  ) {}

  /** Whether the workflow is provisional: its rows held in memory, not written. */
  get held(): boolean {
    return this.store.provisional;
  }

  /** The workflow's first change (a provisional start) holds its rows, if it is new to its shard; else it is written as usual. */
  begin(now: number): void {
    if (this.holdMs > 0 && this.store.holdRows()) this.writeBy = now + this.holdMs;
  }

  /**
   * Whether what the change left may stay in memory: the run still running, nothing handed to another
   * object (a task for a queue, a call) and no timer (the run waits for it, with nothing to gain from
   * waiting unwritten). Anything else it waits for (a task's timeout, an acknowledgement) is a
   * backstop: the hold's timer comes by then (`settle`), and writes it with its alarm.
   */
  keeps(tx: Txn): boolean {
    if (tx.dispatches.length > 0 || tx.calls.length > 0) return false;
    for (const run of tx.runs.values()) if (!isRunning(run)) return false;
    const current = tx.currentRunId();
    const run = current === undefined ? undefined : tx.loadRun(current);
    if (!run || !isRunning(run) || Object.keys(run.timers).length > 0) return false;
    this.due = nextWakeup(tx, run);
    return true;
  }

  /** After a change: while the workflow is provisional, the timer that writes it by the end of its hold, or by what its run waits for. */
  settle(now: number): void {
    const at = this.held ? Math.min(this.writeBy, this.due ?? Infinity) : undefined;
    if (at === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    // An object with a timer pending is not hibernated, so its memory (the workflow) stays.
    this.timer = setTimeout(() => {
      this.timerAt = undefined;
      this.timer = undefined;
      if (this.held) this.writeHeld();
    }, Math.max(0, at - now));
  }
}

/**
 * Runs a wait for a run's close (a result), whose WORKFLOW_NOT_FOUND says which memory of its shard answered
 * (`details.shardMemory`): a caller waiting for a provisional run's result, whose start's answer named
 * another memory (`provisional`), knows the run was lost with that memory and starts it again; from the
 * same memory, the run was deleted, and the caller is told so.
 */
export async function sayingMemory<T>(memory: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (memory === undefined || !(err instanceof ServiceError) || err.code !== 'WORKFLOW_NOT_FOUND') throw err;
    throw new ServiceError(err.code, err.message, { ...err.details, shardMemory: memory });
  }
}
