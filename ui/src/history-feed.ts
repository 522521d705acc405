// Owns reading one run's history into the page: all pages, then a long poll for new events while
// the run is open, so the page follows a running workflow live. Retries with back-off.
import type { HistoryEvent } from '../../protocol/events.js';
import { api } from './api.js';

export interface FeedState {
  runId?: string;
  events: HistoryEvent[];
  /** The run has closed: nothing more will come. */
  closed: boolean;
  /** Everything written so far has been read. */
  caughtUp: boolean;
  error?: unknown;
}

const PAGE = 1000;

/** Reads the history until closed or stopped; `onChange` gets each new state (events array replaced). */
export function followHistory(ns: string, workflowId: string, runId: string | undefined, onChange: (s: FeedState) => void): () => void {
  const ac = new AbortController();
  let state: FeedState = { ...(runId ? { runId } : {}), events: [], closed: false, caughtUp: false };
  const emit = (patch: Partial<FeedState>) => {
    state = { ...state, ...patch };
    if (!ac.signal.aborted) onChange(state);
  };
  void (async () => {
    let token: string | undefined;
    let wait = false;
    let backoff = 500;
    while (!ac.signal.aborted) {
      try {
        const page = await api.getHistory(
          ns,
          workflowId,
          { ...(state.runId ? { runId: state.runId } : {}), pageSize: PAGE, ...(token ? { nextPageToken: token } : {}), ...(wait ? { waitNewEvent: true } : {}) },
          ac.signal,
        );
        backoff = 500;
        const caughtUp = page.events.length < PAGE;
        emit({
          runId: page.runId,
          ...(page.events.length > 0 ? { events: state.events.concat(page.events) } : {}),
          closed: !page.nextPageToken,
          caughtUp: caughtUp || !page.nextPageToken,
          error: undefined,
        });
        if (!page.nextPageToken) return;
        token = page.nextPageToken;
        wait = caughtUp;
      } catch (err) {
        if (ac.signal.aborted) return;
        emit({ error: err });
        if ((err as { status?: number }).status === 404) return;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  })();
  return () => ac.abort();
}
