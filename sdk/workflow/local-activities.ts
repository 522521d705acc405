// Owns local activities seen from the workflow: `proxyLocalActivities` (Temporal's), the requests the
// worker runs within the workflow task, the `core_local_activity` marker each outcome records, the
// timer a long retry back-off becomes, and cancellation through scopes.
import { composeInterceptors, type Headers } from '../common/interceptors.js';
import type { LocalActivityInput } from './interceptors.js';
import type { Failure, RetryState } from '../../protocol/payload.js';
import { ActivityCancellationType, compileRetryPolicy, msOptionalToNumber, toPayloads, type Duration, type RetryPolicy } from '../common/index.js';
import type { LocalActivityRequest } from './activation.js';
import type { Activator } from './activator.js';
import { activityError, cancelledActivityError } from './activities.js';
import { CancellationScope } from './cancellation-scope.js';
import { assertInWorkflowContext } from './global-state.js';
import type { ActivityInterfaceFor, UntypedActivities } from './interfaces.js';
import { localActivityMarkerCommand, type LocalActivityResolution } from './local-activity-marker.js';
import { sleep } from './timers.js';

/** Options of a local activity, as Temporal's `LocalActivityOptions`. */
export interface LocalActivityOptions {
  /** Longest time of one attempt. Either this or `scheduleToCloseTimeout` is required. */
  startToCloseTimeout?: Duration;
  /** Longest time of the whole local activity, retries and back-off timers included. */
  scheduleToCloseTimeout?: Duration;
  /** Accepted for Temporal compatibility; a local activity is never queued, so it has no effect. */
  scheduleToStartTimeout?: Duration;
  /** How failed attempts are retried (Temporal's defaults: 1 s, × 2, up to 100 s, unlimited attempts). */
  retry?: RetryPolicy;
  /**
   * A retry whose back-off is longer than this waits on a durable workflow timer (then a new
   * attempt) instead of in the worker. @default 1 minute
   */
  localRetryThreshold?: Duration;
  /** @default ActivityCancellationType.TRY_CANCEL */
  cancellationType?: ActivityCancellationType;
  /** The activity id; defaults to the local activity's sequence number in this run. */
  activityId?: string;
}

const DEFAULT_LOCAL_RETRY_THRESHOLD_MS = 60_000;

/** A local activity the workflow waits for, by its seq. */
export interface PendingLocalActivity {
  request: LocalActivityRequest;
  cancellationType: ActivityCancellationType;
  cancelled: boolean;
  resolve: (resolution: LocalActivityResolution) => void;
  reject: (reason: unknown) => void;
}

/** Per-run local activity state, kept on the activator. */
interface LocalActivityState {
  nextSeq: number;
  pending: Map<number, PendingLocalActivity>;
  /** Requests not yet collected by the worker. */
  requests: LocalActivityRequest[];
}

const states = new WeakMap<Activator, LocalActivityState>();
function stateOf(activator: Activator): LocalActivityState {
  let state = states.get(activator);
  if (!state) states.set(activator, (state = { nextSeq: 1, pending: new Map(), requests: [] }));
  return state;
}

/** The requests made since the last collection, for the activation's result. */
export function collectLocalActivityRequests(activator: Activator): LocalActivityRequest[] {
  return stateOf(activator).requests.splice(0);
}

function validate(options: LocalActivityOptions): void {
  if (options.scheduleToCloseTimeout === undefined && options.startToCloseTimeout === undefined) {
    throw new TypeError('Required either scheduleToCloseTimeout or startToCloseTimeout');
  }
}

const wholeMs = (d: Duration | undefined) => {
  const ms = msOptionalToNumber(d);
  return ms === undefined ? undefined : Math.ceil(ms);
};

function retryStateOf(failure: Failure): RetryState {
  if (failure.timeoutFailureInfo) return 'TIMEOUT';
  if (failure.applicationFailureInfo?.nonRetryable) return 'NON_RETRYABLE_FAILURE';
  return 'MAXIMUM_ATTEMPTS_REACHED';
}

/** One execution request (an attempt, or several in the worker); resolves with how it ended. */
function requestOnce(activator: Activator, activityType: string, args: unknown[], options: LocalActivityOptions, attempt: number, originalScheduleTime: number, headers: Headers): Promise<LocalActivityResolution> {
  activator.assertNotInQuery('A local activity');
  const state = stateOf(activator);
  const seq = state.nextSeq++;
  const cancellationType = options.cancellationType ?? ActivityCancellationType.TRY_CANCEL;
  const request: LocalActivityRequest = {
    seq,
    activityId: options.activityId ?? String(seq),
    activityType,
    input: toPayloads(activator.payloadConverter, ...args),
    attempt,
    originalScheduleTime,
    localRetryThresholdMs: wholeMs(options.localRetryThreshold) ?? DEFAULT_LOCAL_RETRY_THRESHOLD_MS,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
  const startToClose = wholeMs(options.startToCloseTimeout);
  const scheduleToClose = wholeMs(options.scheduleToCloseTimeout);
  if (startToClose !== undefined) request.startToCloseTimeoutMs = startToClose;
  if (scheduleToClose !== undefined) request.scheduleToCloseTimeoutMs = scheduleToClose;
  if (options.retry) request.retryPolicy = compileRetryPolicy(options.retry);
  const nameOf = { activityId: request.activityId, activityType };
  return new Promise<LocalActivityResolution>((resolve, reject) => {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) {
      scope.cancelRequested.catch(reject);
      return;
    }
    const pending: PendingLocalActivity = { request, cancellationType, cancelled: false, resolve, reject };
    state.pending.set(seq, pending);
    state.requests.push(request);
    if (scope.cancellable) {
      scope.cancelRequested.catch(() => {
        if (state.pending.get(seq) !== pending || pending.cancelled) return;
        pending.cancelled = true;
        const queued = state.requests.indexOf(request);
        // Not handed to the worker yet: it never runs and nothing is recorded.
        if (queued >= 0) state.requests.splice(queued, 1);
        if (queued >= 0 || cancellationType !== ActivityCancellationType.WAIT_CANCELLATION_COMPLETED) {
          state.pending.delete(seq);
          reject(cancelledActivityError(activator, nameOf));
        }
      });
    }
  });
}

/**
 * The `resolveLocalActivity` job: records the outcome with a marker (live and on replay alike, so the
 * commands match history) and settles the workflow's promise.
 */
export function resolveLocalActivity(activator: Activator, seq: number, resolution: LocalActivityResolution): void {
  activator.pushCommand(localActivityMarkerCommand(resolution));
  const state = stateOf(activator);
  const pending = state.pending.get(seq);
  if (!pending) return;
  state.pending.delete(seq);
  if (pending.cancelled) {
    pending.reject(cancelledActivityError(activator, { activityId: pending.request.activityId, activityType: pending.request.activityType }));
    return;
  }
  pending.resolve(resolution);
}

/**
 * Runs local activity `activityType` with `args`: in the worker, within the current workflow task,
 * with its result (or final failure) recorded in history by a `core_local_activity` marker. Most code
 * uses {@link proxyLocalActivities}.
 */
export async function scheduleLocalActivity<R = unknown>(activityType: string, args: unknown[], options: LocalActivityOptions): Promise<R> {
  const activator = assertInWorkflowContext('Scheduling a local activity');
  if (options === undefined) throw new TypeError('Got empty activity options');
  validate(options);
  activator.assertNotInQuery('A local activity');
  const schedule = composeInterceptors(activator.interceptors.outbound, 'scheduleLocalActivity', (input) => scheduleLocalActivityNext(activator, input));
  return schedule({ activityType, args, options, headers: {}, seq: stateOf(activator).nextSeq, originalScheduleTime: activator.now ?? 0, attempt: 1 }) as Promise<R>;
}

/** The end of the `scheduleLocalActivity` chain: attempts (and back-off timers) until it completes or fails for good. */
async function scheduleLocalActivityNext(activator: Activator, input: LocalActivityInput): Promise<unknown> {
  const { activityType, args, options, headers } = input;
  const originalScheduleTime = input.originalScheduleTime ?? activator.now ?? 0;
  let attempt = input.attempt;
  for (;;) {
    const resolution = await requestOnce(activator, activityType, args, options, attempt, originalScheduleTime, headers);
    const { outcome, data } = resolution;
    const nameOf = { activityId: data.activityId, activityType };
    if ('completed' in outcome) {
      const payload = outcome.completed.result;
      return payload === undefined ? undefined : activator.payloadConverter.fromPayload(payload);
    }
    if ('failed' in outcome) throw activityError(activator, nameOf, outcome.failed.failure, retryStateOf(outcome.failed.failure));
    // A back-off longer than the local retry threshold: a durable timer in the caller's scope, then the next attempt.
    await sleep(outcome.backoff.backoffMs);
    attempt = data.attempt + 1;
  }
}

/**
 * Makes the workflow-side interface of an activities module whose calls run as local activities:
 * in the workflow's own worker, during the workflow task, with no round trip through a task queue.
 * For short work (well under the workflow task timeout); use {@link proxyActivities} for the rest.
 *
 * @example
 * import type * as activities from './activities';
 * const { lookup } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '5 seconds' });
 * export async function order(id: string) { return await lookup(id); }
 */
export function proxyLocalActivities<A = UntypedActivities>(options: LocalActivityOptions): ActivityInterfaceFor<A> {
  if (options === undefined) throw new TypeError('options must be defined');
  validate(options);
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get(_, activityType) {
      if (typeof activityType !== 'string') throw new TypeError(`Only strings are supported for Activity types, got: ${String(activityType)}`);
      return function localActivityProxyFunction(...args: unknown[]): Promise<unknown> {
        return scheduleLocalActivity(activityType, args, options);
      };
    },
  });
}
