/**
 * One state change of an execution, gathered in memory before it is written. The engine
 * mutates run state and calls `addEvent`/`dispatch`; the Durable Object then writes all
 * of it — events, run rows, outbox rows, the request record and the alarm — in a single
 * storage transaction (design invariant 1).
 */
import type { AttributesOf, EventType, HistoryEvent } from '../../protocol/index.js';
import type { TaskRef, TaskTokenData } from '../task-token.js';
import type { RunState } from './run-state.js';
import type { WorkflowCall } from './workflow-call.js';
import { eventTimeIso } from './iso-time.js';

/** A task to hand to a task queue, delivered at least once from the outbox. */
export interface Dispatch {
  taskQueue: string;
  kind: 'workflow' | 'activity';
  ref: TaskRef;
}

/** A workflow task started to be offered to a poll waiting on its queue (src/engine/task-offer.ts). */
export interface OfferedWorkflowTask {
  runId: string;
  token: TaskTokenData;
  taskQueue: string;
  /** What names it to the queue, which puts it in its backlog when no acknowledging poll waits. */
  ref: TaskRef;
}

/** A task found handed to a dead poll (hand-off.ts): the object ends that worker's other polls. */
export interface LostHandOff {
  kind: 'workflow' | 'activity';
  workflowId: string;
  runId: string;
  taskQueue: string;
  /** The queue was the dead worker's sticky queue: it is closed. */
  sticky: boolean;
  /** The run's normal queue, where the dead worker most likely polls too. */
  runTaskQueue: string;
  pollerId?: string;
  /** The dead worker's sticky queue, named by its poll on another queue: closed too. */
  workerStickyQueue?: string;
  identity?: string;
}

/** What the engine may read of stored state. */
export interface ExecutionStore {
  currentRunId(): string | undefined;
  loadRun(runId: string): RunState | undefined;
  /**
   * Events of a run with ids in [from, to], at most `limit`, and with `maxBytes` at most about that
   * many bytes of them (always at least one, so that one big event is still served, alone).
   */
  readEvents(runId: string, from: number, to?: number, limit?: number, maxBytes?: number): HistoryEvent[];
  /**
   * The run as the store would write it, with its size: encoded once per change, when the history
   * limits measure it (history-limit.ts), and written as it is (`Txn.encodedRuns`).
   */
  encodeRun(run: RunState): EncodedRun;
}

/** A run encoded for storage; what else it holds is the store's business. */
export interface EncodedRun {
  /** UTF-8 bytes of everything the run's rows hold. */
  bytes: number;
}

export class Txn {
  /** `attributes`: the event's attributes as stored (JSON), once the history limits have measured it (history-limit.ts). */
  readonly events: Array<{ runId: string; event: HistoryEvent; attributes?: string }> = [];
  readonly runs = new Map<string, RunState>();
  /** Each changed run's state as stored, encoded when the history limits measured it. */
  readonly encodedRuns = new Map<string, EncodedRun>();
  readonly dispatches: Dispatch[] = [];
  /** Activities started eagerly for the worker completing a workflow task, instead of dispatched. */
  readonly eagerActivities: Array<{ runId: string; scheduledEventId: number; attempt: number }> = [];
  /**
   * Set by the caller before the change: a worker that takes, right now, a workflow task this change
   * would dispatch to `taskQueue` (eager workflow start; the sticky worker completing an activity).
   * The first such task is started in this transaction and handed back instead of dispatched.
   * With `offer` no one claims it yet: it is offered to a poll waiting on the queue (src/engine/task-offer.ts).
   */
  workflowTaskClaim?: { taskQueue: string; identity: string | undefined; offer?: true; handOver?: true };
  /**
   * Set by the caller before the change: it acknowledges the tasks handed back in its answer (the
   * claimed workflow task, eager activities) within the hand-off window, as a polled task (hand-off.ts).
   */
  acknowledgesAnswer = false;
  /** The workflow task started under `workflowTaskClaim`. */
  claimedWorkflowTask?: { runId: string; token: TaskTokenData };
  /**
   * Set by the object: whether the queue put the run's offered workflow task (by its dispatch sequence)
   * in its backlog, which the object learned after the offer's transaction (src/engine/task-offer.ts).
   */
  offerQueued?: (runId: string, seq: number) => boolean;
  /** The workflow task started under an `offer` claim, for the object to offer to its queue after the transaction. */
  offeredWorkflowTask?: OfferedWorkflowTask;
  /** Calls to other workflows (child starts and closes, external signals and cancels), delivered at least once from the call outbox. */
  readonly calls: WorkflowCall[] = [];
  /** Tasks found handed to dead polls, for the object to act on after the transaction. */
  readonly lostHandOffs: LostHandOff[] = [];
  /** Runs whose visibility summary changed (start, close); each gets a visibility outbox row. */
  readonly visibilityChanged = new Set<string>();
  /**
   * The service's clock, kept by a change that sets `now` back to the workflow's time in a task it
   * writes (a speculative workflow task): a timer the task starts may count from up to here (timer-anchor.ts).
   */
  serviceNow?: number;
  /** Set when this change starts a new run. */
  newCurrentRunId?: string;
  private readonly loaded = new Map<string, RunState>();
  /** Makes the id of a run this change starts from inside the engine (continue-as-new); tests may replace it. */
  makeRunId: () => string = () => crypto.randomUUID();

  constructor(
    readonly store: ExecutionStore,
    public now: number,
  ) {}

  /** The run, loaded once per transaction so that every change lands on the same object. */
  loadRun(runId: string): RunState | undefined {
    let run = this.runs.get(runId) ?? this.loaded.get(runId);
    if (!run) {
      run = this.store.loadRun(runId);
      if (run) this.loaded.set(runId, run);
    }
    return run;
  }

  currentRunId(): string | undefined {
    return this.newCurrentRunId ?? this.store.currentRunId();
  }

  /** Appends an event to the run's history; returns its id (dense from 1). */
  addEvent<T extends EventType>(run: RunState, eventType: T, attributes: AttributesOf<T>, time = this.now): number {
    const eventId = run.nextEventId++;
    if (!(time <= (run.lastEventTime ?? -Infinity))) run.lastEventTime = time;
    this.events.push({ runId: run.runId, event: { eventId, eventTime: eventTimeIso(time), eventType, attributes } as HistoryEvent });
    this.touch(run);
    return eventId;
  }

  /** Marks the run as changed, so that its row is written. */
  touch(run: RunState): void {
    this.runs.set(run.runId, run);
  }

  /** Marks the run's summary (status, times, search attributes) as changed, so that it is written to the visibility store. */
  markVisibility(run: RunState): void {
    this.visibilityChanged.add(run.runId);
    this.touch(run);
  }

  dispatch(d: Dispatch): void {
    this.dispatches.push(d);
  }

  /** Queues a call; it always comes with the event that causes it, so it needs no say in `changed`. */
  call(c: WorkflowCall): void {
    this.calls.push(c);
  }

  get changed(): boolean {
    return this.events.length > 0 || this.runs.size > 0 || this.dispatches.length > 0 || this.newCurrentRunId !== undefined || this.visibilityChanged.size > 0;
  }
}
