// Owns the UI's calls to the Keel HTTP API, typed by the protocol (protocol/api.ts) so that a
// protocol change that breaks the UI fails to compile. Same origin: the service serves the UI.
// Paths are written out here because the protocol's endpoint table lives beside its zod schemas,
// which stay out of the browser bundle; ui/src/api.test.ts checks them against that table.
import type { RequestOf, ResponseOf } from '../../protocol/api.js';
import type { ErrorBody } from '../../protocol/errors.js';
import { getSettings } from './settings.js';

export const API_PREFIX = '/api/v1';

/** The endpoint paths the UI calls, relative to the namespace (as in `Api`). */
export const PATHS = {
  describeWorkflow: '/workflows/{workflowId}',
  getWorkflowHistory: '/workflows/{workflowId}/history',
  signalWorkflow: '/workflows/{workflowId}/signal',
  requestCancelWorkflow: '/workflows/{workflowId}/cancel',
  terminateWorkflow: '/workflows/{workflowId}/terminate',
  resetWorkflow: '/workflows/{workflowId}/reset',
  queryWorkflow: '/workflows/{workflowId}/query',
  updateWorkflow: '/workflows/{workflowId}/updates',
  describeTaskQueue: '/task-queues/{taskQueue}',
  listWorkflows: '/workflows',
  countWorkflows: '/workflow-count',
  describeNamespaceCost: '/cost',
  listSchedules: '/schedules',
  describeSchedule: '/schedules/{scheduleId}',
  patchSchedule: '/schedules/{scheduleId}/patch',
} as const;

/** An error answer of the service (its `code` and `message`), or a network failure (`NETWORK`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

function url(namespace: string, path: string, params: Record<string, string>, query?: Query): string {
  const p = path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return `${API_PREFIX}/namespaces/${encodeURIComponent(namespace)}${p}${s ? `?${s}` : ''}`;
}

async function call<T>(method: 'GET' | 'POST', href: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  // The service takes only JSON bodies (a cross-site form cannot send one without a preflight).
  if (method === 'POST') headers['content-type'] = 'application/json';
  if (method === 'POST') body ??= {};
  const key = getSettings().apiKey;
  if (key) headers['authorization'] = `Bearer ${key}`;
  let res: Response;
  try {
    res = await fetch(href, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), ...(signal ? { signal } : {}) });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', `The Keel service could not be reached (${(err as Error).message}).`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(res.status, 'INTERNAL', `The service answered ${res.status} with a body that is not JSON.`);
  }
  if (!res.ok) {
    const e = (json as Partial<ErrorBody>).error;
    throw new ApiError(res.status, e?.code ?? 'INTERNAL', e?.message ?? `The service answered ${res.status}.`, e?.details);
  }
  return json as T;
}

const id = (workflowId: string) => ({ workflowId });

export const api = {
  describeWorkflow: (ns: string, workflowId: string, runId?: string, signal?: AbortSignal) =>
    call<ResponseOf<'describeWorkflow'>>('GET', url(ns, PATHS.describeWorkflow, id(workflowId), { runId }), undefined, signal),

  getHistory: (ns: string, workflowId: string, q: Omit<RequestOf<'getWorkflowHistory'>, 'waitNewEvent' | 'closeEventOnly'> & { waitNewEvent?: boolean }, signal?: AbortSignal) =>
    call<ResponseOf<'getWorkflowHistory'>>('GET', url(ns, PATHS.getWorkflowHistory, id(workflowId), q as Query), undefined, signal),

  signal: (ns: string, workflowId: string, body: RequestOf<'signalWorkflow'>) => call<ResponseOf<'signalWorkflow'>>('POST', url(ns, PATHS.signalWorkflow, id(workflowId)), body),

  cancel: (ns: string, workflowId: string, body: RequestOf<'requestCancelWorkflow'>) =>
    call<ResponseOf<'requestCancelWorkflow'>>('POST', url(ns, PATHS.requestCancelWorkflow, id(workflowId)), body),

  terminate: (ns: string, workflowId: string, body: RequestOf<'terminateWorkflow'>) =>
    call<ResponseOf<'terminateWorkflow'>>('POST', url(ns, PATHS.terminateWorkflow, id(workflowId)), body),

  /** Resets a run (the answer names the new run). */
  reset: (ns: string, workflowId: string, body: RequestOf<'resetWorkflow'>) => call<ResponseOf<'resetWorkflow'>>('POST', url(ns, PATHS.resetWorkflow, id(workflowId)), body),

  /** Sends an update; the answer comes once its handler ends (or, rejected, at once), or with stage ACCEPTED when the long poll ends first. */
  update: (ns: string, workflowId: string, body: RequestOf<'updateWorkflow'>) => call<ResponseOf<'updateWorkflow'>>('POST', url(ns, PATHS.updateWorkflow, id(workflowId)), body),

  query: (ns: string, workflowId: string, body: RequestOf<'queryWorkflow'>, signal?: AbortSignal) =>
    call<ResponseOf<'queryWorkflow'>>('POST', url(ns, PATHS.queryWorkflow, id(workflowId)), body, signal),

  describeTaskQueue: (ns: string, taskQueue: string, kind: 'workflow' | 'activity' = 'workflow') =>
    call<ResponseOf<'describeTaskQueue'>>('GET', url(ns, PATHS.describeTaskQueue, { taskQueue }, { kind })),

  /** One page of executions matching a list filter; the service filters and pages. */
  listWorkflows: (ns: string, q: RequestOf<'listWorkflows'>, signal?: AbortSignal) =>
    call<ResponseOf<'listWorkflows'>>('GET', url(ns, PATHS.listWorkflows, {}, q as Query), undefined, signal),

  countWorkflows: (ns: string, q: RequestOf<'countWorkflows'>, signal?: AbortSignal) =>
    call<ResponseOf<'countWorkflows'>>('GET', url(ns, PATHS.countWorkflows, {}, q as Query), undefined, signal),

  /** What the namespace's runs cost in a month so far (the current month by default). */
  describeNamespaceCost: (ns: string, q: RequestOf<'describeNamespaceCost'> = {}, signal?: AbortSignal) =>
    call<ResponseOf<'describeNamespaceCost'>>('GET', url(ns, PATHS.describeNamespaceCost, {}, q as Query), undefined, signal),

  listSchedules: (ns: string, q: RequestOf<'listSchedules'>, signal?: AbortSignal) =>
    call<ResponseOf<'listSchedules'>>('GET', url(ns, PATHS.listSchedules, {}, q as Query), undefined, signal),

  describeSchedule: (ns: string, scheduleId: string, signal?: AbortSignal) =>
    call<ResponseOf<'describeSchedule'>>('GET', url(ns, PATHS.describeSchedule, { scheduleId }), undefined, signal),

  /** Pause, unpause or trigger (one action now). */
  patchSchedule: (ns: string, scheduleId: string, body: RequestOf<'patchSchedule'>) =>
    call<ResponseOf<'patchSchedule'>>('POST', url(ns, PATHS.patchSchedule, { scheduleId }), body),
};

/** A run as the list answers it. */
export type ExecutionInfo = ResponseOf<'listWorkflows'>['executions'][number];

/** JSON text as a payload (`json/plain`), the way the SDK's default converter writes it. */
export function jsonPayload(value: unknown): { metadata: Record<string, string>; data: string } {
  const b64 = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  };
  return { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) };
}
