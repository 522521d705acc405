/**
 * WorkflowObject: one Durable Object per namespace + workflow id, holding every run of
 * that id. A thin shell around storage and the alarm: each RPC method runs one engine
 * change (src/engine) and writes it in one transaction, then hands new tasks to their
 * task queues from the outbox, and run summaries to the D1 visibility store (src/visibility).
 */
import { DurableObject } from 'cloudflare:workers';
import { Limits, type ActivityTask, type ParsedRequestOf, type ResponseOf } from '../protocol/index.js';
import { longPollMs, type Env } from './env.js';
import { cancelledActivity, completeActivity, failActivity, heartbeatActivity, requireStartedActivity, startActivity } from './engine/activities.js';
import { describeRun } from './engine/describe.js';
import { completeWorkflowTask, failWorkflowTask, fireDue, nextWakeup } from './engine/lifecycle.js';
import { requestCancelWorkflow, resolveRun, signalWorkflow, terminateRun } from './engine/run-control.js';
import { startWorkflow } from './engine/start.js';
import { isRunning, type ActivityState, type RunState } from './engine/run-state.js';
import { Txn } from './engine/transaction.js';
import { enforceHistoryLimit } from './engine/history-limit.js';
import { releaseStickyWorkflowTask, startWorkflowTask, transientEvents } from './engine/workflow-tasks.js';
import { signalWithStart } from './engine/signal-with-start.js';
import { requireActivityById } from './engine/activity-by-id.js';
import { ServiceError, outcome, type Outcome } from './service-error.js';
import { parseWorkflowName, taskQueueStub } from './stubs.js';
import type { TaskRef, TaskTokenData } from './task-token.js';
import { Clock } from './clock.js';
import { QueryBroker } from './query-broker.js';
import { activityTaskFor, queryTaskFor, workflowTaskFor } from './task-payloads.js';
import { HistoryWaiters } from './history-waiters.js';
import { acceptUpdate, findUpdate, requireRunningForUpdate, updateAnswer, type UpdateAnswer } from './engine/updates.js';
import type { StartedTask } from './started-task.js';
import { VisibilityOutbox } from './visibility/outbox.js';
import { visibilityDb } from './visibility/migrations.js';
import { D1SummaryStore } from './visibility/store.js';
import { summarize } from './visibility/summary.js';
import { WorkflowCalls } from './workflow-calls.js';
import { WorkflowStore, type OutboxRow } from './storage/workflow-store.js';
import { recordChildClosed, recordChildStartResult } from './engine/child-workflows.js';
import { applyParentClosePolicy } from './engine/parent-close-policy.js';
import { recordExternalResult } from './engine/external-calls.js';
import type { CallResult, ChildStartRequest, WorkflowCall } from './engine/workflow-call.js';

const OUTBOX_RETRY_MAX_MS = 30_000;

interface RequestKey {
  requestId?: string;
  /** What the request was, so that reusing its id for another request is refused. */
  fingerprint: string;
}

export class WorkflowObject extends DurableObject<Env> {
  private readonly store: WorkflowStore;
  /** Long polls waiting for a run's next event. */
  private readonly waiters = new HistoryWaiters();
  private readonly delivering = new Map<number, Promise<void>>();
  private readonly queries: QueryBroker;
  /** Updates whose validator is running, by run and update id: the same id again joins the first. */
  private readonly validating = new Map<string, Promise<UpdateAnswer | undefined>>();
  /** The time every state change is computed at; tests move it. */
  readonly clock = new Clock();
  /** Run summaries on their way to the D1 visibility store (tests swap its `store`). */
  readonly visibility: VisibilityOutbox;
  /** Calls to other workflow objects (children, external signals and cancels) on their way. */
  readonly calls: WorkflowCalls;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new WorkflowStore(ctx.storage);
    if (env.KEEL_TIME_SKIPPING === '1') {
      // A clock moved forward stays moved when the object is evicted or the service restarts.
      const offset = this.store.meta('clockOffsetMs');
      if (offset) this.clock.advance(Number(offset));
    }
    this.queries = new QueryBroker({
      timeoutMs: longPollMs(env),
      dispatch: (taskQueue, ref) => taskQueueStub(this.env, ref.namespace, taskQueue, 'workflow').add(ref),
      now: () => this.clock.now(),
    });
    this.visibility = new VisibilityOutbox(ctx.storage.sql, {
      store: env.VISIBILITY ? new D1SummaryStore(env.VISIBILITY, () => visibilityDb(env)) : undefined,
      now: () => this.clock.now(),
      retryBy: (due) => this.alarmBy(due),
    });
    this.calls = new WorkflowCalls(ctx.storage.sql, {
      env,
      now: () => this.clock.now(),
      retryBy: (due) => this.alarmBy(due),
      settle: (id, call, result) => this.settleCall(id, call, result),
    });
  }

  private cachedNames: { namespace: string; workflowId: string } | undefined;

  /**
   * The [namespace, workflow id] this object was named with. workerd passes the name to an
   * object reached through `idFromName`, but not to one its alarm started (an object woken
   * after a `keel dev` restart: cloudflare/workerd#6850), and a live object keeps the id it was
   * started with. So the name is also stored (with each new run) and read back from there.
   */
  private get names() {
    this.cachedNames ??= parseWorkflowName(this.ctx.id.name ?? this.store.meta('name'));
    return this.cachedNames;
  }

  // ---- The one way state changes --------------------------------------------------

  /**
   * Runs one engine change and writes all of it in a single transaction: events, run
   * rows, outbox rows, the request record and the alarm (design invariant 1). A throw
   * anywhere leaves storage untouched.
   */
  private mutate<T>(fn: (tx: Txn) => T, request?: RequestKey, options: { alwaysScheduleAlarm?: boolean } = {}): T {
    if (request?.requestId) {
      const prior = this.store.priorRequest(request.requestId, request.fingerprint);
      if (prior) {
        if (!prior.sameRequest) {
          throw new ServiceError('REQUEST_ID_CONFLICT', `Request id '${request.requestId}' was already used for a different request; use a new id for a new request.`);
        }
        return JSON.parse(prior.response) as T;
      }
    }
    const tx = new Txn(this.store, this.clock.now());
    let result!: T;
    try {
      this.ctx.storage.transactionSync(() => {
        result = fn(tx);
        enforceHistoryLimit(tx);
        // A change that changes nothing (USE_EXISTING, a stale task) writes nothing, not
        // even the alarm. The alarm handler always reschedules: its alarm is used up.
        if (!tx.changed && !request?.requestId && !options.alwaysScheduleAlarm) return;
        this.store.write(tx, this.ctx.id.name, request?.requestId ? { requestId: request.requestId, fingerprint: request.fingerprint, response: JSON.stringify(result ?? null) } : undefined);
        for (const runId of tx.visibilityChanged) this.visibility.enqueue(summarize(tx.loadRun(runId)!), tx.now);
        for (const call of tx.calls) this.calls.enqueue(call, tx.now);
        this.scheduleAlarm(tx);
      });
    } catch (err) {
      // Storage rolled back; what the store holds of it in memory goes too.
      this.store.forget();
      throw err;
    }
    if (tx.events.length > 0) this.waiters.wake(new Set(tx.events.map((e) => e.runId)));
    if (tx.dispatches.length > 0 || tx.visibilityChanged.size > 0) void this.deliverOutbox();
    if (tx.calls.length > 0) void this.calls.deliverDue();
    return result;
  }

  /** Sets the one alarm to the earliest moment anything waits for (inside the transaction). */
  private scheduleAlarm(tx: Txn): void {
    const current = tx.currentRunId();
    const run = current ? tx.loadRun(current) : undefined;
    let at = run ? nextWakeup(tx, run) : undefined;
    const outboxDue = this.store.outboxDue();
    // Undelivered tasks are retried by the alarm if the delivery that follows this
    // transaction fails or the object is evicted first.
    if (outboxDue !== undefined) at = Math.min(at ?? Infinity, Math.max(outboxDue, tx.now) + 1000);
    const callDue = this.calls.earliestDue();
    if (callDue !== undefined) at = Math.min(at ?? Infinity, Math.max(callDue, tx.now) + 1000);
    const summaryDue = this.visibility.earliestDue();
    if (summaryDue !== undefined) at = Math.min(at ?? Infinity, Math.max(summaryDue, tx.now) + 1000);
    const requestExpiry = this.store.requestExpiry();
    if (requestExpiry !== undefined) at = Math.min(at ?? Infinity, requestExpiry);
    if (at === undefined) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(this.clock.toWallClock(at));
  }

  override async alarm(): Promise<void> {
    const now = this.clock.now();
    this.store.expireRequests(now);
    this.mutate((tx) => {
      const current = tx.currentRunId();
      const run = current ? tx.loadRun(current) : undefined;
      if (run) fireDue(tx, run);
    }, undefined, { alwaysScheduleAlarm: true });
    await Promise.all([this.deliverOutbox(), this.calls.deliverDue()]);
  }

  // ---- Outbox: at-least-once hand-off to task queues ------------------------------

  /**
   * Hands every due outbox row to its task queue and deletes it once the queue has it.
   * A row whose hand-off fails stays and is retried with back-off by the alarm; the
   * workflow object rejects the duplicate a retry may cause (design invariant 2).
   */
  async deliverOutbox(): Promise<void> {
    const rows = this.store.dueOutbox(this.clock.now());
    for (const row of rows) {
      if (this.delivering.has(row.id)) continue;
      this.delivering.set(
        row.id,
        this.deliver(row).finally(() => this.delivering.delete(row.id)),
      );
    }
    // Summaries go to D1 alongside; a failed write is retried by the alarm like a task.
    const summaries = this.visibility.deliverDue();
    await Promise.all([...this.delivering.values(), summaries]);
    const delivered = rows.length > 0 || (await summaries) > 0;
    // The transaction that wrote the rows set the alarm to re-deliver them in case this
    // hand-off failed; with every row delivered, the alarm goes back to what the run waits for.
    if (this.delivering.size === 0 && delivered && this.store.outboxIsEmpty() && this.visibility.settled) {
      this.ctx.storage.transactionSync(() => this.scheduleAlarm(new Txn(this.store, this.clock.now())));
    }
  }

  /** Makes the alarm fire by `due` (the object's time), keeping an earlier one. */
  private async alarmBy(due: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > this.clock.toWallClock(due)) await this.ctx.storage.setAlarm(this.clock.toWallClock(due));
  }

  private async deliver(row: OutboxRow): Promise<void> {
    try {
      const ref = WorkflowStore.ref(row);
      await taskQueueStub(this.env, ref.namespace, row.task_queue, row.kind).add(ref);
      this.store.delivered(row.id);
    } catch (err) {
      const backoff = Math.min(1000 * 2 ** row.attempts, OUTBOX_RETRY_MAX_MS);
      console.warn(`outbox: hand-off to ${row.kind} queue '${row.task_queue}' failed (attempt ${row.attempts + 1}); retrying in ${backoff} ms`, err);
      const due = this.clock.now() + backoff;
      this.store.retryAt(row.id, due);
      const alarm = await this.ctx.storage.getAlarm();
      if (alarm === null || alarm > this.clock.toWallClock(due)) await this.ctx.storage.setAlarm(this.clock.toWallClock(due));
    }
  }

  // ---- RPC: executions --------------------------------------------------------------

  start(req: ParsedRequestOf<'startWorkflow'>): Promise<Outcome<ResponseOf<'startWorkflow'>>> {
    return outcome(() => this.mutate((tx) => startWorkflow(tx, this.names.namespace, req, crypto.randomUUID()), requestKey('start', req)));
  }

  signalWithStart(req: ParsedRequestOf<'signalWithStartWorkflow'>): Promise<Outcome<ResponseOf<'signalWithStartWorkflow'>>> {
    return outcome(() =>
      this.mutate((tx) => signalWithStart(tx, this.names.namespace, this.names.workflowId, req, crypto.randomUUID()), requestKey('signalWithStart', req)),
    );
  }

  describe(req: ParsedRequestOf<'describeWorkflow'>): Promise<Outcome<ResponseOf<'describeWorkflow'>>> {
    return outcome(() => describeRun(resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, req.runId)));
  }

  signal(req: ParsedRequestOf<'signalWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        signalWorkflow(tx, resolveRun(tx, this.names.workflowId, req.runId), req.signalName, req.input, req.identity, req.header);
        return {};
      }, requestKey('signal', req)),
    );
  }

  requestCancel(req: ParsedRequestOf<'requestCancelWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        requestCancelWorkflow(tx, resolveRun(tx, this.names.workflowId, req.runId), req.reason, req.identity);
        return {};
      }, requestKey('cancel', req)),
    );
  }

  terminate(req: ParsedRequestOf<'terminateWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        terminateRun(tx, resolveRun(tx, this.names.workflowId, req.runId), req.reason, req.details, req.identity);
        return {};
      }, requestKey('terminate', req)),
    );
  }

  /**
   * A page of history. With `waitNewEvent`, holds the call (up to the long-poll limit)
   * until an event after the page token exists, or — with `closeEventOnly` — until the
   * run closes, so a client waits for a result without busy polling.
   */
  history(req: ParsedRequestOf<'getWorkflowHistory'>): Promise<Outcome<ResponseOf<'getWorkflowHistory'>>> {
    return outcome(async () => {
      const workflowId = this.names.workflowId;
      const deadline = this.clock.now() + longPollMs(this.env);
      const from = req.nextPageToken ? parsePageToken(req.nextPageToken) : 1;
      // The run is fixed when the call arrives: a run started meanwhile (TERMINATE_EXISTING,
      // a new start after a close) must not take the place of the one being waited on.
      const runId = resolveRun(new Txn(this.store, this.clock.now()), workflowId, req.runId).runId;
      for (;;) {
        const run = resolveRun(new Txn(this.store, this.clock.now()), workflowId, runId);
        if (req.closeEventOnly) {
          if (run.closeEventId !== undefined) return { runId: run.runId, events: this.store.readEvents(run.runId, run.closeEventId, run.closeEventId) };
        } else {
          const limit = req.pageSize ?? Limits.maxHistoryPageSize;
          const events = this.store.readEvents(run.runId, from, undefined, limit);
          const last = events.at(-1)?.eventId ?? from - 1;
          const more = isRunning(run) || last < run.nextEventId - 1;
          if (events.length > 0 || !req.waitNewEvent || !isRunning(run)) {
            return { runId: run.runId, events, ...(more ? { nextPageToken: String(last + 1) } : {}) };
          }
        }
        const left = deadline - this.clock.now();
        if (!req.waitNewEvent || left <= 0) {
          return { runId: run.runId, events: [], ...(isRunning(run) ? { nextPageToken: String(from) } : {}) };
        }
        await this.waiters.wait(run.runId, left);
      }
    });
  }

  /**
   * Local test services only (the router checks KEEL_TIME_SKIPPING): moves this workflow's
   * clock forward by `byMs` and does at once what the alarm would do at the new time — fire
   * timers, time out activities — so a test skips a month-long sleep instead of waiting.
   */
  advanceTime(byMs: number): Promise<Outcome<ResponseOf<'advanceWorkflowTime'>>> {
    return outcome(async () => {
      if (this.store.currentRunId() === undefined) throw new ServiceError('WORKFLOW_NOT_FOUND', `No workflow with id '${this.names.workflowId}'; start it before moving its time.`);
      this.clock.advance(byMs);
      this.store.setMeta('clockOffsetMs', String(this.clock.offset));
      await this.alarm();
      return { now: new Date(this.clock.now()).toISOString() };
    });
  }

  // ---- RPC: calls from other workflows -----------------------------------------------

  /** Starts a child workflow for its parent; the parent's request id makes a repeat answer the first answer. */
  startChild(req: ChildStartRequest): Promise<Outcome<ResponseOf<'startWorkflow'>>> {
    const { parent, ...start } = req;
    return outcome(() =>
      this.mutate((tx) => startWorkflow(tx, this.names.namespace, start, crypto.randomUUID(), undefined, undefined, parent), requestKey('startChild', req)),
    );
  }

  /** A child's chain closed: the parent records it (a repeat finds nothing pending). */
  childClosed(call: Extract<WorkflowCall, { kind: 'childClosed' }>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => this.mutate((tx) => (recordChildClosed(tx, call), {})));
  }

  /** The parent closed: this child's run gets its parent close policy. */
  applyParentClosePolicy(call: Extract<WorkflowCall, { kind: 'parentClosePolicy' }>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => this.mutate((tx) => (applyParentClosePolicy(tx, call), {})));
  }

  /** Records a delivered call's answer and deletes its outbox row, in one transaction. */
  private settleCall(id: number, call: WorkflowCall, result: CallResult | undefined): void {
    this.mutate(
      (tx) => {
        this.calls.remove(id);
        if (!result) return;
        if (call.kind === 'startChild') recordChildStartResult(tx, call, result);
        else if (call.kind === 'signal' || call.kind === 'cancel') recordExternalResult(tx, call, result);
      },
      undefined,
      { alwaysScheduleAlarm: true },
    );
  }

  // ---- RPC: tasks -------------------------------------------------------------------

  /** Called by a closed sticky queue for a workflow task sent to it: the task moves to the normal queue. */
  releaseStickyTask(ref: TaskRef, stickyQueue: string): void {
    this.mutate((tx) => {
      const run = tx.loadRun(ref.runId);
      if (run) releaseStickyWorkflowTask(tx, run, ref, stickyQueue);
    });
  }

  /**
   * Called by a task queue before it gives a task to a worker: records the task as
   * started and returns everything the worker needs, or null when the task is stale
   * (completed, retried, moved to another queue, or its run closed).
   */
  async startTask(ref: TaskRef, identity: string | undefined, fromQueue: string): Promise<StartedTask | null> {
    if (ref.kind === 'query') return this.startQueryTask(ref, identity, fromQueue);
    const started = this.mutate((tx) => {
      const run = tx.loadRun(ref.runId);
      if (!run) return null;
      if (ref.kind === 'workflow') {
        const s = startWorkflowTask(tx, run, ref, identity);
        return s ? { kind: 'workflow' as const, run, token: s.token } : null;
      }
      const act = startActivity(tx, run, ref, identity);
      return act ? { kind: 'activity' as const, run, act } : null;
    });
    if (!started) return null;
    const { run } = started;
    if (started.kind === 'workflow') {
      const wt = run.workflowTask!;
      const from = wt.sticky ? run.lastCompletedStartedEventId + 1 : 1;
      const history = [...this.store.readEvents(run.runId, from), ...transientEvents(run)];
      return { kind: 'workflow', task: await workflowTaskFor(run, started.token, history, this.env.KEEL_TOKEN_SECRET) };
    }
    return { kind: 'activity', task: await this.activityTask(started.run, started.act) };
  }

  /** What a worker needs to run a started activity attempt (polled, or started eagerly). */
  private activityTask(run: RunState, act: ActivityState): Promise<ActivityTask> {
    return activityTaskFor(run, act, this.store.readEvents(run.runId, act.scheduledEventId, act.scheduledEventId)[0], this.env.KEEL_TOKEN_SECRET);
  }

  /** Completes a workflow task; answers with the activities its commands started eagerly for the caller. */
  completeWorkflowTask(token: TaskTokenData, req: ParsedRequestOf<'completeWorkflowTask'>): Promise<Outcome<ResponseOf<'completeWorkflowTask'>>> {
    return outcome(async () => {
      // The refs are what the request record keeps: a retried completion rebuilds the same tasks.
      const eager = this.mutate((tx) => {
        completeWorkflowTask(tx, tx.loadRun(token.runId), token, req);
        return tx.eagerActivities;
      }, requestKey('completeWorkflowTask', req));
      const activityTasks: ActivityTask[] = [];
      for (const ref of eager) {
        const run = this.store.loadRun(ref.runId);
        const act = run && isRunning(run) ? run.activities[ref.scheduledEventId] : undefined;
        // Gone already (the same completion closed the run, or it timed out since): nothing to run.
        if (run && act && act.attempt === ref.attempt && act.startedTime !== undefined) activityTasks.push(await this.activityTask(run, act));
      }
      return activityTasks.length > 0 ? { activityTasks } : {};
    });
  }

  failWorkflowTask(token: TaskTokenData, req: ParsedRequestOf<'failWorkflowTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        failWorkflowTask(tx, tx.loadRun(token.runId), token, req);
        return {};
      }),
    );
  }

  heartbeatActivityTask(token: TaskTokenData, req: ParsedRequestOf<'heartbeatActivityTask'>): Promise<Outcome<ResponseOf<'heartbeatActivityTask'>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = tx.loadRun(token.runId);
        return heartbeatActivity(tx, run!, requireStartedActivity(run, token), req.details);
      }),
    );
  }

  completeActivityTask(token: TaskTokenData, req: ParsedRequestOf<'completeActivityTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = tx.loadRun(token.runId);
        completeActivity(tx, run!, requireStartedActivity(run, token), req.result, req.identity);
        return {};
      }, requestKey('completeActivityTask', req)),
    );
  }

  failActivityTask(token: TaskTokenData, req: ParsedRequestOf<'failActivityTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = tx.loadRun(token.runId);
        failActivity(tx, run!, requireStartedActivity(run, token), req.failure, req.lastHeartbeatDetails, req.identity);
        return {};
      }, requestKey('failActivityTask', req)),
    );
  }

  cancelActivityTask(token: TaskTokenData, req: ParsedRequestOf<'cancelActivityTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = tx.loadRun(token.runId);
        cancelledActivity(tx, run!, requireStartedActivity(run, token), req.details, req.identity);
        return {};
      }, requestKey('cancelActivityTask', req)),
    );
  }

  // ---- RPC: activities by workflow id + activity id (asynchronous completion) ---------

  heartbeatActivityById(activityId: string, req: ParsedRequestOf<'heartbeatActivityById'>): Promise<Outcome<ResponseOf<'heartbeatActivityById'>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = resolveRun(tx, this.names.workflowId, req.runId);
        return heartbeatActivity(tx, run, requireActivityById(tx, run, activityId, req.identity, false), req.details);
      }),
    );
  }

  completeActivityById(activityId: string, req: ParsedRequestOf<'completeActivityById'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = resolveRun(tx, this.names.workflowId, req.runId);
        completeActivity(tx, run, requireActivityById(tx, run, activityId, req.identity), req.result, req.identity);
        return {};
      }, requestKey(`completeActivityById:${activityId}`, req)),
    );
  }

  failActivityById(activityId: string, req: ParsedRequestOf<'failActivityById'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = resolveRun(tx, this.names.workflowId, req.runId);
        failActivity(tx, run, requireActivityById(tx, run, activityId, req.identity), req.failure, req.lastHeartbeatDetails, req.identity);
        return {};
      }, requestKey(`failActivityById:${activityId}`, req)),
    );
  }

  cancelActivityById(activityId: string, req: ParsedRequestOf<'cancelActivityById'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        const run = resolveRun(tx, this.names.workflowId, req.runId);
        cancelledActivity(tx, run, requireActivityById(tx, run, activityId, req.identity), req.details, req.identity);
        return {};
      }, requestKey(`cancelActivityById:${activityId}`, req)),
    );
  }

  // ---- RPC: queries -------------------------------------------------------------------

  /**
   * Hands a query to a worker through the run's workflow task queue (its sticky queue
   * when a worker holds the run) and waits a bounded time for the answer. Nothing is
   * written: queries live only in memory.
   */
  query(req: ParsedRequestOf<'queryWorkflow'>): Promise<Outcome<ResponseOf<'queryWorkflow'>>> {
    return outcome(async () => {
      const run = resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, req.runId);
      const reject = req.queryRejectCondition;
      if ((reject === 'NOT_OPEN' && !isRunning(run)) || (reject === 'NOT_COMPLETED_CLEANLY' && !isRunning(run) && run.status !== 'COMPLETED')) {
        throw new ServiceError('QUERY_REJECTED', `Query '${req.queryType}' rejected by condition ${reject}: workflow '${run.workflowId}' run ${run.runId} is ${run.status}.`, { status: run.status, queryRejectCondition: reject });
      }
      const { answer } = await this.queries.ask({
        namespace: run.namespace,
        workflowId: run.workflowId,
        runId: run.runId,
        queryType: req.queryType,
        queryArgs: req.queryArgs,
        taskQueue: run.taskQueue,
        ...(isRunning(run) && run.sticky ? { stickyTaskQueue: run.sticky.taskQueue, stickyTimeoutMs: run.sticky.scheduleToStartTimeoutMs } : {}),
      });
      return answer ? { answer } : {};
    });
  }

  private async startQueryTask(ref: TaskRef, identity: string | undefined, fromQueue: string): Promise<StartedTask | null> {
    const q = this.queries.start(ref.queryId ?? '', fromQueue);
    if (!q) return null;
    const run = this.store.loadRun(ref.runId);
    if (!run) return null;
    const task = await queryTaskFor(run, ref, q, this.store.readEvents(run.runId, 1), this.clock.now(), this.env.KEEL_TOKEN_SECRET);
    return { kind: 'workflow', task };
  }

  // ---- RPC: updates -------------------------------------------------------------------

  /**
   * An update: a worker validates it against the workflow's state (nothing is written if it
   * rejects), then one transaction accepts it into history, and the call waits — at most the
   * long-poll limit — for the stage asked. A known update id is answered from its first update.
   */
  update(req: ParsedRequestOf<'updateWorkflow'>): Promise<Outcome<ResponseOf<'updateWorkflow'>>> {
    return outcome(async () => {
      const deadline = this.clock.now() + longPollMs(this.env);
      const run = this.updateTarget(req.runId, req.firstExecutionRunId);
      if (!findUpdate(run, req.updateId)) {
        requireRunningForUpdate(run, req.updateId);
        const key = `${run.runId}/${req.updateId}`;
        let validation = this.validating.get(key);
        if (!validation) {
          validation = this.validateAndAccept(run, req).finally(() => this.validating.delete(key));
          this.validating.set(key, validation);
        }
        const rejected = await validation;
        if (rejected) return rejected;
      }
      return this.waitForUpdate(run.runId, req.updateId, req.waitForStage, deadline);
    });
  }

  /** Waits (long poll) for an accepted update to reach a stage; the answer carries its outcome once completed. */
  pollUpdate(updateId: string, req: ParsedRequestOf<'pollWorkflowUpdate'>): Promise<Outcome<ResponseOf<'pollWorkflowUpdate'>>> {
    return outcome(() => {
      const run = this.updateTarget(req.runId, undefined);
      return this.waitForUpdate(run.runId, updateId, req.waitForStage, this.clock.now() + longPollMs(this.env));
    });
  }

  /** The run an update names (its run id, else the latest run), checked against the chain when one is given. */
  private updateTarget(runId: string | undefined, firstExecutionRunId: string | undefined) {
    const run = resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, runId);
    if (firstExecutionRunId && run.firstRunId !== firstExecutionRunId) {
      throw new ServiceError('WORKFLOW_NOT_FOUND', `Workflow '${run.workflowId}' run ${run.runId} does not belong to the chain started by run ${firstExecutionRunId}.`, { workflowId: run.workflowId, runId: run.runId });
    }
    return run;
  }

  /** Runs the validator on a worker; accepts the update, or returns the rejection (nothing written). */
  private async validateAndAccept(run: RunState, req: ParsedRequestOf<'updateWorkflow'>): Promise<UpdateAnswer | undefined> {
    const answer = await this.queries.ask({
      namespace: run.namespace,
      workflowId: run.workflowId,
      runId: run.runId,
      queryType: req.name,
      queryArgs: req.args,
      taskQueue: run.taskQueue,
      update: { updateId: req.updateId, name: req.name, args: req.args, ...(req.header ? { header: req.header } : {}) },
      ...(isRunning(run) && run.sticky ? { stickyTaskQueue: run.sticky.taskQueue, stickyTimeoutMs: run.sticky.scheduleToStartTimeoutMs } : {}),
    });
    if (answer.failure) return { updateId: req.updateId, runId: run.runId, stage: 'COMPLETED', outcome: { failure: answer.failure } };
    this.mutate((tx) => acceptUpdate(tx, tx.loadRun(run.runId)!, req));
    return undefined;
  }

  private async waitForUpdate(runId: string, updateId: string, stage: 'ACCEPTED' | 'COMPLETED', deadline: number): Promise<UpdateAnswer> {
    for (;;) {
      const run = this.store.loadRun(runId)!;
      const answer = updateAnswer(this.store, run, updateId, stage);
      if (answer) return answer;
      const left = deadline - this.clock.now();
      // The long poll ends with the stage reached so far; the caller polls again.
      if (left <= 0) return { updateId, runId, stage: 'ACCEPTED' };
      await this.waiters.wait(runId, left);
    }
  }

  respondQueryTask(token: TaskTokenData, req: ParsedRequestOf<'respondQueryTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => {
      this.queries.answer(token.queryId ?? '', req);
      return {};
    });
  }
}

function requestKey(endpoint: string, req: { requestId?: string }): RequestKey {
  const { requestId, ...rest } = req;
  return { ...(requestId ? { requestId } : {}), fingerprint: `${endpoint}:${JSON.stringify(rest)}` };
}

function parsePageToken(token: string): number {
  const n = Number(token);
  if (!Number.isInteger(n) || n < 1) throw new ServiceError('INVALID_ARGUMENT', `nextPageToken '${token}' is not one this service issued; pass back the token from the previous page.`);
  return n;
}

