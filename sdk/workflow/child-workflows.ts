// Owns child workflows seen from the parent: `startChild`, `executeChild`, ChildWorkflowHandle,
// the StartChildWorkflowExecution command, and how each ChildWorkflowCancellationType settles the
// child's promises when the scope it runs in is cancelled.
import { composeInterceptors } from '../common/interceptors.js';
import type { StartChildWorkflowExecutionInput } from './interceptors.js';
import type { CommandOf } from '../../protocol/commands.js';
import type { Failure } from '../../protocol/payload.js';
import {
  CancelledFailure,
  ChildWorkflowCancellationType,
  ChildWorkflowFailure,
  ParentClosePolicy,
  WorkflowExecutionAlreadyStartedError,
  compileRetryPolicy,
  mapToPayloads,
  msOptionalToNumber,
  toPayloads,
  type Duration,
  type RetryPolicy,
  type WorkflowIdReusePolicy,
} from '../common/index.js';
import type { SignalDefinition } from '../common/definitions.js';
import type { ChildWorkflowResolution } from './activation.js';
import type { Activator } from './activator.js';
import { CancellationScope } from './cancellation-scope.js';
import { signalExternal, requestCancelExternal } from './external-workflows.js';
import { assertInWorkflowContext } from './global-state.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Workflow = (...args: any[]) => Promise<any>;
type WorkflowResultType<T extends Workflow> = Awaited<ReturnType<T>>;

/** Options of a child workflow (Temporal's `ChildWorkflowOptions`). */
export interface ChildWorkflowOptions {
  /** @default a workflow-deterministic `uuid4()` */
  workflowId?: string;
  /** @default the parent's task queue */
  taskQueue?: string;
  /** The child's arguments. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args?: any[];
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  retry?: RetryPolicy;
  /** What happens to the child when the parent closes. @default ParentClosePolicy.TERMINATE */
  parentClosePolicy?: ParentClosePolicy;
  /** How the parent awaits the child's cancellation. @default ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED */
  cancellationType?: ChildWorkflowCancellationType;
  workflowIdReusePolicy?: WorkflowIdReusePolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
}

/** Options whose `args` are typed by the workflow `T`. */
export type ChildWorkflowOptionsFor<T extends Workflow> = Omit<ChildWorkflowOptions, 'args'> & (Parameters<T> extends [] ? { args?: [] } : { args: Parameters<T> });

/** A started child workflow (Temporal's `ChildWorkflowHandle`). */
export interface ChildWorkflowHandle<T extends Workflow> {
  readonly workflowId: string;
  /** The run id the child started with. */
  readonly firstExecutionRunId: string;
  /** The child's result; rejects with a `ChildWorkflowFailure` when it fails, is cancelled, times out or is terminated. */
  result(): Promise<WorkflowResultType<T>>;
  /** Signals the child. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  signal<Args extends any[] = [], Name extends string = string>(def: SignalDefinition<Args, Name> | string, ...args: Args): Promise<void>;
}

/** A child the workflow waits for, by sequence number. */
export interface PendingChild {
  workflowId: string;
  workflowType: string;
  cancellationType: ChildWorkflowCancellationType;
  /** Set once ChildWorkflowExecutionStarted arrived. */
  runId?: string;
  started: { resolve: (runId: string) => void; reject: (err: unknown) => void };
  completed: { resolve: (value: unknown) => void; reject: (err: unknown) => void };
  cancelRequested: boolean;
}

/** Drops `undefined` fields, so that commands compare and serialise cleanly. */
function compact<T extends object>(o: T): T {
  const record = o as Record<string, unknown>;
  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key];
  return o;
}

function wholeMs(duration: Duration | undefined): number | undefined {
  const ms = msOptionalToNumber(duration);
  return ms === undefined ? undefined : Math.ceil(ms);
}

/** What a cancelled child's promises reject with: a ChildWorkflowFailure caused by a CancelledFailure (so `isCancellation` is true). */
function cancelledChildError(child: PendingChild): ChildWorkflowFailure {
  return new ChildWorkflowFailure(undefined, { workflowId: child.workflowId, ...(child.runId ? { runId: child.runId } : {}) }, child.workflowType, 'CANCEL_REQUESTED', new CancelledFailure('Child Workflow cancelled'));
}

/**
 * Starts a child workflow and resolves with its handle once the child has started (rejects with
 * `WorkflowExecutionAlreadyStartedError` when its workflow id is in use by a running workflow).
 *
 * @example
 * const child = await startChild(processOrder, { args: [orderId], parentClosePolicy: ParentClosePolicy.ABANDON });
 * const result = await child.result();
 */
export function startChild<T extends Workflow>(workflowTypeOrFunc: string | T, options?: ChildWorkflowOptionsFor<T> | ChildWorkflowOptions): Promise<ChildWorkflowHandle<T>> {
  const activator = assertInWorkflowContext('Starting a child workflow');
  activator.assertNotInQuery('A child workflow');
  const workflowType = typeof workflowTypeOrFunc === 'string' ? workflowTypeOrFunc : workflowTypeOrFunc.name;
  if (!workflowType) throw new TypeError('startChild needs a workflow type name or a named workflow function');
  const opts: ChildWorkflowOptions = (options ?? {}) as ChildWorkflowOptions;
  const seq = activator.nextSeqs.childWorkflow++;
  const workflowId = opts.workflowId ?? activator.random.uuid4();
  // The caller's scope, taken now: an interceptor's own awaits must not change which scope cancels the child.
  const scope = CancellationScope.current();
  const start = composeInterceptors(activator.interceptors.outbound, 'startChildWorkflowExecution', async (input) => startChildNext(activator, input, scope));
  const startedAndCompleted = start({ workflowType, options: { ...opts, workflowId }, headers: {}, seq });
  const started = startedAndCompleted.then(([started]) => started);
  const completion = startedAndCompleted.then(([, completed]) => completed);
  // The parent may never await the result (fire and forget): an unobserved rejection must not
  // count as unhandled.
  completion.catch(() => undefined);
  return started.then((firstExecutionRunId) => ({
    workflowId,
    firstExecutionRunId,
    result: () => completion as Promise<WorkflowResultType<T>>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    signal: (def: SignalDefinition<any[]> | string, ...args: unknown[]) => signalExternal({ workflowId }, typeof def === 'string' ? def : def.name, args, true),
  }));
}

/** The end of the `startChildWorkflowExecution` chain: the command, and the promises of the child's start and result. */
function startChildNext(activator: Activator, input: StartChildWorkflowExecutionInput, scope: CancellationScope): [Promise<string>, Promise<unknown>] {
  const { workflowType, options: opts, headers, seq } = input;
  const { workflowId } = opts;
  const cancellationType = opts.cancellationType ?? ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED;
  let completion!: Promise<unknown>;
  const started = new Promise<string>((resolveStarted, rejectStarted) => {
    completion = new Promise<unknown>((resolveCompleted, rejectCompleted) => {
      const pending: PendingChild = {
        workflowId,
        workflowType,
        cancellationType,
        started: { resolve: resolveStarted, reject: rejectStarted },
        completed: { resolve: resolveCompleted, reject: rejectCompleted },
        cancelRequested: false,
      };
      if (scope.consideredCancelled) {
        scope.cancelRequested.catch((err: unknown) => {
          rejectStarted(err);
          rejectCompleted(err);
        });
        return;
      }
      const command = compact<CommandOf<'StartChildWorkflowExecution'>>({
        type: 'StartChildWorkflowExecution',
        workflowId,
        workflowType,
        taskQueue: opts.taskQueue ?? activator.startInfo?.taskQueue,
        input: toPayloads(activator.payloadConverter, ...(opts.args ?? [])),
        workflowExecutionTimeoutMs: wholeMs(opts.workflowExecutionTimeout),
        workflowRunTimeoutMs: wholeMs(opts.workflowRunTimeout),
        workflowTaskTimeoutMs: wholeMs(opts.workflowTaskTimeout),
        parentClosePolicy: opts.parentClosePolicy ?? ParentClosePolicy.TERMINATE,
        workflowIdReusePolicy: opts.workflowIdReusePolicy,
        retryPolicy: opts.retry ? compileRetryPolicy(opts.retry) : undefined,
        memo: opts.memo ? mapToPayloads(activator.payloadConverter, opts.memo) : undefined,
        searchAttributes: opts.searchAttributes,
        header: Object.keys(headers).length > 0 ? headers : undefined,
        control: String(seq),
      });
      if (scope.cancellable) scope.cancelRequested.catch(() => requestCancelChild(activator, seq, pending, command));
      activator.pushCommand(command);
      activator.children.set(seq, pending);
    });
  });
  // Settled by the parent's awaits; an unobserved rejection must not count as unhandled.
  started.catch(() => undefined);
  completion.catch(() => undefined);
  return [started, completion];
}

/**
 * Starts a child workflow and resolves with its result (Temporal's `executeChild`).
 *
 * @example
 * const receipt = await executeChild(charge, { args: [orderId] });
 */
export async function executeChild<T extends Workflow>(workflowTypeOrFunc: string | T, options?: ChildWorkflowOptionsFor<T> | ChildWorkflowOptions): Promise<WorkflowResultType<T>> {
  const handle = await startChild<T>(workflowTypeOrFunc, options);
  return handle.result();
}

function requestCancelChild(activator: Activator, seq: number, pending: PendingChild, command: CommandOf<'StartChildWorkflowExecution'>): void {
  if (activator.children.get(seq) !== pending || pending.cancelRequested) return;
  pending.cancelRequested = true;
  const settleNow = (): void => {
    activator.children.delete(seq);
    const err = cancelledChildError(pending);
    pending.started.reject(err);
    pending.completed.reject(err);
  };
  // Not sent yet: the child never starts.
  if (activator.withdrawCommand(command)) return settleNow();
  if (pending.cancellationType === ChildWorkflowCancellationType.ABANDON) return settleNow();
  // Sent but not started yet: the cancellation follows the start (see resolveChildStart).
  if (pending.runId === undefined) return;
  sendChildCancel(activator, seq, pending);
}

/** Asks the service to cancel the started child, then settles as its cancellation type says. */
function sendChildCancel(activator: Activator, seq: number, pending: PendingChild): void {
  const requested = requestCancelExternal({ workflowId: pending.workflowId }, true, false);
  if (pending.cancellationType === ChildWorkflowCancellationType.TRY_CANCEL) {
    requested.catch(() => undefined);
    activator.children.delete(seq);
    pending.completed.reject(cancelledChildError(pending));
  } else if (pending.cancellationType === ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED) {
    requested.then(
      () => {
        if (activator.children.get(seq) !== pending) return;
        activator.children.delete(seq);
        pending.completed.reject(cancelledChildError(pending));
      },
      (err: unknown) => pending.completed.reject(err),
    );
  } else {
    // WAIT_CANCELLATION_COMPLETED: the child's own close settles it.
    requested.catch(() => undefined);
  }
}

/** Settles a child's start (the resolveChildWorkflowExecutionStart job). */
export function resolveChildStart(activator: Activator, seq: number, started: { runId: string } | undefined, failed: { workflowId: string; workflowType: string; cause: string } | undefined): void {
  const pending = activator.children.get(seq);
  if (!pending) return;
  if (started) {
    pending.runId = started.runId;
    pending.started.resolve(started.runId);
    // Cancelled while its start was on the way: the cancellation goes out now.
    if (pending.cancelRequested && pending.cancellationType !== ChildWorkflowCancellationType.ABANDON) sendChildCancel(activator, seq, pending);
    return;
  }
  activator.children.delete(seq);
  const err = new WorkflowExecutionAlreadyStartedError('Workflow execution already started', failed?.workflowId ?? pending.workflowId, failed?.workflowType ?? pending.workflowType);
  pending.started.reject(err);
  pending.completed.reject(err);
}

/** Settles a child's result (the resolveChildWorkflowExecution job). */
export function resolveChildResult(activator: Activator, seq: number, result: ChildWorkflowResolution): void {
  const pending = activator.children.get(seq);
  if (!pending) return;
  activator.children.delete(seq);
  if ('completed' in result) {
    const payload = result.completed.result;
    pending.completed.resolve(payload === undefined ? undefined : activator.payloadConverter.fromPayload(payload));
  } else {
    pending.completed.reject(activator.failureConverter.failureToError(result.failed.failure as Failure, activator.payloadConverter));
  }
}
