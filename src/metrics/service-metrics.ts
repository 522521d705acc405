/**
 * GET /api/v1/metrics: the service's counts as Prometheus text, gathered when scraped. Executions
 * by namespace, task queue and status come from the visibility store (the summaries runs already
 * write: D1, or with workflow shards each registered namespace's shards); each task queue that store names is asked for its in-memory counts (queue-counters.ts):
 * tasks added and dispatched, polls with a task and empty, the backlog, waiting polls and the time
 * tasks waited in the queue. Nothing is written to serve a scrape.
 */
import { MetricRegistry } from '../../protocol/metric-registry.js';
import type { Env } from '../env.js';
import { taskQueueStub } from '../stubs.js';
import { askShards } from '../visibility/shard-reads.js';
import { visibilityDb } from '../visibility/migrations.js';
import { D1_LAYOUT, type Sql, type VisibilityLayout } from '../visibility/filter-sql.js';
import { workflowShards } from '../workflow-shards.js';
import { NamespaceRegistry } from '../namespaces/registry.js';

/** At most this many task queues are asked per scrape (the most used first), so a scrape stays bounded. */
export const MAX_QUEUES_PER_SCRAPE = 200;

/** With workflow shards, at most this many namespaces (by name) are asked per scrape: each costs a read per shard. */
export const MAX_NAMESPACES_PER_SCRAPE = 100;

const P = 'keel_';

/** A count of runs by task queue and status (and namespace, from D1, which keeps them all). */
export interface QueueStatusCount {
  namespace?: string;
  task_queue: string;
  status: string;
  n: number;
}

/** Runs per task queue and status of a store: D1's by namespace too; a shard keeps one namespace. */
export function runsByQueueSql(layout: VisibilityLayout): Sql {
  const ns = layout.namespace ? 'e.namespace AS namespace, ' : '';
  const entries = layout.entries ? ` WHERE ${layout.entries}` : '';
  return { sql: `SELECT ${ns}e.task_queue AS task_queue, e.status AS status, COUNT(*) AS n FROM ${layout.runs} e${entries} GROUP BY ${ns ? 'e.namespace, ' : ''}e.task_queue, e.status`, params: [] };
}

/** Every store's counts: each registered namespace's shards, or D1 (nothing without a VISIBILITY binding). */
async function runCounts(env: Env): Promise<Array<QueueStatusCount & { namespace: string }>> {
  const db = await visibilityDb(env);
  if (!db) return [];
  if (workflowShards(env) === 0) {
    const q = runsByQueueSql(D1_LAYOUT);
    return (await db.prepare(q.sql).all<QueueStatusCount & { namespace: string }>()).results;
  }
  const namespaces = (await NamespaceRegistry.of(env)?.list(MAX_NAMESPACES_PER_SCRAPE)) ?? [];
  const answers = await Promise.all(
    namespaces.map(async ({ name }) => ((await askShards(env, name, { kind: 'byQueue' })) ?? []).flat().map((row) => ({ ...row, namespace: name }))),
  );
  // A queue's runs are spread over the shards: one count per namespace, queue and status.
  const sums = new Map<string, QueueStatusCount & { namespace: string }>();
  for (const row of answers.flat()) {
    const k = JSON.stringify([row.namespace, row.task_queue, row.status]);
    const sum = sums.get(k);
    if (sum) sum.n += row.n;
    else sums.set(k, { ...row });
  }
  return [...sums.values()];
}

export async function serviceMetrics(env: Env): Promise<string> {
  const r = new MetricRegistry();
  const queues = new Map<string, { namespace: string; taskQueue: string; runs: number }>();
  for (const row of await runCounts(env)) {
    const labels = { namespace: row.namespace, task_queue: row.task_queue };
    r.inc(`${P}workflow_started`, 'Runs started (as the visibility store has them; retention removes deleted runs)', labels, row.n);
    if (row.status !== 'RUNNING') r.inc(`${P}workflow_closed`, 'Runs closed, by close status (as the visibility store has them)', { ...labels, status: row.status }, row.n);
    else r.set(`${P}workflow_running`, 'Runs open now', labels, row.n);
    const k = JSON.stringify([row.namespace, row.task_queue]);
    const q = queues.get(k) ?? { namespace: row.namespace, taskQueue: row.task_queue, runs: 0 };
    q.runs += row.n;
    queues.set(k, q);
  }
  const asked = [...queues.values()].sort((a, b) => b.runs - a.runs).slice(0, MAX_QUEUES_PER_SCRAPE);
  const answers = await Promise.all(
    asked.flatMap((q) =>
      (['workflow', 'activity'] as const).map(async (kind) => ({ ...q, kind, m: await taskQueueStub(env, q.namespace, q.taskQueue, kind).metrics().catch(() => undefined) })),
    ),
  );
  for (const { namespace, taskQueue, kind, m } of answers) {
    if (!m) continue;
    const labels = { namespace, task_queue: taskQueue, task_type: kind };
    r.inc(`${P}task_queue_tasks_added`, 'Tasks added to the queue since its object started', labels, m.added);
    r.inc(`${P}task_queue_tasks_dispatched`, 'Tasks handed to polls since the queue object started', labels, m.dispatched);
    r.inc(`${P}task_queue_poll_succeed`, 'Polls answered with a task since the queue object started', labels, m.pollsWithTask);
    r.inc(`${P}task_queue_poll_empty`, 'Polls that ended empty since the queue object started', labels, m.pollsEmpty);
    r.set(`${P}task_queue_backlog`, 'Tasks waiting in the queue for a poll', labels, m.backlog);
    r.set(`${P}task_queue_waiting_polls`, 'Polls waiting in the queue for a task', labels, m.waitingPolls);
    r.set(`${P}task_queue_pollers`, 'Workers that polled within the last 5 minutes', labels, m.recentPollers);
    r.set(`${P}task_queue_counters_since_seconds`, 'When the queue object started counting (Unix seconds): counts before it are lost', labels, Math.floor(m.since / 1000));
    r.addHistogram(`${P}task_queue_schedule_to_start_latency`, 'Time tasks waited in the queue before a poll took them (ms)', labels, { ...m.waited, count: m.dispatched });
  }
  return r.render();
}
