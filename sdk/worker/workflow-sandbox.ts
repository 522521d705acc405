// Owns the `node:vm` sandbox that workflow code runs in: one context and one compiled bundle for
// every run, each run with its own module instances and globals, and the activate/drain/collect
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
  type WorkflowRuntimeApi,
} from '../workflow/activation.js';
import { WorkflowBundleError } from './errors.js';
import { GlobalsSwitch, RunGlobals } from './run-globals.js';
import { ACTIVATOR_KEY } from '../workflow/global-state.js';
import { Runtime } from './runtime.js';

/**
 * One workflow run's live state, as the history machine sees it. {@link WorkflowSandbox}
 * makes real ones; tests may give the machine a scripted one.
 */
export interface WorkflowRunContext {
  /**
   * Runs one activation to quiescence and returns the commands it produced (or the task's
   * failure). Never rejects for a workflow's own errors: those come back as `{ failure }`. The
   * sandbox's answers at once (an activation runs synchronously); a scripted one may answer with
   * a promise. Rejects (never throws) when the context was disposed.
   */
  activate(activation: Activation): ActivationResult | Promise<ActivationResult>;
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
} as const;

/**
 * Context built-ins that would make workflow code nondeterministic: when the garbage collector
 * runs is not part of history. Removed from every context before the bundle runs (Keel's
 * runtime then puts stubs there that throw a DeterminismViolationError with an explanation).
 */
const REMOVED_BUILTINS = ['WeakRef', 'FinalizationRegistry'] as const;

/** The names of the globals a run context gets beyond JavaScript's own built-ins. */
export const SANDBOX_GLOBAL_NAMES: readonly string[] = [...Object.keys(HOST_GLOBALS), 'console', 'queueMicrotask'];

/**
 * A compiled workflow bundle, ready to run any number of workflow runs in one `node:vm` context
 * (as Temporal's `reuseV8Context`), each run isolated from the others:
 *
 * - the bundle is compiled once as a function, and each run calls it: every user module of the
 *   bundle (the workflows, their imports, interceptors, converters) is evaluated afresh for the
 *   run, so module-level state is the run's own; Keel's own workflow modules (the runtime,
 *   keel/workflow, keel/common), whose run state hangs off the run's Activator, are evaluated once
 *   per context by the first call and shared (bundleWorkflowCode);
 * - globals a run adds, replaces or deletes are its own ({@link GlobalsSwitch}): taken off the
 *   global object when another run enters the context, put back when it enters again;
 * - `Math.random`, `Date`, `crypto` and timers are installed once per context and read the
 *   current run's seed, activation time and timers when called (module-level draws, before the
 *   run starts, come from a fixed seed that each run's evaluation resets);
 * - the context has its own microtask queue, drained before each call into it returns
 *   (`microtaskMode: 'afterEvaluate'`), so an activation runs to quiescence synchronously and two
 *   runs' activations never interleave.
 *
 * A run costs one call of the compiled bundle (a fraction of a millisecond) instead of a new
 * context and a first evaluation in it (a millisecond and more, most of a W1's worker CPU).
 *
 * What is shared, as in Temporal's reused context: JavaScript's built-in objects themselves and
 * Keel's workflow modules. A workflow that mutates one in place (`Array.prototype.x = …`, a
 * property of an SDK class) changes it for every run.
 *
 * @example
 * const sandbox = new WorkflowSandbox((await bundleWorkflowCode({ workflowsPath })).code);
 * const run = sandbox.createRunContext({ workflowId: 'order-1' });
 * const result = await run.activate(activation);
 */
export class WorkflowSandbox {
  private readonly logger: SandboxLogger;
  private readonly logDuringReplay: boolean;
  private readonly context: vm.Context;
  /** The bundle as a function in the context: each call evaluates every module of it afresh. */
  private readonly bundle: () => void;
  /** The context's global object, as its code sees it. */
  private readonly global: Record<string, unknown>;
  private readonly globals: GlobalsSwitch;
  /** The run whose call into the context is in progress (for console lines). */
  private active: RunState | undefined;
  /** What the next evaluation of {@link CALL} runs; set only for the length of one call. */
  private pending: (() => unknown) | undefined;

  /** @throws {WorkflowBundleError} when the code is not a valid script. */
  constructor(code: string, options: WorkflowSandboxOptions = {}) {
    this.logger = options.logger ?? Runtime.instance().logger;
    this.logDuringReplay = options.logDuringReplay ?? false;
    let script: vm.Script;
    try {
      // One line before the bundle's first: lineOffset keeps stack traces on the bundle's own lines.
      script = new vm.Script(`(function keelWorkflowBundle() {\n${code}\n})`, { filename: 'workflow-bundle.js', lineOffset: -1 });
    } catch (err) {
      throw new WorkflowBundleError(`The workflow bundle does not compile: ${errorMessage(err) ?? String(err)}`);
    }
    const sandboxConsole = makeConsole((level, args) => {
      const run = this.active;
      if (!run || (run.replaying && !this.logDuringReplay)) return;
      this.logger.log(level, format(...args), { sdkComponent: 'workflow', ...run.info });
    });
    this.context = vm.createContext({ ...HOST_GLOBALS, console: sandboxConsole }, { name: 'keel workflow', microtaskMode: 'afterEvaluate' });
    vm.runInContext(PRELUDE, this.context);
    Object.defineProperty(this.context, CALL_GLOBAL, { value: () => this.pending?.(), enumerable: false });
    this.bundle = script.runInContext(this.context) as () => void;
    this.global = vm.runInContext('globalThis', this.context) as Record<string, unknown>;
    // One evaluation before any run installs the deterministic Math, Date, timers and crypto on
    // the global, where they are part of what every run starts from: they read the current run's
    // seed, clock and timers (its Activator) when called, so a run's own evaluation only resets
    // the module-level PRNG, and a switch between runs does not move them. A bundle that throws
    // here throws again, with its message, for each run that asks for it.
    this.pending = () => this.bundle();
    try {
      CALL.runInContext(this.context);
    } catch {
      // reported by createRunContext
    } finally {
      this.pending = undefined;
      delete this.global[RUNTIME_GLOBAL];
      delete this.global[ACTIVATOR_KEY];
    }
    // The current run's Activator is set by the runtime on every call into the context, so it is
    // no run's own global: taken off as a run leaves, a run that changes nothing switches for free.
    this.globals = new GlobalsSwitch(this.global, { mirror: this.context, transient: [ACTIVATOR_KEY] });
  }

  /**
   * Makes a run in the context: evaluates the bundle for it, with its own globals.
   * @throws {WorkflowBundleError} when the bundle throws at its top level or installs no runtime.
   */
  createRunContext(info: RunContextInfo = {}): WorkflowRunContext {
    const run: RunState = { globals: new RunGlobals(), info: { ...info }, replaying: false, runtime: undefined };
    try {
      run.runtime = this.call(run, () => {
        try {
          this.bundle();
        } catch (err) {
          throw new WorkflowBundleError(`The workflow bundle threw while loading: ${describe(err)}`);
        }
        const runtime = this.global[RUNTIME_GLOBAL] as WorkflowRuntimeApi | undefined;
        // Held here from now on: one global less for every switch to and from this run.
        delete this.global[RUNTIME_GLOBAL];
        if (!runtime || typeof runtime.activate !== 'function' || typeof runtime.collectCommands !== 'function' || typeof runtime.query !== 'function') {
          throw new WorkflowBundleError(`The workflow bundle did not install globalThis.${RUNTIME_GLOBAL}; build it with bundleWorkflowCode`);
        }
        // The workflow's `log` (already silent during replay) goes to the same logger.
        runtime.setLogger?.({
          log: (level, message, logMeta) => this.logger.log(level, message, { ...run.info, ...logMeta }),
        });
        return runtime;
      });
    } catch (err) {
      this.globals.release(run.globals);
      throw err;
    }
    return new VmRunContext(this, run);
  }

  /**
   * Runs `fn` as one evaluation in the context with `run`'s globals on: the context's microtasks
   * (every continuation `fn` released) have all run when it returns.
   * @internal
   */
  call<T>(run: RunState, fn: () => T): T {
    if (this.pending) throw new Error('A workflow run called into the sandbox while another call was in progress');
    this.globals.enter(run.globals);
    let result: { value: T } | { error: unknown } | undefined;
    this.pending = () => {
      try {
        result = { value: fn() };
      } catch (error) {
        result = { error };
      }
    };
    this.active = run;
    try {
      CALL.runInContext(this.context);
    } finally {
      this.pending = undefined;
      this.active = undefined;
    }
    if (!result) throw new Error('The workflow sandbox call did not run');
    if ('error' in result) throw result.error;
    return result.value;
  }

  /** Lets go of a run's globals. @internal */
  release(run: RunState): void {
    this.globals.release(run.globals);
  }
}

/** The global through which {@link CALL} reaches the sandbox's pending call. */
const CALL_GLOBAL = '__keelSandboxCall';
/** One call into the context; its microtasks drain when the evaluation ends (afterEvaluate). */
const CALL = new vm.Script(`${CALL_GLOBAL}()`, { filename: 'keel-sandbox-call.js' });

/**
 * Runs once in the context, before any run: removes the built-ins that would make workflow code
 * nondeterministic (the runtime puts stubs there that explain why), and gives `queueMicrotask`
 * the context's own microtask queue (Node's would run the callback after the activation).
 */
const PRELUDE = [
  ...REMOVED_BUILTINS.map((n) => `delete globalThis.${n};`),
  `{ const resolved = Promise.resolve(); globalThis.queueMicrotask = function queueMicrotask(callback) {`,
  `  if (typeof callback !== 'function') throw new TypeError('queueMicrotask: callback must be a function');`,
  `  resolved.then(() => callback()); }; }`,
].join('\n');

interface RunState {
  globals: RunGlobals;
  /** Who the run is, for log lines. */
  info: RunContextInfo;
  replaying: boolean;
  runtime: WorkflowRuntimeApi | undefined;
}

/** A run context backed by a runtime living in the shared vm context. */
class VmRunContext implements WorkflowRunContext {
  private disposed = false;

  constructor(
    private readonly sandbox: WorkflowSandbox,
    private readonly run: RunState,
  ) {}

  activate(activation: Activation): ActivationResult | Promise<ActivationResult> {
    if (this.disposed || !this.run.runtime) return Promise.reject(disposedError());
    const runtime = this.run.runtime;
    this.run.replaying = activation.isReplaying;
    try {
      // Temporal's loop (see WorkflowRuntimeApi): each call returns with every continuation the
      // jobs released already run; re-check the `condition`s they may have made true, until nothing moves.
      this.sandbox.call(this.run, () => runtime.activate(activation));
      while (runtime.hasBlockedConditions?.() !== false && this.sandbox.call(this.run, () => runtime.tryUnblockConditions()) > 0);
      return this.sandbox.call(this.run, () => runtime.collectCommands());
    } catch (err) {
      return { failure: toTaskFailure(err) };
    } finally {
      this.run.replaying = false;
    }
  }

  async query(request: QueryRequest): Promise<QueryResult> {
    const runtime = this.live();
    try {
      return this.sandbox.call(this.run, () => runtime.query(request));
    } catch (err) {
      return { queryId: request.queryId, failure: toTaskFailure(err) };
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const runtime = this.run.runtime;
    try {
      if (runtime?.dispose && runtime.needsDispose?.() !== false) this.sandbox.call(this.run, () => runtime.dispose!());
    } finally {
      this.run.runtime = undefined;
      this.sandbox.release(this.run);
    }
  }

  private live(): WorkflowRuntimeApi {
    if (this.disposed || !this.run.runtime) throw disposedError();
    return this.run.runtime;
  }
}

const disposedError = () => new Error('This workflow run context was disposed');

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
