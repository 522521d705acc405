// Owns the `node:vm` sandbox that workflow code runs in: one compiled bundle, a fresh context
// per workflow run with a small deterministic set of globals, and the activate/drain/collect
// cycle of the runtime contract in activation.ts.
import { format } from 'node:util';
import { AsyncLocalStorage } from 'node:async_hooks';
import vm from 'node:vm';
import type { Failure } from '../../protocol/index.js';
import { errorMessage, isError } from '../common/error-class.js';
import { FAILURE_SOURCE } from '../common/failure.js';
import type { Logger, LogLevel } from '../common/logger.js';
import {
  RUNTIME_GLOBAL,
  type Activation,
  type ActivationResult,
  type QueryRequest,
  type QueryResult,
  type SinkCallLike,
  type WorkflowRuntimeApi,
} from '../workflow/activation.js';
import { WorkflowBundleError } from './errors.js';
import { Runtime } from './runtime.js';
import { runSinkCalls, type InjectedSinks } from './sinks.js';
import type { Sinks } from '../workflow/sinks.js';

/**
 * One workflow run's live state, as the history machine sees it. {@link WorkflowSandbox}
 * makes real ones; tests may give the machine a scripted one.
 */
export interface WorkflowRunContext {
  /**
   * Runs one activation to quiescence and returns the commands it produced (or the task's
   * failure). Never rejects for a workflow's own errors: those come back as `{ failure }`.
   */
  activate(activation: Activation): Promise<ActivationResult>;
  /** Answers a query against the current state; never changes it. */
  query(request: QueryRequest): Promise<QueryResult>;
  /** Lets go of the run's state; the context must not be used afterwards. */
  dispose(): void;
}

/** Where workflow `log` records and `console.*` output go: the `log` method of Temporal's `Logger`. */
export type SandboxLogger = Pick<Logger, 'log'>;

/** Options of {@link WorkflowSandbox}. */
export interface WorkflowSandboxOptions {
  /** Receives workflow `log` records and `console.*` output, with the run's identity. Default: `Runtime.instance().logger`. */
  logger?: SandboxLogger;
  /**
   * Also pass on console output written while replaying history. Default false: a replayed
   * activation re-runs code that already logged when it first ran, so its lines would repeat.
   */
  logDuringReplay?: boolean;
  /** Keep one context made ahead of need, so a new run does not wait for one. Default false; the Worker turns it on. */
  prewarm?: boolean;
  /** The implementations of the sinks workflows call through `proxySinks`. */
  sinks?: InjectedSinks<Sinks>;
}

/** Who a run context belongs to; used in log lines and the vm context's name. */
export interface RunContextInfo {
  workflowId?: string;
  runId?: string;
  workflowType?: string;
}

/**
 * The Node globals a run's context gets. Everything else a workflow can reach is a JavaScript
 * built-in of the context itself. These are deterministic given their inputs; nothing here
 * reads the clock, the network, the file system or a random source:
 *
 * - no `setTimeout`/`setInterval`/`setImmediate`: the runtime installs durable timers;
 * - no `crypto`, `performance`, `process`, `Buffer`, `fetch`.
 */
/**
 * The one AsyncLocalStorage every run's cancellation scopes live in. Each enabled storage
 * taxes every promise in the process, so a storage per run would make the worker slower
 * with every run it has ever held. One is enough: a run's scope follows its own async chain.
 */
const scopeStorage = new AsyncLocalStorage<unknown>();
/** What the sandbox calls `AsyncLocalStorage`: `new` hands out the shared storage. */
function SharedAsyncLocalStorage(): AsyncLocalStorage<unknown> {
  return scopeStorage;
}

const HOST_GLOBALS = {
  // Lets cancellation scopes follow `await`s inside workflow code, as Temporal's sandbox does.
  AsyncLocalStorage: SharedAsyncLocalStorage,
  TextEncoder,
  TextDecoder,
  URL,
  URLSearchParams,
  AbortController,
  AbortSignal,
  atob,
  btoa,
  structuredClone,
  queueMicrotask,
} as const;

/**
 * Context built-ins that would make workflow code nondeterministic: when the garbage collector
 * runs is not part of history. Removed from every context before the bundle runs (Keel's
 * runtime then puts stubs there that throw a DeterminismViolationError with an explanation).
 */
const REMOVED_BUILTINS = ['WeakRef', 'FinalizationRegistry'] as const;

/** The names of the globals a run context gets beyond JavaScript's own built-ins. */
export const SANDBOX_GLOBAL_NAMES: readonly string[] = [...Object.keys(HOST_GLOBALS), 'console'];

/**
 * A compiled workflow bundle, ready to run any number of workflow runs, each in its own
 * `node:vm` context so that no global state leaks from one run to another.
 *
 * The bundle is compiled once (V8 reuses the compiled code for every context); each run pays
 * only for a new context and the evaluation of the bundle's top level.
 *
 * @example
 * const sandbox = new WorkflowSandbox((await bundleWorkflowCode({ workflowsPath })).code);
 * const run = sandbox.createRunContext({ workflowId: 'order-1' });
 * const result = await run.activate(activation);
 */
export class WorkflowSandbox {
  private readonly script: vm.Script;
  private readonly logger: SandboxLogger;
  private readonly logDuringReplay: boolean;
  private readonly prewarm: boolean;
  private readonly sinks: InjectedSinks<Sinks> | undefined;

  /** @throws {WorkflowBundleError} when the code is not a valid script. */
  constructor(code: string, options: WorkflowSandboxOptions = {}) {
    try {
      this.script = new vm.Script(code, { filename: 'workflow-bundle.js' });
    } catch (err) {
      throw new WorkflowBundleError(`The workflow bundle does not compile: ${errorMessage(err) ?? String(err)}`);
    }
    this.logger = options.logger ?? Runtime.instance().logger;
    this.logDuringReplay = options.logDuringReplay ?? false;
    this.prewarm = options.prewarm ?? false;
    this.sinks = options.sinks;
  }

  /**
   * Makes a fresh context for one workflow run and evaluates the bundle in it.
   *
   * A new context costs about a millisecond, on the path of a new run's first task; so a
   * sandbox keeps one context made ahead of need (when `prewarm` is on), made while the
   * worker is otherwise idle. A prepared context is as fresh as a new one: nothing of any
   * run has touched it.
   * @throws {WorkflowBundleError} when the bundle throws at its top level or installs no runtime.
   */
  createRunContext(info: RunContextInfo = {}): WorkflowRunContext {
    const prepared = this.spare ?? this.prepare();
    this.spare = undefined;
    Object.assign(prepared.meta, info);
    if (this.prewarm) this.refillSoon();
    return new VmRunContext(prepared.runtime, prepared.state, (calls, isReplaying) => runSinkCalls(calls, this.sinks, isReplaying, this.logger));
  }

  /** A context made ahead of need, or undefined. */
  private spare: PreparedContext | undefined;
  private refillScheduled = false;

  private refillSoon(): void {
    if (this.refillScheduled) return;
    this.refillScheduled = true;
    // setImmediate: after the task that took the spare has sent its answer.
    setImmediate(() => {
      this.refillScheduled = false;
      if (!this.spare) this.spare = this.prepare();
    }).unref();
  }

  private prepare(): PreparedContext {
    const state = { replaying: false };
    const meta: Record<string, unknown> = {};
    const sandboxConsole = makeConsole((level, args) => {
      if (state.replaying && !this.logDuringReplay) return;
      this.logger.log(level, format(...args), { sdkComponent: 'workflow', ...meta });
    });
    const context = vm.createContext({ ...HOST_GLOBALS, console: sandboxConsole }, { name: 'keel workflow' });
    vm.runInContext(REMOVED_BUILTINS.map((n) => `delete globalThis.${n};`).join(''), context);
    try {
      this.script.runInContext(context);
    } catch (err) {
      throw new WorkflowBundleError(`The workflow bundle threw while loading: ${describe(err)}`);
    }
    const runtime = (context as Record<string, unknown>)[RUNTIME_GLOBAL] as WorkflowRuntimeApi | undefined;
    if (!runtime || typeof runtime.activate !== 'function' || typeof runtime.collectCommands !== 'function' || typeof runtime.query !== 'function') {
      throw new WorkflowBundleError(`The workflow bundle did not install globalThis.${RUNTIME_GLOBAL}; build it with bundleWorkflowCode`);
    }
    // The workflow's `log` (already silent during replay) goes to the same logger.
    runtime.setLogger?.({
      log: (level, message, logMeta) => this.logger.log(level, message, { ...meta, ...logMeta }),
    });
    return { runtime, state, meta };
  }
}

interface PreparedContext {
  runtime: WorkflowRuntimeApi;
  state: { replaying: boolean };
  /** Who the run is, for log lines; filled in when a run takes the context. */
  meta: Record<string, unknown>;
}

/** A run context backed by a runtime living in a vm context. */
class VmRunContext implements WorkflowRunContext {
  private runtime: WorkflowRuntimeApi | undefined;

  constructor(
    runtime: WorkflowRuntimeApi,
    private readonly state: { replaying: boolean },
    private readonly runSinks: (calls: SinkCallLike[], isReplaying: boolean) => void,
  ) {
    this.runtime = runtime;
  }

  async activate(activation: Activation): Promise<ActivationResult> {
    const runtime = this.live();
    this.state.replaying = activation.isReplaying;
    try {
      runtime.activate(activation);
      // Temporal's loop (see WorkflowRuntimeApi): let every continuation the jobs released run,
      // then re-check the `condition`s they may have made true, until nothing moves.
      do await drainMicrotasks();
      while (runtime.tryUnblockConditions() > 0);
      const result = runtime.collectCommands();
      // Sinks run after the activation, as in Temporal; what they do cannot change its commands.
      this.runSinks(runtime.drainSinkCalls?.() ?? [], activation.isReplaying);
      return result;
    } catch (err) {
      return { failure: toTaskFailure(err) };
    } finally {
      this.state.replaying = false;
    }
  }

  async query(request: QueryRequest): Promise<QueryResult> {
    const runtime = this.live();
    try {
      return runtime.query(request);
    } catch (err) {
      return { queryId: request.queryId, failure: toTaskFailure(err) };
    } finally {
      this.runSinks(runtime.drainSinkCalls?.() ?? [], false);
    }
  }

  dispose(): void {
    this.runtime = undefined;
  }

  private live(): WorkflowRuntimeApi {
    if (!this.runtime) throw new Error('This workflow run context was disposed');
    return this.runtime;
  }
}

/**
 * Lets every queued microtask run, including those queued while draining.
 *
 * Why one macrotask turn is enough: the context shares Node's microtask queue, and workflow code
 * can only await promises the runtime settles (there are no real timers or I/O in the sandbox),
 * so all their continuations run before the event loop reaches the next macrotask.
 */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A console whose methods all forward to `write`. */
function makeConsole(write: (level: LogLevel, args: unknown[]) => void): Record<string, (...args: unknown[]) => void> {
  return {
    log: (...args) => write('INFO', args),
    info: (...args) => write('INFO', args),
    debug: (...args) => write('DEBUG', args),
    trace: (...args) => write('TRACE', args),
    warn: (...args) => write('WARN', args),
    error: (...args) => write('ERROR', args),
    dir: (...args) => write('INFO', args),
    table: (...args) => write('INFO', args),
  };
}

function describe(err: unknown): string {
  if (isError(err)) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * A workflow task failure for an error the runtime let escape (a bug in the runtime, or a
 * broken bundle): the service records it and retries the task.
 */
function toTaskFailure(err: unknown): Failure {
  if (isError(err)) {
    return {
      message: err.message,
      source: FAILURE_SOURCE,
      ...(err.stack ? { stackTrace: err.stack } : {}),
      applicationFailureInfo: { type: err.name, nonRetryable: false },
    };
  }
  return { message: String(err), source: FAILURE_SOURCE, applicationFailureInfo: { type: 'Error', nonRetryable: false } };
}
