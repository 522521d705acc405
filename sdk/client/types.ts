// Owns the client's type vocabulary shared by its modules: workflow function types, signal and
// query definitions, history, and the `describe()` result, with Temporal's names and shapes.
import type { TemporalHistory } from './history-json.js';
import type { HistoryEvent, ResponseOf } from '../../protocol/index.js';
import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '../common/definitions.js';
import type { TypedSearchAttributes } from '../common/search-attributes.js';

/** Any workflow function: takes arguments, returns a promise of its result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Workflow = (...args: any[]) => WorkflowReturnType;

/** What a workflow function returns. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WorkflowReturnType = Promise<any>;

/** The result type of a workflow function. */
export type WorkflowResultType<W extends Workflow> = ReturnType<W> extends Promise<infer R> ? R : never;

/**
 * Options `T` plus the workflow's `args`: required when the workflow takes arguments, optional
 * when it takes none (Temporal's `WithWorkflowArgs`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WithWorkflowArgs<W extends Workflow, T> = T &
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (Parameters<W> extends [any, ...any[]]
    ? { /** Arguments to pass to the workflow. */ args: Parameters<W> | Readonly<Parameters<W>> }
    : { /** Arguments to pass to the workflow. */ args?: Parameters<W> | Readonly<Parameters<W>> });

export type { SignalDefinition, QueryDefinition, UpdateDefinition };

/**
 * A run's history as `fetchHistory()` returns it: Temporal's JSON form (`EVENT_TYPE_…` names,
 * `<type>EventAttributes`, int64 as strings, durations as "10s"), payloads still encoded; what
 * `temporal workflow show --output json` prints, and what `Worker.runReplayHistory` takes.
 */
export type History = TemporalHistory;

/**
 * The status names of Temporal's `WorkflowExecutionStatusName`. Note Temporal's spelling
 * `CANCELLED`; the wire says `CANCELED`, and the client translates.
 */
export type WorkflowExecutionStatusName =
  | 'UNSPECIFIED'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TERMINATED'
  | 'CONTINUED_AS_NEW'
  | 'TIMED_OUT'
  | 'UNKNOWN';

/** The service's answer to `describe`, kept as it came in `WorkflowExecutionDescription.raw`. */
export type DescribeWorkflowExecutionResponse = ResponseOf<'describeWorkflow'>;

/** Search attributes as the service holds them: name → value (a string, number, boolean, list, …). */
export type SearchAttributes = Record<string, unknown>;

/** One run as the service's visibility store has it, in the wire shape (payloads still encoded). */
export type RawWorkflowExecutionInfo = ResponseOf<'listWorkflows'>['executions'][number];

/**
 * One run as `list()` yields it: Temporal's `WorkflowExecutionInfo` as far as Keel's visibility
 * store knows it, plus the raw entry. The summary is written when the run starts and when it
 * closes, so `historyLength` of a running run is its length at the start.
 */
export interface WorkflowExecutionInfo {
  /** The workflow type. */
  type: string;
  workflowId: string;
  runId: string;
  taskQueue: string;
  /** The status; `code` is Temporal's numeric enum value. */
  status: { code: number; name: WorkflowExecutionStatusName };
  historyLength: number;
  startTime: Date;
  /** When the first workflow task was due: the start time plus any start delay. */
  executionTime?: Date;
  closeTime?: Date;
  /** Memo fields, decoded by the client's data converter. */
  memo?: Record<string, unknown>;
  /** Temporal's deprecated untyped form: every value an array (`{ CustomerId: ['c-1'] }`), date-times as `Date`s. */
  searchAttributes: Record<string, unknown[]>;
  /** The search attributes with their types (a list of numbers or booleans has no typed form). */
  typedSearchAttributes: TypedSearchAttributes;
  /** Keel: the run id of the first run of the chain. */
  firstExecutionRunId: string;
  /** The entry as the service sent it (payloads still encoded). */
  raw: RawWorkflowExecutionInfo;
}

/**
 * What `WorkflowHandle.describe()` returns: Temporal's `WorkflowExecutionDescription` — the
 * run's {@link WorkflowExecutionInfo} — plus the raw describe answer.
 */
export interface WorkflowExecutionDescription extends Omit<WorkflowExecutionInfo, 'raw'> {
  /** Set on a child workflow: the run that started it (Temporal's `parentExecution`). */
  parentExecution?: { workflowId: string; runId: string };
  /** The service's answer as it came (payloads still encoded). */
  raw: DescribeWorkflowExecutionResponse;
}

/** Options of `WorkflowClient.list`, as Temporal's `ListOptions`. */
export interface ListOptions {
  /**
   * A list filter in Temporal's syntax, e.g. `WorkflowType = 'order' AND ExecutionStatus = 'Running'
   * ORDER BY StartTime DESC`; every execution when omitted.
   */
  query?: string;
  /** Executions fetched per request (at most 1000). @default 100 */
  pageSize?: number;
}

/** Options of {@link AsyncWorkflowListIterable.intoHistories}. */
export interface IntoHistoriesOptions {
  /** Histories fetched at once. @default 5 */
  concurrency?: number;
  /** Histories fetched ahead of the one being read, at most. @default 20 */
  bufferLimit?: number;
}

/** One listed run's history. */
export interface HistoryAndWorkflowId {
  workflowId: string;
  history: History;
}

/**
 * What `WorkflowClient.list` returns: the matching runs, fetched page by page as they are
 * iterated, newest start first unless the filter says `ORDER BY`.
 */
export interface AsyncWorkflowListIterable extends AsyncIterable<WorkflowExecutionInfo> {
  /** The history of each listed run, in list order. */
  intoHistories(options?: IntoHistoriesOptions): AsyncIterable<HistoryAndWorkflowId>;
}

/** What `WorkflowClient.count` returns, as Temporal's `CountWorkflowExecution`. */
export interface CountWorkflowExecution {
  count: number;
  /**
   * With `GROUP BY ExecutionStatus` in the query: one entry per status that has executions,
   * e.g. `{ groupValues: ['Running'], count: 3 }`; otherwise empty.
   */
  groups: Array<{ count: number; groupValues: string[] }>;
}
