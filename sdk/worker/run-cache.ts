/**
 * The worker's cache of workflow runs it holds in memory (sticky execution), least
 * recently used first out. An evicted run is rebuilt by full replay when its next task
 * comes, so the cache bounds memory, never correctness.
 *
 * `holding` tells the sticky queue's pollers when to poll: the service sends a task to this
 * worker's sticky queue only for a run whose last completion named it, which the worker then
 * holds here. A long poll keeps its queue's Durable Object active, billed for its duration, so a
 * worker that holds no run does not poll its sticky queue — unless a run left the cache other
 * than by closing (made room for another, a completion whose answer was lost, a failed task): the
 * service may still send that run's tasks here, so from then on the queue is polled whatever the
 * cache holds, as before. A worker whose runs all closed parks the polls.
 */
import type { WorkflowRunMachine } from './history-machine.js';

export class RunCache {
  private readonly runs = new Map<string, WorkflowRunMachine>();
  /** What `holding` gave while the cache was empty: resolved by the next run held, or by `release`. */
  private filled: { promise: Promise<void>; resolve: () => void } | undefined;
  private released = false;
  /** A run left the cache without closing: the service may still send its tasks to the sticky queue. */
  private leftOpen = false;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.runs.size;
  }

  /** Whether the run is held, without touching its place in the eviction order. */
  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  get(runId: string): WorkflowRunMachine | undefined {
    const run = this.runs.get(runId);
    if (run) {
      // Re-insert so iteration order is least recently used first.
      this.runs.delete(runId);
      this.runs.set(runId, run);
    }
    return run;
  }

  /**
   * Undefined while the sticky queue is to be polled: the cache holds a run, a run left it open, or
   * `release` came; else resolves when a run is held.
   */
  holding(): Promise<void> | undefined {
    if (this.runs.size > 0 || this.leftOpen || this.released) return undefined;
    if (!this.filled) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.filled = { promise, resolve };
    }
    return this.filled.promise;
  }

  /** Ends every wait of `holding`, now and after (the worker stops polling: its loops go on, to end). */
  release(): void {
    this.released = true;
    this.fill();
  }

  set(runId: string, run: WorkflowRunMachine): void {
    this.runs.delete(runId);
    this.runs.set(runId, run);
    this.fill();
    while (this.runs.size > this.max) {
      const oldest = this.runs.keys().next().value as string;
      this.evict(oldest);
    }
  }

  /** Drops the run; `closed`: it closed, so the service sends it no task again. */
  evict(runId: string, closed = false): void {
    const run = this.runs.get(runId);
    if (!run) return;
    if (!closed) this.leftOpen = true;
    this.runs.delete(runId);
    run.dispose();
  }

  private fill(): void {
    this.filled?.resolve();
    this.filled = undefined;
  }

  clear(): void {
    for (const id of [...this.runs.keys()]) this.evict(id);
  }
}
