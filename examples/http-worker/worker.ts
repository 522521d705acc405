// A Keel worker written with nothing but `fetch`: no SDK, so any language can do the same.
// It serves the workflow type `greeting` (schedule the activity `compose`, then complete with
// its result) and the activity `compose` on one task queue. See docs/http-api.md.
export interface FetchWorkerOptions {
  /** e.g. http://127.0.0.1:7233 */
  baseUrl: string;
  namespace?: string;
  taskQueue: string;
  apiKey?: string;
  /** Aborting it stops the worker. */
  signal: AbortSignal;
}

type Payload = { metadata: Record<string, string>; data: string };
type Event = { eventType: string; attributes: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Values travel as payloads: base64 JSON bytes with base64 metadata. */
export const encode = (value: unknown): Payload => ({ metadata: { encoding: btoa('json/plain') }, data: Buffer.from(JSON.stringify(value)).toString('base64') });
export const decode = (p: Payload): unknown => JSON.parse(Buffer.from(p.data, 'base64').toString());

export async function runFetchWorker(o: FetchWorkerOptions): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${o.baseUrl}/api/v1/namespaces/${o.namespace ?? 'default'}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal: o.signal,
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const identity = `fetch-worker@${process.pid}`;

  const workflows = async () => {
    for (;;) {
      // A long poll: held up to ~20 s, answered `{}` when no task came.
      const { task } = await call(`/task-queues/${o.taskQueue}/workflow-tasks/poll`, { identity });
      if (!task) continue;
      if (task.query) {
        await call('/query-tasks/respond', { taskToken: task.taskToken, errorMessage: 'this worker answers no queries' });
        continue;
      }
      // Decide from the history what to do next: this is a (very small) workflow, replayed.
      const history: Event[] = task.history;
      const has = (type: string) => history.find((e) => e.eventType === type);
      const done = has('ActivityTaskCompleted');
      const failed = has('ActivityTaskFailed') ?? has('ActivityTaskTimedOut');
      const input = has('WorkflowExecutionStarted')!.attributes.input;
      const commands = done
        ? [{ type: 'CompleteWorkflowExecution', result: done.attributes.result }]
        : failed
          ? [{ type: 'FailWorkflowExecution', failure: { message: `compose failed: ${failed.attributes.failure.message}` } }]
          : has('ActivityTaskScheduled')
            ? []
            : [{ type: 'ScheduleActivityTask', activityId: '1', activityType: 'compose', input, startToCloseTimeoutMs: 10_000 }];
      await call('/workflow-tasks/complete', { taskToken: task.taskToken, commands, identity });
    }
  };

  const activities = async () => {
    for (;;) {
      const { task } = await call(`/task-queues/${o.taskQueue}/activity-tasks/poll`, { identity });
      if (!task) continue;
      const [name] = task.input.map(decode);
      await call('/activity-tasks/complete', { taskToken: task.taskToken, result: encode(`Hello, ${name}!`), identity });
    }
  };

  // Both loops end when the signal aborts their fetch; anything else is a real failure.
  await Promise.all([workflows(), activities()]).catch((err) => {
    if (!o.signal.aborted) throw err;
  });
}
