/**
 * Queries in flight for one workflow object: each waits in memory for a worker's answer.
 * A query goes first to the sticky queue of the worker holding the run, and to the
 * normal queue if nobody there starts it in time; after the long-poll limit the caller
 * gets QUERY_TIMEOUT. Nothing here is durable: a query is a read.
 *
 * A query handed to a poll that promised to acknowledge its tasks (protocol 2) and neither
 * acknowledges nor answers it within `Limits.handOffAckMs` was handed to a dead poll (see
 * src/engine/hand-off.ts): it is offered again on the run's normal queue, to another poller, instead
 * of waiting out the query timeout. A slow worker's late answer still counts (the first one wins).
 *
 * An update's validation travels the same way (a task with `update` instead of `query`), so
 * that a rejected update, like a query, leaves nothing in storage; the time-out is UPDATE_TIMEOUT.
 */
import { Limits, type Failure, type ParsedRequestOf, type Payload } from '../protocol/index.js';
import { ServiceError } from './service-error.js';
import type { TaskRef } from './task-token.js';

export interface QueryAsk {
  namespace: string;
  workflowId: string;
  runId: string;
  queryType: string;
  queryArgs: Payload[];
  header?: Record<string, Payload>;
  taskQueue: string;
  stickyTaskQueue?: string;
  stickyTimeoutMs?: number;
  /** Set for an update's validation: the worker runs the validator instead of a query handler. */
  update?: UpdateValidation;
}

/** What a worker needs to validate an update. */
export interface UpdateValidation {
  updateId: string;
  name: string;
  args: Payload[];
  header?: Record<string, Payload>;
}

/** A worker's answer: a query's answer, or (for an update) no failure when the validator passed. */
export interface QueryAnswer {
  answer?: Payload;
  failure?: Failure;
}

export interface PendingQuery {
  queryType: string;
  queryArgs: Payload[];
  header?: Record<string, Payload>;
  update?: UpdateValidation;
  createdAt: number;
  startedBy?: string;
  /** Set while a poll that acknowledges has the query and has not acknowledged it: offers it again when it fires. */
  handOffTimer?: ReturnType<typeof setTimeout>;
  /** Offers the query again on the run's normal queue. */
  offerAgain: () => void;
  settle: (answer: { answer?: Payload; errorMessage?: string; notRegistered?: boolean; failure?: Failure } | Error) => void;
}

export class QueryBroker {
  private readonly pending = new Map<string, PendingQuery>();

  /** No query waits for its answer. */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  constructor(private readonly deps: { dispatch: (taskQueue: string, ref: TaskRef) => Promise<unknown>; timeoutMs?: number; /** The object's time (its Clock). */ now: () => number }) {}

  async ask(q: QueryAsk): Promise<QueryAnswer> {
    const queryId = crypto.randomUUID();
    const ref: TaskRef = { namespace: q.namespace, workflowId: q.workflowId, runId: q.runId, kind: 'query', scheduledEventId: 0, attempt: 1, queryId };
    const timeoutMs = this.deps.timeoutMs ?? Limits.longPollMs;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const result = new Promise<Parameters<PendingQuery['settle']>[0]>((settle) => {
      this.pending.set(queryId, {
        queryType: q.queryType,
        queryArgs: q.queryArgs,
        ...(q.header ? { header: q.header } : {}),
        ...(q.update ? { update: q.update } : {}),
        createdAt: this.deps.now(),
        settle,
        offerAgain: () => void dispatch(q.taskQueue),
      });
      timers.push(
        setTimeout(
          () =>
            settle(
              q.update
                ? new ServiceError('UPDATE_TIMEOUT', `No worker validated update '${q.update.name}' (id '${q.update.updateId}') within ${timeoutMs / 1000} s; nothing was written. Is a worker polling task queue '${q.taskQueue}'?`, { updateId: q.update.updateId })
                : new ServiceError('QUERY_TIMEOUT', `No worker answered query '${q.queryType}' within ${timeoutMs / 1000} s; is a worker polling task queue '${q.taskQueue}'?`),
            ),
          timeoutMs,
        ),
      );
    });
    const dispatch = (taskQueue: string) => this.deps.dispatch(taskQueue, ref).catch((err: unknown) => this.pending.get(queryId)?.settle(err instanceof Error ? err : new Error(String(err))));
    if (q.stickyTaskQueue) {
      let normalSent = false;
      const toNormalQueue = () => {
        if (normalSent || this.pending.get(queryId)?.startedBy !== undefined) return;
        normalSent = true;
        void dispatch(q.taskQueue);
      };
      // A sticky queue whose worker stopped answers 'stale' at once: go to the normal queue now
      // rather than after the sticky timeout.
      void dispatch(q.stickyTaskQueue).then((outcome) => outcome === 'stale' && toNormalQueue());
      timers.push(setTimeout(toNormalQueue, q.stickyTimeoutMs ?? 5000));
    } else {
      void dispatch(q.taskQueue);
    }
    try {
      const r = await result;
      if (r instanceof Error) throw r;
      if (r.errorMessage !== undefined) throw new ServiceError(r.notRegistered ? 'QUERY_NOT_REGISTERED' : 'QUERY_FAILED', r.errorMessage, { queryType: q.queryType });
      return { ...(r.answer ? { answer: r.answer } : {}), ...(r.failure ? { failure: r.failure } : {}) };
    } finally {
      for (const t of timers) clearTimeout(t);
      const handOffTimer = this.pending.get(queryId)?.handOffTimer;
      if (handOffTimer !== undefined) clearTimeout(handOffTimer);
      this.pending.delete(queryId);
    }
  }

  /**
   * Marks the query started by a poll from `queue`; undefined when it is answered, gone or already
   * started. A poll that `acknowledges` has `Limits.handOffAckMs` to acknowledge or answer it.
   */
  start(queryId: string, queue: string, acknowledges = false): PendingQuery | undefined {
    const q = this.pending.get(queryId);
    if (!q || q.startedBy !== undefined) return undefined;
    q.startedBy = queue;
    if (acknowledges) {
      // At most half the query's own timeout, so that another worker has time to answer (tests and
      // short long-poll settings hold queries about a second).
      const windowMs = Math.min(Limits.handOffAckMs, (this.deps.timeoutMs ?? Limits.longPollMs) / 2);
      q.handOffTimer = setTimeout(() => {
        q.handOffTimer = undefined;
        if (this.pending.get(queryId) !== q) return;
        console.warn(`keel: query '${q.update ? q.update.name : q.queryType}' was handed to a poll on '${queue}' that did not acknowledge it within ${windowMs} ms: offered again to another poller`);
        q.startedBy = undefined;
        q.offerAgain();
      }, windowMs);
    }
    return q;
  }

  /** Protocol 2: the worker has the query. TASK_NOT_FOUND when it was answered, timed out, or offered again. */
  acknowledge(queryId: string): void {
    const q = this.pending.get(queryId);
    if (!q || q.startedBy === undefined) throw new ServiceError('TASK_NOT_FOUND', 'Query task not found: it was already answered, timed out, or offered to another worker.');
    if (q.handOffTimer !== undefined) clearTimeout(q.handOffTimer);
    q.handOffTimer = undefined;
  }

  answer(queryId: string, res: ParsedRequestOf<'respondQueryTask'>): void {
    const q = this.pending.get(queryId);
    if (!q) throw new ServiceError('TASK_NOT_FOUND', 'Query task not found: it was already answered or timed out.');
    q.settle({
      ...(res.answer ? { answer: res.answer } : {}),
      ...(res.errorMessage !== undefined ? { errorMessage: res.errorMessage } : {}),
      ...(res.notRegistered ? { notRegistered: true } : {}),
      ...(res.failure ? { failure: res.failure } : {}),
    });
  }
}
