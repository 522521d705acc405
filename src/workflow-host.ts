/**
 * WorkflowHost: one workflow id, holding every run of that id, inside the Durable Object that
 * keeps it (src/workflow-object.ts: an object of its own, or a shard of many). A thin shell around
 * storage and the alarm: each RPC method runs one engine change (src/engine) and writes it in one
 * transaction (a shard's run summaries in it too), then hands new tasks to their task queues from
 * the outbox, and an own object's run summaries to the D1 visibility store (src/visibility).
 */
import type { ParsedRequestOf, ResponseOf } from '../protocol/index.js';
import { longPollMs, type Env } from './env.js';
import { describeRun } from './engine/describe.js';
import { completeWorkflowTask, failWorkflowTask } from './engine/lifecycle.js';
import { requestCancelWorkflow, resolveRun, signalWorkflow, terminateRun } from './engine/run-control.js';
import { startWorkflow } from './engine/start.js';
import { resetWorkflow } from './engine/reset.js';
import { timeSkippingEnabled } from './engine/time-skip.js';
import { Txn } from './engine/transaction.js';
import { terminateBeforeDeletion } from './engine/retention.js';
import { enforceHistoryLimit } from './engine/history-limit.js';
import { releaseStickyTask } from './engine/sticky-hand-over.js';
import { acknowledgeTask } from './engine/hand-off.js';
import { startPolledTask, type Poller } from './engine/polled-task.js';
import { signalWithStart } from './engine/signal-with-start.js';
import { completeActivityTask, historyEndOf } from './engine/speculative-task.js';
import { outcome, type Outcome } from './service-error.js';
import { parseWorkflowName, taskQueueStub } from './stubs.js';
import type { TaskRef, TaskTokenData } from './task-token.js';
import { Clock } from './clock.js';
import type { StartedTask } from './started-task.js';
import { relistLostStart, summarize } from './visibility/summary.js';
import { WorkflowStore } from './storage/workflow-store.js';
import { recordChildClosed } from './engine/child-workflows.js';
import { recordCallResult } from './engine/call-results.js';
import { applyParentClosePolicy } from './engine/parent-close-policy.js';
import type { CallResult, ChildStartRequest, WorkflowCall } from './engine/workflow-call.js';
import { endNamedActivity, heartbeatNamedActivity, type ActivityEnd, type NamedActivity } from './workflow-object/activity-changes.js';
import { askQuery } from './workflow-object/consistent-query.js';
import { readHistory, waitForCloseEvent } from './workflow-object/history-pages.js';
import { HistoryWaiters } from './workflow-object/history-waiters.js';
import { wireParts, type WorkflowObjectHost, type WorkflowParts } from './workflow-object/parts.js';
import { priorAnswer, requestKey, type RequestKey } from './workflow-object/request-ids.js';
import { meterRpcMethods, meteredEnv, usageMeterOf } from './cost/metered-object.js';
import type { HostStorage } from './workflow-object/host-storage.js';
import { runCost, runUnits } from './cost/run-cost.js';
import type { UsageMeter } from './cost/usage-meter.js';
import { ProvisionalWorkflow, provisionalMs, sayingMemory } from './workflow-object/provisional.js';

/** The options of `mutate` for a run's own worker's exchanges: a provisional workflow stays held (src/workflow-object/provisional.ts). */
const KEEPS_PROVISIONAL = { provisional: 'keep' } as const;

export class WorkflowHost {
  private readonly store: WorkflowStore;
  /** The env with this workflow's meter (src/cost): what it calls through it is counted. */
  readonly env: Env;
  /** Long polls waiting for their run to change. */
  private readonly waiters = new HistoryWaiters(() => this.timeSkipper.check());
  private readonly historyDeps = () => ({ store: this.store, clock: this.clock, waiters: this.waiters, workflowId: this.names.workflowId });
  /** The time every state change is computed at; tests move it. */
  readonly clock = new Clock();
  /** This object's billable units, counted as they happen (src/cost). */
  readonly usage: UsageMeter;
  // The parts (src/workflow-object/parts.ts), assigned in the constructor.
  declare private readonly queries: WorkflowParts['queries'];
  declare private readonly alarms: WorkflowParts['alarms'];
  declare private readonly tasks: WorkflowParts['tasks'];
  declare private readonly payloads: WorkflowParts['payloads'];
  declare private readonly deadPolls: WorkflowParts['deadPolls'];
  declare private readonly timeSkipper: WorkflowParts['timeSkipper'];
  declare private readonly updates: WorkflowParts['updates'];
  declare private readonly stickyHandOver: WorkflowParts['stickyHandOver'];
  declare private readonly taskOffer: WorkflowParts['taskOffer'];
  declare readonly visibility: WorkflowParts['visibility'];
  declare readonly calls: WorkflowParts['calls'];
  declare readonly deletion: WorkflowParts['deletion'];
  /** A run started provisionally, kept in memory while its own worker runs it (src/workflow-object/provisional.ts). */
  private readonly provisional: ProvisionalWorkflow;

  /** @param name the [namespace, workflow id] JSON of the workflow, when its object knows it (else read from storage, where each new run writes it); `shard`: its shard's waiting polls, wakes and memory's id. */
  constructor(private readonly storage: HostStorage, env: Env, private readonly name: string | undefined, private readonly shard?: WorkflowObjectHost['shard']) {
    this.env = meteredEnv(env);
    this.usage = usageMeterOf(this.env);
    this.usage.watch(storage.sql);
    this.store = new WorkflowStore(storage, this.usage, storage.scope, storage.tables);
    this.listCheckDue = storage.scope !== '' && !this.store.foundEmpty;
    this.provisional = new ProvisionalWorkflow(this.store, provisionalMs(env), () => this.writeProvisional());
    if (timeSkippingEnabled(env.KEEL_TIME_SKIPPING)) {
      // A clock moved forward stays moved when the object is evicted or the service restarts.
      const offset = this.store.meta('clockOffsetMs');
      if (offset) this.clock.advance(Number(offset));
    }
    Object.assign(this, wireParts({ storage, shard, env, meteredEnv: this.env, store: this.store, clock: this.clock, waiters: this.waiters, names: () => this.names, mutate: (fn) => this.mutate(fn), advanceTime: (ms) => this.advanceTime(ms), settleCall: (id, call, result) => this.settleCall(id, call, result) }));
  }

  private cachedNames: { namespace: string; workflowId: string } | undefined;
  /** In a shard, until this workflow's first change: its running run's list entry may have been lost with the memory that held it (shard-store.ts). */
  private listCheckDue: boolean;

  /**
   * The [namespace, workflow id] of this workflow. workerd gives an object its name when reached through
   * `idFromName`, not when its alarm starts it (cloudflare/workerd#6850): so each new run stores it too.
   */
  get names() {
    this.cachedNames ??= parseWorkflowName(this.name ?? this.store.meta('name'));
    return this.cachedNames;
  }

  /** The workflow's stored bytes: counted from memory when the store can (`WorkflowStore.storedBytes`), else by SQL. */
  private get storedBytes(): number {
    return this.store.storedBytes() ?? this.storage.sql.databaseSize;
  }

  /** Nothing waits in memory for this workflow (long polls, queries, update validations): a shard may drop it. */
  get quiet(): boolean {
    return this.waiters.size === 0 && this.queries.idle && this.updates.idle && this.visibility.settled && !this.provisional.held;
  }

  /** A provisional workflow is written now (with its alarm), in a change of its own; else nothing happens. */
  writeProvisional(): void {
    if (this.provisional.held) this.mutate(() => undefined, undefined, { alwaysScheduleAlarm: true });
  }

  // ---- The one way state changes --------------------------------------------------

  /**
   * Runs one engine change and writes all of it in a single transaction: events, run rows, outbox
   * rows, the request record and the alarm (design invariant 1). A throw leaves storage untouched.
   * `provisional`: 'begin' for a provisional start, whose workflow may then be held in memory;
   * 'keep' for its own worker's exchanges, which leave it held. Any other change writes it first.
   */
  private mutate<T>(fn: (tx: Txn) => T, request?: RequestKey, options: { alwaysScheduleAlarm?: boolean; provisional?: 'begin' | 'keep' } = {}): T {
    const prior = priorAnswer<T>(this.store, request);
    if (prior) return prior.answer;
    const tx = new Txn(this.store, this.clock.now());
    let result!: T;
    let wrote = false;
    let held: ReturnType<WorkflowStore['writeHeldRows']>;
    try {
      this.storage.transactionSync(() => {
        if (this.provisional.held && options.provisional !== 'keep') held = this.store.writeHeldRows();
        if (this.listCheckDue) relistLostStart(tx, this.visibility);
        result = fn(this.taskOffer.prepare(tx));
        enforceHistoryLimit(tx);
        // A change that changes nothing (USE_EXISTING, a stale task) writes nothing, not
        // even the alarm. The alarm handler always reschedules: its alarm is used up.
        if (!tx.changed && !request?.requestId && !options.alwaysScheduleAlarm && !held) return;
        if (options.provisional === 'begin') this.provisional.begin(tx.now);
        const summaries = () => { for (const runId of tx.visibilityChanged) this.visibility.enqueue({ ...summarize(tx.loadRun(runId)!), units: runUnits(this.store, this.usage, runId, this.storedBytes) }, tx.now, runId === tx.newCurrentRunId); };
        wrote = true;
        this.store.write(tx, this.name, request?.requestId ? { requestId: request.requestId, fingerprint: request.fingerprint, response: JSON.stringify(result ?? null) } : undefined, summaries);
        for (const call of tx.calls) this.calls.enqueue(call, tx.now);
        if (this.provisional.held && !this.provisional.keeps(tx)) this.store.writeHeldRows();
        // A provisional workflow sets no alarm: it is written, alarm and all, by the end of its hold.
        if (!this.provisional.held) this.alarms.schedule(tx);
      });
    } catch (err) {
      // Storage rolled back; what the store holds of it in memory goes too.
      this.store.rolledBack(wrote, held);
      this.provisional.settle(tx.now);
      this.visibility.changeEnded(false);
      throw err;
    }
    this.visibility.changeEnded(true);
    this.provisional.settle(tx.now);
    this.listCheckDue = false;
    if (tx.events.length > 0) this.waiters.wake(tx.events);
    if (tx.lostHandOffs.length > 0) this.deadPolls.end(tx.lostHandOffs);
    if (tx.dispatches.length > 0 || tx.visibilityChanged.size > 0) void this.deliverOutbox();
    if (tx.offeredWorkflowTask) void this.taskOffer.send(tx.offeredWorkflowTask);
    if (tx.calls.length > 0) void this.calls.deliverDue();
    this.timeSkipper.check();
    this.deletion.closed(tx.runs.values());
    return result;
  }

  async alarm(info?: AlarmInvocationInfo): Promise<void> {
    // A running alarm is used up: whatever is set next must be written.
    this.alarms.usedUp();
    // workerd retries an alarm whose handler threw (with back-off, up to six times): say so, since
    // it means the previous run failed part-way (its transaction rolled back).
    if (info?.isRetry) console.warn(`keel: alarm of workflow '${this.names.workflowId}' retried (retry ${info.retryCount}) after it failed`);
    await this.deletion.sweep();
    const now = this.clock.now();
    this.store.expireRequests(now);
    const heardFrom = await this.deadPolls.workersHeardFrom(this.store, now);
    const claimed = this.mutate((tx) => this.stickyHandOver.fireDue(tx, heardFrom), undefined, { alwaysScheduleAlarm: true });
    await Promise.all([this.deliverOutbox(), this.calls.deliverDue(), claimed && this.stickyHandOver.send(claimed)]);
    await this.deletion.dropIfEmpty();
  }

  /** Hands every due task (src/workflow-object/task-outbox.ts) and run summary on, each retried by the alarm when it fails. */
  async deliverOutbox(): Promise<void> {
    // A task taken back from a dead poll waits until that worker's other polls are ended, or the
    // queue would hand it straight to one of them.
    if (this.deadPolls.ending) await this.deadPolls.ending;
    const [tasks, summaries] = await Promise.all([this.tasks.deliverDue(), this.visibility.deliverDue()]);
    // The transaction that wrote the rows set the alarm to re-deliver them in case this
    // hand-off failed; with every row delivered, the alarm goes back to what the run waits for
    // (a task's start usually did that already, in its own transaction: then nothing is written).
    if (this.tasks.idle && (tasks > 0 || summaries > 0) && this.store.outboxIsEmpty() && this.visibility.settled) {
      this.alarms.schedule(new Txn(this.store, this.clock.now()));
    }
  }

  // ---- RPC: executions --------------------------------------------------------------

  /** Starts a run; its first workflow task comes back started with `requestEagerExecution` (eager workflow start), else its close event with `waitForClose`. */
  start(req: ParsedRequestOf<'startWorkflow'>): Promise<Outcome<ResponseOf<'startWorkflow'>>> {
    return outcome(async () => {
      // The token is what the request record keeps: a retried start rebuilds the same task.
      const { claimed, ...answer } = this.mutate((tx) => {
        if (req.requestEagerExecution) tx.workflowTaskClaim = { taskQueue: req.taskQueue, identity: req.identity };
        else this.taskOffer.claim(tx, req.taskQueue);
        tx.acknowledgesAnswer = req.acknowledgesHandOff === true;
        return { ...startWorkflow(tx, this.names.namespace, req, crypto.randomUUID()), claimed: tx.claimedWorkflowTask };
      }, requestKey('start', req), { provisional: req.provisional ? 'begin' : undefined });
      // Said in the answer: the run is in memory only until it closes (provisional.ts).
      const provisional = this.provisional.held && this.shard ? { provisional: this.shard.memory } : {};
      const task = claimed ? await this.payloads.claimedWorkflowTask(claimed) : undefined;
      if (task) return { ...answer, ...provisional, eagerWorkflowTask: task };
      // A wait for the close ends with the run written (or, were it lost, with no answer: the caller's start is sent again).
      return req.waitForClose ? { ...answer, ...(await waitForCloseEvent(this.historyDeps(), answer.runId, this.clock.now() + longPollMs(this.env))) } : { ...answer, ...provisional };
    });
  }

  signalWithStart(req: ParsedRequestOf<'signalWithStartWorkflow'>): Promise<Outcome<ResponseOf<'signalWithStartWorkflow'>>> {
    return outcome(() => this.mutate((tx) => signalWithStart(this.taskOffer.claim(tx, req.taskQueue), this.names.namespace, this.names.workflowId, req, crypto.randomUUID()), requestKey('signalWithStart', req)));
  }

  describe(req: ParsedRequestOf<'describeWorkflow'>): Promise<Outcome<ResponseOf<'describeWorkflow'>>> {
    return outcome(() => {
      this.writeProvisional();
      const run = resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, req.runId);
      return { ...describeRun(run), cost: runCost(this.store, this.usage, run.runId, this.storedBytes) };
    });
  }

  /** DeleteWorkflowExecution: the run is terminated first if it is running, then deleted (src/retention.ts). */
  deleteRun(req: ParsedRequestOf<'deleteWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(async () => {
      const runId = this.mutate((tx) => terminateBeforeDeletion(tx, this.names.workflowId, req));
      await this.deletion.deleteNow(runId, () => Promise.all([this.deliverOutbox(), this.calls.deliverDue()]));
      return {};
    });
  }

  signal(req: ParsedRequestOf<'signalWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => this.mutate((tx) => (signalWorkflow(tx, resolveRun(tx, this.names.workflowId, req.runId), req.signalName, req.input, req.identity, req.header), {}), requestKey('signal', req)));
  }

  requestCancel(req: ParsedRequestOf<'requestCancelWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => this.mutate((tx) => (requestCancelWorkflow(tx, resolveRun(tx, this.names.workflowId, req.runId), req.reason, req.identity), {}), requestKey('cancel', req)));
  }

  terminate(req: ParsedRequestOf<'terminateWorkflow'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => this.mutate((tx) => (terminateRun(tx, resolveRun(tx, this.names.workflowId, req.runId), req.reason, req.details, req.identity), {}), requestKey('terminate', req)));
  }

  reset(req: ParsedRequestOf<'resetWorkflow'>): Promise<Outcome<ResponseOf<'resetWorkflow'>>> {
    return outcome(() => this.mutate((tx) => resetWorkflow(tx, this.names.workflowId, req), requestKey('reset', req)));
  }

  /** A page of history, or a long poll for the next event or the close (src/workflow-object/history-pages.ts). */
  history(req: ParsedRequestOf<'getWorkflowHistory'>): Promise<Outcome<ResponseOf<'getWorkflowHistory'>>> {
    return outcome(() => {
      // A wait for the close (a result) shows nothing of a provisional run before it is written, and its
      // not-found says which memory looked; any other read writes a provisional run first.
      const read = () => readHistory(this.historyDeps(), req, this.clock.now() + longPollMs(this.env));
      if (req.closeEventOnly && req.waitNewEvent) return sayingMemory(this.shard?.memory, read);
      this.writeProvisional();
      return read();
    });
  }


  /**
   * Local test services only (the router checks KEEL_TIME_SKIPPING): moves this workflow's
   * clock forward by `byMs` and does at once what the alarm would do at the new time — fire
   * timers, time out activities — so a test skips a month-long sleep instead of waiting.
   */
  advanceTime(byMs: number): Promise<Outcome<ResponseOf<'advanceWorkflowTime'>>> {
    return outcome(async () => {
      this.timeSkipper.moveClock(byMs, this.names.workflowId);
      await this.deletion.sweep(true);
      await this.alarm();
      return { now: new Date(this.clock.now()).toISOString() };
    });
  }

  // ---- RPC: calls from other workflows -----------------------------------------------

  /** Starts a child workflow for its parent; the parent's request id makes a repeat answer the first answer. */
  startChild(req: ChildStartRequest): Promise<Outcome<ResponseOf<'startWorkflow'>>> {
    const { parent, ...start } = req;
    return outcome(() => this.mutate((tx) => startWorkflow(this.taskOffer.claim(tx, start.taskQueue), this.names.namespace, start, crypto.randomUUID(), undefined, undefined, parent), requestKey('startChild', req)));
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
    this.mutate((tx) => (this.calls.remove(id), result && recordCallResult(tx, call, result)), undefined, { alwaysScheduleAlarm: true });
  }

  // ---- RPC: tasks -------------------------------------------------------------------

  /** Called by a closed sticky queue for a workflow task sent to it (or held for its worker): the task moves to the normal queue. */
  releaseStickyTask(ref: TaskRef, stickyQueue: string): void {
    this.mutate((tx) => releaseStickyTask(tx, tx.loadRun(ref.runId), ref, stickyQueue));
  }

  /**
   * Called by a task queue before it gives a task to a worker: records the task as
   * started and returns everything the worker needs, or null when the task is stale
   * (completed, retried, moved to another queue, or its run closed).
   */
  async startTask(ref: TaskRef, identity: string | undefined, fromQueue: string, poller?: Poller): Promise<StartedTask | null> {
    if (ref.kind === 'query') return this.startQueryTask(ref, fromQueue, poller?.acknowledges);
    const started = this.mutate((tx) => {
      this.tasks.consumeAtStart(ref);
      return startPolledTask(tx, ref, identity, fromQueue, poller);
    }, undefined, KEEPS_PROVISIONAL);
    return started ? this.payloads.forStart(started) : null;
  }

  /** Completes a workflow task; answers with the activities its commands started eagerly for the caller. */
  completeWorkflowTask(token: TaskTokenData, req: ParsedRequestOf<'completeWorkflowTask'>): Promise<Outcome<ResponseOf<'completeWorkflowTask'>>> {
    return outcome(async () => {
      // The refs are what the request record keeps: a retried completion rebuilds the same tasks.
      const { eager, historyEnd } = this.mutate((tx) => {
        tx.acknowledgesAnswer = req.acknowledgesHandOff === true;
        completeWorkflowTask(tx, tx.loadRun(token.runId), token, req);
        return { eager: tx.eagerActivities, ...(req.speculates ? historyEndOf(tx, tx.loadRun(token.runId)) : {}) };
      }, requestKey('completeWorkflowTask', req), KEEPS_PROVISIONAL);
      const activityTasks = await this.payloads.eagerActivityTasks(eager);
      return { ...(activityTasks.length > 0 ? { activityTasks } : {}), ...(historyEnd ? { historyEnd } : {}) };
    });
  }

  /** Protocol 2: the worker has the task (hand-off.ts); TASK_NOT_FOUND when it already went back to its queue. */
  acknowledgeTask(token: TaskTokenData, identity?: string): Promise<Outcome<Record<string, never>>> {
    if (token.kind === 'query') return outcome(() => (this.queries.acknowledge(token.queryId ?? ''), {}));
    return outcome(() => this.mutate((tx) => (acknowledgeTask(tx, tx.loadRun(token.runId), token, identity), {}), undefined, KEEPS_PROVISIONAL));
  }

  failWorkflowTask(token: TaskTokenData, req: ParsedRequestOf<'failWorkflowTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => this.mutate((tx) => (failWorkflowTask(tx, tx.loadRun(token.runId), token, req), {}), undefined, KEEPS_PROVISIONAL));
  }

  heartbeatActivityTask(token: TaskTokenData, req: ParsedRequestOf<'heartbeatActivityTask'>): Promise<Outcome<ResponseOf<'heartbeatActivityTask'>>> {
    return outcome(() => this.mutate((tx) => heartbeatNamedActivity(tx, { token }, req.details, undefined), undefined, KEEPS_PROVISIONAL));
  }

  /** Completes an activity; a caller holding the run gets the workflow task this causes, started, or written as it speculated it (src/engine/speculative-task.ts). */
  completeActivityTask(token: TaskTokenData, req: ParsedRequestOf<'completeActivityTask'>): Promise<Outcome<ResponseOf<'completeActivityTask'>>> {
    return outcome(async () => this.payloads.activityCompletionAnswer(this.mutate((tx) => completeActivityTask(tx, token, req), requestKey('completeActivityTask', req), KEEPS_PROVISIONAL)));
  }

  failActivityTask(token: TaskTokenData, req: ParsedRequestOf<'failActivityTask'>): Promise<Outcome<Record<string, never>>> {
    return this.endActivity({ token }, { how: 'fail', failure: req.failure, lastHeartbeatDetails: req.lastHeartbeatDetails }, req, 'failActivityTask');
  }

  cancelActivityTask(token: TaskTokenData, req: ParsedRequestOf<'cancelActivityTask'>): Promise<Outcome<Record<string, never>>> {
    return this.endActivity({ token }, { how: 'cancel', details: req.details }, req, 'cancelActivityTask');
  }

  // ---- RPC: activities by workflow id + activity id (asynchronous completion) ---------

  heartbeatActivityById(activityId: string, req: ParsedRequestOf<'heartbeatActivityById'>): Promise<Outcome<ResponseOf<'heartbeatActivityById'>>> {
    return outcome(() => this.mutate((tx) => heartbeatNamedActivity(tx, { workflowId: this.names.workflowId, runId: req.runId, activityId }, req.details, req.identity)));
  }

  completeActivityById(activityId: string, req: ParsedRequestOf<'completeActivityById'>): Promise<Outcome<Record<string, never>>> {
    return this.endActivity({ workflowId: this.names.workflowId, runId: req.runId, activityId }, { how: 'complete', result: req.result }, req, `completeActivityById:${activityId}`);
  }

  failActivityById(activityId: string, req: ParsedRequestOf<'failActivityById'>): Promise<Outcome<Record<string, never>>> {
    return this.endActivity({ workflowId: this.names.workflowId, runId: req.runId, activityId }, { how: 'fail', failure: req.failure, lastHeartbeatDetails: req.lastHeartbeatDetails }, req, `failActivityById:${activityId}`);
  }

  cancelActivityById(activityId: string, req: ParsedRequestOf<'cancelActivityById'>): Promise<Outcome<Record<string, never>>> {
    return this.endActivity({ workflowId: this.names.workflowId, runId: req.runId, activityId }, { how: 'cancel', details: req.details }, req, `cancelActivityById:${activityId}`);
  }

  /** Ends an activity attempt in one change, recorded under the request's id. */
  private endActivity(named: NamedActivity, end: ActivityEnd, req: { requestId?: string; identity?: string }, endpoint: string): Promise<Outcome<Record<string, never>>> {
    // By token: the run's own worker (a provisional run stays held); by id: anyone.
    return outcome(() => this.mutate((tx) => (endNamedActivity(tx, named, end, req.identity), {}), requestKey(endpoint, req), 'token' in named ? KEEPS_PROVISIONAL : {}));
  }

  // ---- RPC: queries -------------------------------------------------------------------

  /** A query, answered by a worker within the long-poll limit; nothing is written (src/workflow-object/consistent-query.ts). */
  query(req: ParsedRequestOf<'queryWorkflow'>): Promise<Outcome<ResponseOf<'queryWorkflow'>>> {
    return outcome(() => {
      this.writeProvisional();
      return askQuery({ store: this.store, clock: this.clock, waiters: this.waiters, queries: this.queries }, resolveRun(new Txn(this.store, this.clock.now()), this.names.workflowId, req.runId), req, this.clock.now() + longPollMs(this.env));
    });
  }

  private async startQueryTask(ref: TaskRef, fromQueue: string, acknowledges?: boolean): Promise<StartedTask | null> {
    const q = this.queries.start(ref.queryId ?? '', fromQueue, acknowledges);
    const run = q && this.store.loadRun(ref.runId);
    return run ? { kind: 'workflow', task: await this.payloads.queryTask(run, ref, q, this.clock.now()) } : null;
  }

  // ---- RPC: updates -------------------------------------------------------------------

  /** An update: validated by a worker, accepted in one transaction, waited for (src/workflow-object/updates-in-flight.ts). */
  update(req: ParsedRequestOf<'updateWorkflow'>): Promise<Outcome<ResponseOf<'updateWorkflow'>>> {
    return outcome(() => this.updates.run(req, this.clock.now() + longPollMs(this.env)));
  }

  /** Update-with-start: the start (or USE_EXISTING's choice of run) is one transaction under the start's request id; then the update goes to that run as `update` sends it. */
  updateWithStart(req: ParsedRequestOf<'updateWithStartWorkflow'>): Promise<Outcome<ResponseOf<'updateWithStartWorkflow'>>> {
    return outcome(async () => {
      const deadline = this.clock.now() + longPollMs(this.env);
      const { runId, started } = this.mutate((tx) => startWorkflow(tx, this.names.namespace, { ...req.start, workflowId: this.names.workflowId }, crypto.randomUUID()), requestKey('updateWithStart', req.start));
      const update = await this.updates.run({ ...req.update, runId }, deadline);
      return { runId, started, update };
    });
  }

  /** Waits (long poll) for an accepted update to reach a stage; the answer carries its outcome once completed. */
  pollUpdate(updateId: string, req: ParsedRequestOf<'pollWorkflowUpdate'>): Promise<Outcome<ResponseOf<'pollWorkflowUpdate'>>> {
    return outcome(() => {
      this.writeProvisional();
      return this.updates.poll(updateId, req.runId, req.waitForStage, this.clock.now() + longPollMs(this.env));
    });
  }

  respondQueryTask(token: TaskTokenData, req: ParsedRequestOf<'respondQueryTask'>): Promise<Outcome<Record<string, never>>> {
    return outcome(() => (this.queries.answer(token.queryId ?? '', req), {}));
  }
}

meterRpcMethods(WorkflowHost);
