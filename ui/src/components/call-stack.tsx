// The call stack: what the workflow is waiting on, from the `__stack_trace` query that a worker
// answers. With no worker polling the run's task queue it says so at once instead of waiting for
// the query to time out; a QUERY_TIMEOUT reads as "no worker answered".
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { decodeLocal } from '../payloads.js';
import { ErrorNote } from './common.js';

const STACK_TRACE_QUERY = '__stack_trace';
/** A poller seen within this long counts as a worker that may answer. */
const RECENT_POLLER_MS = 60_000;

type State =
  | { kind: 'checking' }
  | { kind: 'no-worker'; detail: string }
  | { kind: 'asking' }
  | { kind: 'answer'; text: string }
  | { kind: 'error'; error: unknown };

export function CallStack({ namespace, workflowId, runId, taskQueue }: { namespace: string; workflowId: string; runId: string; taskQueue: string }) {
  const [state, setState] = useState<State>({ kind: 'checking' });
  const [attempt, setAttempt] = useState(0);
  const [force, setForce] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    void (async () => {
      try {
        if (!force) {
          setState({ kind: 'checking' });
          const tq = await api.describeTaskQueue(namespace, taskQueue, 'workflow');
          const recent = tq.pollers.filter((p) => Date.now() - Date.parse(p.lastAccessTime) < RECENT_POLLER_MS);
          if (recent.length === 0) {
            setState({ kind: 'no-worker', detail: `No worker has polled task queue “${taskQueue}” in the last minute.` });
            return;
          }
        }
        setState({ kind: 'asking' });
        const res = await api.query(namespace, workflowId, { runId, queryType: STACK_TRACE_QUERY, queryArgs: [] }, ac.signal);
        const d = res.answer ? decodeLocal(res.answer) : { kind: 'null' as const };
        const text = d.kind === 'json' ? (typeof d.value === 'string' ? d.value : JSON.stringify(d.value, null, 2)) : d.kind === 'null' ? '(empty)' : `(${d.kind} answer)`;
        setState({ kind: 'answer', text });
      } catch (err) {
        if (ac.signal.aborted) return;
        if (err instanceof ApiError && err.code === 'QUERY_TIMEOUT') setState({ kind: 'no-worker', detail: 'No worker answered the stack trace query in time.' });
        else setState({ kind: 'error', error: err });
      }
    })();
    return () => ac.abort();
  }, [namespace, workflowId, runId, taskQueue, attempt, force]);

  return (
    <div class="stack" aria-live="polite">
      <div class="toolbar">
        <button
          type="button"
          class="btn small"
          onClick={() => {
            setForce(false);
            setAttempt((n) => n + 1);
          }}
          disabled={state.kind === 'asking' || state.kind === 'checking'}
        >
          Refresh
        </button>
      </div>
      {state.kind === 'checking' && <p class="muted">Looking for a worker…</p>}
      {state.kind === 'asking' && <p class="muted">Asking a worker for the call stack…</p>}
      {state.kind === 'no-worker' && (
        <div class="no-worker">
          <p>
            <strong>No worker</strong> — {state.detail} The call stack comes from a running worker that replays this workflow; start one for task queue{' '}
            <code>{taskQueue}</code> to see it.
          </p>
          <button
            type="button"
            class="btn small ghost"
            onClick={() => {
              setForce(true);
              setAttempt((n) => n + 1);
            }}
          >
            Ask anyway
          </button>
        </div>
      )}
      {state.kind === 'answer' && (
        <pre class="json" tabIndex={0} aria-label="Stack trace">
          {state.text}
        </pre>
      )}
      {state.kind === 'error' && <ErrorNote error={state.error} />}
    </div>
  );
}
