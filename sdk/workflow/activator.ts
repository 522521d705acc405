// Owns the state of one workflow run inside the sandbox and how activations change it: jobs in,
// commands out, plus signal dispatch, queries and how the workflow function's end becomes a
// close command or a workflow task failure.
import type { Command } from '../../protocol/commands.js';
import type { Failure, Payload } from '../../protocol/payload.js';
import {
  IllegalStateError,
  TemporalFailure,
  arrayFromPayloads,
  defaultFailureConverter,
  defaultPayloadConverter,
  isCancellation,
  type FailureConverter,
  type PayloadConverter,
} from '../common/index.js';
import type { Activation, ActivationJob, ActivationResult, QueryRequest, QueryResult, WorkflowStartInfo } from './activation.js';
import { resolveActivity, type PendingActivity } from './activities.js';
import {
  RootCancellationScope,
  createScopeStorage,
  type AsyncLocalStorageConstructor,
  type ScopeStorage,
} from './cancellation-scope.js';
import { tryUnblockConditions, type BlockedCondition } from './conditions.js';
import { ContinueAsNew } from './continue-as-new.js';
import { DeterminismViolationError } from './errors.js';
import type { DefaultSignalHandler, WorkflowLogSink } from './interfaces.js';
import { collectLocalActivityRequests, resolveLocalActivity } from './local-activities.js';
import { consoleLogSink } from './log.js';
import { Prng } from './random.js';
import { fireTimer, startTimer, type PendingTimer } from './timers.js';
import { doUpdate, updateState, validateUpdate, warnUnfinishedHandlers } from './updates.js';
import { resolveChildResult, resolveChildStart, type PendingChild } from './child-workflows.js';
import { resolveExternalCall, type PendingExternalCall } from './external-workflows.js';
import type { WorkflowInterceptors, WorkflowInterceptorsFactory } from './interceptors.js';
import type { SinkCall } from './sinks.js';
import { composeInterceptors } from '../common/interceptors.js';

/** Options of a workflow run's runtime. */
export interface ActivatorOptions {
  /** Converts arguments, results and details; must be deterministic. @default defaultPayloadConverter */
  payloadConverter?: PayloadConverter;
  /** Converts errors ⇄ failures (a worker's `dataConverter.failureConverterPath`); must be deterministic. @default defaultFailureConverter */
  failureConverter?: FailureConverter;
  /**
   * The `AsyncLocalStorage` class that lets cancellation scopes follow `await`s.
   * @default globalThis.AsyncLocalStorage (the worker provides it to the sandbox)
   */
  AsyncLocalStorage?: AsyncLocalStorageConstructor;
  /** Where `log` writes. @default the sandbox's console */
  logger?: WorkflowLogSink;
  /**
   * The `interceptors` factories of the worker's `interceptors.workflowModules`, in order; each is
   * called once when the run starts, inside the workflow (so it may call `workflowInfo()`).
   */
  interceptors?: WorkflowInterceptorsFactory[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

interface BufferedSignal {
  signalName: string;
  args: Payload[];
  headers?: Record<string, Payload>;
}

/** The built-in query that describes what the workflow waits for. */
export const STACK_TRACE_QUERY = '__stack_trace';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * One workflow run's state inside the sandbox. The public functions of `keel/workflow` (sleep,
 * proxyActivities, condition, setHandler, …) find it through the global state and act on it.
 *
 * Everything that reaches the commands is a function of the activations alone (job order,
 * timestamps, the randomness seed), which is what lets a replay rebuild the same state.
 */
export class Activator {
  public readonly payloadConverter: PayloadConverter;
  public readonly failureConverter: FailureConverter;
  public readonly scopeStorage: ScopeStorage;
  public readonly rootScope: RootCancellationScope;
  /** Per-kind sequence numbers, as Temporal's: timer and activity ids derive from them. */
  public readonly nextSeqs = { timer: 1, activity: 1, condition: 1, childWorkflow: 1, signalExternal: 1, cancelExternal: 1 };
  public readonly timers = new Map<string, PendingTimer>();
  public readonly activities = new Map<string, PendingActivity>();
  /** Child workflows, external signals and cancellation requests the workflow waits on, by sequence number. */
  public readonly children = new Map<number, PendingChild>();
  public readonly externalSignals = new Map<number, PendingExternalCall>();
  public readonly externalCancels = new Map<number, PendingExternalCall>();
  public readonly blockedConditions = new Map<number, BlockedCondition>();
  public readonly signalHandlers = new Map<string, AnyFunction>();
  public defaultSignalHandler: DefaultSignalHandler | undefined;
  public readonly queryHandlers = new Map<string, AnyFunction>();
  public logSink: WorkflowLogSink;
  /** The run's interceptors, made by the factories when the run starts; the first of each list outermost. */
  public readonly interceptors: Required<WorkflowInterceptors> = { inbound: [], outbound: [], internals: [] };
  /** Sink calls made since the last collection (proxySinks). */
  public sinkCalls: SinkCall[] = [];
  /** Patch ids whose markers history has (the notifyHasPatch jobs). */
  public readonly knownPresentPatches = new Set<string>();
  /** What `patched` answered for each patch id: the same for the rest of the run. */
  public readonly patchDecisions = new Map<string, boolean>();

  /** Set by the startWorkflow job. */
  public startInfo: WorkflowStartInfo | undefined;
  /** The current activation's time: `Date.now()` in the workflow. Undefined before the first activation. */
  public now: number | undefined;
  public isReplaying = false;
  public historyLength = 0;
  public historySize = 0;
  /** Whether the history nears its limit (the activation says so): `workflowInfo().continueAsNewSuggested`. */
  public continueAsNewSuggested = false;
  /** Seeded by startWorkflow; a fixed seed before that, so module-level draws are deterministic too. */
  public random: Prng = Prng.fromSeed(0);
  /** Whether cancellation of the workflow was requested (the cancelWorkflow job). */
  public cancelled = false;
  /** Whether a close command was issued; later commands are dropped, as Temporal's core does. */
  public completed = false;
  /** True while a query handler runs: it may read state but not issue commands. */
  public inQuery = false;

  private readonly workflows: Record<string, unknown>;
  private readonly interceptorFactories: WorkflowInterceptorsFactory[];
  private readonly bufferedSignals: BufferedSignal[] = [];
  private commands: Command[] = [];
  /** Set when the workflow task must fail; sticky, since the worker then discards this run. */
  private taskFailure: Failure | undefined;

  constructor(workflows: Record<string, unknown>, options?: ActivatorOptions) {
    this.workflows = workflows;
    this.payloadConverter = options?.payloadConverter ?? defaultPayloadConverter;
    this.failureConverter = options?.failureConverter ?? defaultFailureConverter;
    this.scopeStorage = createScopeStorage(options?.AsyncLocalStorage);
    this.rootScope = new RootCancellationScope();
    this.logSink = options?.logger ?? consoleLogSink;
    this.interceptorFactories = options?.interceptors ?? [];
  }

  // ---- activations ----------------------------------------------------------------------

  /** Applies an activation's jobs in order, re-evaluating conditions after each. Never throws. */
  public activate(activation: Activation): void {
    composeInterceptors(this.interceptors.internals, 'activate', ({ activation }) => this.applyActivation(activation))({ activation, batchIndex: 0 });
  }

  private applyActivation(activation: Activation): void {
    this.now = activation.timestamp;
    this.isReplaying = activation.isReplaying;
    this.historyLength = activation.historyLength;
    this.historySize = activation.historySize ?? 0;
    this.continueAsNewSuggested = activation.continueAsNewSuggested ?? false;
    for (const job of activation.jobs) {
      if (this.taskFailure) return;
      try {
        this.applyJob(job);
        tryUnblockConditions(this);
      } catch (err) {
        this.failTask(err);
      }
    }
  }

  private applyJob(job: ActivationJob): void {
    switch (job.type) {
      case 'startWorkflow':
        return this.startWorkflow(job);
      case 'fireTimer':
        return fireTimer(this, job.timerId);
      case 'resolveActivity':
        return resolveActivity(this, job.activityId, job.result);
      case 'signalWorkflow':
        return this.signalWorkflow({ signalName: job.signalName, args: job.args, ...(job.headers ? { headers: job.headers } : {}) });
      case 'cancelWorkflow':
        this.cancelled = true;
        return this.rootScope.cancel();
      case 'notifyHasPatch':
        this.knownPresentPatches.add(job.patchId);
        return;
      case 'resolveLocalActivity':
        return resolveLocalActivity(this, job.seq, job.resolution);
      case 'doUpdate':
        return doUpdate(this, job);
      case 'resolveChildWorkflowExecutionStart':
        return resolveChildStart(this, job.seq, job.started, job.failed);
      case 'resolveChildWorkflowExecution':
        return resolveChildResult(this, job.seq, job.result);
      case 'resolveSignalExternalWorkflow':
        return resolveExternalCall(this, this.externalSignals, job.seq, job.failure);
      case 'resolveRequestCancelExternalWorkflow':
        return resolveExternalCall(this, this.externalCancels, job.seq, job.failure);
      default:
        throw new TypeError(`Unknown activation job: ${JSON.stringify((job as { type?: unknown }).type)}`);
    }
  }

  private startWorkflow(job: Extract<ActivationJob, { type: 'startWorkflow' }>): void {
    if (this.startInfo) throw new IllegalStateError('The workflow was already started in this runtime');
    this.startInfo = job.info;
    this.random = Prng.fromSeed(job.randomnessSeed);
    const fn = this.workflows[job.workflowType];
    if (typeof fn !== 'function') {
      const registered = Object.keys(this.workflows).filter((name) => typeof this.workflows[name] === 'function');
      throw new ReferenceError(
        `Workflow type ${job.workflowType} is not registered; registered: ${registered.length ? registered.join(', ') : '(none)'}`,
      );
    }
    for (const factory of this.interceptorFactories) {
      const { inbound = [], outbound = [], internals = [] } = factory();
      this.interceptors.inbound.push(...inbound);
      this.interceptors.outbound.push(...outbound);
      this.interceptors.internals.push(...internals);
    }
    const args = arrayFromPayloads(this.payloadConverter, job.args);
    const execute = composeInterceptors(this.interceptors.inbound, 'execute', async (input) => (fn as AnyFunction)(...input.args) as unknown);
    this.rootScope
      .run(() => execute({ args, headers: job.headers ?? {} }))
      .then(
        (result) => this.completeWorkflow(result),
        (err: unknown) => this.handleWorkflowFailure(err),
      )
      .catch((err: unknown) => this.failTask(err));
  }

  private completeWorkflow(result: unknown): void {
    warnUnfinishedHandlers(this);
    this.pushCommand({ type: 'CompleteWorkflowExecution', result: this.payloadConverter.toPayload(result) }, true);
  }

  /**
   * What an error escaping the workflow function (or a signal handler) does, as in Temporal: a
   * cancellation after the workflow was cancelled cancels it; a `TemporalFailure` (such as an
   * `ApplicationFailure`, or an `ActivityFailure` not caught) fails it; anything else is taken for
   * a bug and fails the workflow task, which the service retries (fix the code, and it goes on).
   */
  public handleWorkflowFailure(err: unknown): void {
    if (err instanceof ContinueAsNew || err instanceof TemporalFailure) warnUnfinishedHandlers(this);
    if (err instanceof ContinueAsNew) {
      this.pushCommand(err.command, true);
    } else if (this.cancelled && isCancellation(err)) {
      this.pushCommand({ type: 'CancelWorkflowExecution' }, true);
    } else if (err instanceof TemporalFailure) {
      this.pushCommand({ type: 'FailWorkflowExecution', failure: this.failureConverter.errorToFailure(err, this.payloadConverter) }, true);
    } else {
      this.failTask(err);
    }
  }

  /** Fails the current workflow task with `err` (the first failure wins). */
  public failTask(err: unknown): void {
    if (this.taskFailure) return;
    try {
      this.taskFailure = this.failureConverter.errorToFailure(err, this.payloadConverter);
    } catch {
      this.taskFailure = { message: String(err) };
    }
  }

  /**
   * Throws if a query handler is running: queries are not part of history, so what they do must
   * not change what the workflow does next (no commands, no sequence numbers, no conditions).
   */
  public assertNotInQuery(what: string): void {
    if (this.inQuery) throw new IllegalStateError(`${what} cannot be used in a query handler`);
  }

  /** Adds a command; `close` marks the run's last command. */
  public pushCommand(command: Command, close = false): void {
    this.assertNotInQuery('Issuing a command');
    if (this.completed) return;
    this.commands.push(command);
    if (close) this.completed = true;
  }

  /**
   * Removes `command` if it has not been collected yet (so the service never sees it) and says
   * whether it did. Cancelling an operation in the activation that started it withdraws its command
   * instead of sending a start and a cancel, as Temporal's core does.
   */
  public withdrawCommand(command: Command): boolean {
    const index = this.commands.indexOf(command);
    if (index < 0) return false;
    this.commands.splice(index, 1);
    return true;
  }

  /** Re-evaluates blocked conditions; see `WorkflowRuntimeApi.tryUnblockConditions`. Never throws. */
  public tryUnblockConditions(): number {
    if (this.taskFailure) return 0;
    try {
      return tryUnblockConditions(this);
    } catch (err) {
      this.failTask(err);
      return 0;
    }
  }

  /** The commands issued since the last collection, or the workflow task's failure. */
  public collectCommands(): ActivationResult {
    // In case the worker did not call tryUnblockConditions: continuations of conditions unblocked
    // here run at the next microtask drain and reach the next collection.
    this.tryUnblockConditions();
    if (this.taskFailure) return { failure: this.taskFailure };
    const { commands } = composeInterceptors(this.interceptors.internals, 'concludeActivation', (input) => input)({ commands: this.commands });
    this.commands = [];
    const localActivities = collectLocalActivityRequests(this);
    const sinkCalls = this.sinkCalls;
    this.sinkCalls = [];
    return { commands, ...(localActivities.length > 0 ? { localActivities } : {}), ...(sinkCalls.length > 0 ? { sinkCalls } : {}) };
  }

  /** The run is let go of (evicted, or closed): the internals interceptors' `dispose`. Never throws. */
  public dispose(): void {
    try {
      composeInterceptors(this.interceptors.internals, 'dispose', () => undefined)({});
    } catch {
      // Disposal must not fail the worker; the run is gone either way.
    }
  }

  /** A durable timer in the current scope (used by scopes with a timeout). */
  public sleep(ms: number): Promise<void> {
    return startTimer(this, ms);
  }

  // ---- signals --------------------------------------------------------------------------

  /** Delivers a signal to its handler, else to the default handler, else buffers it until one is set. */
  private signalWorkflow(signal: BufferedSignal): void {
    const handler = this.signalHandlers.get(signal.signalName);
    const fallback = this.defaultSignalHandler;
    if (handler || fallback) {
      const handle = composeInterceptors(this.interceptors.inbound, 'handleSignal', async (input) => {
        await (handler ? handler(...input.args) : fallback!(input.signalName, ...input.args));
      });
      this.runSignalHandler(() => handle({ signalName: signal.signalName, args: arrayFromPayloads(this.payloadConverter, signal.args), headers: signal.headers ?? {} }));
    } else {
      this.bufferedSignals.push(signal);
    }
  }

  /**
   * Delivers buffered signals that now have a handler, in arrival order (setHandler calls it, so
   * the handler runs at once, before the code after setHandler, as in Temporal).
   */
  public dispatchBufferedSignals(): void {
    while (this.bufferedSignals.length > 0) {
      const index = this.defaultSignalHandler
        ? 0
        : this.bufferedSignals.findIndex((s) => this.signalHandlers.has(s.signalName));
      if (index < 0) return;
      const [signal] = this.bufferedSignals.splice(index, 1);
      this.signalWorkflow(signal!);
    }
  }

  /** Runs a signal handler in the root scope; its errors are the workflow's (see handleWorkflowFailure). */
  private runSignalHandler(call: () => unknown): void {
    let result: unknown;
    try {
      result = this.scopeStorage.run(this.rootScope, call);
    } catch (err) {
      this.handleWorkflowFailure(err);
      return;
    }
    if (isThenable(result)) {
      // Counted for allHandlersFinished() until it settles.
      const handlers = updateState(this);
      handlers.runningSignals++;
      Promise.resolve(result)
        .finally(() => handlers.runningSignals--)
        .then(undefined, (err: unknown) => this.handleWorkflowFailure(err))
        .catch((err: unknown) => this.failTask(err));
    }
  }

  // ---- queries --------------------------------------------------------------------------

  /** Answers a query from the current state without changing it. Never throws. */
  public query(request: QueryRequest): QueryResult {
    const { queryId, queryType } = request;
    const random = this.random;
    const seqs = { ...this.nextSeqs };
    // A query may draw random numbers; it must not move the run's sequence, which replay repeats
    // without the query.
    this.random = random.clone();
    this.inQuery = true;
    try {
      if (request.update) return validateUpdate(this, request);
      if (queryType === STACK_TRACE_QUERY) {
        return { queryId, answer: this.payloadConverter.toPayload(this.describePending()) };
      }
      const handler = this.queryHandlers.get(queryType);
      if (!handler) {
        const known = [STACK_TRACE_QUERY, ...this.queryHandlers.keys()].join(' ');
        const failure = this.failureConverter.errorToFailure(new ReferenceError(`Workflow did not register a handler for ${queryType}. Registered queries: [${known}]`), this.payloadConverter);
        return { queryId, failure, notRegistered: true };
      }
      // The chain's methods are typed async (Temporal's); the handler's own answer must not be a promise.
      let answer: unknown;
      const handle = composeInterceptors(this.interceptors.inbound, 'handleQuery', (input) => {
        answer = handler(...input.args);
        return answer as Promise<unknown>;
      });
      const chained: unknown = handle({ queryId, queryName: queryType, args: arrayFromPayloads(this.payloadConverter, request.args), headers: request.headers ?? {} });
      // A synchronous chain may change the answer; an async interceptor (Temporal's are typed so)
      // cannot, since queries answer at once: it must call `next` synchronously, and its promise is dropped.
      if (isThenable(chained)) Promise.resolve(chained).catch(() => undefined);
      else answer = chained;
      if (isThenable(answer)) {
        Promise.resolve(answer).catch(() => undefined);
        throw new DeterminismViolationError('Query handlers should not return a Promise');
      }
      return { queryId, answer: this.payloadConverter.toPayload(answer) };
    } catch (err) {
      return { queryId, failure: this.failureConverter.errorToFailure(err, this.payloadConverter) };
    } finally {
      this.inQuery = false;
      this.random = random;
      Object.assign(this.nextSeqs, seqs);
    }
  }

  /** The answer of `__stack_trace`: one line per thing the workflow waits for. */
  private describePending(): string {
    const lines: string[] = [];
    for (const t of this.timers.values()) lines.push(`timer ${t.timerId} (${t.durationMs}ms)`);
    for (const a of this.activities.values()) {
      lines.push(`activity ${a.activityId} (${a.activityType})${a.cancelRequested ? ' cancel requested' : ''}`);
    }
    for (const c of this.children.values()) lines.push(`child workflow ${c.workflowId} (${c.workflowType})${c.runId ? '' : ' starting'}`);
    for (const seq of this.blockedConditions.keys()) lines.push(`condition ${seq}`);
    for (const s of this.bufferedSignals) lines.push(`buffered signal ${s.signalName} (no handler)`);
    for (const [id, u] of updateState(this).running) lines.push(`update ${u.name} (${id}) running`);
    if (this.completed) lines.push('workflow completed');
    return lines.length ? lines.join('\n') : 'nothing pending';
  }
}
