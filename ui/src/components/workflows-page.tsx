// The workflows page: one page of executions at a time, filtered and paged by the service, with
// quick status filters (counted by the service), live refresh and shareable filter links.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type ExecutionInfo } from '../api.js';
import { composeFilter, withoutOrderBy } from '../filter.js';
import { STATUS_FILTER_NAMES } from '../../../protocol/enums.js';
import { formatTime, STATUSES, statusLabel, toStatus } from '../format.js';
import type { WorkflowExecutionStatus } from '../../../protocol/enums.js';
import { navigate } from '../navigation.js';
import type { Route } from '../route.js';
import { ErrorNote, Link, StatusBadge } from './common.js';
import { NamespaceCost } from './cost-panel.js';

type WorkflowsRoute = Extract<Route, { page: 'workflows' }>;

const PAGE_SIZES = [25, 50, 100, 200];

interface ListPage {
  rows: ExecutionInfo[];
  nextPageToken?: string | undefined;
}

interface StatusCounts {
  total: number;
  byStatus: Partial<Record<WorkflowExecutionStatus, number>>;
}

/** Counts per status: the service groups by ExecutionStatus and names each group as the filter language spells it. */
async function countByStatus(ns: string, query: string, signal: AbortSignal): Promise<StatusCounts> {
  const res = await api.countWorkflows(ns, { query, groupBy: 'ExecutionStatus' }, signal);
  const byStatus: StatusCounts['byStatus'] = {};
  for (const g of res.groups ?? []) {
    const st = toStatus(g.groupValues[0]);
    if (st) byStatus[st] = (byStatus[st] ?? 0) + g.count;
  }
  return { total: res.count, byStatus };
}
const LIVE_MS = 3000;

export function WorkflowsPage({ route }: { route: WorkflowsRoute }) {
  const { namespace, query, status } = route;
  const pageSize = route.pageSize ?? 50;
  const [draft, setDraft] = useState(query);
  /** Tokens of the pages before the current one, and the current one's token. */
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<ListPage | undefined>();
  const [counts, setCounts] = useState<StatusCounts | undefined>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState(true);
  const [updatedAt, setUpdatedAt] = useState<Date | undefined>();
  const [unavailable, setUnavailable] = useState(false);
  const token = tokens[tokens.length - 1];
  const filter = composeFilter(query, status);
  const inflight = useRef<AbortController | undefined>(undefined);

  useEffect(() => setDraft(query), [query]);
  useEffect(() => setTokens([undefined]), [namespace, filter, pageSize]);

  const load = async (quiet: boolean) => {
    if (quiet && inflight.current) return; // a refresh never stacks on a load in flight
    inflight.current?.abort();
    const ac = new AbortController();
    inflight.current = ac;
    if (!quiet) setLoading(true);
    try {
      const [p, c] = await Promise.all([
        api.listWorkflows(namespace, { query: filter, pageSize, ...(token ? { nextPageToken: token } : {}) }, ac.signal).then((r) => ({ rows: r.executions, nextPageToken: r.nextPageToken })),
        countByStatus(namespace, withoutOrderBy(query), ac.signal).catch(() => undefined),
      ]);
      setPage(p);
      setCounts(c);
      setError(undefined);
      setUnavailable(false);
      setUpdatedAt(new Date());
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      // A service without a visibility store (no route, or no D1 binding) can still open a workflow by id.
      if (err instanceof ApiError && (err.code === 'ROUTE_NOT_FOUND' || err.status >= 500)) setUnavailable(true);
      setError(err);
      if (!quiet) setPage(undefined);
    } finally {
      if (inflight.current === ac) inflight.current = undefined;
      if (!quiet) setLoading(false);
    }
  };

  useEffect(() => {
    void load(false);
    return () => inflight.current?.abort();
  }, [namespace, filter, pageSize, token]);

  useEffect(() => {
    if (!live || unavailable) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void load(true);
    }, LIVE_MS);
    return () => clearInterval(t);
  }, [live, unavailable, namespace, filter, pageSize, token]);

  const go = (patch: Partial<WorkflowsRoute>) => {
    const next: WorkflowsRoute = { ...route, ...patch };
    if (!next.status) delete next.status;
    navigate(next);
  };
  const badFilter = error instanceof ApiError && error.status === 400;

  return (
    <section class="page" aria-labelledby="wf-title">
      <div class="page-head">
        <h1 id="wf-title">Workflows</h1>
        <div class="live">
          <label class="check">
            <input type="checkbox" checked={live} onChange={(e) => setLive((e.target as HTMLInputElement).checked)} /> Live
          </label>
          <span class="muted" aria-live="off">
            {updatedAt ? `updated ${updatedAt.toLocaleTimeString()}` : ''}
          </span>
          <button type="button" class="btn small ghost" onClick={() => void load(false)}>
            Refresh
          </button>
        </div>
      </div>
      <NamespaceCost namespace={route.namespace} refresh={updatedAt} />

      <form
        class="filter"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ query: draft.trim() });
        }}
      >
        <label for="filter-input" class="sr-only">
          Filter (list-filter language)
        </label>
        <input
          id="filter-input"
          name="query"
          type="search"
          spellcheck={false}
          autocomplete="off"
          placeholder="WorkflowType = 'order' AND StartTime > '2026-01-01T00:00:00Z'"
          value={draft}
          aria-invalid={badFilter ? 'true' : undefined}
          aria-describedby={badFilter ? 'filter-error' : 'filter-help'}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn primary">
          Apply
        </button>
        {query && (
          <button type="button" class="btn ghost" onClick={() => go({ query: '' })}>
            Clear
          </button>
        )}
      </form>
      <p id="filter-help" class="help muted">
        <code>WorkflowId</code>, <code>WorkflowType</code>, <code>ExecutionStatus</code>, <code>StartTime</code>, <code>CloseTime</code>, <code>TaskQueue</code> and
        custom search attributes with <code>= != &lt; &gt; IN BETWEEN STARTS_WITH IS NULL AND OR ORDER BY</code>.
      </p>

      {/* Counted with the user's filter (without ORDER BY), grouped by status. */}
      <div class="quick" role="group" aria-label="Status">
        <button type="button" class="chip" aria-pressed={!status} onClick={() => go({ status: undefined })}>
          All{counts ? <span class="count">{counts.total}</span> : null}
        </button>
        {STATUSES.map((st) => (
          <button
            key={st}
            type="button"
            class={`chip chip-${st.toLowerCase().replace(/_/g, '-')}`}
            aria-pressed={status === STATUS_FILTER_NAMES[st]}
            onClick={() => go({ status: status === STATUS_FILTER_NAMES[st] ? undefined : STATUS_FILTER_NAMES[st] })}
          >
            {statusLabel(st)}
            {counts ? <span class="count">{counts.byStatus[st] ?? 0}</span> : null}
          </button>
        ))}
      </div>

      {error ? (
        <div id="filter-error">
          <ErrorNote error={error} />
        </div>
      ) : null}
      {unavailable && <OpenById namespace={namespace} />}

      <div class="table-wrap" aria-busy={loading}>
        <table class="list">
          <caption class="sr-only">Workflow executions{filter ? ` matching ${filter}` : ''}</caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Workflow ID</th>
              <th scope="col">Type</th>
              <th scope="col">Start</th>
              <th scope="col">Close</th>
            </tr>
          </thead>
          <tbody>
            {page?.rows.map((r) => (
              <tr key={`${r.execution.workflowId}/${r.execution.runId}`}>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td class="mono">
                  <Link to={{ page: 'execution', namespace, workflowId: r.execution.workflowId, runId: r.execution.runId, tab: 'history' }} title={`Run ${r.execution.runId}`}>
                    {r.execution.workflowId}
                  </Link>
                </td>
                <td>{r.workflowType}</td>
                <td class="time">{formatTime(r.startTime)}</td>
                <td class="time">{formatTime(r.closeTime)}</td>
              </tr>
            ))}
            {page && page.rows.length === 0 && (
              <tr>
                <td colSpan={5} class="empty">
                  No workflows {filter ? 'match this filter' : 'in this namespace yet'}.
                </td>
              </tr>
            )}
            {!page && loading && (
              <tr>
                <td colSpan={5} class="empty">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      <nav class="pager" aria-label="Pages">
        <label>
          Per page{' '}
          <select value={pageSize} onChange={(e) => go({ pageSize: Number((e.target as HTMLSelectElement).value) })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="btn small" disabled={tokens.length <= 1} onClick={() => setTokens((t) => t.slice(0, -1))}>
          ← Previous
        </button>
        <span class="muted">Page {tokens.length}</span>
        <button type="button" class="btn small" disabled={!page?.nextPageToken} onClick={() => page?.nextPageToken && setTokens((t) => [...t, page.nextPageToken])}>
          Next →
        </button>
      </nav>
    </section>
  );
}

/** Where the service has no visibility store, a workflow is opened by its id. */
function OpenById({ namespace }: { namespace: string }) {
  const [id, setId] = useState('');
  return (
    <form
      class="filter"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) navigate({ page: 'execution', namespace, workflowId: id.trim(), tab: 'history' });
      }}
    >
      <label for="open-id">This service cannot list workflows; open one by its ID:</label>
      <input id="open-id" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} spellcheck={false} />
      <button type="submit" class="btn">
        Open
      </button>
    </form>
  );
}
