// Owns what a Worker reports as metrics, under Temporal's Core SDK names and labels (namespace,
// task_queue, workflow_type, activity_type, worker_type; latencies in milliseconds, the Core
// default), into the process's MetricRegistry (Runtime.instance().metrics).
import type { ActivityTask, Command, WorkflowTask } from '../../protocol/index.js';
import type { Labels, MetricRegistry } from '../../protocol/metric-registry.js';

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
    this.registry.inc(`${P}workflow_task_queue_poll_${got ? 'succeed' : 'empty'}`, got ? 'Workflow task polls that got a task' : 'Workflow task polls that timed out empty', { ...this.base, poller_type: 'workflow_task' });
    for (const task of tasks) {
      // Queries are not scheduled tasks: they have no schedule-to-start.
      const ms = !task.query && !task.update ? elapsed(task.scheduledTime, task.startedTime) : undefined;
      if (ms !== undefined) this.registry.observe(`${P}workflow_task_schedule_to_start_latency`, 'Workflow task schedule-to-start latency (ms)', { ...this.base, workflow_type: task.workflowType }, ms);
    }
  }

  /** An activity poll's answer: no-task, and a task's schedule-to-start latency (of its current attempt). */
  activityPoll(task: ActivityTask | undefined): void {
    if (!task) {
      this.registry.inc(`${P}activity_poll_no_task`, 'Activity task polls that timed out empty', { ...this.base, poller_type: 'activity_task' });
      return;
    }
    const ms = elapsed(task.currentAttemptScheduledTime, task.startedTime);
    if (ms !== undefined) this.registry.observe(`${P}activity_schedule_to_start_latency`, 'Activity schedule-to-start latency (ms)', { ...this.base, activity_type: task.activityType, workflow_type: task.workflowType }, ms);
  }

  /** Runs a workflow task and records its execution latency. */
  async timeWorkflowTask<T>(task: WorkflowTask, run: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      if (!task.query && !task.update) this.registry.observe(`${P}workflow_task_execution_latency`, 'Workflow task execution latency (ms)', { ...this.base, workflow_type: task.workflowType }, performance.now() - t0);
    }
  }

  /** Runs an activity and records its execution latency. */
  async timeActivity<T>(task: ActivityTask, run: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const labels = { ...this.base, activity_type: task.activityType, workflow_type: task.workflowType };
    try {
      return await run();
    } finally {
      this.registry.observe(`${P}activity_execution_latency`, 'Activity execution latency (ms)', labels, performance.now() - t0);
    }
  }

  /** A workflow task for a run found in the worker's cache (hit) or replayed from its history (miss). */
  cacheLookup(workflowType: string, hit: boolean): void {
    this.registry.inc(`${P}sticky_cache_${hit ? 'hit' : 'miss'}`, hit ? 'Workflow tasks whose run was in the cache' : 'Workflow tasks whose run had to be replayed', { ...this.base, workflow_type: workflowType });
  }

  /** A workflow task completed with these commands: a close command counts its kind of close. */
  workflowCommands(workflowType: string, commands: readonly Command[]): void {
    for (const c of commands) {
      const close = CLOSES[c.type];
      if (close) this.registry.inc(`${P}${close[0]}`, close[1], { ...this.base, workflow_type: workflowType });
    }
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
