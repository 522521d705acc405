/**
 * An execution's summary: what the visibility store keeps of one run, built from its state
 * in the transaction that changed it (start, close, status change) and handed to the workflow's
 * SummaryWriter: the visibility outbox, which carries it to D1 (an object per workflow), or its
 * shard's own table (shard-store.ts).
 */
import type { ExecutionUnits } from '../../protocol/prices.js';
import { isRunning, type RunState } from '../engine/run-state.js';
import type { Txn } from '../engine/transaction.js';

/** The run's own fields the store keeps (times in ms since the epoch; memo payloads opaque). */
type SummarizedFields = 'namespace' | 'workflowId' | 'runId' | 'firstRunId' | 'workflowType' | 'taskQueue' | 'status' | 'startTime' | 'executionTime' | 'closeTime' | 'memo' | 'searchAttributes';

export type ExecutionSummary = Pick<RunState, SummarizedFields> & {
  historyLength: number;
  /**
   * The run's last event id when the summary was made. Events only append, so a later
   * summary of a run always has a greater version; the store keeps the greatest.
   */
  version: number;
  /** The run's billable units when the summary was made (src/cost), for the namespace's month so far. */
  units?: ExecutionUnits;
};

/** The summary of a run as it stands. */
export function summarize(run: RunState): ExecutionSummary {
  const historyLength = run.nextEventId - 1;
  return {
    namespace: run.namespace,
    workflowId: run.workflowId,
    runId: run.runId,
    firstRunId: run.firstRunId,
    workflowType: run.workflowType,
    taskQueue: run.taskQueue,
    status: run.status,
    startTime: run.startTime,
    executionTime: run.executionTime,
    ...(run.closeTime !== undefined ? { closeTime: run.closeTime } : {}),
    historyLength,
    ...(run.memo ? { memo: run.memo } : {}),
    ...(run.searchAttributes ? { searchAttributes: run.searchAttributes } : {}),
    version: historyLength,
  };
}

/**
 * Where a workflow's summaries go, called inside the transaction of the change that made them:
 * VisibilityOutbox (outbox.ts: kept, then delivered to D1) or ShardSummaries (shard-store.ts:
 * written to the shard's table then and there; nothing is ever due).
 */
export interface SummaryWriter {
  /** Records a run's new summary; `started`: the change started the run (its first summary). */
  enqueue(summary: ExecutionSummary, now: number, started?: boolean): void;
  /** Records that the run was deleted (`startTime`: the run's, which keys its row in a shard). */
  enqueueDeletion(namespace: string, runId: string, startTime: number | undefined, now: number): void;
  /** When the earliest summary waiting for delivery is due (for the alarm), or undefined. */
  earliestDue(): number | undefined;
  /** True when nothing waits for delivery and no delivery is under way. */
  readonly settled: boolean;
  /** Delivers what is due; resolves with how many were due. */
  deliverDue(): Promise<number>;
  /** The workflow's storage was emptied. */
  dropped(): void;
  /** The change that made the summaries since the last call committed or rolled back (a writer that keeps some in memory needs to know). */
  changeEnded(committed: boolean): void;
  /** Whether the run's summary is stored (a start's, kept in memory, is lost with it: shard-store.ts). */
  isListed(runId: string, startTime: number): boolean;
}

/**
 * A workflow's first change after its shard lost its memory (a crash, a restart): if its running
 * run's start entry was held there (shard-store.ts) and never written, the change writes it.
 */
export function relistLostStart(tx: Txn, writer: SummaryWriter): void {
  const runId = tx.currentRunId();
  const run = runId === undefined ? undefined : tx.loadRun(runId);
  if (run && isRunning(run) && !writer.isListed(run.runId, run.startTime)) tx.markVisibility(run);
}
