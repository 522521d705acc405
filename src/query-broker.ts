/**
 * Queries in flight for one workflow object: each waits in memory for a worker's answer.
 * A query goes first to the sticky queue of the worker holding the run, and to the
 * normal queue if nobody there starts it in time; after the long-poll limit the caller
 * gets QUERY_TIMEOUT. Nothing here is durable: a query is a read.
 */
import { Limits, type ParsedRequestOf, type Payload } from '../protocol/index.js';
import { ServiceError } from './service-error.js';
import type { TaskRef } from './task-token.js';

export interface QueryAsk {
  namespace: string;
  workflowId: string;
  runId: string;
  queryType: string;
  queryArgs: Payload[];
  taskQueue: string;
  stickyTaskQueue?: string;
  stickyTimeoutMs?: number;
}

interface PendingQuery {
  queryType: string;
  queryArgs: Payload[];
  createdAt: number;
  startedBy?: string;
  settle: (answer: { answer?: Payload; errorMessage?: string } | Error) => void;
}

export class QueryBroker {
  private readonly pending = new Map<string, PendingQuery>();

  constructor(private readonly deps: { dispatch: (taskQueue: string, ref: TaskRef) => Promise<unknown>; timeoutMs?: number }) {}

  async ask(q: QueryAsk): Promise<{ answer?: Payload }> {
    const queryId = crypto.randomUUID();
    const ref: TaskRef = { namespace: q.namespace, workflowId: q.workflowId, runId: q.runId, kind: 'query', scheduledEventId: 0, attempt: 1, queryId };
    const timeoutMs = this.deps.timeoutMs ?? Limits.longPollMs;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const result = new Promise<{ answer?: Payload; errorMessage?: string } | Error>((settle) => {
      this.pending.set(queryId, { queryType: q.queryType, queryArgs: q.queryArgs, createdAt: Date.now(), settle });
      timers.push(
        setTimeout(
          () => settle(new ServiceError('QUERY_TIMEOUT', `No worker answered query '${q.queryType}' within ${timeoutMs / 1000} s; is a worker polling task queue '${q.taskQueue}'?`)),
          timeoutMs,
        ),
      );
    });
    const dispatch = (taskQueue: string) => this.deps.dispatch(taskQueue, ref).catch((err: unknown) => this.pending.get(queryId)?.settle(err instanceof Error ? err : new Error(String(err))));
    if (q.stickyTaskQueue) {
      void dispatch(q.stickyTaskQueue);
      timers.push(
        setTimeout(() => {
          if (this.pending.get(queryId)?.startedBy === undefined) void dispatch(q.taskQueue);
        }, q.stickyTimeoutMs ?? 5000),
      );
    } else {
      void dispatch(q.taskQueue);
    }
    try {
      const r = await result;
      if (r instanceof Error) throw r;
      if (r.errorMessage !== undefined) throw new ServiceError('QUERY_FAILED', r.errorMessage, { queryType: q.queryType });
      return r.answer ? { answer: r.answer } : {};
    } finally {
      for (const t of timers) clearTimeout(t);
      this.pending.delete(queryId);
    }
  }

  /** Marks the query started by a poll from `queue`; undefined when it is answered, gone or already started. */
  start(queryId: string, queue: string): PendingQuery | undefined {
    const q = this.pending.get(queryId);
    if (!q || q.startedBy !== undefined) return undefined;
    q.startedBy = queue;
    return q;
  }

  answer(queryId: string, res: ParsedRequestOf<'respondQueryTask'>): void {
    const q = this.pending.get(queryId);
    if (!q) throw new ServiceError('TASK_NOT_FOUND', 'Query task not found: it was already answered or timed out.');
    q.settle({ ...(res.answer ? { answer: res.answer } : {}), ...(res.errorMessage !== undefined ? { errorMessage: res.errorMessage } : {}) });
  }
}
