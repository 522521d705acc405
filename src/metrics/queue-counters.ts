/**
 * What a task queue object counts about itself, in memory only (no write on the hot path): tasks
 * added, tasks handed to polls and how long each waited in the queue, polls answered with a task
 * or empty. Read by GET /api/v1/metrics through the queue's `metrics()`; an evicted or restarted
 * queue object starts again from zero (Prometheus counters tolerate resets), and the scrape's
 * `keel_task_queue_counters_since` says since when. Each event is also handed to `onEvent`,
 * which on Cloudflare writes it to Workers Analytics Engine (analytics.ts).
 */
import { LATENCY_BUCKETS_MS } from '../../protocol/metric-registry.js';

export type QueueEvent = { kind: 'added' } | { kind: 'dispatched'; waitedMs: number } | { kind: 'poll'; gotTask: boolean };

export interface QueueCountsSnapshot {
  since: number;
  added: number;
  dispatched: number;
  pollsWithTask: number;
  pollsEmpty: number;
  /** Time in the queue of each dispatched task (ms): count per bucket of LATENCY_BUCKETS_MS (not cumulative), sum. */
  waited: { buckets: number[]; sum: number };
}

export class QueueCounters {
  private readonly counts: QueueCountsSnapshot;

  constructor(
    now: number,
    private readonly onEvent: (event: QueueEvent) => void = () => {},
  ) {
    this.counts = { since: now, added: 0, dispatched: 0, pollsWithTask: 0, pollsEmpty: 0, waited: { buckets: LATENCY_BUCKETS_MS.map(() => 0), sum: 0 } };
  }

  record(event: QueueEvent): void {
    const c = this.counts;
    if (event.kind === 'added') c.added++;
    else if (event.kind === 'poll') event.gotTask ? c.pollsWithTask++ : c.pollsEmpty++;
    else {
      c.dispatched++;
      c.waited.sum += event.waitedMs;
      const i = LATENCY_BUCKETS_MS.findIndex((b) => event.waitedMs <= b);
      if (i >= 0) c.waited.buckets[i]!++;
    }
    this.onEvent(event);
  }

  snapshot(): QueueCountsSnapshot {
    return structuredClone(this.counts);
  }
}
