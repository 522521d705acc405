// Owns `list` and `count` on the client side: paging through the service's list answers as an
// async iterable, turning each entry into Temporal's `WorkflowExecutionInfo` (memo decoded), and
// `intoHistories`.
import type { ResponseOf } from '../../protocol/index.js';
import type { LoadedDataConverter } from '../common/index.js';
import { toWorkflowExecutionInfo } from './describe.js';
import type {
  AsyncWorkflowListIterable,
  CountWorkflowExecution,
  History,
  HistoryAndWorkflowId,
  IntoHistoriesOptions,
  ListOptions,
  WorkflowExecutionInfo,
} from './types.js';

/** What listing needs of the workflow operations. */
export interface ListSource {
  listPage(query: string | undefined, pageSize: number | undefined, nextPageToken: string | undefined): Promise<ResponseOf<'listWorkflows'>>;
  fetchHistory(target: { workflowId: string; runId?: string }): Promise<History>;
  readonly dataConverter: LoadedDataConverter;
}

/** The runs matching `options.query`, fetched a page at a time as the iteration goes on. */
export function listWorkflows(source: ListSource, options: ListOptions = {}): AsyncWorkflowListIterable {
  async function* executions(): AsyncGenerator<WorkflowExecutionInfo> {
    let nextPageToken: string | undefined;
    do {
      const page = await source.listPage(options.query, options.pageSize, nextPageToken);
      for (const raw of page.executions ?? []) yield await toWorkflowExecutionInfo(raw, source.dataConverter);
      nextPageToken = page.nextPageToken;
    } while (nextPageToken);
  }
  return {
    [Symbol.asyncIterator]: () => executions(),
    intoHistories: (historyOptions?: IntoHistoriesOptions) => histories(executions(), source, historyOptions),
  };
}

/** Fetches the runs' histories, several at once, and yields them in list order. */
async function* histories(runs: AsyncIterable<WorkflowExecutionInfo>, source: ListSource, options: IntoHistoriesOptions = {}): AsyncGenerator<HistoryAndWorkflowId> {
  const ahead = Math.max(1, Math.min(options.concurrency ?? 5, options.bufferLimit ?? 20));
  const pending: Array<Promise<HistoryAndWorkflowId>> = [];
  const fetch = (info: WorkflowExecutionInfo) =>
    source.fetchHistory({ workflowId: info.workflowId, runId: info.runId }).then((history) => ({ workflowId: info.workflowId, history }));
  for await (const info of runs) {
    pending.push(fetch(info));
    // A failed fetch must not go unobserved while earlier ones are awaited.
    pending.at(-1)!.catch(() => undefined);
    if (pending.length >= ahead) yield await pending.shift()!;
  }
  while (pending.length > 0) yield await pending.shift()!;
}


/** The service's count answer as Temporal's `CountWorkflowExecution` (`groups` always present). */
export function toCountWorkflowExecution(answer: ResponseOf<'countWorkflows'>): CountWorkflowExecution {
  return { count: answer.count, groups: (answer.groups ?? []).map((g) => ({ count: g.count, groupValues: g.groupValues })) };
}
