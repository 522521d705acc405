// Owns the UI's addresses: every page state worth sharing (namespace, filter, workflow, run,
// tab) lives in the URL, so a link opens the same view. Pure: parse and format only.

export const EXECUTION_TABS = ['history', 'json', 'pending', 'stack'] as const;
export type ExecutionTab = (typeof EXECUTION_TABS)[number];

export type Route =
  | { page: 'workflows'; namespace: string; query: string; status?: string; pageSize?: number }
  | { page: 'execution'; namespace: string; workflowId: string; runId?: string; tab: ExecutionTab; eventId?: number }
  | { page: 'schedules'; namespace: string }
  | { page: 'schedule'; namespace: string; scheduleId: string }
  | { page: 'not-found'; path: string };

export const DEFAULT_NAMESPACE = 'default';

const seg = (s: string) => encodeURIComponent(s);

/** The path and query string of a route. */
export function formatRoute(r: Route): string {
  if (r.page === 'not-found') return r.path;
  if (r.page === 'schedules') return `/namespaces/${seg(r.namespace)}/schedules`;
  if (r.page === 'schedule') return `/namespaces/${seg(r.namespace)}/schedules/${seg(r.scheduleId)}`;
  const base = `/namespaces/${seg(r.namespace)}/workflows`;
  if (r.page === 'workflows') {
    const q = new URLSearchParams();
    if (r.query) q.set('query', r.query);
    if (r.status) q.set('status', r.status);
    if (r.pageSize) q.set('pageSize', String(r.pageSize));
    const qs = q.toString();
    return qs ? `${base}?${qs}` : base;
  }
  const q = new URLSearchParams();
  if (r.tab !== 'history') q.set('tab', r.tab);
  if (r.eventId) q.set('event', String(r.eventId));
  const qs = q.toString();
  return `${base}/${seg(r.workflowId)}${r.runId ? `/${seg(r.runId)}` : ''}${qs ? `?${qs}` : ''}`;
}

/** Reads a route from a path and query string (what `location` holds). */
export function parseRoute(pathname: string, search: string): Route {
  const q = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean);
  let decoded: string[];
  try {
    decoded = parts.map(decodeURIComponent);
  } catch {
    return { page: 'not-found', path: pathname };
  }
  if (decoded.length === 0) return { page: 'workflows', namespace: q.get('namespace') || DEFAULT_NAMESPACE, query: q.get('query') ?? '' };
  if (decoded[0] !== 'namespaces' || !decoded[1]) return { page: 'not-found', path: pathname };
  const namespace = decoded[1];
  if (decoded.length === 2 || (decoded.length === 3 && decoded[2] === 'workflows')) {
    const pageSize = Number(q.get('pageSize'));
    return {
      page: 'workflows',
      namespace,
      query: q.get('query') ?? '',
      ...(q.get('status') ? { status: q.get('status')! } : {}),
      ...(Number.isInteger(pageSize) && pageSize > 0 ? { pageSize } : {}),
    };
  }
  if (decoded[2] === 'schedules' && decoded.length === 3) return { page: 'schedules', namespace };
  if (decoded[2] === 'schedules' && decoded[3] && decoded.length === 4) return { page: 'schedule', namespace, scheduleId: decoded[3] };
  if (decoded[2] === 'workflows' && decoded[3] && decoded.length <= 5) {
    const tab = (EXECUTION_TABS as readonly string[]).includes(q.get('tab') ?? '') ? (q.get('tab') as ExecutionTab) : 'history';
    const eventId = Number(q.get('event'));
    return {
      page: 'execution',
      namespace,
      workflowId: decoded[3],
      ...(decoded[4] ? { runId: decoded[4] } : {}),
      tab,
      ...(Number.isInteger(eventId) && eventId > 0 ? { eventId } : {}),
    };
  }
  return { page: 'not-found', path: pathname };
}
