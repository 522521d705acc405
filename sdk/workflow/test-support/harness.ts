// Owns the test harness for the workflow runtime: drives `createRuntime` in plain Node the way
// the worker does (activate, drain microtasks, unblock conditions, collect) with readable jobs.
import type { Command } from '../../../protocol/commands.js';
import type { Failure, Payload } from '../../../protocol/payload.js';
import { defaultPayloadConverter } from '../../common/index.js';
import type { ActivationJob, ActivationResult, QueryResult, WorkflowStartInfo } from '../activation.js';
import { createRuntime, type RuntimeOptions, type WorkflowRuntime } from '../runtime.js';

/** The payload of `value` under the default converter. */
export const p = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
/** The value of a payload under the default converter. */
export const v = (payload: Payload | undefined): unknown =>
  payload === undefined ? undefined : defaultPayloadConverter.fromPayload(payload);

/** Lets every pending microtask (and the ones they queue) run, as the worker does. */
export const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const T0 = Date.UTC(2025, 0, 1);

export function startInfo(workflowType: string, overrides?: Partial<WorkflowStartInfo>): WorkflowStartInfo {
  return {
    namespace: 'default',
    workflowId: 'wf-1',
    runId: 'run-1',
    workflowType,
    taskQueue: 'q',
    attempt: 1,
    firstExecutionRunId: 'run-1',
    workflowTaskTimeoutMs: 10_000,
    startTime: T0,
    ...overrides,
  };
}

/** Jobs in a compact form. */
export const job = {
  start: (workflowType: string, args: unknown[] = [], seed = 42): ActivationJob => ({
    type: 'startWorkflow',
    workflowType,
    args: args.map(p),
    info: startInfo(workflowType),
    randomnessSeed: seed,
  }),
  fire: (timerId: string): ActivationJob => ({ type: 'fireTimer', timerId }),
  complete: (activityId: string, result?: unknown): ActivationJob => ({
    type: 'resolveActivity',
    activityId,
    result: { completed: { result: result === undefined ? undefined : p(result) } },
  }),
  fail: (activityId: string, failure: Failure): ActivationJob => ({ type: 'resolveActivity', activityId, result: { failed: { failure } } }),
  cancelled: (activityId: string): ActivationJob => ({
    type: 'resolveActivity',
    activityId,
    result: { cancelled: { failure: { message: 'Activity cancelled', canceledFailureInfo: {} } } },
  }),
  signal: (signalName: string, ...args: unknown[]): ActivationJob => ({ type: 'signalWorkflow', signalName, args: args.map(p) }),
  cancel: (): ActivationJob => ({ type: 'cancelWorkflow' }),
};

/** One workflow run driven like the worker drives it. */
export class Run {
  public readonly runtime: WorkflowRuntime;
  public time = T0;
  public historyLength = 0;

  constructor(workflows: Record<string, unknown>, options?: RuntimeOptions) {
    this.runtime = createRuntime(workflows, options);
  }

  /** Runs one activation to quiescence and returns its result. */
  async activate(jobs: ActivationJob[], opts?: { isReplaying?: boolean; advanceMs?: number }): Promise<ActivationResult> {
    this.time += opts?.advanceMs ?? 1000;
    this.historyLength += 3 + jobs.length;
    this.runtime.activate({ timestamp: this.time, isReplaying: opts?.isReplaying ?? false, historyLength: this.historyLength, jobs });
    do await drain();
    while (this.runtime.tryUnblockConditions() > 0);
    return this.runtime.collectCommands();
  }

  /** Like {@link activate}, expecting commands. */
  async commands(jobs: ActivationJob[], opts?: { isReplaying?: boolean; advanceMs?: number }): Promise<Command[]> {
    const result = await this.activate(jobs, opts);
    if ('failure' in result) throw new Error(`workflow task failed: ${result.failure.message}`);
    return result.commands;
  }

  query(queryType: string, ...args: unknown[]): QueryResult {
    return this.runtime.query({ queryId: 'q1', queryType, args: args.map(p) });
  }
}
