// Owns each workflow operation as one exchange (or loop of exchanges) with the service: the
// request it sends, the payloads it encodes and decodes on the way, and the errors it maps.
// `WorkflowClient` and `WorkflowHandle` are thin façades over it.
import type { HistoryEvent, RequestOf, ResponseOf } from '../../protocol/index.js';
import { CLOSE_EVENT_TYPES } from '../../protocol/index.js';
import {
  WorkflowNotFoundError,
  composeInterceptors,
  decodeOptionalSinglePayload,
  encodeMapToPayloads,
  encodeToPayloads,
  type LoadedDataConverter,
} from '../common/index.js';
import type { ConnectionLike } from './connection.js';
import type { Headers, Next, WorkflowClientInterceptor, WorkflowStartInput } from './interceptors.js';
import { toWorkflowExecutionDescription } from './describe.js';
import { mapServiceErrors } from './error-mapping.js';
import type { History, WorkflowExecutionDescription } from './types.js';
import { compileWorkflowOptions, dropUndefined, type CompiledWorkflowOptions, type WorkflowStartOptions } from './workflow-options.js';
import { interpretCloseEvent } from './workflow-result.js';
import { toTemporalHistory } from './history-json.js';
import { WorkflowUpdates } from './workflow-update.js';
import { reserveLocalWorker } from './local-workers.js';

/** A workflow and optionally one of its runs; without `runId`, the latest run. */
export interface WorkflowTarget {
  workflowId: string;
  runId?: string;
}

/** Everything an operation needs besides its arguments. */
export interface WorkflowOperationsContext {
  connection: ConnectionLike;
  namespace: string;
  dataConverter: LoadedDataConverter;
  identity: string;
  queryRejectCondition?: 'NONE' | 'NOT_OPEN' | 'NOT_COMPLETED_CLEANLY';
  /** The client's interceptors (`interceptors.workflow`), the first outermost. */
  interceptors?: readonly WorkflowClientInterceptor[];
}

/** The workflow operations of one namespace, with one data converter and identity. */
export class WorkflowOperations {
  private updateCalls: WorkflowUpdates | undefined;

  constructor(private readonly context: WorkflowOperationsContext) {}

  /** The update calls, with the same connection, converter and identity. */
  public get updates(): WorkflowUpdates {
    this.updateCalls ??= new WorkflowUpdates(this.context);
    return this.updateCalls;
  }

  /** Runs `method`'s interceptors around `call`. */
  private intercept<M extends keyof WorkflowClientInterceptor>(method: M, call: Next<WorkflowClientInterceptor, M>): Next<WorkflowClientInterceptor, M> {
    return composeInterceptors<WorkflowClientInterceptor, M>(this.context.interceptors ?? [], method, call);
  }

  /**
   * Starts a run; answers its run id, whether it was started (false: USE_EXISTING found one
   * running) and whether its first workflow task went straight to a Worker here (eager start).
   * With `waitForClose` (execute), the service holds the answer until the run closes and it brings
   * the close event: one exchange for start and result. Not with an eager start (the answer brings
   * the task to run), nor with interceptors, whose `start` returns once the run has started.
   */
  public async start(workflowType: string, options: WorkflowStartOptions, waitForClose = false): Promise<{ runId: string; started: boolean; eagerlyStarted: boolean; closeEvent?: HistoryEvent; provisional?: string }> {
    const { dataConverter, identity, connection, namespace } = this.context;
    let started = true;
    let eagerlyStarted = false;
    let closeEvent: HistoryEvent | undefined;
    let provisional: string | undefined;
    waitForClose &&= (this.context.interceptors ?? []).length === 0;
    const runId = await this.intercept('start', async (input) => {
      // Built in one fresh object (the interceptors' input is left as it was): every start makes one.
      const compiled = withoutArgsAndMemo(input.options);
      const request = compiled as RequestOf<'startWorkflow'>;
      request.workflowType = input.workflowType;
      request.input = await encodeToPayloads(dataConverter, ...input.options.args);
      if (input.options.memo) request.memo = await encodeMapToPayloads(dataConverter, input.options.memo);
      const header = headerField(input.headers);
      if (header) request.header = header;
      request.identity = identity;
      // Asked only while a Worker here can take the task: its slot is held until the answer comes.
      const eager = options.requestEagerStart ? reserveLocalWorker(connection, namespace, compiled.taskQueue) : undefined;
      let answer: ResponseOf<'startWorkflow'>;
      // Execute shows the start to no one before the result: the service may hold the run in memory till then (protocol 9).
      if (waitForClose) request.provisional = true;
      try {
        if (eager) {
          request.requestEagerExecution = true;
          request.acknowledgesHandOff = true;
        } else if (waitForClose) request.waitForClose = true;
        answer = await this.call({ workflowId: input.options.workflowId, workflowType }, 'startWorkflow', request);
      } catch (err) {
        eager?.release();
        throw err;
      }
      const { eagerWorkflowTask } = answer;
      if (eager && eagerWorkflowTask) eager.worker.run(eagerWorkflowTask, eager.release);
      else eager?.release();
      eagerlyStarted = !!(eager && eagerWorkflowTask);
      started = answer.started;
      closeEvent = answer.closeEvent;
      provisional = answer.provisional;
      return answer.runId;
    })({ workflowType, headers: {}, options: startInputOptions(options) });
    return { runId, started, eagerlyStarted, ...(provisional ? { provisional } : {}), ...(closeEvent ? { closeEvent } : {}) };
  }

  /** The request that starts a run of `workflowType` with `options`, its payloads encoded. */
  private async startRequest(workflowType: string, options: WorkflowStartOptions): Promise<RequestOf<'startWorkflow'>> {
    const { dataConverter, identity } = this.context;
    return dropUndefined({
      ...compileWorkflowOptions(options),
      workflowType,
      input: await encodeToPayloads(dataConverter, ...((options.args ?? []) as unknown[])),
      memo: options.memo ? await encodeMapToPayloads(dataConverter, options.memo) : undefined,
      identity,
    });
  }

  /**
   * Update-with-start in one call: the service starts the run (or takes the running one, per the
   * conflict policy) and sends it the update; then the update is polled until it reaches `stage`.
   */
  public async updateWithStart(
    workflowType: string,
    options: WorkflowStartOptions,
    updateName: string,
    update: { args?: unknown[]; updateId?: string },
    stage: 'ACCEPTED' | 'COMPLETED',
  ): Promise<ResponseOf<'updateWithStartWorkflow'>> {
    const { workflowId, workflowIdConflictPolicy, ...start } = await this.startRequest(workflowType, options);
    if (!workflowIdConflictPolicy) throw new TypeError('WithStartWorkflowOperation: workflowIdConflictPolicy is required (USE_EXISTING, FAIL or TERMINATE_EXISTING), as in Temporal');
    const request: RequestOf<'updateWithStartWorkflow'> = {
      start: { ...start, workflowIdConflictPolicy },
      update: dropUndefined({
        updateId: update.updateId ?? crypto.randomUUID(),
        name: updateName,
        args: await encodeToPayloads(this.context.dataConverter, ...(update.args ?? [])),
        waitForStage: stage,
        identity: this.context.identity,
      }),
    };
    const answer = await this.call({ workflowId, workflowType }, 'updateWithStartWorkflow', request, workflowId);
    if (answer.update.stage === 'COMPLETED' || stage === 'ACCEPTED') return answer;
    return { ...answer, update: await this.updates.poll({ workflowId, runId: answer.runId }, answer.update.updateId, stage) };
  }

  /**
   * Waits for the run to close and returns its decoded result; see {@link interpretCloseEvent}
   * for failures and for following later runs.
   *
   * Each wait is a long poll for the close event only; an empty answer (the poll's ~20 s passed)
   * is asked again with the token it gave. The run is pinned after the first answer, so a
   * handle without run id keeps waiting for the run that was latest when it started waiting.
   * `closed`: the close event of `target.runId`, already known (a start that waited for it).
   */
  public async result(target: WorkflowTarget, followRuns: boolean, closed?: HistoryEvent): Promise<unknown> {
    let runId = target.runId;
    let nextPageToken: string | undefined;
    for (;;) {
      let close = closed;
      closed = undefined;
      if (!close) {
        const answer = await this.call({ workflowId: target.workflowId, runId }, 'getWorkflowHistory', dropUndefined({ runId, nextPageToken, waitNewEvent: true, closeEventOnly: true }), target.workflowId);
        runId ??= answer.runId;
        // A long poll that saw nothing may answer an empty 200 (no `events` at all). The close
        // event is always a run's last; be lenient about anything before it.
        close = findCloseEvent(answer.events ?? []);
        nextPageToken = answer.nextPageToken;
      }
      if (close === undefined) continue;
      const outcome = await interpretCloseEvent(close, this.context.dataConverter, followRuns);
      if (outcome.type === 'result') return outcome.value;
      runId = outcome.runId;
      nextPageToken = undefined;
    }
  }

  /**
   * Signal-with-start in one call: the service signals the running run, or starts one with these
   * options and signals it, atomically.
   */
  public async signalWithStart(
    workflowType: string,
    options: WorkflowStartOptions,
    signalName: string,
    signalArgs: unknown[],
  ): Promise<ResponseOf<'signalWithStartWorkflow'>> {
    const { dataConverter, identity } = this.context;
    if (options.workflowIdConflictPolicy === 'FAIL') {
      throw new TypeError("signalWithStart does not take workflowIdConflictPolicy 'FAIL': it signals a running workflow (USE_EXISTING) or replaces it (TERMINATE_EXISTING)");
    }
    let started = false;
    const runId = await this.intercept('signalWithStart', async (input) => {
      const { workflowId } = input.options;
      // Temporal records the one header on both the start and the signal.
      const header = headerField(input.headers);
      const { workflowId: _inPath, ...compiled } = withoutArgsAndMemo(input.options);
      const request: RequestOf<'signalWithStartWorkflow'> = dropUndefined({
        ...compiled,
        workflowIdConflictPolicy: compiled.workflowIdConflictPolicy as Exclude<CompiledWorkflowOptions['workflowIdConflictPolicy'], 'FAIL'>,
        workflowType: input.workflowType,
        input: await encodeToPayloads(dataConverter, ...input.options.args),
        memo: input.options.memo ? await encodeMapToPayloads(dataConverter, input.options.memo) : undefined,
        header,
        signalName: input.signalName,
        signalInput: await encodeToPayloads(dataConverter, ...input.signalArgs),
        signalHeader: header,
        identity,
      });
      const answer = await this.call({ workflowId, workflowType }, 'signalWithStartWorkflow', request, workflowId);
      started = answer.started;
      return answer.runId;
    })({ workflowType, signalName, signalArgs, headers: {}, options: startInputOptions(options) });
    return { runId, started };
  }

  /** Sends a signal with its encoded arguments. */
  public async signal(target: WorkflowTarget, signalName: string, args: unknown[]): Promise<void> {
    await this.intercept('signal', async ({ workflowExecution, signalName, args, headers }) => {
      const input = await encodeToPayloads(this.context.dataConverter, ...args);
      const request = dropUndefined({ runId: workflowExecution.runId, signalName, input, header: headerField(headers), identity: this.context.identity });
      await this.call(workflowExecution, 'signalWorkflow', request, workflowExecution.workflowId);
    })({ signalName, args, workflowExecution: { ...target }, headers: {} });
  }

  /** Queries the workflow through a worker and decodes the answer. */
  public async query(target: WorkflowTarget, queryType: string, args: unknown[]): Promise<unknown> {
    return this.intercept('query', async ({ workflowExecution, queryType, args, queryRejectCondition, headers }) => {
      const queryArgs = await encodeToPayloads(this.context.dataConverter, ...args);
      const request = dropUndefined({ runId: workflowExecution.runId, queryType, queryArgs, queryRejectCondition, header: headerField(headers) });
      const { answer } = await this.call(workflowExecution, 'queryWorkflow', request, workflowExecution.workflowId);
      return decodeOptionalSinglePayload(this.context.dataConverter, answer);
    })(dropUndefined({ queryType, args, workflowExecution: { ...target }, queryRejectCondition: this.context.queryRejectCondition, headers: {} }));
  }

  /** Requests cancellation of the run (of the chain, when `firstExecutionRunId` is given). */
  public async cancel(target: WorkflowTarget, firstExecutionRunId?: string): Promise<void> {
    await this.intercept('cancel', async ({ workflowExecution, firstExecutionRunId }) => {
      const runId = await this.runOfChain(workflowExecution, firstExecutionRunId);
      await this.call({ ...workflowExecution, runId }, 'requestCancelWorkflow', dropUndefined({ runId, identity: this.context.identity }), workflowExecution.workflowId);
    })(dropUndefined({ workflowExecution: { ...target }, firstExecutionRunId }));
  }

  /** Terminates the run (of the chain, when `firstExecutionRunId` is given). */
  public async terminate(target: WorkflowTarget, reason: string | undefined, firstExecutionRunId?: string): Promise<void> {
    await this.intercept('terminate', async ({ workflowExecution, reason, firstExecutionRunId }) => {
      const runId = await this.runOfChain(workflowExecution, firstExecutionRunId);
      await this.call({ ...workflowExecution, runId }, 'terminateWorkflow', dropUndefined({ runId, reason, identity: this.context.identity }), workflowExecution.workflowId);
    })(dropUndefined({ workflowExecution: { ...target }, reason, firstExecutionRunId }));
  }

  /** Describes the run, memo decoded. */
  public async describe(target: WorkflowTarget): Promise<WorkflowExecutionDescription> {
    return this.intercept('describe', async ({ workflowExecution }) => {
      const raw = await this.describeRaw(workflowExecution);
      return toWorkflowExecutionDescription(raw, this.context.dataConverter);
    })({ workflowExecution: { ...target } });
  }

  /** Reads every page of the run's history, payloads left encoded as on the wire. */
  public async fetchHistory(target: WorkflowTarget): Promise<History> {
    const events: HistoryEvent[] = [];
    let runId = target.runId;
    let nextPageToken: string | undefined;
    for (;;) {
      const page = await this.call({ ...target, runId }, 'getWorkflowHistory', dropUndefined({ runId, nextPageToken }), target.workflowId);
      runId ??= page.runId;
      events.push(...(page.events ?? []));
      // A running workflow's last page still has a token ("more may follow"); an empty page
      // means we have read everything there is now.
      if (!page.nextPageToken || !page.events?.length) return toTemporalHistory(events);
      nextPageToken = page.nextPageToken;
    }
  }

  /** One page of the runs a list filter matches (payloads still encoded). */
  public listPage(query: string | undefined, pageSize: number | undefined, nextPageToken: string | undefined): Promise<ResponseOf<'listWorkflows'>> {
    return this.context.connection.call('listWorkflows', dropUndefined({ query, pageSize, nextPageToken }), { namespace: this.context.namespace });
  }

  /** How many runs a list filter matches (grouped, with `GROUP BY ExecutionStatus` in it). */
  public count(query: string | undefined): Promise<ResponseOf<'countWorkflows'>> {
    return this.context.connection.call('countWorkflows', dropUndefined({ query }), { namespace: this.context.namespace });
  }

  /** The data converter payloads are decoded with. */
  public get dataConverter(): LoadedDataConverter {
    return this.context.dataConverter;
  }

  private describeRaw(target: WorkflowTarget): Promise<ResponseOf<'describeWorkflow'>> {
    return this.call(target, 'describeWorkflow', dropUndefined({ runId: target.runId }), target.workflowId);
  }

  /**
   * The run that `cancel`/`terminate` should act on. Temporal sends `firstExecutionRunId` and
   * the service refuses a run of another chain; Keel's protocol has no such field, so the client
   * checks the latest run's chain itself and then names that run, so that a handle kept from an
   * old `start` cannot stop an unrelated workflow that reuses the id.
   */
  private async runOfChain(target: WorkflowTarget, firstExecutionRunId: string | undefined): Promise<string | undefined> {
    if (target.runId !== undefined || firstExecutionRunId === undefined) return target.runId;
    const latest = await this.describeRaw(target);
    if (latest.firstRunId !== firstExecutionRunId) {
      throw new WorkflowNotFoundError(
        `Workflow '${target.workflowId}' has no run in the chain started by run '${firstExecutionRunId}' (its latest run belongs to the chain of '${latest.firstRunId}')`,
        target.workflowId,
        undefined,
      );
    }
    return latest.execution.runId;
  }

  private call<E extends Parameters<ConnectionLike['call']>[0]>(
    errorContext: { workflowId: string; runId?: string; workflowType?: string },
    endpoint: E,
    request: RequestOf<E>,
    workflowId?: string,
  ): Promise<ResponseOf<E>> {
    const options = { namespace: this.context.namespace, params: workflowId === undefined ? undefined : { workflowId } };
    return mapServiceErrors(errorContext, () => this.context.connection.call(endpoint, request, options));
  }
}

function findCloseEvent(events: HistoryEvent[]): HistoryEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if (CLOSE_EVENT_TYPES.has(event.eventType)) return event;
  }
  return undefined;
}

/** The wire's optional `header`: absent when no interceptor set one, so old services see the same request. */
function headerField(headers: Headers): Headers | undefined {
  return Object.keys(headers).length > 0 ? headers : undefined;
}

/** What start interceptors see as `options`: the compiled options with the arguments and memo still as values. */
function startInputOptions(options: WorkflowStartOptions): WorkflowStartInput['options'] {
  // compileWorkflowOptions made a fresh object without undefined fields: add to it, no second copy.
  const input = compileWorkflowOptions(options) as WorkflowStartInput['options'];
  input.args = (options.args ?? []) as unknown[];
  if (options.memo !== undefined) input.memo = options.memo;
  return input;
}

/** A fresh copy of the start input's options without the values (`args`, `memo`) and without undefined fields. */
function withoutArgsAndMemo(options: WorkflowStartInput['options']): CompiledWorkflowOptions {
  const compiled: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (key === 'args' || key === 'memo') continue;
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) compiled[key] = value;
  }
  return compiled as CompiledWorkflowOptions;
}
