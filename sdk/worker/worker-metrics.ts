// Owns what a Worker reports as metrics, under Temporal's Core SDK names and labels (namespace,
// task_queue, workflow_type, activity_type, worker_type; latencies in milliseconds, the Core
// default), into the process's MetricRegistry (Runtime.instance().metrics).
import type { ActivityTask, Command, WorkflowTask } from '../../protocol/index.js';
import type { BoundCounter, BoundHistogram, Labels, MetricRegistry } from '../../protocol/metric-registry.js';

const P = 'temporal_';

/** The close command of a workflow task → the Core SDK counter it increments. */
const CLOSES: Partial<Record<Command['type'], [string, string]>> = {
  CompleteWorkflowExecution: ['workflow_completed', 'Workflows completed'],
  FailWorkflowExecution: ['workflow_failed', 'Workflows failed'],
  CancelWorkflowExecution: ['workflow_canceled', 'Workflows canceled'],
  ContinueAsNewWorkflowExecution: ['workflow_continue_as_new', 'Workflows continued as new'],
};

const elapsed = (from: string | undefined, to: string | undefined) => (from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : undefined);

export class WorkerMetrics {
  private readonly base: Labels;
  private readonly stops: Array<() => void> = [];
  /**
   * Each series this worker records into, found on its first use (a series appears when first
   * recorded, as before) and kept: finding one hashes its labels, and a W1 records about ten.
   */
  private readonly bound = new Map<string, BoundCounter | BoundHistogram>();

  constructor(
    private readonly registry: MetricRegistry,
    namespace: string,
    taskQueue: string,
  ) {
    this.base = { namespace, task_queue: taskQueue };
  }

  /** A workflow poll's answer (protocol 3: several tasks): succeed/empty, and each task's schedule-to-start latency. */
  workflowPoll(tasks: readonly WorkflowTask[]): void {
    const got = tasks.length > 0;
    this.counter(`${P}workflow_task_queue_poll_${got ? 'succeed' : 'empty'}`, got ? 'Workflow task polls that got a task' : 'Workflow task polls that timed out empty', '', () => ({ ...this.base, poller_type: 'workflow_task' })).inc();
    for (const task of tasks) {
      // Queries are not scheduled tasks: they have no schedule-to-start.
      const ms = !task.query && !task.update ? elapsed(task.scheduledTime, task.startedTime) : undefined;
      if (ms !== undefined) this.histogram(`${P}workflow_task_schedule_to_start_latency`, 'Workflow task schedule-to-start latency (ms)', task.workflowType, () => ({ ...this.base, workflow_type: task.workflowType })).observe(ms);
    }
  }

  /** An activity poll's answer: no-task, and a task's schedule-to-start latency (of its current attempt). */
  activityPoll(task: ActivityTask | undefined): void {
    if (!task) {
      this.counter(`${P}activity_poll_no_task`, 'Activity task polls that timed out empty', '', () => ({ ...this.base, poller_type: 'activity_task' })).inc();
      return;
    }
    const ms = elapsed(task.currentAttemptScheduledTime, task.startedTime);
    if (ms !== undefined) this.histogram(`${P}activity_schedule_to_start_latency`, 'Activity schedule-to-start latency (ms)', `${task.activityType}\0${task.workflowType}`, () => ({ ...this.base, activity_type: task.activityType, workflow_type: task.workflowType })).observe(ms);
  }

  /** A workflow task's execution latency: its run (the task processor's `run`), or a speculative task's, from its activation to the service's answer. */
  workflowTaskExecuted(workflowType: string, ms: number): void {
    this.histogram(`${P}workflow_task_execution_latency`, 'Workflow task execution latency (ms)', workflowType, () => ({ ...this.base, workflow_type: workflowType })).observe(ms);
  }

  /** An activity's execution latency: from its start to its end (reported, or not). */
  activityExecuted(task: ActivityTask, ms: number): void {
    this.histogram(`${P}activity_execution_latency`, 'Activity execution latency (ms)', `${task.activityType}\0${task.workflowType}`, () => ({ ...this.base, activity_type: task.activityType, workflow_type: task.workflowType })).observe(ms);
  }

  /** A workflow task for a run found in the worker's cache (hit) or replayed from its history (miss). */
  cacheLookup(workflowType: string, hit: boolean): void {
    this.counter(`${P}sticky_cache_${hit ? 'hit' : 'miss'}`, hit ? 'Workflow tasks whose run was in the cache' : 'Workflow tasks whose run had to be replayed', workflowType, () => ({ ...this.base, workflow_type: workflowType })).inc();
  }

  /**
   * A speculative workflow task (protocol 4) the service took, or refused (the run then replayed):
   * Keel's own counters. One taken is a workflow task run from the cache, and counts as one.
   */
  speculativeTask(workflowType: string, accepted: boolean, ms: number): void {
    if (accepted) {
      this.cacheLookup(workflowType, true);
      this.workflowTaskExecuted(workflowType, ms);
    }
    const name = `keel_speculative_workflow_task_${accepted ? 'accepted' : 'refused'}`;
    this.counter(name, accepted ? 'Workflow tasks run ahead and sent with their activity\'s completion, taken by the service' : 'Workflow tasks run ahead that the service refused (the run moved on meanwhile)', workflowType, () => ({ ...this.base, workflow_type: workflowType })).inc();
  }

  /** A workflow task completed with these commands: a close command counts its kind of close. */
  workflowCommands(workflowType: string, commands: readonly Command[]): void {
    for (const c of commands) {
      const close = CLOSES[c.type];
      if (close) this.counter(`${P}${close[0]}`, close[1], workflowType, () => ({ ...this.base, workflow_type: workflowType })).inc();
    }
  }

  /** The counter `name` with the labels `labels()` makes, bound on first use; `key` tells its label values apart. */
  private counter(name: string, help: string, key: string, labels: () => Labels): BoundCounter {
    const k = `${name}\0${key}`;
    let c = this.bound.get(k) as BoundCounter | undefined;
    if (!c) this.bound.set(k, (c = this.registry.counter(name, help, labels())));
    return c;
  }

  /** The histogram `name` with the labels `labels()` makes, bound on first use; `key` tells its label values apart. */
  private histogram(name: string, help: string, key: string, labels: () => Labels): BoundHistogram {
    const k = `${name}\0${key}`;
    let h = this.bound.get(k) as BoundHistogram | undefined;
    if (!h) this.bound.set(k, (h = this.registry.histogram(name, help, labels())));
    return h;
  }

  /** Gauges read when scraped: slots per worker type, the cache's size. Stopped by `close`. */
  watch(o: { workflowSlots?: { size: number; used: number }; activitySlots?: { size: number; used: number }; cacheSize?: () => number }): void {
    const slots = (workerType: string, s: { size: number; used: number }) => {
      const labels = { ...this.base, worker_type: workerType };
      this.stops.push(this.registry.gauge(`${P}worker_task_slots_available`, 'Free task slots', labels, () => s.size - s.used));
      this.stops.push(this.registry.gauge(`${P}worker_task_slots_used`, 'Task slots in use', labels, () => s.used));
    };
    if (o.workflowSlots) slots('WorkflowWorker', o.workflowSlots);
    if (o.activitySlots) slots('ActivityWorker', o.activitySlots);
    if (o.cacheSize) this.stops.push(this.registry.gauge(`${P}sticky_cache_size`, 'Runs held in the workflow cache', this.base, o.cacheSize));
  }

  /** The worker stopped: its gauges go (counters stay, as Prometheus expects). */
  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
