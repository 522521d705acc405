/**
 * What a worker gets for a started task: the workflow task with its history (or its first page),
 * the activity task with its input, the query or update-validation task. Built after the start's
 * transaction, from what it stored; each carries a signed task token.
 */
import type { ActivityTask, ResponseOf, WorkflowTask } from '../../protocol/index.js';
import type { ActivityCompletion } from '../engine/speculative-task.js';
import { continueAsNewSuggested, isRunning, type ActivityState, type RunState } from '../engine/run-state.js';
import type { PolledTaskStart } from '../engine/polled-task.js';
import type { PendingQuery } from '../query-broker.js';
import { signedTask, type StartedTask, type UnsignedWorkflowTask } from '../started-task.js';
import type { WorkflowStore } from '../storage/workflow-store.js';
import { signTaskToken, type TaskRef, type TaskTokenData } from '../task-token.js';
import { shardOf } from '../workflow-shards.js';
import { taskPageToken, workflowTaskHistory } from './history-pages.js';

export class TaskPayloads {
  constructor(
    private readonly store: WorkflowStore,
    private readonly tokenSecret: string | undefined,
    /** KEEL_WORKFLOW_SHARDS: with shards, a task carries its run's shard as `shardKey` (protocol 5). */
    private readonly shards: number,
  ) {}

  /** Tasks of one shard are answered in one commit when their exchanges come together (POST /tasks/batch); without shards, each workflow has an object of its own and goes alone. */
  private shardKey(workflowId: string): { shardKey?: string } {
    return this.shards > 0 ? { shardKey: String(shardOf(workflowId, this.shards)) } : {};
  }

  /** What the worker whose poll started a task gets. */
  async forStart(started: PolledTaskStart): Promise<StartedTask> {
    if (started.kind === 'workflow') return { kind: 'workflow', task: await this.workflowTask(started.run, started.token) };
    return { kind: 'activity', task: await this.activityTask(started.run, started.act) };
  }

  /** What a worker needs to run a started workflow task (polled, or handed back in an answer). */
  workflowTask(run: RunState, token: TaskTokenData): Promise<WorkflowTask> {
    return signedTask(this.unsignedWorkflowTask(run, token), this.tokenSecret);
  }

  /** The workflow task with its token's data, to be signed when it is handed out (`signedTask`). */
  private unsignedWorkflowTask(run: RunState, token: TaskTokenData): UnsignedWorkflowTask {
    const wt = run.workflowTask!;
    const from = wt.sticky ? run.lastCompletedStartedEventId + 1 : 1;
    // A history too big for one answer goes in pages: the worker reads the rest with the token.
    const { events: history, more } = workflowTaskHistory(this.store, run, from, wt.startedEventId!);
    const task = {
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      workflowType: run.workflowType,
      attempt: wt.attempt,
      previousStartedEventId: run.lastCompletedStartedEventId,
      startedEventId: wt.startedEventId!,
      history,
      ...(more ? { nextPageToken: taskPageToken(history.at(-1)!.eventId + 1, wt.startedEventId!) } : {}),
      historySizeBytes: run.historySizeBytes ?? 0,
      continueAsNewSuggested: continueAsNewSuggested(run),
      scheduledTime: new Date(wt.scheduledTime).toISOString(),
      startedTime: new Date(wt.startedTime!).toISOString(),
      ...this.shardKey(run.workflowId),
    };
    return { kind: 'unsigned', task, token };
  }

  /** The workflow task a change started for its caller (`Txn.workflowTaskClaim`), unless it has ended since. */
  async claimedWorkflowTask(claimed: { runId: string; token: TaskTokenData }): Promise<WorkflowTask | undefined> {
    const task = this.unsignedClaimedTask(claimed);
    return task && signedTask(task, this.tokenSecret);
  }

  /** As `claimedWorkflowTask`, not signed yet: an offer, signed by whichever poll takes it (src/workflow-object/task-offer.ts). */
  unsignedClaimedTask(claimed: { runId: string; token: TaskTokenData }): UnsignedWorkflowTask | undefined {
    const run = this.store.viewRun(claimed.runId);
    const wt = run?.workflowTask;
    if (!run || !isRunning(run) || !wt || wt.startedEventId !== claimed.token.startedEventId || wt.attempt !== claimed.token.attempt) return undefined;
    return this.unsignedWorkflowTask(run, claimed.token);
  }

  /** The task signed, as every task leaves this object but an offer taken at its shard. */
  signed(task: UnsignedWorkflowTask): Promise<WorkflowTask> {
    return signedTask(task, this.tokenSecret);
  }

  /**
   * The answer to an activity task's completion (src/engine/speculative-task.ts): the workflow task
   * started for the caller, or, a speculative task taken, the activities its commands started eagerly.
   */
  async activityCompletionAnswer({ claimed, eager, ...rest }: ActivityCompletion): Promise<ResponseOf<'completeActivityTask'>> {
    const workflowTask = claimed ? await this.claimedWorkflowTask(claimed) : undefined;
    const activityTasks = eager ? await this.eagerActivityTasks(eager) : [];
    return { ...rest, ...(workflowTask ? { workflowTask } : {}), ...(activityTasks.length > 0 ? { activityTasks } : {}) };
  }

  /** The activity tasks a workflow task's completion started eagerly for its caller, those still started. */
  async eagerActivityTasks(refs: readonly { runId: string; scheduledEventId: number; attempt: number }[]): Promise<ActivityTask[]> {
    const tasks: ActivityTask[] = [];
    for (const ref of refs) {
      // As the change that started them left the run (no parse); after an await, as stored then.
      const run = this.store.viewRun(ref.runId);
      const act = run && isRunning(run) ? run.activities[ref.scheduledEventId] : undefined;
      // Gone already (the same completion closed the run, or it timed out since): nothing to run.
      if (run && act && act.attempt === ref.attempt && act.startedTime !== undefined) tasks.push(await this.activityTask(run, act));
    }
    return tasks;
  }

  /** What a worker needs to run a started activity attempt (polled, or started eagerly). */
  async activityTask(run: RunState, act: ActivityState): Promise<ActivityTask> {
    const scheduled = this.store.readEvent(run.runId, act.scheduledEventId);
    const attrs = scheduled?.eventType === 'ActivityTaskScheduled' ? scheduled.attributes : undefined;
    const token: TaskTokenData = { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, kind: 'activity', scheduledEventId: act.scheduledEventId, attempt: act.attempt, startedEventId: 0 };
    return {
      taskToken: await signTaskToken(token, this.tokenSecret),
      workflowNamespace: run.namespace,
      workflowType: run.workflowType,
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      activityId: act.activityId,
      activityType: act.activityType,
      taskQueue: act.taskQueue,
      input: attrs?.input ?? [],
      ...(attrs?.header ? { header: attrs.header } : {}),
      scheduledTime: new Date(act.scheduledTime).toISOString(),
      currentAttemptScheduledTime: new Date(act.currentAttemptScheduledTime).toISOString(),
      startedTime: new Date(act.startedTime!).toISOString(),
      attempt: act.attempt,
      ...(act.scheduleToCloseTimeoutMs ? { scheduleToCloseTimeoutMs: act.scheduleToCloseTimeoutMs } : {}),
      ...(act.startToCloseTimeoutMs ? { startToCloseTimeoutMs: act.startToCloseTimeoutMs } : {}),
      ...(act.heartbeatTimeoutMs ? { heartbeatTimeoutMs: act.heartbeatTimeoutMs } : {}),
      ...(act.heartbeatDetails ? { heartbeatDetails: act.heartbeatDetails } : {}),
      retryPolicy: act.retryPolicy,
      ...this.shardKey(run.workflowId),
    };
  }

  /**
   * A query or update-validation task. It always carries the full history: a worker that holds
   * the run answers from its cache and ignores it; any other replays it.
   */
  async queryTask(run: RunState, ref: TaskRef, q: PendingQuery, now: number): Promise<WorkflowTask> {
    const last = run.nextEventId - 1;
    const { events: history, more } = workflowTaskHistory(this.store, run, 1, last);
    const token: TaskTokenData = { ...ref, startedEventId: 0 };
    return {
      taskToken: await signTaskToken(token, this.tokenSecret),
      workflowExecution: { workflowId: run.workflowId, runId: run.runId },
      workflowType: run.workflowType,
      attempt: 1,
      previousStartedEventId: run.lastCompletedStartedEventId,
      startedEventId: more ? last : (history.at(-1)?.eventId ?? 0),
      history,
      ...(more ? { nextPageToken: taskPageToken(history.at(-1)!.eventId + 1, last) } : {}),
      ...(q.update ? { update: q.update } : { query: { queryType: q.queryType, queryArgs: q.queryArgs, ...(q.header ? { header: q.header } : {}) } }),
      scheduledTime: new Date(q.createdAt).toISOString(),
      startedTime: new Date(now).toISOString(),
    };
  }
}
