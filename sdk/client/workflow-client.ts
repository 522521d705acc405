// Owns `WorkflowClient`, Temporal's entry point for workflows: its options and defaults, and
// `start`, `execute`, `result`, `getHandle`, `signalWithStart`, `list`, `count`.
import { hostname } from 'node:os';
import { WorkflowNotFoundError, loadDataConverter, type DataConverter, type LoadedDataConverter } from '../common/index.js';
import type { KeelServiceError } from './errors.js';
import { Connection, type ConnectionLike } from './connection.js';
import { BaseClient } from './base-client.js';
import type { WorkflowClientInterceptor } from './interceptors.js';
import type { AsyncWorkflowListIterable, CountWorkflowExecution, ListOptions, WithWorkflowArgs, Workflow, WorkflowResultType } from './types.js';
import {
  createWorkflowHandle,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowHandleWithSignaledRunId,
} from './workflow-handle.js';
import { listWorkflows, toCountWorkflowExecution } from './workflow-list.js';
import { WorkflowOperations } from './workflow-operations.js';
import { WithStartWorkflowOperation } from './update-with-start.js';
import type { WorkflowStartUpdateOptions, WorkflowUpdateHandle, WorkflowUpdateOptions } from './workflow-update.js';
import type { UpdateDefinition } from '../common/index.js';
import type {
  GetWorkflowHandleOptions,
  WorkflowResultOptions,
  WorkflowSignalWithStartOptions,
  WorkflowStartOptions,
} from './workflow-options.js';

/**
 * How many times `execute` starts again a run the service held in memory and lost (a crash of the
 * service each time, before the run was written): past that, the loss is the caller's to see.
 */
const MAX_PROVISIONAL_RESTARTS = 3;

/** Whether `err` says a provisional run was lost with the shard memory `heldIn` (a WORKFLOW_NOT_FOUND from another one). */
function lostWith(err: unknown, heldIn: string): boolean {
  if (!(err instanceof WorkflowNotFoundError)) return false;
  const memory = (err.cause as KeelServiceError | undefined)?.details?.shardMemory;
  return typeof memory === 'string' && memory !== heldIn;
}

/** Temporal's `QueryRejectCondition`: when a query is refused instead of answered. */
export const QueryRejectCondition = { NONE: 'NONE', NOT_OPEN: 'NOT_OPEN', NOT_COMPLETED_CLEANLY: 'NOT_COMPLETED_CLEANLY' } as const;
export type QueryRejectCondition = (typeof QueryRejectCondition)[keyof typeof QueryRejectCondition];

/** Options of {@link WorkflowClient} (and, through {@link Client}, of every sub-client). */
export interface WorkflowClientOptions {
  /**
   * The connection to the service; one lazily made to `127.0.0.1:7233` by default. Make one
   * and share it between clients.
   */
  connection?: ConnectionLike;
  /** The namespace every call is in. @default 'default' */
  namespace?: string;
  /**
   * Turns values into payloads and back, and encodes them (e.g. encrypts) with its codecs on
   * every payload that goes out or comes back.
   */
  dataConverter?: DataConverter;
  /** Who is calling, recorded in history. @default `${process.pid}@${os.hostname()}` */
  identity?: string;
  /**
   * Refuse queries to runs that are not running (`NOT_OPEN`) or did not complete successfully
   * (`NOT_COMPLETED_CLEANLY`) with a `QueryRejectedError` (Temporal's). @default 'NONE'
   */
  queryRejectCondition?: QueryRejectCondition;
  /** Interceptors of this client's calls and its handles' (Temporal's), the first outermost. */
  interceptors?: WorkflowClientInterceptor[];
}

/** {@link WorkflowClientOptions} with defaults applied. */
export interface LoadedWorkflowClientOptions {
  namespace: string;
  identity: string;
  dataConverter: DataConverter;
  loadedDataConverter: LoadedDataConverter;
}

/** Temporal's default identity. */
export function defaultIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

/**
 * Starts workflows and makes handles to them. Usually reached as `client.workflow` of a
 * {@link Client}; it can also be made alone, as in Temporal.
 */
export class WorkflowClient extends BaseClient {
  public readonly options: LoadedWorkflowClientOptions;
  private readonly operations: WorkflowOperations;

  constructor(options: WorkflowClientOptions = {}) {
    super(options.connection ?? Connection.lazy());
    const dataConverter = options.dataConverter ?? {};
    this.options = {
      namespace: options.namespace ?? 'default',
      identity: options.identity ?? defaultIdentity(),
      dataConverter,
      loadedDataConverter: loadDataConverter(dataConverter),
    };
    this.operations = new WorkflowOperations({
      connection: this.connection,
      namespace: this.options.namespace,
      dataConverter: this.options.loadedDataConverter,
      identity: this.options.identity,
      ...(options.queryRejectCondition ? { queryRejectCondition: options.queryRejectCondition } : {}),
      interceptors: options.interceptors ?? [],
    });
  }

  /**
   * Starts a workflow and returns a handle to it. The workflow type is the function's `name`
   * when a function is given, else the string itself.
   *
   * The handle is not bound to the started run (`runId` is undefined) so that signals and
   * queries reach the latest run after continue-as-new; `result()` starts from the started run
   * and follows the chain.
   *
   * @throws {WorkflowExecutionAlreadyStartedError} when a run with this id is running (conflict
   * policy `FAIL`, the default) or the reuse policy forbids a new one.
   *
   * @example
   * const handle = await client.workflow.start(order, {
   *   workflowId: 'order-42',
   *   taskQueue: 'orders',
   *   args: ['42'],
   *   workflowExecutionTimeout: '1 day',
   * });
   * console.log(handle.workflowId, handle.firstExecutionRunId);
   * const outcome = await handle.result();
   */
  public async start<T extends Workflow>(workflowTypeOrFunc: string | T, options: WorkflowStartOptions<T>): Promise<WorkflowHandleWithFirstExecutionRunId<T>> {
    const { runId, started, eagerlyStarted } = await this.operations.start(workflowTypeName(workflowTypeOrFunc), options as WorkflowStartOptions);
    const handle = createWorkflowHandle<T>(this, this.operations, {
      workflowId: options.workflowId,
      runId: undefined,
      firstExecutionRunId: runId,
      runIdForResult: runId,
      followRuns: options.followRuns ?? true,
      // With USE_EXISTING the run found may be a later run of its chain: its id does not name the chain.
      guardChain: started,
    });
    return Object.assign(handle, { firstExecutionRunId: runId, eagerlyStarted });
  }

  /**
   * Starts a workflow and waits for its result.
   *
   * @throws {WorkflowFailedError} when the workflow does not complete successfully.
   */
  public async execute<T extends Workflow>(workflowTypeOrFunc: string | T, options: WorkflowStartOptions<T>): Promise<WorkflowResultType<T>> {
    for (let lost = 0; ; lost++) {
      // Start and wait in one exchange where it can (WorkflowOperations.start): the close event comes with the start's answer.
      const { runId, closeEvent, provisional } = await this.operations.start(workflowTypeName(workflowTypeOrFunc), options as WorkflowStartOptions, true);
      try {
        return (await this.operations.result({ workflowId: options.workflowId, runId }, options.followRuns ?? true, closeEvent)) as WorkflowResultType<T>;
      } catch (err) {
        // A run the service held in memory (protocol 9) and lost with a crash before it was written — not found
        // by another memory of its shard than the one that held it: nobody was told of it, so it is started
        // again, as if the first start had never reached the service. Not found by the same memory, it was deleted.
        if (!(provisional && lostWith(err, provisional) && lost < MAX_PROVISIONAL_RESTARTS)) throw err;
      }
    }
  }

  /**
   * Waits for the result of a workflow (its latest run, or `runId`), following later runs unless
   * `followRuns: false`.
   */
  public async result<T extends Workflow>(workflowId: string, runId?: string, options?: WorkflowResultOptions): Promise<WorkflowResultType<T>> {
    return (await this.operations.result({ workflowId, runId }, options?.followRuns ?? true)) as WorkflowResultType<T>;
  }

  /**
   * A handle to an existing workflow; nothing is checked until a method is called (then a missing
   * workflow gives `WorkflowNotFoundError`).
   *
   * - `workflowId` only: the latest run with that id;
   * - with `runId`: that run;
   * - with `options.firstExecutionRunId`: the latest run, provided it belongs to the chain that
   *   run started (checked by `cancel` and `terminate`).
   */
  public getHandle<T extends Workflow>(workflowId: string, runId?: string, options?: GetWorkflowHandleOptions): WorkflowHandle<T> {
    return createWorkflowHandle<T>(this, this.operations, {
      workflowId,
      runId,
      firstExecutionRunId: options?.firstExecutionRunId,
      runIdForResult: runId ?? options?.firstExecutionRunId,
      followRuns: options?.followRuns ?? true,
      guardChain: true,
    });
  }

  /**
   * Temporal's signal-with-start: signals the workflow's running run, or, when none runs, starts
   * one with these options and signals it — in one step on the service, so the signal is never
   * lost between a start and a signal. A new run sees the signal in its first workflow task.
   *
   * The returned handle is not bound to a run (`runId` is undefined); `signaledRunId` is the run
   * that got the signal.
   *
   * @throws {WorkflowExecutionAlreadyStartedError} when no run is running and the reuse policy
   * forbids a new one.
   *
   * @example
   * const handle = await client.workflow.signalWithStart(cart, {
   *   workflowId: 'cart-7', taskQueue: 'shop', args: ['user-7'], signal: addItem, signalArgs: ['book'],
   * });
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public async signalWithStart<T extends Workflow, SignalArgs extends any[] = []>(
    workflowTypeOrFunc: string | T,
    options: WithWorkflowArgs<T, WorkflowSignalWithStartOptions<SignalArgs>>,
  ): Promise<WorkflowHandleWithSignaledRunId<T>> {
    const { signal, signalArgs, ...startOptions } = options;
    const signalName = typeof signal === 'string' ? signal : signal.name;
    const { runId } = await this.operations.signalWithStart(workflowTypeName(workflowTypeOrFunc), startOptions as WorkflowStartOptions, signalName, (signalArgs ?? []) as unknown[]);
    const handle = createWorkflowHandle<T>(this, this.operations, {
      workflowId: options.workflowId,
      runId: undefined,
      runIdForResult: runId,
      followRuns: options.followRuns ?? true,
      guardChain: false,
    });
    return { ...handle, signaledRunId: runId };
  }

  /**
   * Temporal's update-with-start: starts the operation's workflow — or, with conflict policy
   * USE_EXISTING, takes its running run — and sends it the update, then waits for the update's
   * result. The start is one transaction on the service; the update then goes to that run, so a
   * new run's first workflow task already has it pending. `startWorkflowOperation.workflowHandle()`
   * gives the run's handle.
   *
   * @throws {WorkflowExecutionAlreadyStartedError} with conflict policy FAIL when the workflow runs.
   * @throws {WorkflowUpdateFailedError} when the validator rejects the update or its handler fails.
   *
   * @example
   * const startWorkflowOperation = new WithStartWorkflowOperation(cart, { workflowId, taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' });
   * const total = await client.workflow.executeUpdateWithStart(addItem, { args: ['book'], startWorkflowOperation });
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public async executeUpdateWithStart<T extends Workflow, Ret, Args extends any[]>(
    updateDef: UpdateDefinition<Ret, Args> | string,
    options: WorkflowUpdateOptions<Args> & { startWorkflowOperation: WithStartWorkflowOperation<T> },
  ): Promise<Ret> {
    const answer = await this.updateWithStart(updateDef, options, 'COMPLETED');
    return (await this.operations.updates.outcome(answer.update)) as Ret;
  }

  /**
   * {@link executeUpdateWithStart} that returns once the update is accepted (`waitForStage:
   * 'ACCEPTED'`), with a handle that waits for its result.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  public async startUpdateWithStart<T extends Workflow, Ret, Args extends any[]>(
    updateDef: UpdateDefinition<Ret, Args> | string,
    options: WorkflowStartUpdateOptions<Args> & { startWorkflowOperation: WithStartWorkflowOperation<T> },
  ): Promise<WorkflowUpdateHandle<Ret>> {
    const answer = await this.updateWithStart(updateDef, options, options.waitForStage ?? 'ACCEPTED');
    return this.operations.updates.handle<Ret>({ workflowId: options.startWorkflowOperation.options.workflowId, runId: answer.runId }, answer.update.updateId, answer.update);
  }

  private async updateWithStart<T extends Workflow>(
    updateDef: { name: string } | string,
    options: WorkflowUpdateOptions & { startWorkflowOperation: WithStartWorkflowOperation<T> },
    stage: 'ACCEPTED' | 'COMPLETED',
  ) {
    const op = options.startWorkflowOperation;
    const settle = WithStartWorkflowOperation.claim(op);
    try {
      const updateName = typeof updateDef === 'string' ? updateDef : updateDef.name;
      const answer = await this.operations.updateWithStart(workflowTypeName(op.workflowTypeOrFunc), op.options as WorkflowStartOptions, updateName, { args: options.args ?? [], ...(options.updateId ? { updateId: options.updateId } : {}) }, stage);
      settle.resolve(
        createWorkflowHandle<T>(this, this.operations, {
          workflowId: op.options.workflowId,
          runId: undefined,
          firstExecutionRunId: answer.runId,
          runIdForResult: answer.runId,
          followRuns: op.options.followRuns ?? true,
          guardChain: answer.started,
        }),
      );
      return answer;
    } catch (err) {
      settle.reject(err);
      throw err;
    }
  }

  /**
   * The runs that match a list filter, in Temporal's syntax, newest start first unless the
   * filter has `ORDER BY`. Pages are fetched as the iteration goes on; a bad filter rejects the
   * first step with a `KeelServiceError` (code `INVALID_ARGUMENT`) whose message points at the
   * offending position.
   *
   * Summaries reach the service's visibility store shortly after each start and close (they
   * are written asynchronously, and retried until written), so a run may show there a moment
   * after the call that changed it returned.
   *
   * @example
   * for await (const wf of client.workflow.list({ query: "WorkflowType = 'order' AND ExecutionStatus = 'Running'" })) {
   *   console.log(wf.workflowId, wf.status.name, wf.startTime);
   * }
   */
  public list(options?: ListOptions): AsyncWorkflowListIterable {
    return listWorkflows(this.operations, options);
  }

  /**
   * How many runs match a list filter (all runs without one). End the filter with
   * `GROUP BY ExecutionStatus` to count per status, as Temporal's `count` does.
   *
   * @example
   * const { count } = await client.workflow.count("ExecutionStatus = 'Running'");
   * const { groups } = await client.workflow.count('GROUP BY ExecutionStatus'); // [{ groupValues: ['Running'], count: 3 }, …]
   */
  public async count(query?: string): Promise<CountWorkflowExecution> {
    return toCountWorkflowExecution(await this.operations.count(query));
  }
}

/** The workflow type of a function (its name) or a string, as Temporal's `extractWorkflowType`. */
export function workflowTypeName(workflowTypeOrFunc: string | Workflow): string {
  if (typeof workflowTypeOrFunc === 'string') return workflowTypeOrFunc;
  if (typeof workflowTypeOrFunc === 'function') {
    if (workflowTypeOrFunc.name) return workflowTypeOrFunc.name;
    throw new TypeError('Invalid workflow type: the function has no name; pass a named function or the type as a string');
  }
  throw new TypeError(`Invalid workflow type: expected either a string or a function, got '${typeof workflowTypeOrFunc}'`);
}
