/**
 * The activity's view of itself, as Temporal's `@temporalio/activity` has it:
 * `Context.current()` inside a running activity, with its `info`, `heartbeat`,
 * cancellation as both a promise and an `AbortSignal`, and a cancellable `sleep`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { CancelledFailure, IllegalStateError, msToNumber, withMetadata, type Duration, type Logger, type LogLevel, type LogMetadata } from '../common/index.js';
import { loggerFrom } from '../common/logger.js';

/** What an activity knows about the task it runs, with Temporal's field names. */
export interface Info {
  /** The task token, for `client.activity` (asynchronous completion); opaque bytes, as Temporal's. */
  taskToken: Uint8Array;
  /** Base64 of the task token, as Temporal's `base64TaskToken`. */
  base64TaskToken: string;
  activityId: string;
  activityType: string;
  activityNamespace: string;
  workflowNamespace: string;
  workflowType: string;
  workflowExecution: { workflowId: string; runId: string };
  taskQueue: string;
  /** 1 for the first attempt. */
  attempt: number;
  isLocal: boolean;
  /** The details of the last heartbeat of an earlier attempt, decoded (the first detail), or undefined. */
  heartbeatDetails: unknown;
  heartbeatTimeoutMs?: number;
  startToCloseTimeoutMs?: number;
  scheduleToCloseTimeoutMs?: number;
  scheduledTimestampMs: number;
  currentAttemptScheduledTimestampMs: number;
  startedTimestampMs: number;
}

/** The reason an activity's cancellation signal was aborted. */
export type ActivityCancellationReason = 'CANCELLED' | 'TIMED_OUT' | 'NOT_FOUND' | 'WORKER_SHUTDOWN' | 'HEARTBEAT_DETAILS_CONVERSION_FAILED';

const storage = new AsyncLocalStorage<Context>();

/**
 * The context of a running activity.
 *
 * @example
 * import { Context } from 'keel/activity';
 * export async function upload(files: string[]) {
 *   const ctx = Context.current();
 *   for (let i = ctx.info.heartbeatDetails ?? 0; i < files.length; i++) {
 *     await put(files[i], { signal: ctx.cancellationSignal });
 *     ctx.heartbeat(i + 1); // a retry resumes from here
 *   }
 * }
 */
export class Context {
  /** The context of the activity running in the current async call chain. */
  static current(): Context {
    const ctx = storage.getStore();
    if (!ctx) throw new IllegalStateError('Activity context not initialized: Context.current() can only be called inside an activity');
    return ctx;
  }

  /** Runs `fn` with this context as the current one. For the worker. */
  static run<T>(ctx: Context, fn: () => T): T {
    return storage.run(ctx, fn);
  }

  /**
   * The activity's logger, as Temporal's `Context.log`: the worker's logger with the activity's
   * identity ({@link activityLogAttributes}) and `sdkComponent: 'activity'` on every record.
   * Writable, as in Temporal, so that an interceptor may wrap it.
   */
  log: Logger;

  /** The cancellation signal, or what makes it until it is first asked for. */
  private signal: AbortSignal | (() => AbortSignal);
  private cancelledPromise: Promise<never> | undefined;

  constructor(
    readonly info: Info,
    /**
     * Aborted when the activity is cancelled, times out, or the worker shuts down; or a function
     * that gives it, called when it is first asked for (Node makes an `AbortController`'s signal
     * on first use, and a signal costs microseconds that an activity that never looks at it need not pay).
     */
    cancellationSignal: AbortSignal | (() => AbortSignal),
    private readonly sendHeartbeat: (details: unknown) => void,
    /** The worker's logger; `console` when the context is made by hand. */
    logger: Logger = console,
  ) {
    this.signal = cancellationSignal;
    this.log = withMetadata(logger, { sdkComponent: 'activity', ...activityLogAttributes(info) });
  }

  /** Aborted when the activity is cancelled, times out, or the worker shuts down. */
  get cancellationSignal(): AbortSignal {
    if (typeof this.signal === 'function') this.signal = this.signal();
    return this.signal;
  }

  /**
   * Rejects with a `CancelledFailure` when the activity is cancelled; never resolves. Made when first
   * asked for (most activities never do): a listener on an AbortSignal costs a few microseconds.
   */
  get cancelled(): Promise<never> {
    if (this.cancelledPromise) return this.cancelledPromise;
    const signal = this.cancellationSignal;
    this.cancelledPromise = new Promise<never>((_, reject) => {
      const fail = () => reject(new CancelledFailure(String(signal.reason ?? 'CANCELLED')));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    // The promise is there to be raced; an activity that ignores it must not crash the process.
    this.cancelledPromise.catch(() => undefined);
    return this.cancelledPromise;
  }

  /**
   * Reports progress. The worker throttles heartbeats and sends them in the background;
   * the details reach the next attempt as `info.heartbeatDetails` if this one fails. A
   * heartbeat is also how the activity learns that it was cancelled.
   */
  heartbeat(details?: unknown): void {
    this.sendHeartbeat(details);
  }

  /** Sleeps for `ms`, or rejects with `CancelledFailure` as soon as the activity is cancelled. */
  sleep(ms: Duration): Promise<void> {
    const delay = msToNumber(ms);
    return new Promise<void>((resolve, reject) => {
      if (this.cancellationSignal.aborted) return reject(new CancelledFailure(String(this.cancellationSignal.reason ?? 'CANCELLED')));
      const timer = setTimeout(() => {
        this.cancellationSignal.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new CancelledFailure(String(this.cancellationSignal.reason ?? 'CANCELLED')));
      };
      this.cancellationSignal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** `Context.current().info`. */
export const activityInfo = (): Info => Context.current().info;
/** `Context.current().heartbeat(details)`. */
export const heartbeat = (details?: unknown): void => Context.current().heartbeat(details);
/** `Context.current().sleep(ms)`. */
export const sleep = (ms: Duration): Promise<void> => Context.current().sleep(ms);
/** `Context.current().cancelled`. */
export const cancelled = (): Promise<never> => Context.current().cancelled;
/** `Context.current().cancellationSignal`. */
export const cancellationSignal = (): AbortSignal => Context.current().cancellationSignal;

/** The attributes the activity logger adds to each record, with Temporal's names. */
export function activityLogAttributes(info: Info): Record<string, unknown> {
  return {
    isLocal: info.isLocal,
    attempt: info.attempt,
    namespace: info.workflowNamespace,
    taskToken: info.base64TaskToken,
    workflowId: info.workflowExecution.workflowId,
    workflowRunId: info.workflowExecution.runId,
    workflowType: info.workflowType,
    activityId: info.activityId,
    activityType: info.activityType,
    taskQueue: info.taskQueue,
  };
}

const write = (level: LogLevel, message: string, meta?: LogMetadata) => Context.current().log.log(level, message, meta);

/**
 * The running activity's logger (`Context.current().log`), as Temporal's `log` of
 * @temporalio/activity: each record carries the activity's identity.
 *
 * @example
 * import { log } from 'keel/activity';
 * export async function charge(orderId: string) {
 *   log.info('charging', { orderId });
 * }
 */
export const log: Logger = loggerFrom(write);
