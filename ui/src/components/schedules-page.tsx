// The schedules pages: every schedule of the namespace (from the visibility store), and one
// schedule's describe — spec, action, state, recent and upcoming actions — with Pause/Unpause and
// Trigger buttons.
import { useEffect, useState } from 'preact/hooks';
import type { ResponseOf } from '../../../protocol/api.js';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { requestId } from '../navigation.js';
import type { Route } from '../route.js';
import { ErrorNote, Link, toast } from './common.js';

type SchedulesRoute = Extract<Route, { page: 'schedules' }>;
type ScheduleRoute = Extract<Route, { page: 'schedule' }>;
type Entry = ResponseOf<'listSchedules'>['schedules'][number];
type Described = ResponseOf<'describeSchedule'>;
type Spec = Entry['info']['spec'];

/** A spec in a few words: its intervals, cron strings and calendars, and the zone. */
export function specSummary(spec: Spec): string {
  const secs = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
  const parts = [
    ...(spec.intervals ?? []).map((i) => `every ${secs(i.everyMs)}${i.offsetMs ? ` + ${secs(i.offsetMs)}` : ''}`),
    ...(spec.cronStrings ?? []),
    ...(spec.calendars ?? []).map((c) => c.comment ?? 'calendar'),
  ];
  return (parts.join(', ') || 'no times') + (spec.timezone ? ` (${spec.timezone})` : '');
}

export function SchedulesPage({ route }: { route: SchedulesRoute }) {
  const { namespace } = route;
  const [rows, setRows] = useState<Entry[] | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const ac = new AbortController();
    setRows(undefined);
    api
      .listSchedules(namespace, { pageSize: 1000 }, ac.signal)
      .then((r) => {
        setRows(r.schedules);
        setError(undefined);
      })
      .catch((err: unknown) => (err as Error).name !== 'AbortError' && setError(err));
    return () => ac.abort();
  }, [namespace]);

  return (
    <section class="page">
      <h1>Schedules</h1>
      {error ? <ErrorNote error={error} /> : null}
      <div class="table-wrap" aria-busy={!rows && !error}>
        <table class="list">
          <caption class="sr-only">Schedules in {namespace}</caption>
          <thead>
            <tr>
              <th scope="col">Schedule ID</th>
              <th scope="col">Workflow type</th>
              <th scope="col">Spec</th>
              <th scope="col">State</th>
              <th scope="col">Next action</th>
            </tr>
          </thead>
          <tbody>
            {rows?.map((s) => (
              <tr key={s.scheduleId}>
                <td class="mono">
                  <Link to={{ page: 'schedule', namespace, scheduleId: s.scheduleId }}>{s.scheduleId}</Link>
                </td>
                <td>{s.info.workflowType}</td>
                <td class="mono">{specSummary(s.info.spec)}</td>
                <td>{s.info.paused ? `Paused${s.info.note ? `: ${s.info.note}` : ''}` : 'Active'}</td>
                <td class="time">{formatTime(s.info.futureActionTimes[0])}</td>
              </tr>
            ))}
            {rows && rows.length === 0 && (
              <tr>
                <td colSpan={5} class="empty">
                  No schedules in this namespace yet. Create one with <code>client.schedule.create</code> or <code>keel schedule create</code>.
                </td>
              </tr>
            )}
            {!rows && !error && (
              <tr>
                <td colSpan={5} class="empty">
                  Loading…
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function SchedulePage({ route }: { route: ScheduleRoute }) {
  const { namespace, scheduleId } = route;
  const [d, setD] = useState<Described | undefined>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [refreshes, setRefreshes] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    api
      .describeSchedule(namespace, scheduleId, ac.signal)
      .then((r) => {
        setD(r);
        setError(undefined);
      })
      .catch((err: unknown) => (err as Error).name !== 'AbortError' && setError(err));
    return () => ac.abort();
  }, [namespace, scheduleId, refreshes]);

  const act = async (what: string, body: Parameters<typeof api.patchSchedule>[2]) => {
    setBusy(true);
    try {
      await api.patchSchedule(namespace, scheduleId, { ...body, requestId: requestId() });
      toast(what);
      setRefreshes((n) => n + 1);
    } catch (err) {
      toast(`${what} failed: ${(err as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  const paused = d?.schedule.state?.paused ?? false;
  const action = d?.schedule.action.startWorkflow;

  return (
    <section class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <Link to={{ page: 'schedules', namespace }}>Schedules</Link> <span aria-hidden="true">/</span> <span class="mono">{scheduleId}</span>
      </nav>
      <h1>
        <span class="mono">{scheduleId}</span> <span class={`status ${paused ? 'status-paused' : 'status-running'}`}>{d ? (paused ? 'Paused' : 'Active') : ''}</span>
      </h1>
      {error ? <ErrorNote error={error} /> : null}
      {d && action && (
        <>
          <div class="actions" role="group" aria-label="Schedule actions">
            {paused ? (
              <button type="button" class="btn" disabled={busy} onClick={() => act('Unpaused', { unpause: 'Unpaused from the web UI' })}>
                Unpause
              </button>
            ) : (
              <button type="button" class="btn" disabled={busy} onClick={() => act('Paused', { pause: 'Paused from the web UI' })}>
                Pause
              </button>
            )}
            <button type="button" class="btn primary" disabled={busy} onClick={() => act('Triggered', { triggerImmediately: {} })}>
              Trigger now
            </button>
          </div>
          <dl class="summary">
            <div>
              <dt>Spec</dt>
              <dd class="mono">{specSummary(d.schedule.spec)}</dd>
            </div>
            <div>
              <dt>Workflow type</dt>
              <dd>{action.workflowType}</dd>
            </div>
            <div>
              <dt>Task queue</dt>
              <dd class="mono">{action.taskQueue}</dd>
            </div>
            <div>
              <dt>Overlap policy</dt>
              <dd>{d.schedule.policies?.overlapPolicy ?? 'SKIP'}</dd>
            </div>
            <div>
              <dt>Notes</dt>
              <dd>{d.schedule.state?.note ?? '—'}</dd>
            </div>
            <div>
              <dt>Actions taken</dt>
              <dd>{d.info.actionCount}</dd>
            </div>
            <div>
              <dt>Skipped (overlap)</dt>
              <dd>{d.info.overlapSkipped}</dd>
            </div>
            {d.schedule.state?.limitedActions ? (
              <div>
                <dt>Remaining actions</dt>
                <dd>{d.schedule.state.remainingActions ?? 0}</dd>
              </div>
            ) : null}
            <div>
              <dt>Created</dt>
              <dd class="time">{formatTime(d.info.createTime)}</dd>
            </div>
          </dl>
          <h2>Recent actions</h2>
          <div class="table-wrap">
            <table class="list">
              <caption class="sr-only">Recent actions</caption>
              <thead>
                <tr>
                  <th scope="col">Scheduled</th>
                  <th scope="col">Taken</th>
                  <th scope="col">Workflow ID</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {[...d.info.recentActions].reverse().map((a) => (
                  <tr key={a.startWorkflowResult.runId}>
                    <td class="time">{formatTime(a.scheduleTime)}</td>
                    <td class="time">{formatTime(a.actualTime)}</td>
                    <td class="mono">
                      <Link to={{ page: 'execution', namespace, workflowId: a.startWorkflowResult.workflowId, runId: a.startWorkflowResult.runId, tab: 'history' }}>
                        {a.startWorkflowResult.workflowId}
                      </Link>
                    </td>
                    <td>{a.startWorkflowStatus ?? '—'}</td>
                  </tr>
                ))}
                {d.info.recentActions.length === 0 && (
                  <tr>
                    <td colSpan={4} class="empty">
                      No actions yet.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <h2>Upcoming actions</h2>
          {d.info.futureActionTimes.length === 0 ? (
            <p class="muted">None{paused ? ' while paused' : ''}.</p>
          ) : (
            <ol class="upcoming" aria-label="Upcoming actions">
              {d.info.futureActionTimes.map((t) => (
                <li key={t} class="time">
                  {formatTime(t)}
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}
