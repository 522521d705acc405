/**
 * Workers Analytics Engine data points for task queue events (the optional ANALYTICS binding in
 * wrangler.toml): the same counts GET /api/v1/metrics serves, as one data point per event, which
 * Analytics Engine keeps and sums across every object and restart (query them with its SQL API:
 * `SELECT blob3 AS event, SUM(_sample_interval) … GROUP BY event`). Without the binding nothing
 * is written.
 */
import type { QueueEvent } from './queue-counters.js';

/** Analytics Engine's limit on an index, in bytes (https://developers.cloudflare.com/analytics/analytics-engine/limits/, read 2026-12-06). */
export const MAX_INDEX_BYTES = 96;

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, never cutting a character in two. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const { read } = new TextEncoder().encodeInto(text, new Uint8Array(maxBytes));
  return text.slice(0, read);
}

/** One data point: blobs [namespace, task queue, event, kind], doubles [count, waited ms], index namespace. */
export function queueDataPoint(namespace: string, taskQueue: string, kind: 'workflow' | 'activity', event: QueueEvent): AnalyticsEngineDataPoint {
  const name = event.kind === 'poll' ? (event.gotTask ? 'poll_with_task' : 'poll_empty') : event.kind;
  return {
    // The limit is in bytes: a namespace of non-ASCII letters is cut sooner than 96 characters.
    indexes: [utf8Prefix(namespace, MAX_INDEX_BYTES)],
    blobs: [namespace, taskQueue, name, kind],
    doubles: [1, event.kind === 'dispatched' ? event.waitedMs : 0],
  };
}

/**
 * The writer a task queue object hands its events to: a data point each on `env.ANALYTICS` when
 * bound (read at each event), nothing otherwise. Analytics must never cost a task: a write that
 * throws (a limit Cloudflare enforces, a binding gone bad) is logged once per object and dropped.
 */
export function queueAnalytics(env: { ANALYTICS?: AnalyticsEngineDataset }, queue: { namespace: string; taskQueue: string; kind: 'workflow' | 'activity' }): (event: QueueEvent) => void {
  let warned = false;
  return (event) => {
    const dataset = env.ANALYTICS;
    if (!dataset) return;
    try {
      dataset.writeDataPoint(queueDataPoint(queue.namespace, queue.taskQueue, queue.kind, event));
    } catch (err) {
      if (!warned) console.warn(`keel: task queue '${queue.taskQueue}' could not write to Analytics Engine; its events are not recorded there`, err);
      warned = true;
    }
  };
}
