/** The bindings and variables the Keel Worker runs with (see wrangler.toml). */
import type { ScheduleObject } from './schedule-object.js';
import type { TaskQueueObject } from './task-queue-object.js';
import type { WorkflowObject } from './workflow-object.js';

export interface Env {
  WORKFLOWS: DurableObjectNamespace<WorkflowObject>;
  TASK_QUEUES: DurableObjectNamespace<TaskQueueObject>;
  /** One object per schedule (src/schedule-object.ts). */
  SCHEDULES: DurableObjectNamespace<ScheduleObject>;
  /**
   * Secret: the API keys' grants, `[{ "name", "sha256", "namespaces" }]` (src/auth.ts). Unset, the
   * service is open (local development); set, every namespaced call needs a key for its namespace.
   */
  KEEL_API_KEYS?: string;
  /** Secret that signs task tokens. Unset in local development, where a fixed dev secret is used. */
  KEEL_TOKEN_SECRET?: string;
  /** How long long polls (task polls, history waits, queries) are held, in ms; default 20 000. Tests shorten it. */
  KEEL_LONG_POLL_MS?: string;
  /** How long after its start a shard holds an offered first workflow task for the next shard poll, in ms (default 100; 0: never; src/workflow-object/shard-polls.ts). */
  KEEL_SHARD_HOLD_MS?: string;
  /**
   * How long a provisional start's run may stay in memory only, in ms (default 1000; 0: never, every start
   * is written at once; at most 60 000; src/workflow-object/provisional.ts).
   */
  KEEL_PROVISIONAL_MS?: string;
  /**
   * With an object per workflow (KEEL_WORKFLOW_SHARDS=0): how long a running run's summary waits
   * before it goes to D1, in ms (default 1000, src/visibility/outbox.ts): a run that closes sooner is
   * written once. In a shard a summary is written with its change, at once, and this has no effect.
   * The workerd tests set 0, so that no alarm fires a second after each start in the middle of what
   * they look at.
   */
  KEEL_RUNNING_SUMMARY_DELAY_MS?: string;
  /** D1 (migrations/): the namespace registry, schedules' list entries, and with KEEL_WORKFLOW_SHARDS=0 the execution summaries for list and count. */
  VISIBILITY?: D1Database;
  /** Set by `keel dev` and keel/testing only: the migrations (JSON), applied to VISIBILITY before its first use. */
  KEEL_VISIBILITY_MIGRATIONS?: string;
  /**
   * '1' in local services that allow moving a workflow's clock forward (keel/testing, where
   * tests skip a 30-day sleep): enables POST …/workflows/{id}/time/advance. Never set in production.
   */
  KEEL_TIME_SKIPPING?: string;
  /**
   * Set by local services only (keel dev, keel/testing): the host names they serve, comma-separated.
   * Requests for another Host, or from another Origin, are refused (src/host-check.ts).
   */
  KEEL_ALLOWED_HOSTS?: string;
  /**
   * '1': a namespace not registered yet is registered with the defaults on its first use, so any
   * name works (`keel dev` and keel/testing set it unless told not to). Unset on a deployed service:
   * an unregistered namespace is NAMESPACE_NOT_FOUND (`default` always exists).
   */
  KEEL_NAMESPACE_AUTO_CREATE?: string;
  /** Set by `keel dev --namespace`: namespaces (a JSON list of names) that exist from the start, with the defaults. */
  KEEL_NAMESPACES?: string;
  /** Optional Workers Analytics Engine dataset: task queue events (src/metrics/analytics.ts). */
  ANALYTICS?: AnalyticsEngineDataset;
  /**
   * How many partitions (TaskQueueObjects) each normal task queue is split over: a number for every
   * queue, or JSON `{"default":4,"queues":{"orders":16}}`; unset, 4 (src/task-queue-partitions.ts).
   */
  KEEL_TASK_QUEUE_PARTITIONS?: string;
  /** Shards that keep a namespace's workflows; 0 or unset: an object per workflow (src/workflow-shards.ts). */
  KEEL_WORKFLOW_SHARDS?: string;
  /** The web UI's static assets (wrangler.toml `[assets]`); absent when the Worker runs without them. */
  ASSETS?: Fetcher;
}

/** The long-poll hold time this deployment uses. */
export function longPollMs(env: Env): number {
  const n = Number(env.KEEL_LONG_POLL_MS);
  return Number.isFinite(n) && n > 0 ? n : 20_000;
}
