// Owns one workflow run's replay state: it turns history events into activations of the run's
// sandbox context, checks that the commands each activation returns are the ones history
// recorded, and keeps enough state to continue from only the new events of a cached run.
import type { SinkCall } from '../workflow/sinks.js';
import {
  CLOSE_EVENT_TYPES,
  COMMAND_EVENT_TYPES,
  type Command,
  type EventOf,
  type HistoryEnd,
  type HistoryEvent,
  Limits,
} from '../../protocol/index.js';
import { IllegalStateError } from '../common/errors.js';
import type { Activation, ActivationJob, ActivationResult, QueryRequest, QueryResult } from '../workflow/activation.js';
import { commandMatchesEvent, describeCommand, describeEvent } from './command-matching.js';
import { CachedRunInvalidError, DeterminismViolationError, HistoryGapError } from './errors.js';
import { jobForInputEvent, type RunIdentity, type ScheduledActivity } from './history-jobs.js';
import { patchesRecordedAfter, patchOfCommand, patchOfEvent } from './patch-markers.js';
import { localActivityMarkersAfter, replaySource, runLocalActivityRounds, type LocalActivitySource } from './local-activity-rounds.js';
import { INITIATED_EVENT_TYPES, jobForChildOrExternalEvent, seqOfInitiated } from './child-jobs.js';
import type { WorkflowRunContext } from './workflow-sandbox.js';

/** Options of {@link WorkflowRunMachine}. */
export interface WorkflowRunMachineOptions extends RunIdentity {
  /** The run's sandbox context (from `WorkflowSandbox.createRunContext`); the machine owns it from now on. */
  context: WorkflowRunContext;
  /**
   * From which history length `workflowInfo().continueAsNewSuggested` is true.
   * @default 80% of the service's `Limits.maxHistoryEvents`
   */
  continueAsNewSuggestedAt?: number;
  /** Receives the sink calls of each activation (the worker's `sinks`); none: they are dropped. */
  onSinkCalls?: (calls: SinkCall[]) => void;
}

/** The default of {@link WorkflowRunMachineOptions.continueAsNewSuggestedAt}. */
export const CONTINUE_AS_NEW_SUGGESTED_AT = Limits.historySuggestContinueAsNewEvents;

/**
 * How {@link WorkflowRunMachine.applyHistory} runs a workflow task that the events leave open
 * (their last event is a WorkflowTaskStarted):
 * - `'live'`: it is the task this worker is completing now; activated with `isReplaying: false`.
 * - `'replay'`: it is merely where a recorded history ends (`runReplayHistory`); activated with
 *   `isReplaying: true`, so that the code runs exactly as in the live run, but there is nothing
 *   to check its commands against.
 */
export type ApplyHistoryMode = 'live' | 'replay';

/** Options of {@link WorkflowRunMachine.applyHistory}. */
export interface ApplyHistoryOptions {
  /** Default `'live'`. */
  mode?: ApplyHistoryMode;
  /** Runs the local activities the live task asks for (the worker's executor); replayed tasks read their markers. */
  localActivities?: LocalActivitySource;
}

/** Commands of an activated task, waiting for the WorkflowTaskCompleted that confirms them. */
interface AwaitingCompletion {
  startedEventId: number;
  commands: Command[];
}

/** Commands of a completed task being matched, in order, against the command events that follow it. */
interface MatchWindow {
  completedEventId: number;
  commands: Command[];
  next: number;
}

/**
 * Replays one workflow run's history into its sandbox context, incrementally.
 *
 * Each workflow task in history is one activation. A WorkflowTaskStarted that history shows
 * completed is replayed: the input events before it (since the previous activation) become its
 * jobs, `Date.now()` is the task's start time, and the commands it returns must match, in
 * order, the command events written after its WorkflowTaskCompleted. A task that failed or timed
 * out is not activated: its jobs carry over to the next task, exactly as the live worker that
 * failed it was evicted and the next one saw them again.
 *
 * Sticky execution: after a live activation the machine keeps that task's commands, and the
 * next batch (starting right after that WorkflowTaskStarted) confirms them against the events
 * the service wrote for them. The cost of a task is then its new events only.
 *
 * Once `applyHistory` throws, or returns a failure, the run's state is unknown: the machine
 * refuses further use and the worker must dispose it (and, to go on, replay in a new one).
 *
 * @example
 * const machine = new WorkflowRunMachine({ namespace, workflowId, runId, context: sandbox.createRunContext({ workflowId, runId }) });
 * const result = await machine.applyHistory(task.history.events); // → commands for this task
 * // … next task for the same run, with only its new events:
 * const next = await machine.applyHistory(nextTask.history.events);
 */
export class WorkflowRunMachine {
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  private readonly context: WorkflowRunContext;
  private readonly continueAsNewSuggestedAt: number;
  private readonly onSinkCalls: ((calls: SinkCall[]) => void) | undefined;
  private lastApplied = 0;
  private jobs: ActivationJob[] = [];
  private readonly activities = new Map<number, ScheduledActivity>();
  /** Sequence numbers of child starts and external calls, by their Initiated event id. */
  private readonly initiated = new Map<number, number>();
  private awaiting: AwaitingCompletion | undefined;
  private window: MatchWindow | undefined;
  private closed = false;
  /** The run's workflow task timeout, once its WorkflowExecutionStarted was applied. */
  workflowTaskTimeoutMs: number | undefined;
  /** Why the machine can no longer be used, once it cannot. */
  private unusable: string | undefined;
  /** Serialises calls: a query must not see the run halfway through an activation. Set while `inFlight` > 0. */
  private tail: Promise<unknown> | undefined;
  /** Calls started and not yet settled (their `tail` not yet run). */
  private inFlight = 0;
  /**
   * Where the service said the run's history ended after this worker's last completion of one of its
   * tasks (protocol 4), and when that answer came (`performance.now()`): the run's next task is
   * predicted from it (speculative-task.ts). Cleared once used, and by any task the run gets.
   */
  historyEnd: { end: HistoryEnd; receivedAt: number } | undefined;

  constructor(options: WorkflowRunMachineOptions) {
    this.namespace = options.namespace;
    this.workflowId = options.workflowId;
    this.runId = options.runId;
    this.context = options.context;
    this.continueAsNewSuggestedAt = options.continueAsNewSuggestedAt ?? CONTINUE_AS_NEW_SUGGESTED_AT;
    this.onSinkCalls = options.onSinkCalls;
  }

  /** The id of the last event applied; the next batch must start at this + 1. */
  get lastEventId(): number {
    return this.lastApplied;
  }

  /** The commands of the last live task, until the events after it confirm them (speculative-task.ts predicts those events). */
  get unconfirmed(): { readonly startedEventId: number; readonly commands: readonly Command[] } | undefined {
    return this.awaiting;
  }

  /** The id of the ActivityTaskScheduled event applied for the activity with this id (the latest, if the id was used again). */
  scheduledEventIdOf(activityId: string): number | undefined {
    let found: number | undefined;
    for (const [eventId, activity] of this.activities) if (activity.activityId === activityId && (found === undefined || eventId > found)) found = eventId;
    return found;
  }

  /** Whether history has closed the run (completed, failed, canceled, terminated, timed out). */
  get isRunClosed(): boolean {
    return this.closed;
  }

  /** Whether the machine can take more events (it has not failed, thrown or been disposed). */
  get isUsable(): boolean {
    return this.unusable === undefined;
  }

  /**
   * Applies the next events of the run (the whole history for a new machine; for a cached run,
   * the events after the last one applied), activating and checking every workflow task in them.
   *
   * @returns the result of the workflow task the events leave open (see {@link ApplyHistoryMode}):
   *   its commands, or its failure; `undefined` when the events leave no task open. If a
   *   replayed task fails, that failure is returned at once and later events are not applied.
   * @throws {HistoryGapError} when the events do not start at `lastEventId + 1` or skip an id.
   * @throws {DeterminismViolationError} when a replayed task's commands differ from history.
   * @throws {CachedRunInvalidError} when the last live task was not completed as sent (the
   *   service failed or timed it out), or the machine is no longer usable.
   * @throws {IllegalStateError} when the history is malformed.
   */
  applyHistory(events: readonly HistoryEvent[], options: ApplyHistoryOptions = {}): Promise<ActivationResult | undefined> {
    return this.serialize(async () => {
      this.assertUsable();
      try {
        const result = await this.apply(events, options.mode ?? 'live', options.localActivities);
        if (result && 'failure' in result) this.unusable = 'a workflow task failed';
        return result;
      } catch (err) {
        this.unusable = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        throw err;
      }
    });
  }

  /**
   * Answers a query against the run's state after the events applied so far.
   * @throws {CachedRunInvalidError} when the machine is no longer usable.
   */
  query(request: QueryRequest): Promise<QueryResult> {
    return this.serialize(async () => {
      this.assertUsable();
      return this.context.query(request);
    });
  }

  /** Releases the run's sandbox context. */
  dispose(): void {
    this.unusable = 'the machine was disposed';
    this.context.dispose();
  }

  private async apply(events: readonly HistoryEvent[], mode: ApplyHistoryMode, localActivities: LocalActivitySource | undefined): Promise<ActivationResult | undefined> {
    let open: ActivationResult | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const expected = this.lastApplied + 1;
      if (event.eventId !== expected) throw new HistoryGapError(expected, event.eventId);

      // A task's command events end where the next task is scheduled: any command not matched
      // by then has no event.
      if (this.window && (event.eventType === 'WorkflowTaskScheduled' || event.eventType === 'WorkflowTaskStarted')) {
        this.closeWindow(event);
      }
      if (event.eventType === 'WorkflowExecutionStarted') this.workflowTaskTimeoutMs = event.attributes.workflowTaskTimeoutMs;
      if (event.eventType === 'ActivityTaskScheduled') {
        this.activities.set(event.eventId, { activityId: event.attributes.activityId, activityType: event.attributes.activityType });
      }
      if (INITIATED_EVENT_TYPES.has(event.eventType)) {
        const seq = seqOfInitiated(event);
        if (seq !== undefined) this.initiated.set(event.eventId, seq);
      }
      if (COMMAND_EVENT_TYPES.has(event.eventType)) this.matchCommandEvent(event);
      if (CLOSE_EVENT_TYPES.has(event.eventType)) this.closed = true;

      switch (event.eventType) {
        case 'WorkflowTaskStarted': {
          const next = events[i + 1];
          let result: ActivationResult | undefined;
          if (next === undefined) {
            result = open = await this.activate(event, mode === 'replay', mode === 'live' ? localActivities : undefined);
          } else if (next.eventType === 'WorkflowTaskCompleted') {
            // Patch markers this task recorded: `patched()` must know them before the code runs
            // (Temporal's notifyHasPatch jobs, first in the activation).
            const patches = patchesRecordedAfter(events, i + 1).map((patchId): ActivationJob => ({ type: 'notifyHasPatch', patchId }));
            if (patches.length) this.jobs.unshift(...patches);
            // Local activities this task ran are resolved from the markers it recorded, never run again.
            result = await this.activate(event, true, replaySource(localActivityMarkersAfter(events, i + 1), next.eventId));
          } else if (next.eventType !== 'WorkflowTaskFailed' && next.eventType !== 'WorkflowTaskTimedOut') {
            throw new IllegalStateError(
              `Malformed history: WorkflowTaskStarted at event ${event.eventId} is followed by ${next.eventType}, not by the task's completion, failure or timeout`,
            );
          }
          // Else the task failed or timed out: not activated, its jobs carry over to the next one.
          if (result && 'failure' in result) {
            this.lastApplied = event.eventId;
            return result;
          }
          break;
        }
        case 'WorkflowTaskCompleted': {
          const awaiting = this.awaiting;
          if (!awaiting || awaiting.startedEventId !== event.attributes.startedEventId) {
            throw new IllegalStateError(
              `Malformed history: WorkflowTaskCompleted at event ${event.eventId} completes the task started at event ${event.attributes.startedEventId}, which was not activated`,
            );
          }
          this.awaiting = undefined;
          this.window = { completedEventId: event.eventId, commands: awaiting.commands, next: 0 };
          break;
        }
        case 'WorkflowTaskFailed':
        case 'WorkflowTaskTimedOut':
          if (this.awaiting) {
            // This machine already ran that task (live) and its state moved on; history now says
            // the task never happened. Only a replay from scratch gets the state right.
            throw new CachedRunInvalidError(
              `The workflow task started at event ${this.awaiting.startedEventId} was not completed (${event.eventType} at event ${event.eventId}); evict the run and replay its full history`,
            );
          }
          break;
        default: {
          const job = jobForInputEvent(event, this, (id) => this.activities.get(id)) ?? jobForChildOrExternalEvent(event, (id) => this.initiated.get(id));
          if (job) this.jobs.push(job);
        }
      }
      this.lastApplied = event.eventId;
    }
    // The service writes a task's command events together with its WorkflowTaskCompleted, so
    // a batch never ends halfway through them: whatever is unmatched now has no event.
    if (this.window) this.closeWindow(undefined);
    return open;
  }

  /** Activates the task started by `started` with the jobs collected since the last activation. */
  private async activate(started: EventOf<'WorkflowTaskStarted'>, isReplaying: boolean, localActivities?: LocalActivitySource): Promise<ActivationResult> {
    const activation: Activation = {
      // Date.now() in the workflow: the task's start as history recorded it, identical on replay.
      timestamp: Date.parse(started.eventTime),
      isReplaying,
      historyLength: started.eventId,
      // Recorded in the started event, as Temporal does, so that replay sees what the live run saw.
      historySize: started.attributes.historySizeBytes ?? 0,
      continueAsNewSuggested: started.eventId >= this.continueAsNewSuggestedAt || started.attributes.suggestContinueAsNew === true,
      jobs: this.jobs,
    };
    this.jobs = [];
    const finish = (a: Activation, r: ActivationResult) => {
      if ('sinkCalls' in r && r.sinkCalls) this.onSinkCalls?.(r.sinkCalls);
      return a.isReplaying ? r : stampTimerRequests(r, Date.now());
    };
    // The sandbox answers at once: nothing awaited then (two activations per W1, each a few promises less).
    const answer = this.context.activate(activation);
    let result = finish(activation, 'then' in answer ? await answer : answer);
    if (localActivities && 'commands' in result && result.localActivities?.length) {
      const round = async (jobs: ActivationJob[]) => {
        const a = { ...activation, jobs };
        return finish(a, await this.context.activate(a));
      };
      result = await runLocalActivityRounds(result, round, localActivities);
    }
    if ('commands' in result) this.awaiting = { startedEventId: started.eventId, commands: result.commands };
    return result;
  }

  /** Checks a command event against the next command of the open window. */
  private matchCommandEvent(event: HistoryEvent): void {
    const lookup = (id: number) => this.activities.get(id);
    const window = this.window;
    const eventPatch = patchOfEvent(event);
    // A deprecated patch's marker command may have no event (the run started before it was
    // recorded) and its marker event may have no command (the code dropped the call): both are fine.
    while (window && window.commands[window.next] && !commandMatchesEvent(window.commands[window.next]!, event, lookup)) {
      if (!patchOfCommand(window.commands[window.next]!)?.deprecated) break;
      window.next++;
    }
    const command = window?.commands[window.next];
    if (eventPatch?.deprecated && (!command || !commandMatchesEvent(command, event, lookup))) return;
    if (!window || !command) {
      throw new DeterminismViolationError(
        `Nondeterminism at event ${event.eventId}: history recorded ${describeEvent(event, lookup)} but the workflow issued no command for it`,
      );
    }
    if (!commandMatchesEvent(command, event, lookup)) {
      throw new DeterminismViolationError(
        `Nondeterminism at event ${event.eventId}: history recorded ${describeEvent(event, lookup)} but the workflow issued ${describeCommand(command)}`,
      );
    }
    window.next++;
  }

  /** Ends the open window at `at` (undefined: the end of the events); unmatched commands are a violation. */
  private closeWindow(at: HistoryEvent | undefined): void {
    const window = this.window!;
    this.window = undefined;
    while (window.commands[window.next] && patchOfCommand(window.commands[window.next]!)?.deprecated) window.next++;
    const missing = window.commands[window.next];
    if (!missing) return;
    const lookup = (id: number) => this.activities.get(id);
    const recorded = at
      ? `Nondeterminism at event ${at.eventId}: history recorded ${describeEvent(at, lookup)}`
      : `Nondeterminism at event ${this.lastApplied + 1}: history ends at event ${this.lastApplied}`;
    throw new DeterminismViolationError(
      `${recorded} but the workflow issued ${describeCommand(missing)} (in the workflow task completed at event ${window.completedEventId})`,
    );
  }

  private assertUsable(): void {
    if (this.unusable !== undefined) {
      throw new CachedRunInvalidError(`This run's state can no longer be used (${this.unusable}); evict the run and replay its full history`);
    }
  }

  /**
   * Runs `fn` after every call before it has settled. With none in flight it starts at once: a new
   * run's first activation then follows its module evaluation (createRunContext) with no other
   * run's call into the shared sandbox in between, which would switch the globals twice more.
   */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.inFlight === 0 ? fn() : this.tail!.then(fn, fn);
    this.inFlight++;
    const settled = () => {
      this.inFlight--;
    };
    this.tail = run.then(settled, settled);
    return run;
  }
}

/**
 * Each new StartTimer command with the moment the workflow asked for it: the worker's clock as this
 * activation ends — one of the task's activations, so a local activity run before the sleep counts
 * (src/engine/timer-anchor.ts). The service then counts the timer from the call, not from when it
 * gets to the completion.
 */
function stampTimerRequests(result: ActivationResult, now: number): ActivationResult {
  if (!('commands' in result) || !result.commands.some((c) => c.type === 'StartTimer')) return result;
  return { ...result, commands: result.commands.map((c) => (c.type === 'StartTimer' ? { ...c, requestedAtMs: now } : c)) };
}
