// Owns building hand-written histories for the worker's tests: dense event ids from 1, event
// times one second apart, and shorthands for the events a workflow task writes.
import type { AttributesOf, Command, EventOf, EventType, HistoryEvent, Payload } from '../../../protocol/index.js';
import { defaultPayloadConverter } from '../../common/payload-converter.js';

/** A JSON payload, as the default converter writes it. */
export function payload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value);
}

/** The value of a payload the default converter wrote. */
export function fromPayload<T>(p: Payload | undefined): T {
  return p === undefined ? (undefined as T) : defaultPayloadConverter.fromPayload<T>(p);
}

/** The run id every built history's WorkflowExecutionStarted names as the original run. */
export const ORIGINAL_RUN_ID = 'run-0001';
const RETRY = { initialIntervalMs: 1000, backoffCoefficient: 2, maximumAttempts: 0 };

/**
 * Builds a history event by event. Each shorthand returns the event it added, so later events
 * can refer to it by id.
 *
 * @example
 * const h = new HistoryBuilder().started('order', ['o-1']).workflowTask();
 * const scheduled = h.activityScheduled('1', 'charge');
 */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  private time = Date.parse('2025-01-01T00:00:00.000Z');
  private lastCompletedTask = 0;

  /** Appends an event of any type with the next id and a time one second after the last. */
  add<T extends EventType>(eventType: T, attributes: AttributesOf<T>): EventOf<T> {
    const event = { eventId: this.events.length + 1, eventTime: new Date(this.time).toISOString(), eventType, attributes } as EventOf<T>;
    this.time += 1000;
    this.events.push(event as HistoryEvent);
    return event;
  }

  started(workflowType: string, args: unknown[] = []): this {
    this.add('WorkflowExecutionStarted', {
      workflowType,
      taskQueue: 'q',
      input: args.map(payload),
      workflowTaskTimeoutMs: 10_000,
      attempt: 1,
      originalExecutionRunId: ORIGINAL_RUN_ID,
      firstExecutionRunId: ORIGINAL_RUN_ID,
    });
    return this;
  }

  /** WorkflowTaskScheduled + WorkflowTaskStarted: the task a worker is now running. */
  taskStarted(): EventOf<'WorkflowTaskStarted'> {
    const scheduled = this.add('WorkflowTaskScheduled', { taskQueue: 'q', startToCloseTimeoutMs: 10_000, attempt: 1 });
    return this.add('WorkflowTaskStarted', { scheduledEventId: scheduled.eventId });
  }

  /** WorkflowTaskCompleted for the task started last. */
  taskCompleted(): EventOf<'WorkflowTaskCompleted'> {
    const started = this.last('WorkflowTaskStarted');
    const completed = this.add('WorkflowTaskCompleted', { scheduledEventId: started.attributes.scheduledEventId, startedEventId: started.eventId });
    this.lastCompletedTask = completed.eventId;
    return completed;
  }

  /** Scheduled, started and completed: one whole workflow task. */
  workflowTask(): this {
    this.taskStarted();
    this.taskCompleted();
    return this;
  }

  /** WorkflowTaskFailed for the task started last. */
  taskFailed(): EventOf<'WorkflowTaskFailed'> {
    const started = this.last('WorkflowTaskStarted');
    return this.add('WorkflowTaskFailed', {
      scheduledEventId: started.attributes.scheduledEventId,
      startedEventId: started.eventId,
      cause: 'WORKFLOW_WORKER_UNHANDLED_FAILURE',
      failure: { message: 'boom' },
    });
  }

  activityScheduled(activityId: string, activityType: string, args: unknown[] = []): EventOf<'ActivityTaskScheduled'> {
    return this.add('ActivityTaskScheduled', {
      activityId,
      activityType,
      taskQueue: 'q',
      input: args.map(payload),
      startToCloseTimeoutMs: 60_000,
      workflowTaskCompletedEventId: this.lastCompletedTask,
      retryPolicy: RETRY,
    });
  }

  /** ActivityTaskStarted + ActivityTaskCompleted for a scheduled activity. */
  activityCompleted(scheduled: EventOf<'ActivityTaskScheduled'>, result: unknown): this {
    const started = this.add('ActivityTaskStarted', { scheduledEventId: scheduled.eventId, attempt: 1 });
    this.add('ActivityTaskCompleted', { scheduledEventId: scheduled.eventId, startedEventId: started.eventId, result: payload(result) });
    return this;
  }

  timerStarted(timerId: string, ms: number): EventOf<'TimerStarted'> {
    return this.add('TimerStarted', { timerId, startToFireTimeoutMs: ms, workflowTaskCompletedEventId: this.lastCompletedTask });
  }

  timerFired(started: EventOf<'TimerStarted'>): this {
    this.time += started.attributes.startToFireTimeoutMs;
    this.add('TimerFired', { timerId: started.attributes.timerId, startedEventId: started.eventId });
    return this;
  }

  signaled(signalName: string, args: unknown[] = []): this {
    this.add('WorkflowExecutionSignaled', { signalName, input: args.map(payload) });
    return this;
  }

  completed(result: unknown): this {
    this.add('WorkflowExecutionCompleted', { result: payload(result), workflowTaskCompletedEventId: this.lastCompletedTask });
    return this;
  }

  /**
   * What the service writes when a worker completes the task started last with `commands`:
   * WorkflowTaskCompleted, then one event per command, in order.
   */
  recordCompletion(commands: readonly Command[]): this {
    this.taskCompleted();
    for (const c of commands) {
      const completedId = this.lastCompletedTask;
      switch (c.type) {
        case 'ScheduleActivityTask':
          this.add('ActivityTaskScheduled', {
            activityId: c.activityId,
            activityType: c.activityType,
            taskQueue: c.taskQueue ?? 'q',
            input: c.input,
            startToCloseTimeoutMs: c.startToCloseTimeoutMs ?? 60_000,
            workflowTaskCompletedEventId: completedId,
            retryPolicy: RETRY,
          });
          break;
        case 'RequestCancelActivityTask':
          this.add('ActivityTaskCancelRequested', { scheduledEventId: this.scheduled(c.activityId).eventId, workflowTaskCompletedEventId: completedId });
          break;
        case 'StartTimer':
          this.timerStarted(c.timerId, c.startToFireTimeoutMs);
          break;
        case 'CancelTimer':
          this.add('TimerCanceled', { timerId: c.timerId, startedEventId: this.timer(c.timerId).eventId, workflowTaskCompletedEventId: completedId });
          break;
        case 'RecordMarker':
          this.add('MarkerRecorded', { markerName: c.markerName, details: c.details, workflowTaskCompletedEventId: completedId });
          break;
        case 'CompleteWorkflowExecution':
          this.add('WorkflowExecutionCompleted', { ...(c.result ? { result: c.result } : {}), workflowTaskCompletedEventId: completedId });
          break;
        case 'FailWorkflowExecution':
          this.add('WorkflowExecutionFailed', { failure: c.failure, retryState: 'RETRY_POLICY_NOT_SET', workflowTaskCompletedEventId: completedId });
          break;
        case 'CancelWorkflowExecution':
          this.add('WorkflowExecutionCanceled', { workflowTaskCompletedEventId: completedId });
          break;
      }
    }
    return this;
  }

  /** Completes the activity scheduled with this id. */
  activityCompletedById(activityId: string, result: unknown): this {
    return this.activityCompleted(this.scheduled(activityId), result);
  }

  /** Fires the timer started with this id. */
  timerFiredById(timerId: string): this {
    return this.timerFired(this.timer(timerId));
  }

  /** The events from `fromEventId` on: what a sticky task carries. */
  since(fromEventId: number): HistoryEvent[] {
    return this.events.slice(fromEventId - 1);
  }

  private scheduled(activityId: string): EventOf<'ActivityTaskScheduled'> {
    const e = this.events.findLast((e) => e.eventType === 'ActivityTaskScheduled' && e.attributes.activityId === activityId);
    if (!e) throw new Error(`no activity ${activityId} scheduled`);
    return e as EventOf<'ActivityTaskScheduled'>;
  }

  private timer(timerId: string): EventOf<'TimerStarted'> {
    const e = this.events.findLast((e) => e.eventType === 'TimerStarted' && e.attributes.timerId === timerId);
    if (!e) throw new Error(`no timer ${timerId} started`);
    return e as EventOf<'TimerStarted'>;
  }

  private last<T extends EventType>(eventType: T): EventOf<T> {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.eventType === eventType) return e as EventOf<T>;
    }
    throw new Error(`no ${eventType} event yet`);
  }
}
