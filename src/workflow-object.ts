/**
 * WorkflowObject: one Durable Object per namespace + workflow id, holding every run of
 * that id. A thin shell around storage and the alarm: each RPC method runs one engine
 * change (src/engine) and writes it in one transaction, then hands new tasks to their
 * task queues from the outbox, and run summaries to the D1 visibility store (src/visibility).
 */
import { DurableObject } from 'cloudflare:workers';
import { CLOSE_EVENT_TYPES, Limits, type ActivityTask, type HistoryEvent, type ParsedRequestOf, type ResponseOf, type WorkflowTask } from '../protocol/index.js';
import { longPollMs, type Env } from './env.js';
import { cancelledActivity, completeActivity, failActivity, heartbeatActivity, requireStartedActivity, startActivity } from './engine/activities.js';
import { describeRun } from './engine/describe.js';
import { completeWorkflowTask, failWorkflowTask, fireDue, nextWakeup } from './engine/lifecycle.js';
import { requestCancelWorkflow, resolveRun, signalWorkflow, terminateRun } from './engine/run-control.js';
import { startWorkflow } from './engine/start.js';
import { continueAsNewSuggested, isRunning, type ActivityState, type RunState } from './engine/run-state.js';
import { Txn } from './engine/transaction.js';
import { enforceHistoryLimit } from './engine/history-limit.js';
import { releaseStickyWorkflowTask, startWorkflowTask, transientEvents } from './engine/workflow-tasks.js';
import { acknowledgeTask, dueHandOffs, handOffFor, type WorkerHeardFrom } from './engine/hand-off.js';
import type { LostHandOff } from './engine/transaction.js';
import { signalWithStart } from './engine/signal-with-start.js';
import { requireActivityById } from './engine/activity-by-id.js';
import { ServiceError, outcome, type Outcome } from './service-error.js';
import { parseWorkflowName, taskQueueStub } from './stubs.js';
import { signTaskToken, type TaskRef, type TaskTokenData } from './task-token.js';
import { Clock } from './clock.js';
import { QueryBroker } from './query-broker.js';
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
import { meterRpcMethods, meteredEnv, usageMeterOf } from './cost/metered-object.js';
import { runCost, runUnits } from './cost/run-cost.js';
import type { UsageMeter } from './cost/usage-meter.js';

/** How many runs an update not yet accepted follows through continue-as-new. */
const MAX_UPDATE_HOPS = 10;

const OUTBOX_RETRY_MAX_MS = 30_000;

/**
 * workerd refuses an alarm after 2189. Requests cap every duration at 100 years, but a stored
 * row from before the bounds (or planted) may still carry a later time: the alarm then fires at
 * the cap, finds nothing due, and is set again, instead of the change failing.
 */
const LATEST_ALARM_MS = Date.UTC(2189, 0, 1);
const alarmTime = (wall: number) => Math.min(wall, LATEST_ALARM_MS);

interface RequestKey {
  requestId?: string;
  /** What the request was, so that reusing its id for another request is refused. */
  fingerprint: string;
}

/** A held long poll; `closeOnly` ones (waiting for a result) sleep through every event but the close. */
type Waiter = { runId: string; closeOnly: boolean; wake: () => void };

export class WorkflowObject extends DurableObject<Env> {
  private readonly store: WorkflowStore;
  private readonly waiters = new Set<Waiter>();
  private readonly delivering = new Map<number, Promise<void>>();
  /** Outbox rows whose task is being handed to its queue, by the task: the start it causes deletes the row. */
  private readonly handingOff = new Map<string, number>();
  /** Rows the task's start deleted in its own transaction, so the hand-off need not. */
  private readonly deletedAtStart = new Set<number>();
  /**
   * The alarm as this object last set it (wall-clock ms; null: none), undefined when unknown.
   * A transaction that leaves the earliest due moment where it was writes no alarm.
   */
  private alarmSetTo: number | null | undefined;
  private readonly queries: QueryBroker;
  /** Updates whose validator is running, by run and update id: the same id again joins the first. */
  private readonly validating = new Map<string, Promise<UpdateAnswer | 'continued-as-new' | undefined>>();
  /** The time every state change is computed at; tests move it. */
  readonly clock = new Clock();
  /** Run summaries on their way to the D1 visibility store (tests swap its `store`). */
  readonly visibility: VisibilityOutbox;
  /** Calls to other workflow objects (children, external signals and cancels) on their way. */
  readonly calls: WorkflowCalls;

  /** This object's billable units, counted as they happen (src/cost). */
  readonly usage: UsageMeter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, meteredEnv(env));
    this.usage = usageMeterOf(this.env);
    this.usage.watch(ctx.storage.sql);
    this.store = new WorkflowStore(ctx.storage, this.usage);
    if (env.KEEL_TIME_SKIPPING === '1') {
      // A clock moved forward stays moved when the object is evicted or the service restarts.
      const offset = this.store.meta('clockOffsetMs');
      if (offset) this.clock.advance(Number(offset));
    }
    this.queries = new QueryBroker({
      timeoutMs: longPollMs(env),
      now: () => this.clock.now(),
      dispatch: (taskQueue, ref) => taskQueueStub(this.env, ref.namespace, taskQueue, 'workflow').add(ref),
    });
    this.visibility = new VisibilityOutbox(ctx.storage.sql, {
      store: this.env.VISIBILITY ? new D1SummaryStore(this.env.VISIBILITY, () => visibilityDb(env)) : undefined,
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
        for (const runId of tx.visibilityChanged) this.visibility.enqueue({ ...summarize(tx.loadRun(runId)!), units: runUnits(this.store, this.usage, runId, this.ctx.storage.sql.databaseSize) }, tx.now);
        for (const call of tx.calls) this.calls.enqueue(call, tx.now);
        this.scheduleAlarm(tx);
      });
    } catch (err) {
      // Storage rolled back; what the store holds of it in memory goes too.
      this.store.forget();
      throw err;
    }
    if (tx.events.length > 0) this.wakeWaiters(tx.events);
    if (tx.lostHandOffs.length > 0) {
      const ending: Promise<void> = this.endDeadPolls(tx.lostHandOffs).finally(() => {
        if (this.endingDeadPolls === ending) this.endingDeadPolls = undefined;
      });
      this.endingDeadPolls = ending;
    }
    if (tx.dispatches.length > 0 || tx.visibilityChanged.size > 0) void this.deliverOutbox();
    if (tx.calls.length > 0) void this.calls.deliverDue();
    return result;
  }

  /**
   * Tasks went back to their queues because the polls they were handed to were dead. The dead
   * worker's other polls on those queues are ended now, so that they do not take further tasks
   * one by one, and a dead worker's sticky queue is closed: the runs it cached go to their normal
   * queues at once. Best effort: a poll missed here costs one more lost hand-off, caught the same way.
   */
  private endingDeadPolls: Promise<void> | undefined;

  private async endDeadPolls(lost: LostHandOff[]): Promise<void> {
    await this.endingDeadPolls;
    for (const l of lost) {
      console.warn(`keel: ${l.kind} task of workflow '${l.workflowId}' (run ${l.runId}) was handed to a poll of ${l.identity ?? 'a worker'} on '${l.taskQueue}' that did not acknowledge it: the worker is taken for dead, the task went back to its queue`);
      try {
        const ns = this.names.namespace;
        if (l.sticky) await taskQueueStub(this.env, ns, l.taskQueue, 'workflow').closeSticky();
        const queues = new Set([l.runTaskQueue, ...(l.sticky ? [] : [l.taskQueue])]);
        if (l.pollerId) {
          const ends = [...queues].flatMap((q) => (['workflow', 'activity'] as const).map((kind) => taskQueueStub(this.env, ns, q, kind).cancelPolls(l.pollerId!)));
          await Promise.all(ends);
        }
      } catch (err) {
        console.warn(`keel: could not end the dead worker's polls on '${l.taskQueue}'`, err);
      }
    }
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
    const wall = at === undefined ? null : alarmTime(this.clock.toWallClock(at));
    if (wall === this.alarmSetTo) return;
    this.alarmSetTo = wall;
    if (wall === null) void this.ctx.storage.deleteAlarm();
    else void this.ctx.storage.setAlarm(wall);
  }

  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    // A running alarm is used up: whatever is set next must be written.
    this.alarmSetTo = undefined;
    // workerd retries an alarm whose handler threw (with back-off, up to six times): say so, since
    // it means the previous run failed part-way (its transaction rolled back).
    if (info?.isRetry) console.warn(`keel: alarm of workflow '${this.names.workflowId}' retried (retry ${info.retryCount}) after it failed`);
    const now = this.clock.now();
    this.store.expireRequests(now);
    const heardFrom = await this.workersHeardFrom(now);
    this.mutate((tx) => {
      const current = tx.currentRunId();
      const run = current ? tx.loadRun(current) : undefined;
      if (run) fireDue(tx, run, heardFrom);
    }, undefined, { alwaysScheduleAlarm: true });
    await Promise.all([this.deliverOutbox(), this.calls.deliverDue()]);
  }

  /**
   * Asks the queues whether the workers of the hand-offs due now have polled them since: those are
   * alive, only slow to acknowledge (src/engine/hand-off.ts). Asked before the alarm's transaction,
   * which cannot wait for another object.
   */
  private async workersHeardFrom(now: number): Promise<WorkerHeardFrom> {
    const id = this.store.currentRunId();
    const run = id ? this.store.loadRun(id) : undefined;
    const due = run ? dueHandOffs(run, now) : [];
    if (due.length === 0) return () => undefined;
    const key = (kind: string, h: { taskQueue: string; pollerId?: string; pollSeq?: number }) => `${kind}\n${h.taskQueue}\n${h.pollerId}\n${h.pollSeq}`;
    const alive = new Map<string, number>();
    await Promise.all(
      due.map(async ({ kind, handOff }) => {
        if (!handOff.pollerId || handOff.pollSeq === undefined) return;
        const polled = await taskQueueStub(this.env, this.names.namespace, handOff.taskQueue, kind)
          .heardFrom(handOff.pollerId, handOff.pollSeq)
          .catch(() => undefined);
        if (polled !== undefined) alive.set(key(kind, handOff), polled);
      }),
    );
    return (kind, handOff) => alive.get(key(kind, handOff));
  }

  // ---- Outbox: at-least-once hand-off to task queues ------------------------------

  /**
   * Hands every due outbox row to its task queue and deletes it once the queue has it.
   * A row whose hand-off fails stays and is retried with back-off by the alarm; the
   * workflow object rejects the duplicate a retry may cause (design invariant 2).
   */
  async deliverOutbox(): Promise<void> {
    // A task taken back from a dead poll waits until that worker's other polls are ended, or the
    // queue would hand it straight to one of them.
    if (this.endingDeadPolls) await this.endingDeadPolls;
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
    // hand-off failed; with every row delivered, the alarm goes back to what the run waits for
    // (a task's start usually did that already, in its own transaction: then nothing is written).
    if (this.delivering.size === 0 && delivered && this.store.outboxIsEmpty() && this.visibility.settled) {
      this.scheduleAlarm(new Txn(this.store, this.clock.now()));
    }
  }

  /** Makes the alarm fire by `due` (the object's time), keeping an earlier one. */
  private async alarmBy(due: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    const wall = alarmTime(this.clock.toWallClock(due));
    if (alarm === null || alarm > wall) {
      this.alarmSetTo = wall;
      await this.ctx.storage.setAlarm(wall);
    }
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const ref = WorkflowStore.ref(row);
    const key = handOffKey(ref);
    try {
      this.handingOff.set(key, row.id);
      if (row.attempts > 0) console.warn(`outbox: re-delivering a ${row.kind} task of workflow '${ref.workflowId}' to queue '${row.task_queue}' (attempt ${row.attempts + 1}, after ${row.attempts} failed)`);
      await taskQueueStub(this.env, ref.namespace, row.task_queue, row.kind).add(ref);
      if (!this.deletedAtStart.delete(row.id)) this.store.delivered(row.id);
    } catch (err) {
      this.deletedAtStart.delete(row.id);
      const backoff = Math.min(1000 * 2 ** row.attempts, OUTBOX_RETRY_MAX_MS);
      console.warn(`outbox: hand-off to ${row.kind} queue '${row.task_queue}' failed (attempt ${row.attempts + 1}); retrying in ${backoff} ms`, err);
      const due = this.clock.now() + backoff;
      this.store.retryAt(row.id, due);
      await this.alarmBy(due);
    } finally {
      if (this.handingOff.get(key) === row.id) this.handingOff.delete(key);
    }
  }

  /**
   * Called in the transaction that starts a task: the outbox row that carried it has done its job
   * and goes in the same write (with the alarm it armed), instead of in one of its own afterwards.
   */
  private consumeOutboxRow(ref: TaskRef): void {
    const id = this.handingOff.get(handOffKey(ref));
    if (id === undefined) return;
    this.handingOff.delete(handOffKey(ref));
    this.store.delivered(id);
    this.deletedAtStart.add(id);
  }

  // ---- History long polls ---------------------------------------------------------

  private wakeWaiters(events: Txn['events']): void {
    if (this.waiters.size === 0) return;
    const changed = new Set(events.map((e) => e.runId));
    const closed = new Set(events.filter((e) => CLOSE_EVENT_TYPES.has(e.event.eventType)).map((e) => e.runId));
    for (const w of this.waiters) if ((w.closeOnly ? closed : changed).has(w.runId)) w.wake();
  }

  /** Resolves when the run gets a new event (with `closeOnly`, its close event), or after `ms`. */
  private waitForEvents(runId: string, ms: number, closeOnly = false): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        runId,
        closeOnly,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
    });
  }

  // ---- RPC: executions --------------------------------------------------------------

  /** Starts a run; with `requestEagerExecution`, its first workflow task comes back started (eager workflow start). */
  start(req: ParsedRequestOf<'startWorkflow'>): Promise<Outcome<ResponseOf<'startWorkflow'>>> {
    return outcome(async () => {
      // The token is what the request record keeps: a retried start rebuilds the same task.
      const { claimed, ...answer } = this.mutate((tx) => {
        if (req.requestEagerExecution) tx.workflowTaskClaim = { taskQueue: req.taskQueue, identity: req.identity };
        return { ...startWorkflow(tx, this.names.namespace, req, crypto.randomUUID()), claimed: tx.claimedWorkflowTask };
      }, requestKey('start', req));
      const task = claimed ? await this.claimedTask(claimed) : undefined;
      return task ? { ...answer, eagerWorkflowTask: task } : answer;
    });
  }

  signalWithStart(req: ParsedRequestOf<'signalWithStartWorkflow'>): Promise<Outcome<ResponseOf<'signalWithStartWorkflow'>>> {
    return outcome(() =>
      this.mutate((tx) => signalWithStart(tx, this.names.namespace, this.names.workflowId, req, crypto.randomUUID()), requestKey('signalWithStart', req)),
    );
  }

  describe(req: ParsedRequestOf<'describeWorkflow'>): Promise<Outcome<ResponseOf<'describeWorkflow'>>> {
    return outcome(() => {
      const run = resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, req.runId);
      return { ...describeRun(run), cost: runCost(this.store, this.usage, run.runId, this.ctx.storage.sql.databaseSize) };
    });
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
      const token = req.nextPageToken ? parsePageToken(req.nextPageToken) : undefined;
      if (token?.taskStartedEventId !== undefined) return this.workflowTaskHistoryPage(workflowId, req.runId, token.from, token.taskStartedEventId);
      const from = token?.from ?? 1;
      // The run is fixed when the call arrives: a run started meanwhile (TERMINATE_EXISTING,
      // a new start after a close) must not take the place of the one being waited on.
      const runId = resolveRun(new Txn(this.store, this.clock.now()), workflowId, req.runId).runId;
      for (;;) {
        const run = resolveRun(new Txn(this.store, this.clock.now()), workflowId, runId);
        if (req.closeEventOnly) {
          if (run.closeEventId !== undefined) return { runId: run.runId, events: this.store.readEvents(run.runId, run.closeEventId, run.closeEventId) };
        } else {
          const limit = req.pageSize ?? Limits.maxHistoryPageSize;
          const events = this.store.readEvents(run.runId, from, undefined, limit, Limits.maxHistoryPageBytes);
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
        await this.waitForEvents(run.runId, left, req.closeEventOnly === true);
      }
    });
  }

  /**
   * The next page of a workflow task's history (Temporal's paged poll answer): stored events from
   * `from` up to the task's started event, within the byte budget of one answer; the last page
   * ends with the task's transient events, as the task's own history would have.
   */
  private workflowTaskHistoryPage(workflowId: string, runId: string | undefined, from: number, startedEventId: number): ResponseOf<'getWorkflowHistory'> {
    const run = resolveRun(new Txn(this.store, this.clock.now()), workflowId, runId);
    const { events, more } = this.workflowTaskHistory(run, from, startedEventId);
    return { runId: run.runId, events, ...(more ? { nextPageToken: taskPageToken(events.at(-1)!.eventId + 1, startedEventId) } : {}) };
  }

  /** A workflow task's history from `from`: one answer's worth of stored events, then (on the last page) the transient ones. */
  private workflowTaskHistory(run: RunState, from: number, startedEventId: number): { events: HistoryEvent[]; more: boolean } {
    const transient = run.workflowTask?.startedEventId === startedEventId ? transientEvents(run) : [];
    const storedEnd = Math.min(startedEventId, run.nextEventId - 1);
    const events = this.store.readEvents(run.runId, from, storedEnd, -1, Limits.maxHistoryPageBytes);
    const last = events.at(-1)?.eventId ?? from - 1;
    if (last < storedEnd) return { events, more: true };
    return { events: [...events, ...transient], more: false };
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
  async startTask(ref: TaskRef, identity: string | undefined, fromQueue: string, poller?: { acknowledges: boolean; pollerId?: string; pollSeq?: number }): Promise<StartedTask | null> {
    if (ref.kind === 'query') return this.startQueryTask(ref, identity, fromQueue);
    const started = this.mutate((tx) => {
      this.consumeOutboxRow(ref);
      const run = tx.loadRun(ref.runId);
      if (!run) return null;
      const handOff = poller?.acknowledges ? handOffFor(tx.now, fromQueue, poller.pollerId, poller.pollSeq) : undefined;
      if (ref.kind === 'workflow') {
        const s = startWorkflowTask(tx, run, ref, identity, handOff);
        return s ? { kind: 'workflow' as const, run, token: s.token } : null;
      }
      const act = startActivity(tx, run, ref, identity, handOff);
      return act ? { kind: 'activity' as const, run, act } : null;
    });
    if (!started) return null;
    if (started.kind === 'workflow') return { kind: 'workflow', task: await this.workflowTask(started.run, started.token) };
    return { kind: 'activity', task: await this.activityTask(started.run, started.act) };
  }

  /** What a worker needs to run a started workflow task (polled, or handed back in an answer). */
  private async workflowTask(run: RunState, token: TaskTokenData): Promise<WorkflowTask> {
    const wt = run.workflowTask!;
    const from = wt.sticky ? run.lastCompletedStartedEventId + 1 : 1;
    // A history too big for one answer goes in pages: the worker reads the rest with the token.
    const { events: history, more } = this.workflowTaskHistory(run, from, wt.startedEventId!);
    return {
      taskToken: await signTaskToken(token, this.env.KEEL_TOKEN_SECRET),
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
    };
  }

  /** The workflow task a change started for its caller (`Txn.workflowTaskClaim`), unless it has ended since. */
  private async claimedTask(claimed: { runId: string; token: TaskTokenData }): Promise<WorkflowTask | undefined> {
    const run = this.store.loadRun(claimed.runId);
    const wt = run?.workflowTask;
    if (!run || !isRunning(run) || !wt || wt.startedEventId !== claimed.token.startedEventId || wt.attempt !== claimed.token.attempt) return undefined;
    return this.workflowTask(run, claimed.token);
  }

  /** What a worker needs to run a started activity attempt (polled, or started eagerly). */
  private async activityTask(run: RunState, act: ActivityState): Promise<ActivityTask> {
    const scheduled = this.store.readEvents(run.runId, act.scheduledEventId, act.scheduledEventId)[0];
    const attrs = scheduled?.eventType === 'ActivityTaskScheduled' ? scheduled.attributes : undefined;
    const token: TaskTokenData = { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, kind: 'activity', scheduledEventId: act.scheduledEventId, attempt: act.attempt, startedEventId: 0 };
    return {
      taskToken: await signTaskToken(token, this.env.KEEL_TOKEN_SECRET),
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
    };
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

  /** Protocol 2: the worker has the task (hand-off.ts); TASK_NOT_FOUND when it already went back to its queue. */
  acknowledgeTask(token: TaskTokenData): Promise<Outcome<Record<string, never>>> {
    return outcome(() =>
      this.mutate((tx) => {
        acknowledgeTask(tx, tx.loadRun(token.runId), token);
        return {};
      }),
    );
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

  /** Completes an activity; a caller holding the run on its sticky queue gets the workflow task this causes, started. */
  completeActivityTask(token: TaskTokenData, req: ParsedRequestOf<'completeActivityTask'>): Promise<Outcome<ResponseOf<'completeActivityTask'>>> {
    return outcome(async () => {
      const { claimed } = this.mutate((tx) => {
        const run = tx.loadRun(token.runId);
        if (req.stickyTaskQueue && run?.sticky?.taskQueue === req.stickyTaskQueue) tx.workflowTaskClaim = { taskQueue: req.stickyTaskQueue, identity: req.identity };
        completeActivity(tx, run!, requireStartedActivity(run, token), req.result, req.identity);
        return { claimed: tx.claimedWorkflowTask };
      }, requestKey('completeActivityTask', req));
      const task = claimed ? await this.claimedTask(claimed) : undefined;
      return task ? { workflowTask: task } : {};
    });
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
      let run = resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, req.runId);
      // As Temporal's consistent queries: a query sent after a signal sees it. While the run has a
      // workflow task scheduled or running, the query waits (up to the long-poll limit) for it to
      // end, so the worker answers from state that includes every event accepted before the query.
      const deadline = this.clock.now() + longPollMs(this.env);
      while (isRunning(run) && run.workflowTask && this.clock.now() < deadline) {
        await this.waitForEvents(run.runId, deadline - this.clock.now());
        run = this.store.loadRun(run.runId) ?? run;
      }
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
        ...(req.header ? { header: req.header } : {}),
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
    // Queries always carry the full history: a worker that holds the run answers from its
    // cache and ignores it; any other replays it.
    const last = run.nextEventId - 1;
    const { events: history, more } = this.workflowTaskHistory(run, 1, last);
    const token: TaskTokenData = { ...ref, startedEventId: 0 };
    return {
      kind: 'workflow',
      task: {
        taskToken: await signTaskToken(token, this.env.KEEL_TOKEN_SECRET),
        workflowExecution: { workflowId: run.workflowId, runId: run.runId },
        workflowType: run.workflowType,
        attempt: 1,
        previousStartedEventId: run.lastCompletedStartedEventId,
        startedEventId: more ? last : (history.at(-1)?.eventId ?? 0),
        history,
        ...(more ? { nextPageToken: taskPageToken(history.at(-1)!.eventId + 1, last) } : {}),
        ...(q.update ? { update: q.update } : { query: { queryType: q.queryType, queryArgs: q.queryArgs, ...(q.header ? { header: q.header } : {}) } }),
        scheduledTime: new Date(q.createdAt).toISOString(),
        startedTime: new Date(this.clock.now()).toISOString(),
      },
    };
  }

  // ---- RPC: updates -------------------------------------------------------------------

  /**
   * An update: a worker validates it against the workflow's state (nothing is written if it
   * rejects), then one transaction accepts it into history, and the call waits — at most the
   * long-poll limit — for the stage asked. A known update id is answered from its first update.
   */
  update(req: ParsedRequestOf<'updateWorkflow'>): Promise<Outcome<ResponseOf<'updateWorkflow'>>> {
    return outcome(() => {
      const deadline = this.clock.now() + longPollMs(this.env);
      return this.updateRun(req, deadline);
    });
  }

  /**
   * Update-with-start: the start (or, with USE_EXISTING, the choice of the running run) is one
   * transaction, recorded under the start's request id so that a retried call finds the same run;
   * then the update goes to that run as `update` sends it, deduplicated by its update id.
   */
  updateWithStart(req: ParsedRequestOf<'updateWithStartWorkflow'>): Promise<Outcome<ResponseOf<'updateWithStartWorkflow'>>> {
    return outcome(async () => {
      const deadline = this.clock.now() + longPollMs(this.env);
      const { runId, started } = this.mutate(
        (tx) => startWorkflow(tx, this.names.namespace, { ...req.start, workflowId: this.names.workflowId }, crypto.randomUUID()),
        requestKey('updateWithStart', req.start),
      );
      const update = await this.updateRun({ ...req.update, runId }, deadline);
      return { runId, started, update };
    });
  }

  /**
   * Validates and accepts `req` on the run it names unless that run already has it, then waits for
   * the stage asked.
   */
  private async updateRun(req: ParsedRequestOf<'updateWorkflow'>, deadline: number): Promise<UpdateAnswer> {
    // An update not yet accepted when its run continues as new goes on to the new run, as in
    // Temporal (unless the caller named the run). Bounded: each hop needs a whole workflow task.
    for (let hop = 0; ; hop++) {
      const run = this.updateTarget(req.runId, req.firstExecutionRunId);
      if (!findUpdate(run, req.updateId)) {
        requireRunningForUpdate(run, req.updateId);
        const key = `${run.runId}/${req.updateId}`;
        let validation = this.validating.get(key);
        if (!validation) {
          validation = this.validateAndAccept(run, req).finally(() => this.validating.delete(key));
          this.validating.set(key, validation);
        }
        const answer = await validation;
        if (answer === 'continued-as-new' && !req.runId && hop < MAX_UPDATE_HOPS) continue;
        if (answer === 'continued-as-new') requireRunningForUpdate(this.store.loadRun(run.runId)!, req.updateId);
        else if (answer) return answer;
      }
      return this.waitForUpdate(run.runId, req.updateId, req.waitForStage, deadline);
    }
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

  /**
   * Runs the validator on a worker; accepts the update, or returns the rejection (nothing written),
   * or says the run continued as new meanwhile (nothing written: the caller tries the new run).
   */
  private async validateAndAccept(run: RunState, req: ParsedRequestOf<'updateWorkflow'>): Promise<UpdateAnswer | 'continued-as-new' | undefined> {
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
    if (this.store.loadRun(run.runId)?.status === 'CONTINUED_AS_NEW') return 'continued-as-new';
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
      await this.waitForEvents(runId, left);
    }
  }

  respondQueryTask(token: TaskTokenData, req: ParsedRequestOf<'respondQueryTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => {
      this.queries.answer(token.queryId ?? '', req);
      return {};
    });
  }
}

meterRpcMethods(WorkflowObject);

/** Names a task on its way from the outbox through a queue and back to `startTask`. */
function handOffKey(ref: TaskRef): string {
  return `${ref.kind}/${ref.runId}/${ref.scheduledEventId}/${ref.attempt}/${ref.seq ?? ''}`;
}

function requestKey(endpoint: string, req: { requestId?: string }): RequestKey {
  const { requestId, ...rest } = req;
  return { ...(requestId ? { requestId } : {}), fingerprint: `${endpoint}:${JSON.stringify(rest)}` };
}

/**
 * History page tokens: the next event id (`"42"`), or for the pages of a workflow task's history
 * `"task:42:57"` (the next event id and the task's started event id, where its pages end).
 */
function parsePageToken(token: string): { from: number; taskStartedEventId?: number } {
  const m = /^(?:task:)?([1-9][0-9]{0,14})(?::([1-9][0-9]{0,14}))?$/.exec(token);
  if (!m || token.startsWith('task:') !== (m[2] !== undefined)) {
    throw new ServiceError('INVALID_ARGUMENT', `nextPageToken '${token.slice(0, 100)}' is not one this service issued; pass back the token from the previous page.`, { issues: [{ path: 'nextPageToken', message: 'not a token this service issued' }] });
  }
  return { from: Number(m[1]), ...(m[2] !== undefined ? { taskStartedEventId: Number(m[2]) } : {}) };
}

const taskPageToken = (from: number, startedEventId: number) => `task:${from}:${startedEventId}`;

