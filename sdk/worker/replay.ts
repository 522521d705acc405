// Owns replaying recorded histories against workflow code, to prove that a code change is
// still deterministic for the runs already in flight (`Worker.runReplayHistory`).
import { z } from 'zod';
import { HistoryEvent, type EventOf } from '../../protocol/index.js';
import { ValueError } from '../common/errors.js';
import { ReplayError } from './errors.js';
import { WorkflowRunMachine } from './history-machine.js';
import { callSinks, type InjectedSinks } from './sinks.js';
import { fromTemporalHistory, isTemporalHistory } from '../client/history-json.js';
import { bundleWorkflowCode, loadWorkflowBundle, type WorkflowBundleOption } from './workflow-bundler.js';
import { WorkflowSandbox, type SandboxLogger } from './workflow-sandbox.js';

/** Where the workflow code to replay comes from: a workflows module to bundle, or a ready bundle. */
export type ReplayWorkflowSource = { workflowsPath: string } | { workflowBundle: WorkflowBundleOption };

/** Options of {@link runReplayHistory} and {@link runReplayHistories}. */
export type ReplayOptions = ReplayWorkflowSource & {
  /** The namespace `workflowInfo()` reports. Default `'default'`. */
  namespace?: string;
  /** Receives workflow console output (which replay suppresses unless `logDuringReplay`). */
  logger?: SandboxLogger;
  logDuringReplay?: boolean;
  /** The workflow interceptor modules, as the worker's (`workflowModules`), bundled with the code. */
  interceptors?: { workflowModules?: string[] };
  /** Sinks for calls made during replay (only those with `callDuringReplay` run). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  sinks?: InjectedSinks<any>;
};

/**
 * A recorded history: `{ events }` in Temporal's JSON form (`fetchHistory()`, or exported from a
 * Temporal cluster with `temporal workflow show --output json`) or as the service's history
 * endpoint returns it; or the events alone.
 */
export type HistoryInput = { events: readonly unknown[] } | readonly unknown[];

/** One history of {@link runReplayHistories}, with the workflow id it ran under. */
export interface ReplayHistory {
  workflowId: string;
  history: HistoryInput;
}

/** The outcome of replaying one history in {@link runReplayHistories}. */
export interface ReplayResult {
  workflowId: string;
  runId: string;
  /** Undefined when the replay succeeded; else a {@link DeterminismViolationError}, a {@link ReplayError} or another error. */
  error?: Error;
}

const DEFAULT_WORKFLOW_ID = 'replay-workflow-id';

/**
 * Replays one recorded history against the workflow code, as a worker would after a restart.
 *
 * Every workflow task in the history is replayed and its commands are checked against the
 * events that recorded them. A final WorkflowTaskStarted that nothing follows (the run was
 * waiting for a worker when the history was taken) is activated with replay semantics, so code
 * that now throws there is caught too, but its commands have nothing to be checked against.
 *
 * The run id the workflow sees (and its `Math.random` seed) is the history's original run id,
 * exactly as in the recorded run.
 *
 * @throws {DeterminismViolationError} when the code issues different commands than history recorded.
 * @throws {ReplayError} when a replayed workflow task fails for another reason.
 * @throws {ValueError} when `history` is not a valid history.
 *
 * @example
 * const history = await handle.fetchHistory();
 * await runReplayHistory({ workflowsPath: require.resolve('./workflows') }, history);
 */
export async function runReplayHistory(options: ReplayOptions, history: HistoryInput, workflowId: string = DEFAULT_WORKFLOW_ID): Promise<void> {
  const events = parseHistory(history);
  const sandbox = await sandboxFor(options);
  await replayEvents(sandbox, options, events, workflowId);
}

/**
 * Replays many histories against one bundle of the workflow code, yielding one result per
 * history instead of throwing, so that one bad history does not hide the rest.
 *
 * @example
 * for await (const { workflowId, error } of runReplayHistories({ workflowsPath }, histories)) {
 *   if (error) console.error(workflowId, error.message);
 * }
 */
export async function* runReplayHistories(
  options: ReplayOptions,
  histories: AsyncIterable<ReplayHistory> | Iterable<ReplayHistory>,
): AsyncGenerator<ReplayResult, void, undefined> {
  const sandbox = await sandboxFor(options);
  for await (const { workflowId, history } of histories) {
    let runId = '';
    try {
      const events = parseHistory(history);
      runId = originalRunId(events);
      await replayEvents(sandbox, options, events, workflowId);
      yield { workflowId, runId };
    } catch (err) {
      yield { workflowId, runId, error: err instanceof Error ? err : new Error(String(err)) };
    }
  }
}

async function sandboxFor(options: ReplayOptions): Promise<WorkflowSandbox> {
  const bundle = 'workflowBundle' in options ? await loadWorkflowBundle(options.workflowBundle) : await bundleWorkflowCode({ workflowsPath: options.workflowsPath, ...(options.interceptors?.workflowModules ? { workflowInterceptorModules: options.interceptors.workflowModules } : {}) });
  return new WorkflowSandbox(bundle.code, {
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.logDuringReplay !== undefined ? { logDuringReplay: options.logDuringReplay } : {}),
  });
}

/** The run id a replay runs under: the recorded run's original run id, as in the live run. */
function originalRunId(events: readonly HistoryEvent[]): string {
  return (events[0] as EventOf<'WorkflowExecutionStarted'>).attributes.originalExecutionRunId;
}

/** Replays one parsed history in a new run of `sandbox`. */
async function replayEvents(sandbox: WorkflowSandbox, options: ReplayOptions, events: readonly HistoryEvent[], workflowId: string): Promise<void> {
  const started = events[0] as EventOf<'WorkflowExecutionStarted'>;
  const runId = originalRunId(events);
  const machine = new WorkflowRunMachine({
    namespace: options.namespace ?? 'default',
    workflowId,
    runId,
    context: sandbox.createRunContext({ workflowId, runId, workflowType: started.attributes.workflowType }),
    onSinkCalls: (calls) => callSinks(options.sinks, calls, console),
  });
  try {
    const result = await machine.applyHistory(events, { mode: 'replay' });
    if (result && 'failure' in result) {
      throw new ReplayError(`Replay failed: a workflow task failed: ${result.failure.message}`, result.failure);
    }
  } finally {
    machine.dispose();
  }
}

const Events = z.array(HistoryEvent);

/** Validates a history (it often comes from a JSON file) and checks that it starts the run. */
function parseHistory(history: HistoryInput): HistoryEvent[] {
  const given = Array.isArray(history) ? history : (history as { events: readonly unknown[] }).events;
  // Temporal's JSON form (fetchHistory, `temporal workflow show --output json`), or Keel's wire events.
  const raw = isTemporalHistory(given) ? fromTemporalHistory(given) : given;
  const parsed = Events.safeParse(raw);
  if (!parsed.success) throw new ValueError(`Not a valid history: ${z.prettifyError(parsed.error)}`, parsed.error);
  const first = parsed.data[0];
  if (!first || first.eventType !== 'WorkflowExecutionStarted' || first.eventId !== 1) {
    throw new ValueError('Not a valid history: it must start with WorkflowExecutionStarted as event 1', undefined);
  }
  return parsed.data;
}
