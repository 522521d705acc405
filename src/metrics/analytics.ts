/**
 * Workers Analytics Engine data points for task queue events (the optional ANALYTICS binding in
 * wrangler.toml): the same counts GET /api/v1/metrics serves, as one data point per event, which
 * Analytics Engine keeps and sums across every object and restart (query them with its SQL API:
 * `SELECT blob3 AS event, SUM(_sample_interval) … GROUP BY event`). Without the binding nothing
 * is written.
 */
import type { QueueEvent } from './queue-counters.js';

/** One data point: blobs [namespace, task queue, event, kind], doubles [count, waited ms], index namespace. */
export function queueDataPoint(namespace: string, taskQueue: string, kind: 'workflow' | 'activity', event: QueueEvent): AnalyticsEngineDataPoint {
  const name = event.kind === 'poll' ? (event.gotTask ? 'poll_with_task' : 'poll_empty') : event.kind;
  return {
    indexes: [namespace.slice(0, 96)],
    blobs: [namespace, taskQueue, name, kind],
    doubles: [1, event.kind === 'dispatched' ? event.waitedMs : 0],
  };
}
