// One execution: summary, input and result, the timeline, and tabs for the history (table and
// JSON), pending activities and the call stack; actions in the header. It follows a running
// workflow live: the history long-polls for new events and describe refreshes with them.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { ResponseOf } from '../../../protocol/api.js';
import type { HistoryEvent } from '../../../protocol/events.js';
import { api } from '../api.js';
import { between, formatDuration, formatTime } from '../format.js';
import { followHistory, type FeedState } from '../history-feed.js';
import { navigate } from '../navigation.js';
import type { ExecutionTab, Route } from '../route.js';
import { buildTimeline } from '../timeline-model.js';
import { Actions } from './actions.js';
import { CallStack } from './call-stack.js';
import { CostPanel } from './cost-panel.js';
import { TaskQueuePanel } from './task-queue-panel.js';
import { DecodedJson, ErrorNote, Link, StatusBadge, useTick } from './common.js';
import { EventTable } from './event-table.js';
import { HistoryJson } from './json-lines.js';
import { PendingActivities } from './pending-activities.js';
import { Timeline } from './timeline.js';

type ExecutionRoute = Extract<Route, { page: 'execution' }>;
type Describe = ResponseOf<'describeWorkflow'>;

const DESCRIBE_EVERY_MS = 3000;

export function ExecutionPage({ route }: { route: ExecutionRoute }) {
  const { namespace, workflowId } = route;
  const [feed, setFeed] = useState<FeedState>({ events: [], closed: false, caughtUp: false });
  const [describe, setDescribe] = useState<Describe | undefined>();
  const [describeError, setDescribeError] = useState<unknown>();
  const [refreshes, setRefreshes] = useState(0);
  const runId = route.runId ?? feed.runId ?? describe?.execution.runId;
  const running = describe ? describe.status === 'RUNNING' : !feed.closed;

  useEffect(() => followHistory(namespace, workflowId, route.runId, setFeed), [namespace, workflowId, route.runId, refreshes]);

  const loadDescribe = useCallback(async () => {
    try {
      setDescribe(await api.describeWorkflow(namespace, workflowId, runId));
      setDescribeError(undefined);
    } catch (err) {
      setDescribeError(err);
    }
  }, [namespace, workflowId, runId]);
  // Describe again whenever history moves, and every few seconds while running (attempts and
  // heartbeats change without events).
  useEffect(() => void loadDescribe(), [loadDescribe, feed.events.length, feed.closed]);
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => document.visibilityState === 'visible' && void loadDescribe(), DESCRIBE_EVERY_MS);
    return () => clearInterval(t);
  }, [running, loadDescribe]);

  const now = useTick(1000, running);
  const model = useMemo(() => buildTimeline(feed.events), [feed.events]);
  const setRoute = (patch: Partial<ExecutionRoute>) => navigate({ ...route, ...patch }, { replace: true });
  const select = (eventId: number) => setRoute({ eventId, tab: route.tab === 'json' || route.tab === 'history' ? route.tab : 'history' });

  const started = feed.events[0]?.eventType === 'WorkflowExecutionStarted' ? feed.events[0] : undefined;
  const closeEvent = feed.closed ? feed.events[feed.events.length - 1] : undefined;
  const notFound = (describeError as { status?: number } | undefined)?.status === 404;

  if (notFound) {
    return (
      <section class="page">
        <Crumbs namespace={namespace} workflowId={workflowId} />
        <h1 class="mono">{workflowId}</h1>
        <ErrorNote error={describeError} />
      </section>
    );
  }

  return (
    <section class="page execution" aria-labelledby="ex-title">
      <Crumbs namespace={namespace} workflowId={workflowId} />
      <div class="page-head">
        <div>
          <h1 id="ex-title" class="mono">
            {workflowId} {describe && <StatusBadge status={describe.status} />}
          </h1>
          <p class="muted mono run">
            Run{' '}
            {runId ? (
              <Link to={{ page: 'execution', namespace, workflowId, runId, tab: route.tab }} title="A link to this run (the link without a run id opens the latest run)">
                {runId}
              </Link>
            ) : (
              '…'
            )}
            {running && feed.caughtUp && <span class="live-dot" title="Following new events live" aria-label="live" />}
          </p>
        </div>
        {runId && <Actions namespace={namespace} workflowId={workflowId} runId={runId} running={running} events={feed.events} onDone={() => void loadDescribe()} />}
      </div>
      <ErrorNote error={describeError ?? feed.error} />

      {describe && <Summary d={describe} now={now} />}
      <RunChain namespace={namespace} workflowId={workflowId} started={started} closeEvent={closeEvent} />
      {describe && <Relatives namespace={namespace} d={describe} />}
      {describe?.cost && <CostPanel cost={describe.cost} heading="Cost so far" />}
      {describe && <TaskQueuePanel namespace={namespace} taskQueue={describe.taskQueue} refresh={describe} />}

      <div class="io">
        <section aria-labelledby="input-h">
          <h2 id="input-h">Input</h2>
          {started ? <DecodedJson value={argsOf(started)} namespace={namespace} label="Workflow input" /> : <p class="muted">…</p>}
        </section>
        <section aria-labelledby="result-h">
          <h2 id="result-h">{closeEvent && /Failed|TimedOut|Terminated|Canceled/.test(closeEvent.eventType) ? 'Outcome' : 'Result'}</h2>
          <Outcome event={closeEvent} namespace={namespace} running={running} />
        </section>
      </div>

      <section aria-labelledby="tl-h">
        <h2 id="tl-h">Timeline</h2>
        {feed.events.length > 0 ? <Timeline model={model} now={now} selectedEventId={route.eventId} onSelect={select} /> : <p class="muted">Loading history…</p>}
      </section>

      <Tabs
        tab={route.tab}
        onTab={(tab) => setRoute({ tab })}
        labels={{
          history: `History (${feed.events.length.toLocaleString()}${feed.caughtUp ? '' : '…'})`,
          json: 'JSON',
          pending: `Pending activities (${describe?.pendingActivities.length ?? 0})`,
          stack: 'Call stack',
        }}
      />
      <div role="tabpanel" id={`panel-${route.tab}`} aria-labelledby={`tab-${route.tab}`} class="panel">
        {route.tab === 'history' && <EventTable events={feed.events} namespace={namespace} selectedEventId={route.eventId} onSelect={select} />}
        {route.tab === 'json' && <HistoryJson events={feed.events} namespace={namespace} fileName={`${workflowId}-${runId ?? 'latest'}-history.json`} />}
        {route.tab === 'pending' && (describe ? <PendingActivities pending={describe.pendingActivities} namespace={namespace} /> : <p class="muted">Loading…</p>)}
        {route.tab === 'stack' && runId && describe && <CallStack namespace={namespace} workflowId={workflowId} runId={runId} taskQueue={describe.taskQueue} />}
      </div>
      {feed.error && !feed.caughtUp ? (
        <button type="button" class="btn small" onClick={() => setRefreshes((n) => n + 1)}>
          Reload history
        </button>
      ) : null}
    </section>
  );
}

function Crumbs({ namespace, workflowId }: { namespace: string; workflowId: string }) {
  return (
    <nav class="crumbs" aria-label="Breadcrumb">
      <Link to={{ page: 'workflows', namespace, query: '' }}>Workflows</Link> <span aria-hidden="true">/</span> <span class="mono">{workflowId}</span>
    </nav>
  );
}

function Summary({ d, now }: { d: Describe; now: number }) {
  return (
    <dl class="summary">
      <div>
        <dt>Type</dt>
        <dd>{d.workflowType}</dd>
      </div>
      <div>
        <dt>Task queue</dt>
        <dd class="mono">{d.taskQueue}</dd>
      </div>
      <div>
        <dt>Start</dt>
        <dd>{formatTime(d.startTime)}</dd>
      </div>
      <div>
        <dt>Close</dt>
        <dd>{formatTime(d.closeTime)}</dd>
      </div>
      <div>
        <dt>Duration</dt>
        <dd>{formatDuration(between(d.startTime, d.closeTime, now))}</dd>
      </div>
      <div>
        <dt>History</dt>
        <dd>{d.historyLength.toLocaleString()} events</dd>
      </div>
      <div>
        <dt>Pending</dt>
        <dd>
          {d.pendingActivities.length} {d.pendingActivities.length === 1 ? 'activity' : 'activities'}{d.pendingWorkflowTask ? ` · workflow task ${d.pendingWorkflowTask.state.toLowerCase()}` : ''}
        </dd>
      </div>
      {d.firstRunId !== d.execution.runId && (
        <div>
          <dt>First run</dt>
          <dd class="mono">{d.firstRunId}</dd>
        </div>
      )}
      {d.cronSchedule && (
        <div>
          <dt>Cron schedule</dt>
          <dd class="mono">{d.cronSchedule}</dd>
        </div>
      )}
    </dl>
  );
}

/** Links to the workflow that started this one (a child's parent) and to its children still running. */
function Relatives({ namespace, d }: { namespace: string; d: Describe }) {
  const children = d.pendingChildren ?? [];
  if (!d.parentExecution && children.length === 0 && !d.resetRunId && !d.resetFromRunId) return null;
  const run = (runId: string) => ({ page: 'execution' as const, namespace, workflowId: d.execution.workflowId, runId, tab: 'history' as const });
  return (
    <dl class="summary relatives" aria-label="Related workflows">
      {d.parentExecution && (
        <div>
          <dt>Parent</dt>
          <dd>
            <Link to={{ page: 'execution', namespace: d.parentNamespace ?? namespace, workflowId: d.parentExecution.workflowId, runId: d.parentExecution.runId, tab: 'history' }} class="mono">
              {d.parentExecution.workflowId}
            </Link>
          </dd>
        </div>
      )}
      {d.resetFromRunId && (
        <div>
          <dt>Reset from</dt>
          <dd>
            <Link to={run(d.resetFromRunId)} class="mono">
              {d.resetFromRunId}
            </Link>
          </dd>
        </div>
      )}
      {d.resetRunId && (
        <div>
          <dt>Reset to</dt>
          <dd>
            <Link to={run(d.resetRunId)} class="mono">
              {d.resetRunId}
            </Link>
          </dd>
        </div>
      )}
      {children.length > 0 && (
        <div>
          <dt>Running children</dt>
          <dd>
            {children.map((c, i) => (
              <span key={c.workflowId}>
                {i > 0 ? ', ' : ''}
                <Link to={{ page: 'execution', namespace, workflowId: c.workflowId, ...(c.runId ? { runId: c.runId } : {}), tab: 'history' }} class="mono" title={`${c.workflowTypeName}, parent close policy ${c.parentClosePolicy}`}>
                  {c.workflowId}
                </Link>
              </span>
            ))}
          </dd>
        </div>
      )}
    </dl>
  );
}

/**
 * Links along the run chain: the run this one continues and the run that continues it
 * (continue-as-new, a retry, the next cron run), so that a chain can be walked from any run.
 */
function RunChain({ namespace, workflowId, started, closeEvent }: { namespace: string; workflowId: string; started: HistoryEvent | undefined; closeEvent: HistoryEvent | undefined }) {
  const previous = (started?.attributes as { continuedExecutionRunId?: string } | undefined)?.continuedExecutionRunId;
  const next = (closeEvent?.attributes as { newExecutionRunId?: string } | undefined)?.newExecutionRunId;
  if (!previous && !next) return null;
  const runLink = (runId: string) => (
    <Link to={{ page: 'execution', namespace, workflowId, runId, tab: 'history' }} class="mono">
      {runId}
    </Link>
  );
  return (
    <dl class="summary run-chain" aria-label="Run chain">
      {previous && (
        <div>
          <dt>Previous run</dt>
          <dd>{runLink(previous)}</dd>
        </div>
      )}
      {next && (
        <div>
          <dt>Next run</dt>
          <dd>{runLink(next)}</dd>
        </div>
      )}
    </dl>
  );
}

function argsOf(e: HistoryEvent): unknown {
  return (e.attributes as { input?: unknown }).input ?? [];
}

function Outcome({ event, namespace, running }: { event: HistoryEvent | undefined; namespace: string; running: boolean }) {
  if (!event) return <p class="muted">{running ? 'Running…' : '…'}</p>;
  const a = event.attributes as Record<string, unknown>;
  switch (event.eventType) {
    case 'WorkflowExecutionCompleted':
      return a['result'] === undefined ? <p class="muted">Completed with no result.</p> : <DecodedJson value={a['result']} namespace={namespace} label="Workflow result" />;
    case 'WorkflowExecutionFailed':
      return (
        <>
          <p class="error-text">{(a['failure'] as { message?: string } | undefined)?.message}</p>
          <DecodedJson value={a['failure']} namespace={namespace} label="Workflow failure" />
        </>
      );
    case 'WorkflowExecutionTerminated':
      return (
        <p>
          Terminated{a['reason'] ? `: ${String(a['reason'])}` : ''}
          {a['identity'] ? <span class="muted"> (by {String(a['identity'])})</span> : null}
        </p>
      );
    case 'WorkflowExecutionCanceled':
      return <p>Canceled.</p>;
    case 'WorkflowExecutionTimedOut':
      return <p>Timed out.</p>;
    default:
      return <DecodedJson value={a} namespace={namespace} label="Workflow outcome" />;
  }
}

const TAB_ORDER: ExecutionTab[] = ['history', 'json', 'pending', 'stack'];

/** A tab list: ← → move between tabs (roving focus), as the ARIA tabs pattern has it. */
function Tabs({ tab, onTab, labels }: { tab: ExecutionTab; onTab: (t: ExecutionTab) => void; labels: Record<ExecutionTab, string> }) {
  const onKey = (e: KeyboardEvent) => {
    const i = TAB_ORDER.indexOf(tab);
    const next = e.key === 'ArrowRight' ? TAB_ORDER[(i + 1) % TAB_ORDER.length] : e.key === 'ArrowLeft' ? TAB_ORDER[(i + TAB_ORDER.length - 1) % TAB_ORDER.length] : undefined;
    if (!next) return;
    e.preventDefault();
    onTab(next);
    requestAnimationFrame(() => document.getElementById(`tab-${next}`)?.focus());
  };
  return (
    <div class="tabs" role="tablist" aria-label="Execution details" onKeyDown={onKey}>
      {TAB_ORDER.map((t) => (
        <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={t === tab} aria-controls={`panel-${t}`} tabIndex={t === tab ? 0 : -1} onClick={() => onTab(t)}>
          {labels[t]}
        </button>
      ))}
    </div>
  );
}
