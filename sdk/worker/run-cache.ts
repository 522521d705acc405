/**
 * The worker's cache of workflow runs it holds in memory (sticky execution), least
 * recently used first out. An evicted run is rebuilt by full replay when its next task
 * comes, so the cache bounds memory, never correctness.
 */
import type { WorkflowRunMachine } from './history-machine.js';

export class RunCache {
  private readonly runs = new Map<string, WorkflowRunMachine>();

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

  set(runId: string, run: WorkflowRunMachine): void {
    this.runs.delete(runId);
    this.runs.set(runId, run);
    while (this.runs.size > this.max) {
      const oldest = this.runs.keys().next().value as string;
      this.evict(oldest);
    }
  }

  evict(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    run.dispose();
  }

  clear(): void {
    for (const id of [...this.runs.keys()]) this.evict(id);
  }
}
