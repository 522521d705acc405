/**
 * `Worker`: polls a task queue for workflow and activity tasks and runs them, as
 * Temporal's `Worker` does — bounded concurrency, sticky execution with a cache of runs,
 * graceful shutdown on SIGINT/SIGTERM.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Limits, type ActivityTask, type WorkflowTask } from '../../protocol/index.js';
import { loadDataConverter, msOptionalToNumber, msToNumber, withMetadata, type DataConverter, type Duration, type LoadedDataConverter, type Logger } from '../common/index.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Connection, type ConnectionLike } from '../client/connection.js';
import { registerLocalWorker } from '../client/local-workers.js';
import { KeelServiceError } from '../client/errors.js';
import { runActivity, type ActivityExecutorOptions, type ActivityFunction, type NextWorkflowTask, type RunningActivity } from './activity-executor.js';
import type { NativeConnection } from './connection.js';
import { acknowledgeIfSlow, pollLoop, Slots } from './poller.js';
import { ServiceHealth } from './service-health.js';
import { ShardChannels } from '../client/shard-channels.js';
import { ShardExchanges } from './shard-exchanges.js';
import { ShardPollers } from './shard-pollers.js';
import { QueueParking } from './queue-parking.js';
import { StickyQueue } from './sticky-queue.js';
import { Runtime } from './runtime.js';
import { WorkerMetrics } from './worker-metrics.js';
import { RateLimiter } from './rate-limiter.js';
import type { InjectedSinks } from './sinks.js';
import { runReplayHistories, runReplayHistory } from './replay.js';
import { bundleWorkflowCode, loadWorkflowBundle, type BundleOptions, type WorkflowBundle, type WorkflowBundleOption } from './workflow-bundler.js';
import type { WorkerInterceptors } from './interceptors.js';
import { WorkflowSandbox } from './workflow-sandbox.js';
import { WorkflowTaskProcessor } from './workflow-task-processor.js';

/**
 * The most workflow tasks one poll asks for (protocol 3): a service of protocol 2 answers with
 * one, as before.
 */
const TASKS_PER_POLL = 8;

/** Options of {@link Worker.create}, with Temporal's names and defaults. */
export interface WorkerOptions {
  /** The connection to the service. Default: a new one to 127.0.0.1:7233. */
  connection?: NativeConnection | Connection;
  /** Default 'default'. */
  namespace?: string;
  taskQueue: string;
  /** The module that exports the workflow functions; bundled and run in the deterministic sandbox. */
  workflowsPath?: string;
  /** A bundle made earlier by `bundleWorkflowCode`, instead of `workflowsPath`: `{ code }`, or `{ codePath }` of a file it was written to. */
  workflowBundle?: WorkflowBundleOption;
  /** Options of the bundling of `workflowsPath`, as Temporal's `bundlerOptions`. */
  bundlerOptions?: Pick<BundleOptions, 'ignoreModules'>;
  /** Activity functions by name. */
  activities?: object;
  /** Default `${pid}@${hostname}`. */
  identity?: string;
  dataConverter?: DataConverter;
  /** Default 100. */
  maxConcurrentActivityTaskExecutions?: number;
  /** Default 40. */
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Runs kept in memory for sticky execution; 0 turns the cache (and stickiness) off. Default 1000. */
  maxCachedWorkflows?: number;
  /**
   * Speculative workflow tasks: when an activity of a run this worker holds in its cache completes,
   * the worker runs the workflow task that completion causes ahead, on the cached run, and sends its
   * completion with the activity's, so a step of a workflow costs one exchange with the service
   * instead of two. The service writes the task only if the run is exactly where the worker
   * predicted (no signal, update, timer or other result came meanwhile); else the worker drops what
   * it ran ahead and runs the task the ordinary way (docs/workers.md). Default true.
   */
  speculativeWorkflowTasks?: boolean;
  /**
   * Group commit: completions of tasks the service keeps in one shard, made while an earlier
   * exchange for that shard is in flight, go together in one exchange when it returns, and the
   * service writes them in one commit (protocol 5, docs/workers.md). A completion that finds nothing
   * in flight goes at once, alone. Default true.
   */
  batchCompletions?: boolean;
  /**
   * Shard polls: besides its task queue, the worker long-polls each of the service's workflow shards
   * for its queue, where a new run's first workflow task goes first (protocol 6, docs/workers.md); only
   * against a service that offers them. Default true.
   */
  pollShards?: boolean;
  /**
   * Shard channels: the worker keeps one WebSocket to each workflow shard it works with and sends
   * the calls about that shard's tasks (its shard polls, task completions and failures, their
   * batches) on it as messages instead of an HTTP exchange each (protocol 7, docs/workers.md). A
   * channel opens on its shard's first call (HTTP meanwhile); against a service that has none, and
   * while a channel is down, the calls go over HTTP. Default true.
   */
  shardChannels?: boolean;
  /**
   * Parked polls (protocol 10): once a long poll of the worker's workflow or activity queue comes back
   * empty, the worker stops polling that queue until a workflow shard wakes it over its channel (a task
   * went to the queue's backlog), so a worker with nothing to do keeps no queue object active (billed)
   * on Cloudflare; only against a service that sends wakes, over shard channels (docs/workers.md).
   * Default true.
   */
  parkIdlePolls?: boolean;
  /** While a queue's polls are parked, it is polled once without waiting this often: the backstop for a wake lost. Default 1 minute. */
  parkedPollCheckInterval?: Duration;
  /** Default 10. */
  maxConcurrentWorkflowTaskPolls?: number;
  /** Default 10. */
  maxConcurrentActivityTaskPolls?: number;
  /**
   * At most this many activities a second start on this worker (Temporal's): its activity pollers
   * ask for the next task only when the rate allows. Default: unlimited.
   */
  maxActivitiesPerSecond?: number;
  /**
   * At most this many activities a second start from this task queue, across every worker that
   * polls it (Temporal's): the service's task queue hands tasks out at that rate. This worker sends
   * it with its activity polls; the latest poll that carries it sets it. Default: unlimited.
   */
  maxTaskQueueActivitiesPerSecond?: number;
  /** The share of workflow pollers on the normal (non-sticky) queue. Default 0.2. */
  nonStickyToStickyPollRatio?: number;
  /** How long the service waits for this worker to take a task from its sticky queue. Default 10 s. */
  stickyQueueScheduleToStartTimeout?: Duration;
  /** How long shutdown waits for running tasks before cancelling activities. Default 0. */
  shutdownGraceTime?: Duration;
  /** Default 60 s. */
  maxHeartbeatThrottleInterval?: Duration;
  /** Default 30 s. */
  defaultHeartbeatThrottleInterval?: Duration;
  /** Stop on these signals. Default ['SIGINT', 'SIGTERM']; [] for none. */
  shutdownSignals?: NodeJS.Signals[];
  /** Where the worker logs (a Temporal `Logger`; `console` fits). Default: `Runtime.instance().logger`. */
  log?: Logger;
  /** Activity interceptor factories and workflow interceptor modules (Temporal's `WorkerInterceptors`). */
  interceptors?: WorkerInterceptors;
  /** The functions the workflows' `proxySinks()` calls reach (Temporal's `InjectedSinks`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sinks?: InjectedSinks<any>;
  /**
   * Plugins (Temporal's `WorkerPlugin`): each one's `configureWorker` gets the options, in order,
   * before the worker is made (and `configureBundler` the bundler's), and `runWorker` wraps `run()`.
   */
  plugins?: WorkerPlugin[];
}

/**
 * A plugin of the worker (Temporal's `WorkerPlugin`): brings its own configuration — activities,
 * interceptors, sinks, a data converter — to every worker it is given to.
 */
export interface WorkerPlugin {
  /** The plugin's name, for diagnostics. */
  readonly name: string;
  /** Returns the worker's options with this plugin's configuration applied. */
  configureWorker?(options: WorkerOptions): WorkerOptions;
  /** Returns the workflow bundler's options with this plugin's configuration applied. */
  configureBundler?(options: BundleOptions): BundleOptions;
  /** Runs the worker: call `next(worker)` to run it, with anything the plugin needs around it. */
  runWorker?(worker: Worker, next: (worker: Worker) => Promise<void>): Promise<void>;
}

export type State = 'INITIALIZED' | 'RUNNING' | 'STOPPING' | 'STOPPED' | 'FAILED';

/**
 * @example
 * const worker = await Worker.create({
 *   connection: await NativeConnection.connect({ address: 'localhost:7233' }),
 *   taskQueue: 'orders',
 *   workflowsPath: require.resolve('./workflows'),
 *   activities,
 * });
 * await worker.run(); // until SIGINT/SIGTERM or worker.shutdown()
 */
export class Worker {
  private state: State = 'INITIALIZED';
  /** Aborted when the worker stops polling. */
  private readonly stop = new AbortController();
  /** Aborted only if the service cannot end our polls itself: then they are abandoned. */
  private readonly abandonPolls = new AbortController();
  /** Names this worker's polls, so that shutdown can end them on the service. */
  private readonly pollerId = randomUUID();
  /** Activity executions in flight, shared by the activity pollers and eager execution. */
  private readonly activitySlots: Slots;
  /** Workflow tasks in flight, shared by the pollers and the tasks handed over in answers (eager start, activity completions). */
  private readonly workflowSlots: Slots;
  /** Temporal's worker metrics, into the runtime's registry (served by its Prometheus endpoint). */
  private readonly metrics: WorkerMetrics;
  private readonly runningActivities = new Set<RunningActivity>();
  private activityOptions: ActivityExecutorOptions | undefined;
  private readonly tasksInFlight = new Set<Promise<void>>();
  private readonly workflows?: WorkflowTaskProcessor;
  /** The queue only this worker polls, for the runs it caches; replaced if the service closes it (sticky-queue.ts). */
  private readonly sticky?: StickyQueue;
  private readonly log: Logger;
  /** Shared by every poll loop, so that an outage is logged once, and its end once. */
  private readonly serviceHealth: ServiceHealth;
  private readonly dataConverter: LoadedDataConverter;
  /** This worker's polls at the service's workflow shards (protocol 6), started once a poll's answer says how many. */
  private shardPollers: ShardPollers | undefined;
  /** This worker's channels to the workflow shards (shard-channels.ts), unless `shardChannels` is false. */
  private readonly channels: ShardChannels | undefined;
  /** Whether the service wakes parked polls (a poll's answer said so, protocol 10); the channels to its shards are kept open from then on. */
  private wakingShards: number | undefined;
  /** When the worker polls its normal workflow queue and its activity queue (queue-parking.ts). */
  private readonly parking: { workflow: QueueParking; activity: QueueParking };
  /** Where calls about a shard go: over its channel when it can carry them, else HTTP. */
  private readonly shardCalls: ConnectionLike;
  /** Where completions go: grouped by shard (shard-exchanges.ts), unless `batchCompletions` is false, then to `shardCalls`. */
  private readonly exchanges: ConnectionLike;
  private runPromise?: Promise<void>;

  /** Replays a recorded history against workflow code; throws `DeterminismViolationError` when they disagree. */
  static runReplayHistory = runReplayHistory;
  static runReplayHistories = runReplayHistories;

  /**
   * Bundles the workflow code (failing here, with the import named, when it imports a
   * Node built-in) and prepares the worker; `run()` starts it.
   */
  static async create(options: WorkerOptions): Promise<Worker> {
    for (const plugin of options.plugins ?? []) options = plugin.configureWorker?.(options) ?? options;
    if (!options.taskQueue) throw new TypeError('Worker.create: taskQueue is required');
    if (!options.workflowsPath && !options.workflowBundle && !options.activities) {
      throw new TypeError('Worker.create: give workflowsPath (or workflowBundle), activities, or both');
    }
    const converterPath = options.dataConverter?.payloadConverterPath;
    if (converterPath) {
      // Activities (outside the sandbox) use the very converter the workflows use.
      const loaded = (await import(pathToFileURL(path.resolve(converterPath)).href)) as { payloadConverter?: DataConverter['payloadConverter'] };
      if (!loaded.payloadConverter) throw new TypeError(`dataConverter.payloadConverterPath ${converterPath} does not export payloadConverter`);
      options = { ...options, dataConverter: { ...options.dataConverter, payloadConverter: loaded.payloadConverter } };
    }
    const failurePath = options.dataConverter?.failureConverterPath;
    if (failurePath) {
      // Activity failures go through the very converter the workflows use.
      const loaded = (await import(pathToFileURL(path.resolve(failurePath)).href)) as { failureConverter?: DataConverter['failureConverter'] };
      if (!loaded.failureConverter) throw new TypeError(`dataConverter.failureConverterPath ${failurePath} does not export failureConverter`);
      options = { ...options, dataConverter: { ...options.dataConverter, failureConverter: loaded.failureConverter } };
    }
    let bundlerOptions: BundleOptions | undefined = options.workflowsPath
      ? {
          workflowsPath: options.workflowsPath,
          ...options.bundlerOptions,
          ...(options.interceptors?.workflowModules ? { workflowInterceptorModules: options.interceptors.workflowModules } : {}),
          ...(converterPath ? { payloadConverterPath: converterPath } : {}),
          ...(failurePath ? { failureConverterPath: failurePath } : {}),
        }
      : undefined;
    for (const plugin of options.plugins ?? []) if (bundlerOptions && plugin.configureBundler) bundlerOptions = plugin.configureBundler(bundlerOptions);
    const bundle = options.workflowBundle ? await loadWorkflowBundle(options.workflowBundle) : bundlerOptions ? await bundleWorkflowCode(bundlerOptions) : undefined;
    const connection = options.connection ?? (await Connection.connect());
    return new Worker(options, connection, bundle);
  }

  private constructor(
    readonly options: WorkerOptions,
    readonly connection: NativeConnection | Connection,
    bundle: WorkflowBundle | undefined,
  ) {
    // As Temporal's worker logger: the runtime's, with the component and task queue on every record.
    this.log = withMetadata(options.log ?? Runtime.instance().logger, { sdkComponent: 'worker', taskQueue: options.taskQueue });
    this.serviceHealth = new ServiceHealth(this.log);
    this.metrics = new WorkerMetrics(Runtime.instance().metrics, this.namespace, options.taskQueue);
    // Every poll in flight listens for shutdown on this one signal.
    setMaxListeners(0, this.stop.signal, this.abandonPolls.signal);
    this.dataConverter = loadDataConverter(options.dataConverter);
    this.activitySlots = new Slots(options.maxConcurrentActivityTaskExecutions ?? 100);
    this.workflowSlots = new Slots(options.maxConcurrentWorkflowTaskExecutions ?? 40);
    const identity = this.identity;
    const parkingOf = () =>
      new QueueParking({
        canPark: () => options.parkIdlePolls !== false && this.wakingShards !== undefined && this.channels?.on === true,
        checkIntervalMs: msOptionalToNumber(options.parkedPollCheckInterval) ?? 60_000,
        stop: this.stop.signal,
      });
    this.parking = { workflow: parkingOf(), activity: parkingOf() };
    const kinds = [...(bundle ? ['workflow' as const] : []), ...(options.activities ? ['activity' as const] : [])];
    this.channels =
      options.shardChannels === false
        ? undefined
        : new ShardChannels(connection, {
            log: this.log,
            // Protocol 10: the shards wake this worker's parked polls over its channels.
            serves: { taskQueue: options.taskQueue, kinds },
            onWake: (wake) => {
              if (wake.namespace === this.namespace && wake.taskQueue === options.taskQueue) this.parking[wake.kind]?.wake();
            },
            // Wakes sent while a channel was closed were lost: each parked queue is polled once.
            onOpen: () => Object.values(this.parking).forEach((queue) => queue.check()),
            // No wake comes any more: parked polls go on polling.
            onOff: () => Object.values(this.parking).forEach((queue) => queue.wake()),
          });
    this.shardCalls = this.channels ?? connection;
    // A batch is one call to the layer below, so one message on a channel.
    this.exchanges = options.batchCompletions === false ? this.shardCalls : new ShardExchanges(this.shardCalls);
    const maxCached = options.maxCachedWorkflows ?? 1000;
    if (bundle) {
      if (maxCached > 0) this.sticky = new StickyQueue(`${options.taskQueue}/sticky/${identity}`, msOptionalToNumber(options.stickyQueueScheduleToStartTimeout) ?? 10_000);
      this.workflows = new WorkflowTaskProcessor({
        metrics: this.metrics,
        connection: this.exchanges,
        namespace: this.namespace,
        identity,
        dataConverter: this.dataConverter,
        sandbox: new WorkflowSandbox(bundle.code, { logger: this.log }),
        maxCachedWorkflows: maxCached,
        taskQueue: options.taskQueue,
        speculativeWorkflowTasks: options.speculativeWorkflowTasks ?? true,
        ...(options.interceptors?.activity ? { activityInterceptors: options.interceptors.activity } : {}),
        ...(options.sinks ? { sinks: options.sinks } : {}),
        ...(options.activities
          ? {
              activities: options.activities as Record<string, ActivityFunction>,
              // A rate limit holds starts back at the poll (or the queue); eager starts would pass it by.
              ...(options.maxActivitiesPerSecond === undefined && options.maxTaskQueueActivitiesPerSecond === undefined ? { eagerActivities: {
                taskQueue: options.taskQueue,
                // A stopping worker takes no new activities, eager ones included.
                reserve: () => (this.state === 'RUNNING' ? this.activitySlots.tryAcquire() : undefined),
                run: (task: ActivityTask, release: () => void) => this.runInAnswer(task, () => this.executeActivity(task), release, () => `activity ${task.activityType} (${task.activityId}) of ${task.workflowExecution.workflowId}`),
              } } : {}),
            }
          : {}),
        ...(this.sticky ? { stickyQueue: this.sticky } : {}),
        log: this.log,
      });
    }
  }

  get namespace(): string {
    return this.options.namespace ?? 'default';
  }

  get identity(): string {
    // Asked for every poll and every activity: os.hostname() is a system call each time.
    return (this.defaultIdentity ??= this.options.identity ?? `${process.pid}@${hostname()}`);
  }
  private defaultIdentity: string | undefined;

  getState(): State {
    return this.state;
  }

  /** Number of runs held in the sticky cache. */
  get cachedWorkflows(): number {
    return this.workflows?.cache.size ?? 0;
  }

  /**
   * Polls and runs tasks until `shutdown()` is called or the process gets a shutdown
   * signal; resolves once every task in flight has finished (or been handed back).
   */
  run(): Promise<void> {
    // Plugins' runWorker wrap the run, the first plugin outermost.
    let next = (worker: Worker): Promise<void> => worker.runPolling();
    const plugins = this.options.plugins ?? [];
    for (let i = plugins.length - 1; i >= 0; i--) {
      const plugin = plugins[i]!;
      if (!plugin.runWorker) continue;
      const inner = next;
      next = (worker) => plugin.runWorker!(worker, inner);
    }
    return next(this);
  }

  private runPolling(): Promise<void> {
    if (this.state !== 'INITIALIZED') throw new Error(`Worker.run() was already called (state ${this.state})`);
    this.state = 'RUNNING';
    const signals = this.options.shutdownSignals ?? Runtime.instance().options.shutdownSignals;
    const onSignal = () => this.shutdown();
    for (const s of signals) process.once(s, onSignal);
    // Eager workflow start: a client on this connection may hand this worker a run's first task.
    const withdraw = this.workflows
      ? registerLocalWorker(this.connection, {
          namespace: this.namespace,
          taskQueue: this.options.taskQueue,
          reserve: () => (this.state === 'RUNNING' ? this.workflowSlots.tryAcquire() : undefined),
          run: (task, release) => this.runInAnswer(task, () => this.workflows!.handle(task), release, () => `workflow task of ${task.workflowExecution.workflowId}`),
        })
      : undefined;
    this.metrics.watch({ ...(this.workflows ? { workflowSlots: this.workflowSlots, cacheSize: () => this.workflows!.cache.size } : {}), ...(this.options.activities ? { activitySlots: this.activitySlots } : {}) });
    this.runPromise = (async () => {
      try {
        await Promise.all(this.loops());
        await this.shardPollers?.done();
        await this.drain();
        // Its calls answered (or given up, within their 2 s): a caller may close the connection once `run` resolves.
        await this.pollsEnded;
        this.state = 'STOPPED';
      } catch (err) {
        this.state = 'FAILED';
        throw err;
      } finally {
        // After the polls ended and the tasks drained: nothing is left to carry.
        await this.channels?.closeChannels();
        withdraw?.();
        this.metrics.close();
        for (const s of signals) process.removeListener(s, onSignal);
        this.workflows?.cache.clear();
      }
    })();
    return this.runPromise;
  }

  /**
   * Runs the worker while `fn` runs, then shuts it down: the pattern tests use.
   * @example await worker.runUntil(client.workflow.execute(order, { taskQueue, workflowId, args }));
   */
  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    try {
      return await (typeof fnOrPromise === 'function' ? fnOrPromise() : fnOrPromise);
    } finally {
      this.shutdown();
      await running;
    }
  }

  /** Stops polling; running tasks get `shutdownGraceTime` to finish, then activities are cancelled. */
  shutdown(): void {
    if (this.state !== 'RUNNING') return;
    this.state = 'STOPPING';
    this.stop.abort();
    this.pollsEnded = this.endPolls();
  }

  /**
   * Asks the service to end this worker's waiting polls, so that it hands no task to a
   * poll nobody will read; a task already on its way still arrives and is run. If the
   * service does not answer in time, the polls are abandoned (and such a task is
   * re-issued by its timeout). The sticky queue is closed for good (Temporal's
   * ShutdownWorker), so that the runs this worker cached go on at once on other workers
   * instead of after the sticky schedule-to-start timeout.
   */
  /** `endPolls` of the shutdown under way: `run` resolves after it. */
  private pollsEnded: Promise<void> | undefined;

  private async endPolls(): Promise<void> {
    const queues: Array<[string, 'workflow' | 'activity']> = [];
    if (this.workflows) queues.push([this.options.taskQueue, 'workflow']);
    if (this.options.activities) queues.push([this.options.taskQueue, 'activity']);
    const timeout = AbortSignal.timeout(2000);
    const at = { namespace: this.namespace, signal: timeout };
    await Promise.all([
      ...queues.map(([taskQueue, kind]) =>
        this.connection
          .call('cancelPolls', { kind, pollerId: this.pollerId }, { ...at, params: { taskQueue } })
          .catch((err: unknown) => this.log.warn(`Could not end polls on ${kind} queue '${taskQueue}'; abandoning them`, { error: err })),
      ),
      ...(this.sticky || this.shardPollers?.running
        ? [
            this.connection
              .call('shutdownWorker', { identity: this.identity, ...(this.sticky ? { stickyTaskQueue: this.sticky.name, stickyQueueSecret: this.sticky.secret } : {}), ...(this.shardPollers?.running ? { pollerId: this.pollerId } : {}) }, at)
              .catch((err: unknown) => this.log.warn(`Could not close the sticky queue '${this.sticky?.name}' or end the shard polls; its runs move to '${this.options.taskQueue}' after the sticky schedule-to-start timeout, and the polls are abandoned`, { error: err })),
          ]
        : []),
    ]);
    // Polls the service answered end by themselves; anything still open is abandoned.
    setTimeout(() => this.abandonPolls.abort(), 1000).unref();
  }

  private loops(): Promise<void>[] {
    const loops: Promise<void>[] = [];
    const { taskQueue } = this.options;
    const common = { signal: this.stop.signal, health: this.serviceHealth };
    if (this.workflows) {
      const slots = this.workflowSlots;
      const polls = Math.max(1, this.options.maxConcurrentWorkflowTaskPolls ?? 10);
      const normal = this.sticky ? Math.max(1, Math.round(polls * (this.options.nonStickyToStickyPollRatio ?? 0.2))) : polls;
      const kinds = [...Array<'normal'>(normal).fill('normal'), ...Array<'sticky'>(this.sticky ? Math.max(1, polls - normal) : 0).fill('sticky')];
      const workflowLoop = (name: string, poll: (max: number) => Promise<WorkflowTask[]>, ready?: () => Promise<void> | undefined) =>
        pollLoop<WorkflowTask>({
          ...common,
          name,
          acquire: ready ? () => ready()?.then(() => slots.acquire()) ?? slots.acquire() : () => slots.acquire(),
          poll: (_, max) => poll(max),
          // Several tasks an answer (protocol 3), as many as this worker has free slots for: on its
          // own sticky queue timers firing together reach it in one round trip, and on the normal
          // queue the starts that queued while its polls were on their way come in one exchange
          // instead of one each (a poll per W1 was a quarter of the worker's exchanges).
          maxPerPoll: TASKS_PER_POLL,
          freeSlots: () => slots.size - slots.used,
          handle: (task) => this.track(this.workflows!.handle(task)),
          // Queries and update validations too: one not acknowledged is offered to another poller.
          acknowledge: (task) => this.acknowledge(task.taskToken, `${task.query ? `query ${task.query.queryType}` : task.update ? `update validation ${task.update.name}` : 'workflow task'} of ${task.workflowExecution.workflowId}`),
        });
      // Shard polls (protocol 6) run as the normal queue's pollers do, once a poll's answer says how many shards.
      if (this.options.pollShards !== false) this.shardPollers = new ShardPollers({ loop: workflowLoop, poll: (shard, max) => this.pollShard(shard, max) }, this.stop.signal);
      // The sticky queue is polled only while a run is held (RunCache.holding: nothing is sent there for no run).
      const cache = this.workflows.cache;
      this.stop.signal.addEventListener('abort', () => cache.release(), { once: true });
      for (const kind of kinds) {
        if (kind === 'sticky') loops.push(workflowLoop('workflow poller (sticky queue)', (max) => this.pollSticky(this.sticky!.name, max), () => cache.holding()));
        // The normal queue is polled until a poll comes back empty, then when a shard wakes it (queue-parking.ts).
        else loops.push(workflowLoop(`workflow poller (${taskQueue})`, (max) => this.pollWorkflow(taskQueue, this.abandonPolls.signal, max), () => this.parking.workflow.ready()));
      }
    }
    if (this.options.activities) {
      const slots = this.activitySlots;
      const polls = Math.max(1, this.options.maxConcurrentActivityTaskPolls ?? 10);
      const rate = this.options.maxActivitiesPerSecond !== undefined ? new RateLimiter(this.options.maxActivitiesPerSecond) : undefined;
      for (let i = 0; i < polls; i++) {
        loops.push(
          pollLoop<ActivityTask>({
            ...common,
            name: `activity poller (${taskQueue})`,
            // Polled until a poll comes back empty, then when a shard wakes it (queue-parking.ts).
            acquire: () => this.parking.activity.ready()?.then(() => slots.acquire()) ?? slots.acquire(),
            poll: () => this.pollActivity(this.abandonPolls.signal),
            // Pollers wait in long polls ahead of any task, so the rate is applied to the tasks they
            // receive: each starts at its moment (holding its slot meanwhile).
            handle: (task) => this.track(rate ? rate.acquire().then(() => this.executeActivity(task)) : this.executeActivity(task)),
            acknowledge: (task) => this.acknowledge(task.taskToken, `activity ${task.activityType} (${task.activityId}) of ${task.workflowExecution.workflowId}`),
          }),
        );
      }
    }
    return loops;
  }

  /**
   * A poll of the sticky queue. One the service closed, taking this worker for dead (sticky-queue.ts),
   * answers STICKY_QUEUE_CLOSED: a new sticky queue takes its place and the next poll goes there.
   */
  private async pollSticky(queue: string, max: number): Promise<WorkflowTask[]> {
    try {
      return await this.pollWorkflow(queue, this.abandonPolls.signal, max);
    } catch (err) {
      if (!(err instanceof KeelServiceError && err.code === 'STICKY_QUEUE_CLOSED')) throw err;
      // A stopping worker closed it itself (shutdownWorker).
      if (this.state === 'RUNNING' && this.sticky!.replace(queue)) {
        this.log.warn(`The service closed this worker's sticky queue '${queue}', taking the worker for dead (a task handed to it was not acknowledged within ${Limits.handOffAckMs} ms: was its event loop blocked?). Its cached runs' tasks went to '${this.options.taskQueue}'; it goes on with the sticky queue '${this.sticky!.name}'`);
      }
      return [];
    }
  }

  private async pollWorkflow(queue: string, signal: AbortSignal, max = 1): Promise<WorkflowTask[]> {
    // Polls elsewhere name the sticky queue, so that a death found there closes it too.
    const normal = !this.sticky || queue !== this.sticky.name;
    const sticky = this.sticky && normal ? { stickyTaskQueue: this.sticky.name } : {};
    const start = normal ? this.parking.workflow.beginPoll() : undefined;
    const wait = start?.waitMs !== undefined ? { waitMs: start.waitMs } : {};
    const r = await this.connection.call('pollWorkflowTask', { identity: this.identity, pollerId: this.pollerId, acknowledgesHandOff: true, ...sticky, ...(max > 1 ? { maxTasks: max } : {}), ...wait }, { namespace: this.namespace, params: { taskQueue: queue }, signal, retry: false });
    this.shardPollers?.learn(r.workflowShards);
    this.learnWakes(r);
    if (start) this.parking.workflow.endPoll(start, r.task !== undefined);
    // Work came by the queue: shard polls that ran out empty (parked) poll again.
    if (r.task) this.shardPollers?.wake();
    return this.polled(r);
  }

  /**
   * A queue poll's answer said the service wakes parked polls (protocol 10): the channels to every shard are
   * kept open from now on, so that each shard's wakes reach this worker, and its queues' polls may park.
   */
  private learnWakes(r: { workflowShards?: number; wakes?: true }): void {
    if (!r.wakes || r.workflowShards === undefined || this.wakingShards !== undefined || this.options.parkIdlePolls === false || !this.channels?.on) return;
    this.wakingShards = r.workflowShards;
    this.channels.keepOpen(this.namespace, r.workflowShards);
  }

  /** A poll of the normal queue at workflow shard `shard` (protocol 6, shard-pollers.ts). */
  private async pollShard(shard: number, max: number): Promise<WorkflowTask[]> {
    const body = { taskQueue: this.options.taskQueue, identity: this.identity, pollerId: this.pollerId, acknowledgesHandOff: true as const, ...(max > 1 ? { maxTasks: max } : {}) };
    return this.polled(await this.shardCalls.call('pollShardWorkflowTask', body, { namespace: this.namespace, params: { shard: String(shard) }, signal: this.abandonPolls.signal, retry: false }));
  }

  /** A workflow-task poll's answer (at the queue or at a shard) as the tasks it brought, counted in the metrics. */
  private polled(r: { task?: WorkflowTask; moreTasks?: WorkflowTask[] }): WorkflowTask[] {
    const tasks = r.task ? [r.task, ...(r.moreTasks ?? [])] : [];
    this.metrics.workflowPoll(tasks);
    return tasks;
  }

  private async pollActivity(signal: AbortSignal): Promise<ActivityTask | undefined> {
    const rate = this.options.maxTaskQueueActivitiesPerSecond;
    const start = this.parking.activity.beginPoll();
    const r = await this.connection.call(
      'pollActivityTask',
      { identity: this.identity, pollerId: this.pollerId, acknowledgesHandOff: true, ...(this.sticky ? { stickyTaskQueue: this.sticky.name } : {}), ...(rate !== undefined ? { maxTasksPerSecond: rate } : {}), ...(start.waitMs !== undefined ? { waitMs: start.waitMs } : {}) },
      { namespace: this.namespace, params: { taskQueue: this.options.taskQueue }, signal, retry: false },
    );
    this.learnWakes(r);
    this.parking.activity.endPoll(start, r.task !== undefined);
    this.metrics.activityPoll(r.task);
    return r.task;
  }

  /**
   * Tells the service a polled task arrived (protocol 2), so it does not take this worker's poll
   * for dead and give the task to another worker. Failures are left to the task's own completion.
   */
  private async acknowledge(taskToken: string, what: string): Promise<void> {
    try {
      await this.connection.call('acknowledgeTask', { taskToken, identity: this.identity }, { namespace: this.namespace });
    } catch (err) {
      if (err instanceof KeelServiceError && err.code === 'TASK_NOT_FOUND') {
        this.log.warn(`The ${what} went back to its queue before this worker acknowledged it (the service allows ${Limits.handOffAckMs} ms): another worker runs it, and this worker's result will be refused`);
      }
    }
  }

  private executeActivity(task: ActivityTask): Promise<void> {
    // The same for every activity: made once (durations parsed, closures made) on the first.
    this.activityOptions ??= {
      connection: this.exchanges,
      namespace: this.namespace,
      identity: this.identity,
      dataConverter: this.dataConverter,
      activities: this.options.activities as Record<string, ActivityFunction>,
      defaultHeartbeatThrottleIntervalMs: msOptionalToNumber(this.options.defaultHeartbeatThrottleInterval) ?? 30_000,
      maxHeartbeatThrottleIntervalMs: msOptionalToNumber(this.options.maxHeartbeatThrottleInterval) ?? 60_000,
      log: this.log,
      ...(this.workflows && this.sticky ? { nextWorkflowTask: (runId: string) => this.reserveStickyTask(runId) } : {}),
      ...(this.options.interceptors?.activity ? { interceptors: this.options.interceptors.activity } : {}),
    };
    const running = runActivity(this.activityOptions, task);
    this.runningActivities.add(running);
    const startedAt = performance.now();
    const ended = () => {
      this.runningActivities.delete(running);
      this.metrics.activityExecuted(task, performance.now() - startedAt);
    };
    return running.done.then(ended, (err: unknown) => {
      ended();
      throw err;
    });
  }

  /**
   * For an activity of a run this worker holds in its cache: a free workflow slot, so that the
   * workflow task the activity's completion causes comes back in the answer (on this worker's
   * sticky queue) instead of through a poll.
   */
  private reserveStickyTask(runId: string): NextWorkflowTask | undefined {
    if (this.state !== 'RUNNING' || !this.sticky || !this.workflows?.cache.has(runId)) return undefined;
    const release = this.workflowSlots.tryAcquire();
    if (!release) return undefined;
    return {
      stickyTaskQueue: this.sticky.name,
      release,
      run: (task) => this.runInAnswer(task, () => this.workflows!.handle(task), release, () => `workflow task of ${task.workflowExecution.workflowId}`),
      speculate: (task, result) => this.workflows!.speculate(task, result),
    };
  }

  /**
   * A task handed back in an answer (eager start, eager activity, an activity completion's next
   * workflow task) is acknowledged like a polled one (protocol 2, asked with `acknowledgesHandOff`),
   * unless it ends first: the service takes it back a second after it handed it over otherwise.
   */
  private runInAnswer(task: { taskToken: string }, run: () => Promise<void>, release: () => void, what: () => string): void {
    const ended = acknowledgeIfSlow(task, (t) => this.acknowledge(t.taskToken, what()));
    void this.track(run(), () => {
      release();
      ended();
    });
  }

  /**
   * Holds a task among those in flight (shutdown drains them) until it settles, then calls `settled`
   * (its slot back…); an error it ends with is logged. One handler per task, not a chain of them.
   */
  private track(p: Promise<void>, settled?: () => void): Promise<void> {
    const done = () => {
      this.tasksInFlight.delete(tracked);
      settled?.();
    };
    const tracked: Promise<void> = p.then(done, (err: unknown) => {
      done();
      this.log.error('Unexpected error handling a task', { error: err });
    });
    this.tasksInFlight.add(tracked);
    return tracked;
  }

  /** Waits for running tasks; after the grace time, cancels activities (they report failure and are retried elsewhere). */
  private async drain(): Promise<void> {
    const grace = msToNumber(this.options.shutdownGraceTime ?? 0);
    const all = () => Promise.all([...this.tasksInFlight]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), grace)));
    const outcome = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'grace') {
      for (const a of this.runningActivities) a.cancel('WORKER_SHUTDOWN');
      await all();
    }
  }
}

