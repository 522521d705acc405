/**
 * UsageMeter: counts a workflow object's billable units (protocol/prices.ts) as they happen —
 * the rows each SQL statement reads and writes (workerd's own per-cursor counts, which are what
 * Cloudflare bills), the requests the object serves, the calls it makes to other objects, its
 * alarms and the visibility store's rows. It only counts, in memory: the counts reach storage by
 * being folded into the run's row when a change writes that row anyway (WorkflowStore), so
 * counting adds no row and no write. What is counted after a run's last write (its close's own
 * rows, the summary's D1 upsert, the result poll) stays in memory, shown by describe while the
 * object lives and lost when it is evicted.
 */
import { NO_UNITS, addUnits, type ExecutionUnits } from '../../protocol/prices.js';

/** Counts not yet folded into a run's row. Cursors are summed late: their counts are final once consumed. */
export class UsageMeter {
  private cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  private counted: ExecutionUnits = NO_UNITS;

  /**
   * Counts every statement run through `sql` from now on. The SQL object is the one the object's
   * storage hands to every module (store, visibility outbox, call outbox), so one wrap sees them all.
   */
  watch(sql: SqlStorage): void {
    const exec = sql.exec.bind(sql);
    const cursors = this.cursors;
    sql.exec = <T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T> => {
      const cursor = exec<T>(query, ...bindings);
      if (this.uncounting) return cursor;
      this.cursors.push(cursor as unknown as SqlStorageCursor<Record<string, SqlStorageValue>>);
      // Bounded: a long-lived object that never writes its run (reads only) sums now and then.
      if (cursors.length > 1000) this.sumCursors();
      return cursor;
    };
  }

  private uncounting = false;

  /**
   * A provisional workflow's rows (src/workflow-object/provisional.ts): counted as written when first
   * held (`rows` 1), or uncounted when dropped before they were (-1), so that they are folded into the run's
   * row as any row written is; the statements that write them later run `uncounted`.
   */
  held(rows: number): void {
    this.add({ sqliteRowsWritten: rows });
  }

  /** Runs `fn`'s statements without counting them (a provisional workflow's rows, counted when held). */
  uncounted<T>(fn: () => T): T {
    this.uncounting = true;
    try {
      return fn();
    } finally {
      this.uncounting = false;
    }
  }

  /** A request served by this object; `poll`: a task handed to a worker's poll (its Worker request, the queue's RPC and this object's). */
  request(kind: RequestKind): void {
    this.add(REQUEST_UNITS[this.onChannel && kind === 'worker' ? 'channel' : kind]);
  }

  private onChannel = false;

  /**
   * Runs `call` (a method of this execution's, metered as it starts: src/cost/metered-object.ts) as a
   * message on a shard channel (protocol 7), not the Worker request it is over HTTP.
   */
  channelCall<T>(call: () => T): T {
    this.onChannel = true;
    try {
      return call();
    } finally {
      this.onChannel = false;
    }
  }

  /** A call this object made on another object's stub: a Durable Object request. */
  outgoingCall(): void {
    this.add({ durableObjectRequests: 1 });
  }

  /** Rows a D1 statement read and wrote (from its result's meta). */
  d1(rowsRead: number, rowsWritten: number): void {
    this.add({ d1RowsRead: rowsRead, d1RowsWritten: rowsWritten });
  }

  /** What was counted since the last `take`, without taking it. */
  peek(): ExecutionUnits {
    this.sumCursors();
    return this.counted;
  }

  /** What was counted since the last `take`, which the caller now keeps (folded into a run's row). */
  take(): ExecutionUnits {
    const units = this.peek();
    this.counted = NO_UNITS;
    return units;
  }

  private add(units: Partial<ExecutionUnits>): void {
    this.counted = addUnits(this.counted, units);
  }

  private sumCursors(): void {
    if (this.cursors.length === 0) return;
    let read = 0;
    let written = 0;
    for (const c of this.cursors) {
      read += c.rowsRead;
      written += c.rowsWritten;
    }
    this.cursors.length = 0;
    this.add({ sqliteRowsRead: read, sqliteRowsWritten: written });
  }
}

export type RequestKind = 'worker' | 'channel' | 'object' | 'alarm' | 'poll' | 'offerTaken';

const REQUEST_UNITS: Record<RequestKind, Partial<ExecutionUnits>> = {
  // A Worker request the router turned into an RPC on this object.
  worker: { workerRequests: 1, durableObjectRequests: 1 },
  // A message on a worker's shard channel (protocol 7): a request or poll answered by this shard, no Worker request.
  channel: { channelMessages: 1 },
  // An RPC from another object (a parent, a child, a task queue passing a task on).
  object: { durableObjectRequests: 1 },
  alarm: { durableObjectRequests: 1, alarms: 1 },
  // A worker's poll that carried this run's task: its Worker request, its RPC on the queue, and the queue's startTask here.
  poll: { workerRequests: 1, durableObjectRequests: 2 },
  // A worker's poll that took this run's task as the object offered it, started (src/workflow-object/task-offer.ts): its Worker request and its RPC on the queue (or on the shard, protocol 6; over a shard channel it is `channel`).
  offerTaken: { workerRequests: 1, durableObjectRequests: 1 },
};
