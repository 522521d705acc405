// The HTTP API end to end with plain fetch — start a workflow, run a worker, wait for the
// result — against a Keel service, `keel dev` by default:
//
//   keel dev                                  # in one terminal
//   npx tsx examples/http-worker/main.ts      # in another (KEEL_ADDRESS to use another service)
import { fileURLToPath } from 'node:url';
import { decode, encode, runFetchWorker } from './worker';

export const TASK_QUEUE = 'http-worker';

/** Starts a `greeting` workflow and waits for its result, with plain HTTP calls. */
export async function greetOverHttp(baseUrl: string, name: string, namespace = 'default'): Promise<unknown> {
  const api = `${baseUrl}/api/v1/namespaces/${namespace}`;
  const workflowId = `greeting-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const start = await fetch(`${api}/workflows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflowId, workflowType: 'greeting', taskQueue: TASK_QUEUE, input: [encode(name)] }),
  });
  if (!start.ok) throw new Error(`start: ${start.status} ${await start.text()}`);
  for (;;) {
    // Long-polls until the run's close event exists (an empty answer after ~20 s: ask again).
    const res = await fetch(`${api}/workflows/${workflowId}/history?closeEventOnly=true&waitNewEvent=true`);
    const { events } = (await res.json()) as { events?: Array<{ eventType: string; attributes: { result?: never; failure?: { message: string } } }> };
    const close = events?.[0];
    if (!close) continue;
    if (close.eventType !== 'WorkflowExecutionCompleted') throw new Error(`${close.eventType}: ${close.attributes.failure?.message ?? ''}`);
    return close.attributes.result ? decode(close.attributes.result) : undefined;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const baseUrl = address.includes('://') ? address : `http://${address}`;
  const stop = new AbortController();
  const worker = runFetchWorker({ baseUrl, taskQueue: TASK_QUEUE, signal: stop.signal, ...(process.env.KEEL_API_KEY ? { apiKey: process.env.KEEL_API_KEY } : {}) });
  console.log(`Result: ${JSON.stringify(await greetOverHttp(baseUrl, process.argv[2] ?? 'HTTP'))}`);
  stop.abort();
  await worker;
}
