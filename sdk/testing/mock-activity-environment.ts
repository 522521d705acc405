// Owns MockActivityEnvironment: runs an activity function in a real activity Context without a
// worker or a service, so activity code is unit-tested as in Temporal's @temporalio/testing —
// heartbeats are events, cancellation is a method call.
import { EventEmitter } from 'node:events';
import { Context, type ActivityCancellationReason, type Info } from '../activity/context.js';
import type { Logger } from '../common/index.js';
import { Runtime } from '../worker/runtime.js';

/** The info an activity sees when the test gives none, as Temporal's `defaultActivityInfo`. */
export const defaultActivityInfo: Info = {
  attempt: 1,
  taskQueue: 'test',
  isLocal: false,
  taskToken: new Uint8Array(),
  base64TaskToken: '',
  activityId: 'test',
  activityType: 'unknown',
  workflowType: 'test',
  workflowNamespace: 'default',
  activityNamespace: 'default',
  workflowExecution: { workflowId: 'test', runId: 'dead-beef' },
  heartbeatDetails: undefined,
  heartbeatTimeoutMs: undefined,
  startToCloseTimeoutMs: 1000,
  scheduleToCloseTimeoutMs: 1000,
  scheduledTimestampMs: 1,
  currentAttemptScheduledTimestampMs: 1,
  startedTimestampMs: 1,
};

/** Options of {@link MockActivityEnvironment}. */
export interface MockActivityEnvironmentOptions {
  /** Where the activity's `log` writes. Default: `Runtime.instance().logger`. */
  logger?: Logger;
}

/**
 * An activity Context for tests: `run(fn, ...args)` runs `fn` as the worker would, every
 * `heartbeat(details)` is emitted as a `'heartbeat'` event, and `cancel(reason)` cancels it.
 *
 * @example
 * const env = new MockActivityEnvironment({ attempt: 2 });
 * env.on('heartbeat', (d) => beats.push(d));
 * const result = await env.run(upload, ['a.txt']);
 */
export class MockActivityEnvironment extends EventEmitter {
  readonly context: Context;
  private readonly abort = new AbortController();

  constructor(info?: Partial<Info>, options?: MockActivityEnvironmentOptions) {
    super();
    const logger = options?.logger ?? Runtime.instance().logger;
    this.context = new Context({ ...defaultActivityInfo, ...info }, this.abort.signal, (details) => this.emit('heartbeat', details), logger);
  }

  /** Cancels the activity: its `cancelled` promise rejects and its `cancellationSignal` aborts. */
  cancel(reason: ActivityCancellationReason = 'CANCELLED'): void {
    if (!this.abort.signal.aborted) this.abort.abort(reason);
  }

  /** Runs `fn(...args)` with this environment's Context as `Context.current()`. */
  run<P extends unknown[], R>(fn: (...args: P) => R | Promise<R>, ...args: P): Promise<R> {
    return Context.run(this.context, async () => await fn(...args));
  }
}

