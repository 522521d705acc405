/**
 * Runs a local activity in the worker, within the workflow task that asked for it: the registered
 * function in an activity Context (`info.isLocal`), each attempt bounded by its start-to-close
 * timeout and the whole by schedule-to-close, retried in place by its retry policy while the
 * back-off is short. A back-off longer than the local retry threshold — or one that would keep the
 * workflow task open past its budget — is handed back to the workflow as a timer (Temporal's
 * behaviour for the threshold; Keel's instead of heartbeating the workflow task).
 */
import { composeInterceptors } from '../common/interceptors.js';
import { activityInbound, type ActivityInterceptorsFactory } from './interceptors.js';
import { setTimeout as delay } from 'node:timers/promises';
import type { Failure, Payload, RetryPolicy } from '../../protocol/index.js';
import { Context, type Info } from '../activity/context.js';
import { ApplicationFailure, TimeoutFailure, arrayFromPayloads, type LoadedDataConverter, type Logger } from '../common/index.js';
import type { LocalActivityRequest } from '../workflow/activation.js';
import type { LocalActivityResolution } from '../workflow/local-activity-marker.js';
import type { ActivityFunction } from './activity-executor.js';

/** The service's default workflow task timeout (Temporal's 10 s). */
export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;

/**
 * The share of the workflow task timeout that local activities' in-place retries may use; past it,
 * a retry waits on a workflow timer instead, so the task completes before it times out.
 */
export const LOCAL_ACTIVITY_TASK_BUDGET = 0.8;

export interface LocalActivityEnv {
  activities: Record<string, ActivityFunction>;
  dataConverter: LoadedDataConverter;
  namespace: string;
  taskQueue: string;
  workflowType: string;
  workflowExecution: { workflowId: string; runId: string };
  /** Real time (ms) by which the workflow task should be completed; retries in place stop before it. */
  taskDeadline: number;
  log: Logger;
  /** The worker's activity interceptor factories, run for local activities too (Temporal's). */
  interceptors?: ActivityInterceptorsFactory[];
}

/** The policy with Temporal's defaults: 1 s, × 2, up to 100 × the initial interval, unlimited attempts. */
function withDefaults(policy: RetryPolicy | undefined): Required<RetryPolicy> {
  const initialIntervalMs = policy?.initialIntervalMs ?? 1000;
  return {
    initialIntervalMs,
    backoffCoefficient: policy?.backoffCoefficient ?? 2,
    maximumIntervalMs: policy?.maximumIntervalMs ?? initialIntervalMs * 100,
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: policy?.nonRetryableErrorTypes ?? [],
  };
}

/** The back-off before the next attempt, or undefined when `failure` ends the retries. */
function nextBackoffMs(policy: Required<RetryPolicy>, attempt: number, failure: Failure): number | undefined {
  const info = failure.applicationFailureInfo;
  if (info?.nonRetryable || (info?.type && policy.nonRetryableErrorTypes.includes(info.type))) return undefined;
  if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) return undefined;
  if (info?.nextRetryDelayMs !== undefined) return info.nextRetryDelayMs;
  return Math.min(Math.round(policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1)), policy.maximumIntervalMs);
}

/** Runs `req` until it completes, fails for good, or must back off as a workflow timer. */
export async function executeLocalActivity(env: LocalActivityEnv, req: LocalActivityRequest): Promise<LocalActivityResolution> {
  const { dataConverter } = env;
  const policy = withDefaults(req.retryPolicy);
  // Schedule-to-close counts from the first attempt's schedule (so back-off timers use it up); a
  // schedule time ahead of the worker's clock (a clock moved by time skipping) counts as now.
  const startedAt = Math.min(Date.now(), req.originalScheduleTime);
  const budgetMs = req.scheduleToCloseTimeoutMs;
  let attempt = req.attempt;
  const data = (extra: { backoffMs?: number } = {}) => ({
    seq: req.seq,
    attempt,
    activityId: req.activityId,
    activityType: req.activityType,
    completeTime: new Date().toISOString(),
    originalScheduleTime: new Date(req.originalScheduleTime).toISOString(),
    ...extra,
  });
  for (;;) {
    const remaining = budgetMs === undefined ? undefined : budgetMs - (Date.now() - startedAt);
    const outcome = await runAttempt(env, req, attempt, remaining);
    if ('result' in outcome) return { data: data(), outcome: { completed: outcome.result ? { result: outcome.result } : {} } };
    const failure = outcome.failure;
    const backoff = outcome.final ? undefined : nextBackoffMs(policy, attempt, failure);
    if (backoff === undefined || (remaining !== undefined && Date.now() - startedAt + backoff >= budgetMs!)) {
      return { data: data(), outcome: { failed: { failure } } };
    }
    if (backoff > req.localRetryThresholdMs || Date.now() + backoff > env.taskDeadline) {
      return { data: data({ backoffMs: backoff }), outcome: { backoff: { failure, backoffMs: backoff } } };
    }
    await delay(backoff);
    attempt++;
  }

  async function runAttempt(env: LocalActivityEnv, req: LocalActivityRequest, attempt: number, remainingMs: number | undefined): Promise<{ result: Payload | undefined } | { failure: Failure; final?: boolean }> {
    const abort = new AbortController();
    const limits: Array<{ ms: number; type: 'START_TO_CLOSE' | 'SCHEDULE_TO_CLOSE' }> = [];
    if (req.startToCloseTimeoutMs !== undefined) limits.push({ ms: req.startToCloseTimeoutMs, type: 'START_TO_CLOSE' });
    if (remainingMs !== undefined) limits.push({ ms: Math.max(0, remainingMs), type: 'SCHEDULE_TO_CLOSE' });
    const limit = limits.sort((a, b) => a.ms - b.ms)[0];
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const fn = env.activities[req.activityType];
      if (typeof fn !== 'function') {
        const registered = Object.keys(env.activities).sort().join(', ') || 'none';
        throw ApplicationFailure.nonRetryable(`Activity function ${req.activityType} is not registered on this worker, available activities: [${registered}]`, 'NotFoundError');
      }
      const args = arrayFromPayloads(dataConverter.payloadConverter, req.input);
      const ctx = new Context(localInfo(env, req, attempt), () => abort.signal, () => undefined, env.log);
      const execute = composeInterceptors(activityInbound(env.interceptors, ctx), 'execute', async (input) => fn(...input.args) as unknown);
      const run = Context.run(ctx, () => execute({ args, headers: req.headers ?? {} }));
      const timedOut = limit
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              abort.abort('TIMED_OUT');
              reject(new TimeoutFailure(`Local activity ${limit.type === 'START_TO_CLOSE' ? 'start-to-close' : 'schedule-to-close'} timeout`, undefined, limit.type));
            }, limit.ms);
          })
        : undefined;
      const value = await (timedOut ? Promise.race([run, timedOut]) : run);
      return { result: dataConverter.payloadConverter.toPayload(value) };
    } catch (err) {
      const failure = dataConverter.failureConverter.errorToFailure(err, dataConverter.payloadConverter);
      return { failure, final: failure.timeoutFailureInfo?.timeoutType === 'SCHEDULE_TO_CLOSE' };
    } finally {
      clearTimeout(timer);
    }
  }
}

function localInfo(env: LocalActivityEnv, req: LocalActivityRequest, attempt: number): Info {
  return {
    taskToken: new Uint8Array(),
    base64TaskToken: '',
    activityId: req.activityId,
    activityType: req.activityType,
    activityNamespace: env.namespace,
    workflowNamespace: env.namespace,
    workflowType: env.workflowType,
    workflowExecution: env.workflowExecution,
    taskQueue: env.taskQueue,
    attempt,
    isLocal: true,
    heartbeatDetails: undefined,
    ...(req.startToCloseTimeoutMs !== undefined ? { startToCloseTimeoutMs: req.startToCloseTimeoutMs } : {}),
    ...(req.scheduleToCloseTimeoutMs !== undefined ? { scheduleToCloseTimeoutMs: req.scheduleToCloseTimeoutMs } : {}),
    scheduledTimestampMs: req.originalScheduleTime,
    currentAttemptScheduledTimestampMs: Date.now(),
    startedTimestampMs: Date.now(),
  };
}
