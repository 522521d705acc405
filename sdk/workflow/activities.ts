// Owns activities seen from the workflow: `proxyActivities`, the ScheduleActivityTask and
// RequestCancelActivityTask commands, and how each cancellation type settles the promise.
import type { CommandOf } from '../../protocol/commands.js';
import { ActivityCancellationType } from '../common/index.js';
import type { Failure, RetryState } from '../../protocol/payload.js';
import {
  compileRetryPolicy,
  msOptionalToNumber,
  toPayloads,
  type Duration,
} from '../common/index.js';
import type { ActivityResolution } from './activation.js';
import type { Activator } from './activator.js';
import { CancellationScope } from './cancellation-scope.js';
import { assertInWorkflowContext } from './global-state.js';
import type { ActivityInterfaceFor, ActivityOptions, UntypedActivities } from './interfaces.js';
import type { ActivityInput } from './interceptors.js';
import { composeInterceptors } from '../common/interceptors.js';

/** An activity the workflow waits for. */
export interface PendingActivity {
  activityId: string;
  activityType: string;
  cancellationType: ActivityCancellationType;
  /** Set once cancellation was requested, so that a second request sends nothing. */
  cancelRequested: boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** Drops `undefined` fields, so that commands compare and serialise cleanly. */
function compact<T extends object>(o: T): T {
  const record = o as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return o;
}

/** Rejects options that Temporal rejects: neither scheduleToClose nor startToClose timeout. */
function validateActivityOptions(options: ActivityOptions): void {
  if (options.scheduleToCloseTimeout === undefined && options.startToCloseTimeout === undefined) {
    throw new TypeError('Required either scheduleToCloseTimeout or startToCloseTimeout');
  }
}

/** A duration as the wire's whole milliseconds, rounded up so that a timeout is never shorter than asked. */
function wholeMs(duration: Duration | undefined): number | undefined {
  const ms = msOptionalToNumber(duration);
  return ms === undefined ? undefined : Math.ceil(ms);
}

/**
 * The error a workflow sees for an activity: an `ActivityFailure` whose cause is `cause`. A failure
 * that already is an activity failure (the service may send it whole) is converted as it is.
 */
export function activityError(activator: Activator, activity: Pick<PendingActivity, 'activityId' | 'activityType'>, cause: Failure, retryState: RetryState): unknown {
  const failure: Failure = cause.activityFailureInfo
    ? cause
    : {
        message: 'Activity task failed',
        activityFailureInfo: {
          scheduledEventId: 0,
          startedEventId: 0,
          activityType: activity.activityType,
          activityId: activity.activityId,
          retryState,
        },
        cause,
      };
  return activator.failureConverter.failureToError(failure, activator.payloadConverter);
}

/** The retry state to report for a failure that does not say: what ended the retries, as far as the cause shows. */
function retryStateOf(failure: Failure): RetryState {
  if (failure.timeoutFailureInfo) return 'TIMEOUT';
  if (failure.applicationFailureInfo?.nonRetryable) return 'NON_RETRYABLE_FAILURE';
  return 'MAXIMUM_ATTEMPTS_REACHED';
}

/** What an activity cancelled from the workflow side rejects with, as Temporal's core makes it. */
export function cancelledActivityError(activator: Activator, activity: Pick<PendingActivity, 'activityId' | 'activityType'>): unknown {
  return activityError(activator, activity, { message: 'Activity cancelled', canceledFailureInfo: {} }, 'CANCEL_REQUESTED');
}

/**
 * Schedules activity `activityType` with `args` and returns a promise of its result. Most code uses
 * {@link proxyActivities} instead.
 *
 * Cancellation of the current scope follows `options.cancellationType`: `TRY_CANCEL` (default)
 * sends RequestCancelActivityTask and rejects at once; `WAIT_CANCELLATION_COMPLETED` sends it and
 * waits for the activity's own resolution; `ABANDON` sends nothing and rejects at once. An activity
 * whose ScheduleActivityTask was not sent yet is withdrawn instead, and rejects at once.
 */
export function scheduleActivity<R = unknown>(activityType: string, args: unknown[], options: ActivityOptions): Promise<R> {
  const activator = assertInWorkflowContext('Scheduling an activity');
  if (options === undefined) throw new TypeError('Got empty activity options');
  validateActivityOptions(options);
  activator.assertNotInQuery('An activity');
  const seq = activator.nextSeqs.activity++;
  const schedule = composeInterceptors(activator.interceptors.outbound, 'scheduleActivity', (input) => scheduleActivityNext(activator, input));
  return schedule({ activityType, args, options, headers: {}, seq }) as Promise<R>;
}

/** The end of the `scheduleActivity` chain: the ScheduleActivityTask command, and the promise of its result. */
function scheduleActivityNext(activator: Activator, { activityType, args, options, headers, seq }: ActivityInput): Promise<unknown> {
  const activityId = options.activityId ?? String(seq);
  const cancellationType = options.cancellationType ?? ActivityCancellationType.TRY_CANCEL;
  return new Promise<unknown>((resolve, reject) => {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) {
      scope.cancelRequested.catch(reject);
      return;
    }
    if (activator.activities.has(activityId)) {
      throw new TypeError(`Activity id '${activityId}' is already used by a pending activity of this workflow`);
    }
    const command = compact<CommandOf<'ScheduleActivityTask'>>({
      type: 'ScheduleActivityTask',
      activityId,
      activityType,
      taskQueue: options.taskQueue ?? activator.startInfo?.taskQueue,
      input: toPayloads(activator.payloadConverter, ...args),
      scheduleToCloseTimeoutMs: wholeMs(options.scheduleToCloseTimeout),
      scheduleToStartTimeoutMs: wholeMs(options.scheduleToStartTimeout),
      startToCloseTimeoutMs: wholeMs(options.startToCloseTimeout),
      heartbeatTimeoutMs: wholeMs(options.heartbeatTimeout),
      retryPolicy: options.retry ? compileRetryPolicy(options.retry) : undefined,
      cancellationType,
      header: Object.keys(headers).length > 0 ? headers : undefined,
    });
    const pending: PendingActivity = {
      activityId,
      activityType,
      cancellationType,
      cancelRequested: false,
      resolve,
      reject,
    };
    if (scope.cancellable) {
      scope.cancelRequested.catch(() => requestCancel(activator, pending, command));
    }
    activator.pushCommand(command);
    activator.activities.set(activityId, pending);
  });
}

function requestCancel(activator: Activator, pending: PendingActivity, command: CommandOf<'ScheduleActivityTask'>): void {
  if (activator.activities.get(pending.activityId) !== pending || pending.cancelRequested) return;
  pending.cancelRequested = true;
  const settleNow = (): void => {
    activator.activities.delete(pending.activityId);
    pending.reject(cancelledActivityError(activator, pending));
  };
  if (activator.withdrawCommand(command)) return settleNow();
  if (pending.cancellationType === ActivityCancellationType.ABANDON) return settleNow();
  activator.pushCommand({ type: 'RequestCancelActivityTask', activityId: pending.activityId });
  if (pending.cancellationType === ActivityCancellationType.TRY_CANCEL) settleNow();
  // WAIT_CANCELLATION_COMPLETED: stays pending until the service resolves the activity.
}

/**
 * Settles activity `activityId` (the `resolveActivity` job). An activity the workflow no longer
 * waits for (cancelled with TRY_CANCEL or ABANDON) is ignored.
 */
export function resolveActivity(activator: Activator, activityId: string, result: ActivityResolution): void {
  const pending = activator.activities.get(activityId);
  if (!pending) return;
  activator.activities.delete(activityId);
  if ('completed' in result) {
    const payload = result.completed.result;
    pending.resolve(payload === undefined ? undefined : activator.payloadConverter.fromPayload(payload));
  } else if ('failed' in result) {
    const { failure } = result.failed;
    pending.reject(activityError(activator, pending, failure, retryStateOf(failure)));
  } else {
    pending.reject(activityError(activator, pending, result.cancelled.failure, 'CANCEL_REQUESTED'));
  }
}

/**
 * Makes the workflow-side interface of an activities module: calling `proxy.name(...args)`
 * schedules activity type `name` with these options and returns a promise of its result.
 * Validates the options at once (one of `scheduleToCloseTimeout` / `startToCloseTimeout` is
 * required), so it may be called at module level, outside any workflow.
 *
 * @example
 * import type * as activities from './activities';
 * const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
 * export async function order(id: string) { return await charge(id); }
 */
export function proxyActivities<A = UntypedActivities>(options: ActivityOptions): ActivityInterfaceFor<A> {
  if (options === undefined) throw new TypeError('options must be defined');
  validateActivityOptions(options);
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get(_, activityType) {
      if (typeof activityType !== 'string') {
        throw new TypeError(`Only strings are supported for Activity types, got: ${String(activityType)}`);
      }
      return function activityProxyFunction(...args: unknown[]): Promise<unknown> {
        return scheduleActivity(activityType, args, options);
      };
    },
  });
}
