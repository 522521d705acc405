// Owns `WorkflowHandle`: the client-side handle to one workflow (and optionally one run or chain)
// that Temporal's `start`/`getHandle` return, delegating each method to the workflow operations.
import type { WorkflowClient } from './workflow-client.js';
import type { WorkflowOperations } from './workflow-operations.js';
import type { UpdateDefinition } from '../common/index.js';
import type { WorkflowStartUpdateOptions, WorkflowUpdateHandle, WorkflowUpdateOptions } from './workflow-update.js';
import type {
  History,
  QueryDefinition,
  SignalDefinition,
  Workflow,
  WorkflowExecutionDescription,
  WorkflowResultType,
} from './types.js';

/**
 * A handle to one workflow: wait for its result, signal, query, cancel, terminate, describe it,
 * read its history.
 *
 * Without a `runId` the handle acts on the latest run with its workflow id (so it keeps working
 * after continue-as-new); with one, on that run only.
 *
 * @example
 * const handle = client.workflow.getHandle('order-42');
 * await handle.signal(approve, true);
 * const status = await handle.query(statusQuery);
 * const result = await handle.result();
 */
export interface WorkflowHandle<T extends Workflow = Workflow> {
  /** The workflow id. */
  readonly workflowId: string;
  /** The run this handle is bound to; `undefined` for the latest run. */
  readonly runId?: string;
  /** The first run of the chain this handle belongs to, when known. */
  readonly firstExecutionRunId?: string;
  /** The client that made the handle. */
  readonly client: WorkflowClient;

  /**
   * Waits for the workflow to close and returns its result, following continue-as-new and retry
   * runs unless `followRuns: false` was given.
   *
   * @throws {WorkflowFailedError} when it failed, was cancelled, terminated or timed out; `cause`
   * says which (`ApplicationFailure`, `CancelledFailure`, `TerminatedFailure`, `TimeoutFailure`).
   * @throws {WorkflowNotFoundError} when there is no such workflow.
   */
  result(): Promise<WorkflowResultType<T>>;

  /**
   * Sends a signal, by definition (from `defineSignal`) or name.
   *
   * @throws {WorkflowNotFoundError} when the workflow does not exist or is closed.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signal<Args extends any[] = [], Name extends string = string>(def: SignalDefinition<Args, Name> | string, ...args: Args): Promise<void>;

  /**
   * Queries the workflow, by definition (from `defineQuery`) or name; works on closed workflows
   * too while a worker can replay them.
   *
   * @throws {QueryFailedError} when the workflow has no handler for it or the handler threw.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<Ret, Args extends any[] = []>(def: QueryDefinition<Ret, Args> | string, ...args: Args): Promise<Ret>;

  /**
   * Sends an update, by definition (from `defineUpdate`) or name, and waits for its result.
   *
   * @throws {WorkflowUpdateFailedError} when its validator rejected it (history is unchanged) or its
   * handler threw an ApplicationFailure; `cause` is that failure.
   * @throws {WorkflowUpdateRPCTimeoutOrCancelledError} when no worker validated it in time.
   * @example
   * const previous = await handle.executeUpdate(setPrice, { args: [42] });
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  executeUpdate<Ret, Args extends any[] = []>(def: UpdateDefinition<Ret, Args> | string, options?: WorkflowUpdateOptions<Args>): Promise<Ret>;

  /** Sends an update and returns once it is accepted, with a handle to wait for its result. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  startUpdate<Ret, Args extends any[] = []>(def: UpdateDefinition<Ret, Args> | string, options: WorkflowStartUpdateOptions<Args>): Promise<WorkflowUpdateHandle<Ret>>;

  /** A handle to an update sent earlier (by any client), by its id. */
  getUpdateHandle<Ret>(updateId: string, workflowId?: string, options?: { workflowRunId?: string }): WorkflowUpdateHandle<Ret>;

  /**
   * Requests cancellation: the workflow sees a `CancelledFailure` in its root scope, and
   * `result()` then throws a `WorkflowFailedError` caused by a `CancelledFailure`.
   */
  cancel(): Promise<void>;

  /** Terminates the workflow at once, without running any more of its code. */
  terminate(reason?: string): Promise<void>;

  /** Describes the run: status, type, task queue, times, memo, search attributes. */
  describe(): Promise<WorkflowExecutionDescription>;

  /** Reads the run's whole history, every page, in Temporal's JSON form (payloads still encoded). */
  fetchHistory(): Promise<History>;
}

/** The handle `start` returns: it knows the first run of the chain it started. */
export interface WorkflowHandleWithFirstExecutionRunId<T extends Workflow = Workflow> extends WorkflowHandle<T> {
  /** The run id of the run `start` started (or found running, with `USE_EXISTING`). */
  readonly firstExecutionRunId: string;
  /** Whether the first workflow task went straight to a Worker in this process (`requestEagerStart`). */
  readonly eagerlyStarted: boolean;
}

/** The handle `signalWithStart` returns (Temporal's). */
export interface WorkflowHandleWithSignaledRunId<T extends Workflow = Workflow> extends WorkflowHandle<T> {
  /** The run that got the signal: the one found running, or the one started. */
  readonly signaledRunId: string;
}

/** What a handle is made of. */
export interface WorkflowHandleFields {
  workflowId: string;
  runId?: string;
  firstExecutionRunId?: string;
  /** The run `result()` starts from: the bound run, else the first of the chain, else the latest. */
  runIdForResult?: string;
  followRuns: boolean;
  /**
   * Whether `cancel`/`terminate` must check that the latest run belongs to the chain of
   * `firstExecutionRunId` (not when `start` found an existing run, whose chain it does not know).
   */
  guardChain: boolean;
}

/** Makes a handle over `operations`. */
export function createWorkflowHandle<T extends Workflow>(
  client: WorkflowClient,
  operations: WorkflowOperations,
  fields: WorkflowHandleFields,
): WorkflowHandle<T> {
  const { workflowId, runId, firstExecutionRunId, runIdForResult, followRuns, guardChain } = fields;
  const target = { workflowId, runId };
  const chain = guardChain ? firstExecutionRunId : undefined;
  return {
    client,
    workflowId,
    runId,
    firstExecutionRunId,
    async result() {
      return (await operations.result({ workflowId, runId: runIdForResult }, followRuns)) as WorkflowResultType<T>;
    },
    async signal(def, ...args) {
      await operations.signal(target, typeof def === 'string' ? def : def.name, args);
    },
    async query<Ret>(def: QueryDefinition<Ret, never> | string, ...args: unknown[]) {
      return (await operations.query(target, typeof def === 'string' ? def : def.name, args)) as Ret;
    },
    async executeUpdate(def: UpdateDefinition<unknown, never> | string, options: WorkflowUpdateOptions = {}) {
      const updates = operations.updates;
      const answer = await updates.send({ ...target, firstExecutionRunId: chain }, typeof def === 'string' ? def : def.name, options, 'COMPLETED');
      return updates.outcome(answer);
    },
    async startUpdate(def: UpdateDefinition<unknown, never> | string, options: WorkflowStartUpdateOptions) {
      const updates = operations.updates;
      const answer = await updates.send({ ...target, firstExecutionRunId: chain }, typeof def === 'string' ? def : def.name, options, options.waitForStage ?? 'ACCEPTED');
      return updates.handle(target, answer.updateId, answer);
    },
    getUpdateHandle(updateId: string, otherWorkflowId?: string, options?: { workflowRunId?: string }) {
      return operations.updates.handle({ workflowId: otherWorkflowId ?? workflowId, runId: options?.workflowRunId ?? runId }, updateId);
    },
    async cancel() {
      await operations.cancel(target, chain);
    },
    async terminate(reason?: string) {
      await operations.terminate(target, reason, chain);
    },
    describe() {
      return operations.describe(target);
    },
    fetchHistory() {
      return operations.fetchHistory(target);
    },
  } as WorkflowHandle<T>;
}
