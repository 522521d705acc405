/**
 * Runs one activity task: decodes its input, runs the function in an activity Context,
 * sends throttled heartbeats in the background, delivers cancellation to the activity's
 * AbortSignal, and reports how it ended — completed, failed, or cancelled.
 */
import { composeInterceptors } from '../common/interceptors.js';
import { activityInbound, type ActivityInterceptorsFactory } from './interceptors.js';
import { decodeAllPayloads } from './payload-walk.js';
import { answeringNow } from './poller.js';
import type { ActivityTask, Payload, WorkflowTask } from '../../protocol/index.js';
import type { SpeculativeTask } from './workflow-task-processor.js';
import { CompleteAsyncError } from '../activity/complete-async-error.js';
import { Context, type ActivityCancellationReason, type Info } from '../activity/context.js';
import {
  ApplicationFailure,
  arrayFromPayloads,
  CancelledFailure,
  decodeArrayFromPayloads,
  decodeFromPayloadsAtIndex,
  encodeErrorToFailure,
  encodeToPayload,
  encodeToPayloads,
  encodeUtf8,
  utf8ToBase64,
  type LoadedDataConverter,
  type Logger,
} from '../common/index.js';
import type { ConnectionLike } from '../client/connection.js';
import { KeelServiceError } from '../client/errors.js';

export type ActivityFunction = (...args: any[]) => unknown;

export interface ActivityExecutorOptions {
  connection: ConnectionLike;
  namespace: string;
  identity: string;
  dataConverter: LoadedDataConverter;
  activities: Record<string, ActivityFunction>;
  /** Heartbeats are sent at most this often when the activity has no heartbeat timeout. */
  defaultHeartbeatThrottleIntervalMs: number;
  /** …and never less often than this. */
  maxHeartbeatThrottleIntervalMs: number;
  log: Logger;
  /** The worker's activity interceptor factories (`interceptors.activity`), in order. */
  interceptors?: ActivityInterceptorsFactory[];
  /**
   * A free workflow slot on this worker when it holds the activity's run in its cache; the
   * completion then asks for the workflow task it causes (see {@link NextWorkflowTask}).
   */
  nextWorkflowTask?: (runId: string) => NextWorkflowTask | undefined;
}

/** A workflow slot reserved for the workflow task an activity's completion causes. */
export interface NextWorkflowTask {
  /** The worker's sticky queue: the service hands the task back only if the run is held there. */
  stickyTaskQueue: string;
  /** Runs the task in the reserved slot (and gives the slot back when it is done). */
  run(task: WorkflowTask): void;
  /** Runs ahead the workflow task the completion causes (a speculative workflow task, protocol 4), when the run allows it. */
  speculate?(task: ActivityTask, result: Payload | undefined): Promise<SpeculativeTask | undefined>;
  /** Gives the slot back unused. */
  release(): void;
}

/** A running activity, so the worker can cancel it on shutdown. */
export interface RunningActivity {
  done: Promise<void>;
  cancel(reason: ActivityCancellationReason): void;
}

export function runActivity(opts: ActivityExecutorOptions, task: ActivityTask): RunningActivity {
  const abort = new AbortController();
  const cancel = (reason: ActivityCancellationReason) => {
    if (!abort.signal.aborted) abort.abort(reason);
  };
  const done = execute(opts, task, abort, cancel);
  return { done, cancel };
}

async function execute(opts: ActivityExecutorOptions, task: ActivityTask, abort: AbortController, cancel: (r: ActivityCancellationReason) => void): Promise<void> {
  const { connection, namespace, dataConverter } = opts;
  const call = <E extends 'completeActivityTask' | 'failActivityTask' | 'cancelActivityTask'>(endpoint: E, body: Record<string, unknown>) => {
    answeringNow(task);
    return connection.call(endpoint, { taskToken: task.taskToken, identity: opts.identity, ...body } as never, { namespace, shardKey: task.shardKey });
  };

  const heartbeats = new Heartbeater(opts, task, cancel);
  const startToClose = task.startToCloseTimeoutMs ? setTimeout(() => cancel('TIMED_OUT'), task.startToCloseTimeoutMs) : undefined;
  try {
    const fn = opts.activities[task.activityType];
    if (typeof fn !== 'function') {
      const registered = Object.keys(opts.activities).sort().join(', ') || 'none';
      throw ApplicationFailure.nonRetryable(`Activity function ${task.activityType} is not registered on this worker, available activities: [${registered}]`, 'NotFoundError');
    }
    // Without codecs (the usual case) the input and the result are converted at once, nothing awaited.
    const codecs = dataConverter.payloadCodecs.length > 0;
    const args = codecs ? await decodeArrayFromPayloads(dataConverter, task.input) : arrayFromPayloads(dataConverter.payloadConverter, task.input);
    // Most tasks carry no heartbeat details (a first attempt): nothing to decode, nothing to await.
    const info = activityInfo(task, namespace, task.heartbeatDetails?.[0] === undefined ? undefined : await decodeFromPayloadsAtIndex(dataConverter, 0, task.heartbeatDetails));
    const ctx = new Context(info, () => abort.signal, (d) => heartbeats.record(d), opts.log);
    // The worker encodes every payload of its commands with the codecs, headers included: decode them as the input is.
    const headers = task.header ? await decodeAllPayloads(task.header, dataConverter.payloadCodecs) : {};
    const execute = composeInterceptors(activityInbound(opts.interceptors, ctx), 'execute', async (input) => fn(...input.args) as unknown);
    let result: unknown;
    try {
      result = await Context.run(ctx, () => execute({ args, headers }));
    } finally {
      clearTimeout(startToClose);
      const sending = heartbeats.stop();
      if (sending) await sending;
    }
    await complete(opts, task, codecs ? await encodeToPayload(dataConverter, result) : dataConverter.payloadConverter.toPayload(result));
  } catch (err) {
    clearTimeout(startToClose);
    const sending = heartbeats.stop();
    if (sending) await sending;
    if (err instanceof CompleteAsyncError) {
      // Nothing completes the task here, which would have acknowledged its hand-off (protocol 2):
      // say it arrived, so the service does not take it for lost while it waits for the client.
      await connection.call('acknowledgeTask', { taskToken: task.taskToken }, { namespace }).catch((ackErr: unknown) => {
        if (!(ackErr instanceof KeelServiceError && ackErr.code === 'TASK_NOT_FOUND')) opts.log.warn(`Failed to acknowledge activity ${task.activityType} (${task.activityId}) completed asynchronously`, { error: ackErr });
      });
      return;
    }
    try {
      if (abort.signal.aborted && abort.signal.reason === 'CANCELLED' && err instanceof CancelledFailure) {
        await call('cancelActivityTask', { details: await encodeToPayloads(dataConverter, ...err.details) });
      } else if (abort.signal.aborted && abort.signal.reason !== 'WORKER_SHUTDOWN' && abort.signal.reason !== 'CANCELLED') {
        // Timed out or gone: the service has already moved on, so there is no one to tell.
        return;
      } else {
        await call('failActivityTask', { failure: await encodeErrorToFailure(dataConverter, err), ...(await heartbeats.lastDetailsField()) });
      }
    } catch (reportErr) {
      if (reportErr instanceof KeelServiceError && reportErr.code === 'TASK_NOT_FOUND') return;
      opts.log.warn(`Failed to report the end of activity ${task.activityType} (${task.activityId})`, { error: reportErr });
    }
  }
}

/** Completes the task; the workflow task this causes may come back in the answer, and runs here. */
async function complete(opts: ActivityExecutorOptions, task: ActivityTask, result: Payload | undefined): Promise<void> {
  const next = opts.nextWorkflowTask?.(task.workflowExecution.runId);
  const ahead = await next?.speculate?.(task, result);
  let answer;
  try {
    answeringNow(task);
    answer = await opts.connection.call(
      'completeActivityTask',
      {
        taskToken: task.taskToken,
        identity: opts.identity,
        ...(result ? { result } : {}),
        ...(next ? { stickyTaskQueue: next.stickyTaskQueue, acknowledgesHandOff: true } : {}),
        ...(ahead ? { workflowTaskCompletion: ahead.completion } : {}),
      },
      { namespace: opts.namespace, shardKey: task.shardKey },
    );
  } catch (err) {
    ahead?.settle(undefined);
    next?.release();
    throw err;
  }
  // Before the task handed back runs: a refused speculation drops the run it ran ahead.
  ahead?.settle(answer);
  if (next && answer.workflowTask) next.run(answer.workflowTask);
  else next?.release();
}

function activityInfo(task: ActivityTask, namespace: string, heartbeatDetails: unknown): Info {
  const taskToken = encodeUtf8(task.taskToken);
  return {
    taskToken,
    base64TaskToken: utf8ToBase64(task.taskToken),
    activityId: task.activityId,
    activityType: task.activityType,
    activityNamespace: namespace,
    workflowNamespace: task.workflowNamespace,
    workflowType: task.workflowType,
    workflowExecution: task.workflowExecution,
    taskQueue: task.taskQueue,
    attempt: task.attempt,
    isLocal: false,
    heartbeatDetails,
    ...(task.heartbeatTimeoutMs ? { heartbeatTimeoutMs: task.heartbeatTimeoutMs } : {}),
    ...(task.startToCloseTimeoutMs ? { startToCloseTimeoutMs: task.startToCloseTimeoutMs } : {}),
    ...(task.scheduleToCloseTimeoutMs ? { scheduleToCloseTimeoutMs: task.scheduleToCloseTimeoutMs } : {}),
    scheduledTimestampMs: Date.parse(task.scheduledTime),
    currentAttemptScheduledTimestampMs: Date.parse(task.currentAttemptScheduledTime),
    startedTimestampMs: Date.parse(task.startedTime),
  };
}

/**
 * Sends heartbeats in the background, at most once per throttle interval (0.8 × the
 * heartbeat timeout, as Temporal does), always sending the latest details. An answer
 * that cancellation was requested, or that the task is gone, cancels the activity.
 */
class Heartbeater {
  private latest: { details: unknown } | undefined;
  private lastSentDetails: Payload[] | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private lastSentAt = 0;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(
    private readonly opts: ActivityExecutorOptions,
    private readonly task: ActivityTask,
    private readonly cancel: (r: ActivityCancellationReason) => void,
  ) {
    this.intervalMs = task.heartbeatTimeoutMs
      ? Math.min(task.heartbeatTimeoutMs * 0.8, opts.maxHeartbeatThrottleIntervalMs)
      : Math.min(opts.defaultHeartbeatThrottleIntervalMs, opts.maxHeartbeatThrottleIntervalMs);
  }

  record(details: unknown): void {
    if (this.stopped) return;
    this.latest = { details };
    if (this.timer || this.inFlight) return;
    const wait = Math.max(0, this.lastSentAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private flush(): Promise<void> {
    const pending = this.latest;
    if (!pending) return Promise.resolve();
    this.latest = undefined;
    this.lastSentAt = Date.now();
    this.inFlight = (async () => {
      try {
        const details = await encodeToPayloads(this.opts.dataConverter, pending.details);
        this.lastSentDetails = details;
        const res = await this.opts.connection.call('heartbeatActivityTask', { taskToken: this.task.taskToken, details, identity: this.opts.identity }, { namespace: this.opts.namespace });
        if (res.cancelRequested) this.cancel('CANCELLED');
      } catch (err) {
        if (err instanceof KeelServiceError && err.code === 'TASK_NOT_FOUND') this.cancel('NOT_FOUND');
        else this.opts.log.warn(`Heartbeat of activity ${this.task.activityType} (${this.task.activityId}) failed`, { error: err });
      } finally {
        this.inFlight = undefined;
        if (this.latest && !this.stopped) this.record(this.latest.details);
      }
    })();
    return this.inFlight;
  }

  /**
   * Stops heartbeating; the last details not yet sent go with the failure report instead. Gives the
   * heartbeat still in flight, to wait for; usually there is none, and nothing to await.
   */
  stop(): Promise<void> | undefined {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.inFlight;
  }

  /**
   * The newest heartbeat details, for the failure report, so the next attempt gets them: the
   * latest recorded ones even when throttling held them back, else the last ones sent.
   */
  async lastDetailsField(): Promise<{ lastHeartbeatDetails?: Payload[] }> {
    if (this.latest) {
      try {
        return { lastHeartbeatDetails: await encodeToPayloads(this.opts.dataConverter, this.latest.details) };
      } catch (err) {
        this.opts.log.warn(`Heartbeat details of activity ${this.task.activityType} (${this.task.activityId}) could not be converted`, { error: err });
      }
    }
    return this.lastSentDetails ? { lastHeartbeatDetails: this.lastSentDetails } : {};
  }
}
