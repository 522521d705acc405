/**
 * Handles one workflow task from poll to answer: finds the run in the cache (or builds
 * it by replaying the full history), applies the task's new events, and completes the
 * task with the commands — or fails it, evicting the run. Query tasks are answered
 * against the cached run, or against a replay of the history when the run is not held.
 * A cached run's next task may also be run ahead, for an activity's completion to carry
 * (`speculate`, protocol 4).
 */
import type { ActivityTask, Command, Failure, HistoryEvent, Payload, RequestOf, ResponseOf, WorkflowTask } from '../../protocol/index.js';
import { CLOSE_COMMANDS } from '../../protocol/commands.js';
import { errorMessage, type LoadedDataConverter, type Logger } from '../common/index.js';
import type { ConnectionLike } from '../client/connection.js';
import { KeelServiceError } from '../client/errors.js';
import { CachedRunInvalidError, DeterminismViolationError } from './errors.js';
import { WorkflowRunMachine } from './history-machine.js';
import { decodeAllPayloads, encodeAllPayloads } from './payload-walk.js';
import { answeringNow } from './poller.js';
import { RunCache } from './run-cache.js';
import type { WorkerMetrics } from './worker-metrics.js';
import type { WorkflowSandbox } from './workflow-sandbox.js';
import type { ActivityFunction } from './activity-executor.js';
import { DEFAULT_WORKFLOW_TASK_TIMEOUT_MS, LOCAL_ACTIVITY_TASK_BUDGET, executeLocalActivity } from './local-activity-executor.js';
import type { LocalActivitySource } from './local-activity-rounds.js';
import type { ActivityInterceptorsFactory } from './interceptors.js';
import { callSinks, type InjectedSinks } from './sinks.js';
import type { SinkCall, Sinks } from '../workflow/sinks.js';
import { predictTask } from './speculative-task.js';

export interface WorkflowTaskProcessorOptions {
  connection: ConnectionLike;
  namespace: string;
  identity: string;
  dataConverter: LoadedDataConverter;
  sandbox: WorkflowSandbox;
  maxCachedWorkflows: number;
  /** The worker's own queue for sticky execution, read at each use (the worker replaces a closed one); undefined when the cache is off. */
  stickyQueue?: { name: string; scheduleToStartTimeoutMs: number };
  log: Logger;
  /** The worker's activities, which local activities run (none: a local activity fails as not registered). */
  activities?: Record<string, ActivityFunction>;
  /** The worker's task queue, for local activities' `Context.current().info`. */
  taskQueue?: string;
  /**
   * The worker's activity slots, for eager execution (Temporal's): a scheduled activity on the
   * worker's own queue is asked for eagerly while a slot is free, and the service hands it back,
   * started, in the completion's answer. Absent (no activities here): nothing is asked for.
   */
  eagerActivities?: EagerActivities;
  /** The worker's activity interceptor factories, for local activities. */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /** The worker's sinks: where the workflows' `proxySinks` calls go. */
  sinks?: InjectedSinks<Sinks>;
  /** Where task latencies, cache hits and closes are counted (Temporal's metric names). */
  metrics?: WorkerMetrics;
  /** Speculative workflow tasks (protocol 4, {@link WorkflowTaskProcessor.speculate}); default off. */
  speculativeWorkflowTasks?: boolean;
}

/** A workflow task run ahead (`WorkflowTaskProcessor.speculate`): its completion, and what to do with the service's answer. */
export interface SpeculativeTask {
  completion: NonNullable<RequestOf<'completeActivityTask'>['workflowTaskCompletion']>;
  /** Takes the answer to the activity's completion (undefined: it was not sent, or failed); always called once. */
  settle(answer: ResponseOf<'completeActivityTask'> | undefined): void;
}

export interface EagerActivities {
  taskQueue: string;
  /** A free activity slot, or undefined. */
  reserve(): (() => void) | undefined;
  /** Runs an activity started eagerly in the slot `release` gives back. */
  run(task: ActivityTask, release: () => void): void;
}

/** Refusals after which a run is not speculated again; runs counted, at most (past it, the count starts over). */
const MAX_SPECULATION_MISSES = 3;
const MISSES_KEPT = 10_000;

/** Temporal's worker asks for at most this many eager activities per workflow task. */
const MAX_EAGER_PER_TASK = 3;

export class WorkflowTaskProcessor {
  readonly cache: RunCache;
  /** One task per run at a time: a query must not interleave with an activation. */
  private readonly runLocks = new Map<string, Promise<unknown>>();
  /** Sink calls of speculative activations, held until the service takes the task (a refused one never happened). */
  private readonly heldSinkCalls = new Map<string, SinkCall[]>();
  /**
   * Runs whose speculative tasks went wrong, by how often: a refusal costs a replay of the run, so a
   * run refused `MAX_SPECULATION_MISSES` times (signals keep coming while its activities run), or one
   * whose task asked for a local activity, is not speculated again.
   */
  private readonly misses = new Map<string, number>();
  /** Speculative workflow tasks the service took and refused, for tests and metrics. */
  readonly speculations = { accepted: 0, refused: 0 };

  constructor(private readonly opts: WorkflowTaskProcessorOptions) {
    this.cache = new RunCache(Math.max(opts.maxCachedWorkflows, 0));
  }

  handle(task: WorkflowTask): Promise<void> {
    const runId = task.workflowExecution.runId;
    const prev = this.runLocks.get(runId);
    // A run with no task in flight here starts at once; another waits for the one before it.
    const next = prev ? prev.then(() => this.run(task)) : this.run(task);
    this.holdRun(runId, next);
    return next;
  }

  private async run(task: WorkflowTask): Promise<void> {
    const whole = task.nextPageToken ? await this.remainingPages(task) : task;
    if (whole.query || whole.update) return this.answerQuery(whole);
    const metrics = this.opts.metrics;
    if (!metrics) return this.process(whole);
    const startedAt = performance.now();
    try {
      return await this.process(whole);
    } finally {
      metrics.workflowTaskExecuted(whole.workflowType, performance.now() - startedAt);
    }
  }

  /** The run is locked until `work` settles: the run's next task or query waits for it. */
  private holdRun(runId: string, work: Promise<unknown>): void {
    const release = () => {
      if (this.runLocks.get(runId) === held) this.runLocks.delete(runId);
    };
    // Never rejects, so that what waits on it runs whatever became of the work.
    const held: Promise<void> = work.then(release, release);
    this.runLocks.set(runId, held);
  }

  private async process(task: WorkflowTask): Promise<void> {
    const { runId } = task.workflowExecution;
    const codecs = this.opts.dataConverter.payloadCodecs;
    // Without codecs (the usual case) there is nothing to decode, and nothing is awaited.
    const history = codecs.length === 0 ? task.history : await decodeAllPayloads(task.history, codecs);
    let machine = this.cache.get(runId);
    this.opts.metrics?.cacheLookup(task.workflowType, machine !== undefined && machine.isUsable && history[0]?.eventId === machine.lastEventId + 1);
    let result;
    try {
      if (machine) machine.historyEnd = undefined;
      if (machine && (!machine.isUsable || history[0]?.eventId !== machine.lastEventId + 1)) {
        this.cache.evict(runId);
        machine = undefined;
      }
      if (machine) {
        result = await machine.applyHistory(history, { localActivities: this.localActivities(task, machine) });
      } else {
        machine = this.newMachine(task);
        const full = history[0]?.eventId === 1 ? history : await this.fullHistory(task);
        result = await machine.applyHistory(full, { localActivities: this.localActivities(task, machine) });
      }
    } catch (err) {
      if (machine) this.evict(runId, machine);
      if (err instanceof CachedRunInvalidError) {
        // The cached run no longer matches the service's view: rebuild it from scratch once.
        const fresh = this.newMachine(task);
        try {
          result = await fresh.applyHistory(await this.fullHistory(task), { localActivities: this.localActivities(task, fresh) });
          machine = fresh;
        } catch (again) {
          fresh.dispose();
          return this.fail(task, again);
        }
      } else {
        return this.fail(task, err);
      }
    }
    if (!result) return this.fail(task, new Error(`workflow task for run ${runId} left nothing to activate (history ends at event ${history.at(-1)?.eventId})`));
    if ('failure' in result) {
      this.evict(runId, machine);
      return this.failWith(task, 'WORKFLOW_WORKER_UNHANDLED_FAILURE', result.failure);
    }
    // A run that closes (continue-as-new included: its next run has its own id and history) gets no
    // more tasks, so holding it would only take a cache slot until it is evicted as least recent.
    const closes = result.commands.some((c) => CLOSE_COMMANDS.has(c.type));
    this.opts.metrics?.workflowCommands(task.workflowType, result.commands);
    const keep = !closes && this.opts.maxCachedWorkflows > 0 && this.opts.stickyQueue !== undefined;
    if (keep) this.cache.set(runId, machine);
    else this.evict(runId, machine, closes);
    const slots: Array<() => void> = [];
    try {
      const asked = this.askEager(result.commands, slots);
      const commands = codecs.length === 0 ? asked : await encodeAllPayloads<Command[]>(asked, codecs);
      answeringNow(task);
      const answer = await this.opts.connection.call(
        'completeWorkflowTask',
        {
          taskToken: task.taskToken,
          commands,
          identity: this.opts.identity,
          // Protocol 2: the activities handed back in the answer are acknowledged as polled ones.
          acknowledgesHandOff: true,
          ...this.stickyAttributes(keep),
          ...(keep && this.opts.speculativeWorkflowTasks ? { speculates: true } : {}),
        },
        { namespace: this.opts.namespace, shardKey: task.shardKey },
      );
      if (keep && answer.historyEnd) machine.historyEnd = { end: answer.historyEnd, receivedAt: performance.now() };
      this.runEager(answer.activityTasks, slots);
    } catch (err) {
      // The service did not take the commands (task timed out, run closed, bad command):
      // our cached state is ahead of history, so drop it.
      this.cache.evict(runId);
      if (!(err instanceof KeelServiceError && err.code === 'TASK_NOT_FOUND')) this.opts.log.warn(`Completing workflow task of ${task.workflowExecution.workflowId} failed`, { error: err });
    } finally {
      // Slots reserved for activities the service did not start eagerly go back.
      for (const release of slots) release();
    }
  }

  private stickyAttributes(keep: boolean) {
    const sticky = this.opts.stickyQueue;
    return keep && sticky ? { stickyAttributes: { workerTaskQueue: sticky.name, scheduleToStartTimeoutMs: sticky.scheduleToStartTimeoutMs } } : {};
  }

  /** Runs the activities the service started eagerly for a completion, each in a slot reserved for it. */
  private runEager(tasks: readonly ActivityTask[] | undefined, slots: Array<() => void>): void {
    for (const activityTask of tasks ?? []) {
      const release = slots.shift();
      if (release) this.opts.eagerActivities!.run(activityTask, release);
    }
  }

  /**
   * Runs ahead the workflow task that the completion of `activity` (with `result`, encoded) causes, on
   * the run this worker holds (a speculative workflow task, protocol 4): the activity's completion then
   * carries the task's completion, and the service writes both in one transaction if the run is where
   * the worker predicted (speculative-task.ts). Undefined when the run cannot be speculated: not held
   * here, another of its tasks in flight here, no `historyEnd` from the service, events that cannot be
   * predicted, or a task that asks for local activities or fails. Until `settle` gets the answer, the
   * run is locked (its queries and tasks wait) and its sink calls are held.
   */
  async speculate(activity: ActivityTask, result: Payload | undefined): Promise<SpeculativeTask | undefined> {
    const runId = activity.workflowExecution.runId;
    const sticky = this.opts.stickyQueue;
    const machine = this.cache.has(runId) ? this.cache.get(runId) : undefined;
    const basis = machine?.historyEnd;
    if (!this.opts.speculativeWorkflowTasks || !sticky || !machine || !basis || !machine.isUsable || this.runLocks.has(runId) || (this.misses.get(runId) ?? 0) >= MAX_SPECULATION_MISSES) return undefined;
    machine.historyEnd = undefined;
    // The workflow's time in the task: the service's time at its last change, plus the time since its
    // answer came (so no clock skew between worker and service can put it in the service's future),
    // and not before the activity started.
    const time = Math.max(basis.end.time + Math.floor(performance.now() - basis.receivedAt), Date.parse(activity.startedTime));
    const predicted = predictTask(
      { lastEventId: machine.lastEventId, unconfirmed: machine.unconfirmed, scheduledEventIdOf: (id) => machine.scheduledEventIdOf(id), end: basis.end, workflowTaskTimeoutMs: machine.workflowTaskTimeoutMs ?? DEFAULT_WORKFLOW_TASK_TIMEOUT_MS },
      activity,
      result,
      this.opts.identity,
      sticky.name,
      time,
    );
    if (!predicted) return undefined;
    const codecs = this.opts.dataConverter.payloadCodecs;
    const startedAt = performance.now();
    const unlock = this.lockRun(runId);
    const held: SinkCall[] = [];
    this.heldSinkCalls.set(runId, held);
    const drop = () => {
      this.heldSinkCalls.delete(runId);
      this.evict(runId, machine);
      unlock();
    };
    let activation;
    try {
      const events = [...predicted.confirming, ...(codecs.length === 0 ? predicted.activity : await decodeAllPayloads(predicted.activity, codecs))];
      activation = await machine.applyHistory(events, {
        localActivities: () => {
          this.missed(runId, MAX_SPECULATION_MISSES);
          throw new Error('a speculative workflow task does not run local activities');
        },
      });
    } catch {
      // The run's state moved, and is not the service's: it is rebuilt from history by the ordinary task.
      drop();
      return undefined;
    }
    if (!activation || 'failure' in activation) {
      drop();
      return undefined;
    }
    const closes = activation.commands.some((c) => CLOSE_COMMANDS.has(c.type));
    const slots: Array<() => void> = [];
    const settle = (answer: ResponseOf<'completeActivityTask'> | undefined) => {
      this.heldSinkCalls.delete(runId);
      try {
        if (answer?.speculation?.accepted) {
          this.speculations.accepted++;
          this.opts.metrics?.speculativeTask(activity.workflowType, true, performance.now() - startedAt);
          this.opts.metrics?.workflowCommands(activity.workflowType, activation.commands);
          callSinks(this.opts.sinks, held, this.opts.log);
          if (closes) this.evict(runId, machine, true);
          else if (answer.historyEnd) machine.historyEnd = { end: answer.historyEnd, receivedAt: performance.now() };
          this.runEager(answer.activityTasks, slots);
        } else {
          // Refused (the run moved on), or not sent: what ran ahead never happened.
          if (answer) {
            this.missed(runId, 1);
            this.speculations.refused++;
            this.opts.metrics?.speculativeTask(activity.workflowType, false, performance.now() - startedAt);
          }
          this.evict(runId, machine);
        }
      } finally {
        for (const release of slots) release();
        unlock();
      }
    };
    try {
      const asked = this.askEager(activation.commands, slots);
      const commands = codecs.length === 0 ? asked : await encodeAllPayloads<Command[]>(asked, codecs);
      return {
        completion: {
          commands,
          ...this.stickyAttributes(!closes),
          nextEventId: basis.end.nextEventId,
          startedEventId: predicted.startedEventId,
          historySizeBytes: basis.end.historySizeBytes,
          ...(predicted.suggestContinueAsNew ? { suggestContinueAsNew: true } : {}),
          time,
        },
        settle,
      };
    } catch {
      settle(undefined);
      return undefined;
    }
  }

  private missed(runId: string, by: number): void {
    if (this.misses.size >= MISSES_KEPT) this.misses.clear();
    this.misses.set(runId, (this.misses.get(runId) ?? 0) + by);
  }

  /** Holds the run's lock (free when called) until the returned function is called: its other tasks and queries wait. */
  private lockRun(runId: string): () => void {
    let unlock!: () => void;
    this.holdRun(runId, new Promise<void>((resolve) => (unlock = resolve)));
    return unlock;
  }

  /** Marks activities on this worker's queue for eager execution, one free slot each (kept in `slots`). */
  private askEager(commands: Command[], slots: Array<() => void>): Command[] {
    const eager = this.opts.eagerActivities;
    if (!eager) return commands;
    return commands.map((c) => {
      if (c.type !== 'ScheduleActivityTask' || (c.taskQueue !== undefined && c.taskQueue !== eager.taskQueue) || slots.length >= MAX_EAGER_PER_TASK) return c;
      const release = eager.reserve();
      if (!release) return c;
      slots.push(release);
      return { ...c, requestEagerExecution: true };
    });
  }

  private newMachine(task: WorkflowTask): WorkflowRunMachine {
    const { workflowId, runId } = task.workflowExecution;
    return new WorkflowRunMachine({
      namespace: this.opts.namespace,
      workflowId,
      runId,
      context: this.opts.sandbox.createRunContext({ workflowId, runId, workflowType: task.workflowType }),
      onSinkCalls: (calls) => {
        const held = this.heldSinkCalls.get(runId);
        if (held) held.push(...calls);
        else callSinks(this.opts.sinks, calls, this.opts.log);
      },
    });
  }

  /**
   * Runs the local activities of this task. In-place retries stop at a share of the workflow task
   * timeout (counted from when the task was received), so the task completes in time.
   */
  private localActivities(task: WorkflowTask, machine: WorkflowRunMachine): LocalActivitySource {
    const receivedAt = Date.now();
    return (request) =>
      executeLocalActivity(
        {
          activities: this.opts.activities ?? {},
          dataConverter: this.opts.dataConverter,
          namespace: this.opts.namespace,
          taskQueue: this.opts.taskQueue ?? '',
          workflowType: task.workflowType,
          workflowExecution: task.workflowExecution,
          taskDeadline: receivedAt + LOCAL_ACTIVITY_TASK_BUDGET * (machine.workflowTaskTimeoutMs ?? DEFAULT_WORKFLOW_TASK_TIMEOUT_MS),
          log: this.opts.log,
          ...(this.opts.activityInterceptors ? { interceptors: this.opts.activityInterceptors } : {}),
        },
        request,
      );
  }

  /** Drops `machine` (`closed`: its run closed, so no task of it comes again). */
  private evict(runId: string, machine: WorkflowRunMachine | undefined, closed = false): void {
    if (this.cache.get(runId) === machine) this.cache.evict(runId, closed);
    else machine?.dispose();
  }

  /**
   * A task whose history is too big for one answer comes with its first page and a token
   * (Temporal's paged poll answer): the rest is read page by page, before the task is run.
   */
  private async remainingPages(task: WorkflowTask): Promise<WorkflowTask> {
    if (!task.nextPageToken) return task;
    const { workflowId, runId } = task.workflowExecution;
    const history = [...task.history];
    let nextPageToken: string | undefined = task.nextPageToken;
    while (nextPageToken) {
      const page: { events: HistoryEvent[]; nextPageToken?: string } = await this.opts.connection.call('getWorkflowHistory', { runId, nextPageToken }, { namespace: this.opts.namespace, params: { workflowId } });
      history.push(...page.events);
      nextPageToken = page.nextPageToken;
    }
    const { nextPageToken: _read, ...rest } = task;
    return { ...rest, history };
  }

  /** The run's whole history up to this task, for a task whose partial history we cannot use. */
  private async fullHistory(task: WorkflowTask): Promise<HistoryEvent[]> {
    const { workflowId, runId } = task.workflowExecution;
    const events: HistoryEvent[] = [];
    let nextPageToken: string | undefined;
    do {
      const page = await this.opts.connection.call(
        'getWorkflowHistory',
        { runId, ...(nextPageToken ? { nextPageToken } : {}) },
        { namespace: this.opts.namespace, params: { workflowId } },
      );
      events.push(...page.events.filter((e) => e.eventId <= task.startedEventId));
      nextPageToken = page.events.length > 0 && (page.events.at(-1)?.eventId ?? 0) < task.startedEventId ? page.nextPageToken : undefined;
    } while (nextPageToken);
    // A retried task's scheduled/started events are transient: only the task carries them.
    const known = new Set(events.map((e) => e.eventId));
    for (const e of task.history) if (!known.has(e.eventId)) events.push(e);
    events.sort((a, b) => a.eventId - b.eventId);
    return decodeAllPayloads(events, this.opts.dataConverter.payloadCodecs);
  }

  private async fail(task: WorkflowTask, err: unknown): Promise<void> {
    const cause = err instanceof DeterminismViolationError ? 'NON_DETERMINISTIC_ERROR' : 'WORKFLOW_WORKER_UNHANDLED_FAILURE';
    if (!(err instanceof DeterminismViolationError)) this.opts.log.warn(`Workflow task of ${task.workflowExecution.workflowId} failed`, { error: err });
    return this.failWith(task, cause, this.opts.dataConverter.failureConverter.errorToFailure(err, this.opts.dataConverter.payloadConverter));
  }

  private async failWith(task: WorkflowTask, cause: 'NON_DETERMINISTIC_ERROR' | 'WORKFLOW_WORKER_UNHANDLED_FAILURE', failure: Failure): Promise<void> {
    try {
      await this.opts.connection.call(
        'failWorkflowTask',
        { taskToken: task.taskToken, cause, failure: await encodeAllPayloads(failure, this.opts.dataConverter.payloadCodecs), identity: this.opts.identity },
        { namespace: this.opts.namespace, shardKey: task.shardKey },
      );
    } catch (err) {
      if (!(err instanceof KeelServiceError && err.code === 'TASK_NOT_FOUND')) this.opts.log.warn('Failing a workflow task failed', { error: err });
    }
  }

  private async answerQuery(task: WorkflowTask): Promise<void> {
    const { runId } = task.workflowExecution;
    // An update's validation is answered like a query: read-only, against the same state.
    const update = task.update;
    const query = update ? { queryType: update.name, queryArgs: update.args, header: update.header } : task.query!;
    const request = {
      queryId: runId,
      queryType: query.queryType,
      args: await decodeAllPayloads(query.queryArgs, this.opts.dataConverter.payloadCodecs),
      ...(update ? { update: { updateId: update.updateId } } : {}),
      ...(query.header ? { headers: await decodeAllPayloads(query.header, this.opts.dataConverter.payloadCodecs) } : {}),
    };
    let answer: Awaited<ReturnType<WorkflowRunMachine['query']>>;
    const cached = this.cache.get(runId);
    try {
      if (cached?.isUsable) {
        answer = await cached.query(request);
      } else {
        const machine = this.newMachine(task);
        try {
          const history = await decodeAllPayloads(completedTasksOnly(task.history), this.opts.dataConverter.payloadCodecs);
          const result = await machine.applyHistory(history, { mode: 'replay' });
          if (result && 'failure' in result) throw new Error(`replaying the workflow for the query failed: ${result.failure.message}`);
          answer = await machine.query(request);
        } finally {
          machine.dispose();
        }
      }
    } catch (err) {
      answer = { queryId: runId, failure: { message: errorMessage(err) ?? String(err) } };
    }
    await this.opts.connection
      .call(
        'respondQueryTask',
        update
          ? { taskToken: task.taskToken, ...(answer.failure ? { failure: await encodeAllPayloads(answer.failure, this.opts.dataConverter.payloadCodecs) } : {}) }
          : answer.failure
          ? { taskToken: task.taskToken, errorMessage: answer.failure.message, ...(answer.notRegistered ? { notRegistered: true } : {}) }
          : { taskToken: task.taskToken, ...(answer.answer ? { answer: (await encodeAllPayloads([answer.answer], this.opts.dataConverter.payloadCodecs))[0] } : {}) },
        { namespace: this.opts.namespace },
      )
      .catch((err: unknown) => this.opts.log.warn('Answering a query failed', { error: err }));
  }
}

/**
 * The history a query is answered against: everything up to the last workflow task that
 * completed. A task still running (started, not completed) has not decided anything yet.
 */
export function completedTasksOnly(history: readonly HistoryEvent[]): HistoryEvent[] {
  let lastStarted = -1;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]!.eventType === 'WorkflowTaskStarted') {
      lastStarted = i;
      break;
    }
  }
  if (lastStarted < 0) return [...history];
  const after = history[lastStarted + 1]?.eventType;
  const closed = after === 'WorkflowTaskCompleted' || after === 'WorkflowTaskFailed' || after === 'WorkflowTaskTimedOut';
  return closed ? [...history] : history.slice(0, lastStarted);
}
