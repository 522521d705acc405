// Owns what each `keel workflow …` command does once its flags are parsed: the SDK client call
// and what it prints. Loaded only when such a command runs, so `keel dev` never pays for it.
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { HistoryEvent } from '../protocol/index.js';
import { ResetReapplyExcludeType, type ResetType } from '../protocol/enums.js';
import {
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '../sdk/client/index.js';
import { toTemporalHistory } from '../sdk/client/history-json.js';
import { connect } from './connect.js';
import { CliError, UsageError, describeError } from './errors.js';
import { formatCost } from './cost-format.js';
import type { ClientFlags } from './flags.js';
import { failureMessage, summarizeEvent } from './history-format.js';
import { formatJson, formatJsonLine, formatKeyValues, formatTable, formatTime, indent, type Io } from './output.js';
import { parseDuration, parseInputs, parseKeyValues, parsePolicy, payloadValue } from './values.js';

/** Flags that pick one workflow, and optionally one of its runs. */
export interface TargetFlags extends ClientFlags {
  workflowId: string;
  runId?: string;
}

export interface StartFlags extends ClientFlags {
  workflowId?: string;
  type: string;
  taskQueue: string;
  input?: string[];
  inputFile?: string[];
  executionTimeout?: string;
  runTimeout?: string;
  taskTimeout?: string;
  idReusePolicy?: string;
  idConflictPolicy?: string;
  memo?: string[];
  searchAttribute?: string[];
  startDelay?: string;
  cron?: string;
}

/** `keel workflow start`: starts a run and prints its ids. */
export async function start(flags: StartFlags, io: Io): Promise<void> {
  const started = await startRun(flags, connect(flags));
  if (flags.output === 'text') io.out(`Running execution:\n${formatKeyValues(startedEntries(started))}`);
  else io.out(flags.output === 'json' ? formatJson(started) : formatJsonLine(started) + '\n');
}

/** `keel workflow execute`: starts a run, waits for it to close and prints its result. */
export async function execute(flags: StartFlags, io: Io): Promise<void> {
  const connected = connect(flags);
  const started = await startRun(flags, connected);
  if (flags.output === 'text') io.out(`Running execution:\n${formatKeyValues(startedEntries(started))}\n`);
  const { client, withTimeout } = connected;
  const outcome = await awaitOutcome(() => withTimeout(() => client.workflow.result(started.workflowId, started.runId)));
  printOutcome({ ...started, ...outcome }, flags, io);
}

/** `keel workflow result`: waits for a run to close and prints its result. */
export async function result(flags: TargetFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const outcome = await awaitOutcome(() => withTimeout(() => client.workflow.result(flags.workflowId, flags.runId)));
  printOutcome({ workflowId: flags.workflowId, ...(flags.runId ? { runId: flags.runId } : {}), ...outcome }, flags, io);
}

/** `keel workflow describe`: the run's status, times and pending work. */
export async function describe(flags: TargetFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const d = await withTimeout(() => client.workflow.getHandle(flags.workflowId, flags.runId).describe());
  if (flags.output !== 'text') {
    const doc = descriptionJson(d);
    io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
    return;
  }
  io.out('Execution Info:\n');
  io.out(
    formatKeyValues([
      ['WorkflowId', d.workflowId],
      ['RunId', d.runId],
      ['Type', d.type],
      ['Namespace', flags.namespace],
      ['TaskQueue', d.taskQueue],
      ['Status', d.status.name],
      ['StartTime', formatTime(d.startTime)],
      ['ExecutionTime', d.executionTime && formatTime(d.executionTime)],
      ['CloseTime', d.closeTime && formatTime(d.closeTime)],
      ['HistoryLength', String(d.historyLength)],
      ['FirstRunId', d.firstExecutionRunId !== d.runId ? d.firstExecutionRunId : undefined],
      ['Memo', d.memo && Object.keys(d.memo).length > 0 ? formatJsonLine(d.memo) : undefined],
      ['SearchAttributes', Object.keys(d.searchAttributes).length > 0 ? formatJsonLine(d.searchAttributes) : undefined],
      ['CronSchedule', d.raw.cronSchedule],
      ['Parent', d.parentExecution && `${d.parentExecution.workflowId}/${d.parentExecution.runId}`],
    ]),
  );
  const pending = d.raw.pendingActivities;
  io.out(`\nPending Activities: ${pending.length}\n`);
  if (pending.length > 0) {
    io.out(
      indent(
        formatTable(pending, [
          { header: 'ActivityId', value: (a) => a.activityId },
          { header: 'Type', value: (a) => a.activityType },
          { header: 'State', value: (a) => a.state },
          { header: 'Attempt', value: (a) => (a.maximumAttempts > 0 ? `${a.attempt}/${a.maximumAttempts}` : String(a.attempt)) },
          { header: 'ScheduledTime', value: (a) => formatTime(a.scheduledTime) },
          { header: 'LastFailure', value: (a) => failureMessage(a.lastFailure) },
          // Who had the last attempt: with a "worker lost" failure, the worker that died holding it.
          { header: 'LastWorker', value: (a) => a.lastWorkerIdentity ?? '' },
        ]),
      ),
    );
  }
  const task = d.raw.pendingWorkflowTask;
  if (task) io.out(`\nPending Workflow Task:\n${formatKeyValues([['State', task.state], ['Attempt', String(task.attempt)], ['ScheduledTime', formatTime(task.scheduledTime)]])}`);
  const children = d.raw.pendingChildren ?? [];
  if (children.length > 0) {
    io.out(`\nPending Child Workflows: ${children.length}\n`);
    io.out(
      indent(
        formatTable(children, [
          { header: 'WorkflowId', value: (c) => c.workflowId },
          { header: 'RunId', value: (c) => c.runId ?? '(starting)' },
          { header: 'Type', value: (c) => c.workflowTypeName },
          { header: 'ParentClosePolicy', value: (c) => c.parentClosePolicy },
        ]),
      ),
    );
  }
  if (d.raw.cost) io.out(formatCost(d.raw.cost));
}

export interface ShowFlags extends TargetFlags {
  follow?: boolean;
}

/**
 * `keel workflow show`: the run's history. `--output json` prints `{ events }` exactly as the
 * service sends it, so the file can be replayed with `Worker.runReplayHistory`.
 */
export async function show(flags: ShowFlags, io: Io): Promise<void> {
  const { connection, withTimeout } = connect(flags);
  const events: HistoryEvent[] = [];
  const printer = eventPrinter(flags.output, io);
  await withTimeout(async () => {
    let runId = flags.runId;
    let nextPageToken: string | undefined;
    for (;;) {
      const page = await connection.call(
        'getWorkflowHistory',
        { ...(runId ? { runId } : {}), ...(nextPageToken ? { nextPageToken } : {}), ...(flags.follow ? { waitNewEvent: true } : {}) },
        { namespace: flags.namespace, params: { workflowId: flags.workflowId } },
      );
      runId ??= page.runId;
      const got = page.events ?? [];
      events.push(...got);
      for (const e of got) printer(e);
      // A running workflow's last page still has a token ("more may follow"): without --follow,
      // an empty page means everything there is now has been read.
      if (!page.nextPageToken || (!flags.follow && got.length === 0)) break;
      nextPageToken = page.nextPageToken;
    }
  });
  // Temporal's history JSON form, as `temporal workflow show --output json` prints it: what
  // Worker.runReplayHistory and Temporal's own tools read.
  if (flags.output === 'json') io.out(formatJson(toTemporalHistory(events)));
}

/** Prints history events as they arrive: fixed-width columns, since more rows may follow. */
function eventPrinter(output: ClientFlags['output'], io: Io): (e: HistoryEvent) => void {
  if (output === 'json') return () => undefined;
  if (output === 'jsonl') return (e) => io.out(formatJsonLine(toTemporalHistory([e]).events[0]) + '\n');
  let headed = false;
  const row = (id: string, time: string, type: string, details: string) => `${id.padStart(4)}  ${time.padEnd(24)}  ${type.padEnd(32)}  ${details}`.trimEnd() + '\n';
  return (e) => {
    if (!headed) io.out(row('ID', 'TIME', 'TYPE', 'DETAILS'));
    headed = true;
    io.out(row(String(e.eventId), formatTime(e.eventTime), e.eventType, summarizeEvent(e)));
  };
}

/** Flags of the commands that act on one execution by id, or on every match of a list filter. */
export interface BatchFlags extends ClientFlags {
  workflowId?: string;
  runId?: string;
  query?: string;
  yes?: boolean;
}

export interface SignalFlags extends BatchFlags {
  name: string;
  input?: string[];
  inputFile?: string[];
}

/** `keel workflow signal`. */
export async function signal(flags: SignalFlags, io: Io): Promise<void> {
  const args = parseInputs(flags.input, flags.inputFile);
  await forEachTarget(flags, io, { verb: 'signal', done: 'Signal workflow succeeded', field: { signal: flags.name } }, (handle) => handle.signal(flags.name, ...args));
}

/** `keel workflow query`: asks a worker and prints its answer. */
export async function query(flags: SignalFlags & TargetFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const args = parseInputs(flags.input, flags.inputFile);
  const answer = await withTimeout(() => client.workflow.getHandle(flags.workflowId, flags.runId).query(flags.name, ...args));
  if (flags.output === 'text') io.out(`Query result:\n${formatKeyValues([['QueryResult', formatJsonLine(answer)]])}`);
  else io.out(flags.output === 'json' ? formatJson({ queryResult: answer }) : formatJsonLine({ queryResult: answer }) + '\n');
}

/** `keel workflow cancel`: requests cancellation; the workflow decides what it means. */
export async function cancel(flags: BatchFlags, io: Io): Promise<void> {
  await forEachTarget(flags, io, { verb: 'cancel', done: 'Cancellation requested', field: { cancelRequested: true } }, (handle) => handle.cancel());
}

/** `keel workflow terminate`: ends the run at once, running none of its code. */
export async function terminate(flags: BatchFlags & { reason?: string }, io: Io): Promise<void> {
  await forEachTarget(flags, io, { verb: 'terminate', done: 'Workflow terminated', field: { terminated: true } }, (handle) => handle.terminate(flags.reason));
}

export interface ResetFlags extends BatchFlags {
  eventId?: number;
  type?: ResetType;
  reason: string;
  reapplyExclude?: string[];
}

/**
 * `keel workflow reset` (Temporal CLI's flags): a new run with the history up to a workflow task,
 * the signals and updates after it re-applied unless excluded. With --query, every match is reset
 * by --type (Temporal's batch reset takes no event id or run id).
 */
export async function reset(flags: ResetFlags, io: Io): Promise<void> {
  if ((flags.eventId === undefined) === (flags.type === undefined)) throw new UsageError('give --event-id or --type (one of them)');
  if (flags.query !== undefined && flags.eventId !== undefined) throw new UsageError('--event-id goes with --workflow-id; a batch reset (--query) takes --type');
  const reapplyExclude = reapplyExcludes(flags.reapplyExclude);
  const { connection } = connect(flags);
  // As Temporal's CLI: the reason says who asked.
  const reason = `${userName()}: ${flags.reason}`;
  // forEachTarget reads what.done and what.field after the act: one execution's answer names the new run.
  const what: { verb: string; done: string; field: Record<string, unknown> } = { verb: 'reset', done: 'Workflow reset', field: {} };
  await forEachTarget(flags, io, what, async (handle) => {
    const { runId } = await connection.call(
      'resetWorkflow',
      {
        ...(handle.runId ? { runId: handle.runId } : {}),
        ...(flags.eventId !== undefined ? { eventId: flags.eventId } : { resetType: flags.type! }),
        reason,
        reapplyExclude,
        identity: `keel-cli@${hostname()}`,
        requestId: randomUUID(),
      },
      { namespace: flags.namespace, params: { workflowId: handle.workflowId } },
    );
    what.done = `Workflow reset; new run: ${runId}`;
    what.field = { newRunId: runId };
  });
}

function reapplyExcludes(values: string[] | undefined): ResetReapplyExcludeType[] {
  const out = new Set<ResetReapplyExcludeType>();
  for (const v of values ?? []) {
    const kind = Object.values(ResetReapplyExcludeType).find((k) => k.toLowerCase() === v.toLowerCase());
    if (v.toLowerCase() === 'all') for (const k of Object.values(ResetReapplyExcludeType)) out.add(k);
    else if (kind) out.add(kind);
    else throw new UsageError(`--reapply-exclude takes Signal, Update or All, not '${v}'`);
  }
  return [...out];
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/**
 * `keel workflow delete`: Temporal's DeleteWorkflowExecution — the run's history, state and list
 * entry go (a running run is terminated first). The SDK's handle has no delete, as Temporal's has
 * none: the call goes through the connection.
 */
export async function deleteWorkflow(flags: BatchFlags & { reason?: string }, io: Io): Promise<void> {
  const { connection } = connect(flags);
  await forEachTarget(flags, io, { verb: 'delete', done: 'Workflow execution deleted', field: { deleted: true } }, async (handle) => {
    await connection.call('deleteWorkflow', { ...(handle.runId ? { runId: handle.runId } : {}), ...(flags.reason ? { reason: flags.reason } : {}) }, { namespace: flags.namespace, params: { workflowId: handle.workflowId } });
  });
}

export interface ListFlags extends ClientFlags {
  query?: string;
  limit?: number;
  pageSize?: number;
}

/** `keel workflow list`: the executions a list filter matches, newest start first. */
export async function list(flags: ListFlags, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const rows: WorkflowExecutionInfo[] = [];
  await withTimeout(async () => {
    const pageSize = flags.pageSize ?? (flags.limit !== undefined ? Math.min(flags.limit, 1000) : undefined);
    for await (const wf of client.workflow.list({ ...(flags.query ? { query: flags.query } : {}), ...(pageSize ? { pageSize } : {}) })) {
      if (flags.output === 'jsonl') io.out(formatJsonLine(listEntryJson(wf)) + '\n');
      else rows.push(wf);
      if (flags.limit !== undefined && rows.length >= flags.limit) break;
    }
  });
  if (flags.output === 'json') io.out(formatJson(rows.map(listEntryJson)));
  if (flags.output !== 'text') return;
  if (rows.length === 0) {
    io.out(flags.query ? 'No workflow executions match the query.\n' : 'No workflow executions.\n');
    return;
  }
  io.out(
    formatTable(rows, [
      { header: 'Status', value: (w) => w.status.name },
      { header: 'WorkflowId', value: (w) => w.workflowId },
      { header: 'Type', value: (w) => w.type },
      { header: 'StartTime', value: (w) => formatTime(w.startTime) },
      { header: 'CloseTime', value: (w) => formatTime(w.closeTime) },
    ]),
  );
}

/** `keel workflow count`. */
export async function count(flags: ClientFlags & { query?: string }, io: Io): Promise<void> {
  const { client, withTimeout } = connect(flags);
  const answer = await withTimeout(() => client.workflow.count(flags.query));
  if (flags.output !== 'text') {
    io.out(flags.output === 'json' ? formatJson(answer) : formatJsonLine(answer) + '\n');
    return;
  }
  io.out(`Total: ${answer.count}\n`);
  for (const g of answer.groups) io.out(`  ${g.groupValues.join(', ')}: ${g.count}\n`);
}

function listEntryJson(w: WorkflowExecutionInfo) {
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    type: w.type,
    taskQueue: w.taskQueue,
    status: w.status.name,
    startTime: w.startTime,
    executionTime: w.executionTime,
    closeTime: w.closeTime,
    historyLength: w.historyLength,
    memo: w.memo,
    searchAttributes: w.searchAttributes,
  };
}

/**
 * Runs `act` on one execution (`--workflow-id`), or on every one `--query` matches (each run as
 * listed, so a run started meanwhile is not touched). A batch needs `--yes`; it goes on past a
 * failure and exits non-zero if any execution failed.
 */
async function forEachTarget(
  flags: BatchFlags,
  io: Io,
  what: { verb: string; done: string; field: Record<string, unknown> },
  act: (handle: WorkflowHandle) => Promise<void>,
): Promise<void> {
  const { client, withTimeout } = connect(flags);
  if (flags.workflowId !== undefined && flags.query !== undefined) throw new UsageError('give --workflow-id or --query, not both');
  if (flags.runId !== undefined && flags.workflowId === undefined) throw new UsageError('--run-id goes with --workflow-id');
  if (flags.workflowId !== undefined) {
    const workflowId = flags.workflowId;
    await withTimeout(() => act(client.workflow.getHandle(workflowId, flags.runId)));
    done(flags, io, what.done, { workflowId, ...(flags.runId ? { runId: flags.runId } : {}), ...what.field });
    return;
  }
  if (flags.query === undefined) throw new UsageError("required option '--workflow-id <id>' not specified (or pass --query to act on many)");
  const query = flags.query;
  const matched = await withTimeout(async () => {
    const runs: Array<{ workflowId: string; runId: string }> = [];
    for await (const wf of client.workflow.list({ query })) runs.push({ workflowId: wf.workflowId, runId: wf.runId });
    return runs;
  });
  if (matched.length === 0) {
    done(flags, io, 'No executions match the query; nothing to do', { query, matched: 0, succeeded: 0, failed: [] });
    return;
  }
  if (!flags.yes) throw new UsageError(`--query matches ${matched.length} execution(s); add --yes to ${what.verb} them`);
  const failed: Array<{ workflowId: string; runId: string; error: string }> = [];
  for (const run of matched) {
    try {
      await withTimeout(() => act(client.workflow.getHandle(run.workflowId, run.runId)));
    } catch (err) {
      failed.push({ ...run, error: describeError(err) });
    }
  }
  if (flags.output === 'text') {
    io.out(`${what.verb}: ${matched.length - failed.length} of ${matched.length} execution(s) done\n`);
    for (const f of failed) io.out(`  ${f.workflowId} (${f.runId}): ${f.error}\n`);
  } else {
    const doc = { query, matched: matched.length, succeeded: matched.length - failed.length, failed };
    io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
  }
  if (failed.length > 0) throw new CliError(`${what.verb} failed for ${failed.length} of ${matched.length} execution(s)`);
}

// ---- helpers --------------------------------------------------------------------

interface Started {
  workflowId: string;
  runId: string;
  type: string;
  namespace: string;
  taskQueue: string;
}

async function startRun(flags: StartFlags, { client, withTimeout }: ReturnType<typeof connect>): Promise<Started> {
  const options: WorkflowStartOptions = {
    workflowId: flags.workflowId ?? randomUUID(),
    taskQueue: flags.taskQueue,
    args: parseInputs(flags.input, flags.inputFile),
    ...optional('workflowExecutionTimeout', flags.executionTimeout && parseDuration(flags.executionTimeout, '--execution-timeout')),
    ...optional('workflowRunTimeout', flags.runTimeout && parseDuration(flags.runTimeout, '--run-timeout')),
    ...optional('workflowTaskTimeout', flags.taskTimeout && parseDuration(flags.taskTimeout, '--task-timeout')),
    ...optional('startDelay', flags.startDelay && parseDuration(flags.startDelay, '--start-delay')),
    ...optional('cronSchedule', flags.cron),
    ...optional('workflowIdReusePolicy', flags.idReusePolicy && parsePolicy(flags.idReusePolicy, WorkflowIdReusePolicy, '--id-reuse-policy')),
    ...optional('workflowIdConflictPolicy', flags.idConflictPolicy && parsePolicy(flags.idConflictPolicy, WorkflowIdConflictPolicy, '--id-conflict-policy')),
    ...optional('memo', parseKeyValues(flags.memo, '--memo')),
    ...optional('searchAttributes', parseKeyValues(flags.searchAttribute, '--search-attribute')),
  };
  const handle = await withTimeout(() => client.workflow.start(flags.type, options));
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, type: flags.type, namespace: flags.namespace, taskQueue: flags.taskQueue };
}

function optional<K extends string, V>(key: K, value: V | '' | undefined): { [P in K]?: V } {
  return (value === undefined || value === '' ? {} : { [key]: value }) as { [P in K]?: V };
}

const startedEntries = (s: Started): Array<[string, string]> => [
  ['WorkflowId', s.workflowId],
  ['RunId', s.runId],
  ['Type', s.type],
  ['Namespace', s.namespace],
  ['TaskQueue', s.taskQueue],
];

type Outcome = { status: 'COMPLETED'; result: unknown } | { status: string; failure: { message: string; type?: string }; error: unknown };

/** Waits for a result; a workflow that did not complete is an outcome, not an exception, so it can be printed. */
async function awaitOutcome(wait: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { status: 'COMPLETED', result: await wait() };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const status = STATUS_OF_CAUSE[cause?.name ?? ''] ?? 'FAILED';
    return { status, failure: { message: cause ? failureChain(cause) : err.message, ...(cause ? { type: cause.name } : {}) }, error: err };
  }
}

const STATUS_OF_CAUSE: Record<string, string> = { CancelledFailure: 'CANCELED', TerminatedFailure: 'TERMINATED', TimeoutFailure: 'TIMED_OUT' };

function failureChain(err: Error): string {
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) if (e.message) messages.push(e.message);
  return messages.join(': ');
}

/** Prints a closed run's outcome; a run that did not complete exits non-zero. */
function printOutcome(o: Partial<Started> & Outcome, flags: ClientFlags, io: Io): void {
  const { error: _error, ...shown } = o as Outcome & { error?: unknown };
  if (flags.output === 'text') {
    io.out('Results:\n');
    io.out(formatKeyValues([['Status', o.status], 'result' in o ? ['Result', formatJsonLine(o.result)] : ['Failure', o.failure.message]]));
  } else {
    io.out(flags.output === 'json' ? formatJson(shown) : formatJsonLine(shown) + '\n');
  }
  if (o.status !== 'COMPLETED') {
    throw new CliError(`workflow ${o.workflowId} ${o.status.toLowerCase().replace('_', ' ')}: ${'failure' in o ? o.failure.message : ''}`);
  }
}

function descriptionJson(d: WorkflowExecutionDescription) {
  return {
    workflowId: d.workflowId,
    runId: d.runId,
    type: d.type,
    taskQueue: d.taskQueue,
    status: d.status.name,
    startTime: d.startTime,
    executionTime: d.executionTime,
    closeTime: d.closeTime,
    historyLength: d.historyLength,
    firstExecutionRunId: d.firstExecutionRunId,
    memo: d.memo,
    searchAttributes: d.searchAttributes,
    pendingActivities: d.raw.pendingActivities.map((a) => ({ ...a, heartbeatDetails: a.heartbeatDetails?.map(payloadValue) })),
    pendingWorkflowTask: d.raw.pendingWorkflowTask,
    cronSchedule: d.raw.cronSchedule,
    ...(d.raw.pendingChildren ? { pendingChildren: d.raw.pendingChildren } : {}),
    ...(d.parentExecution ? { parentExecution: d.parentExecution } : {}),
    ...(d.raw.cost ? { cost: d.raw.cost } : {}),
  };
}

/** What a command that changes something prints when it worked. */
function done(flags: ClientFlags, io: Io, text: string, doc: Record<string, unknown>): void {
  if (flags.output === 'text') io.out(`${text}\n`);
  else io.out(flags.output === 'json' ? formatJson(doc) : formatJsonLine(doc) + '\n');
}
