/** The bindings and variables the Keel Worker runs with (see wrangler.toml). */
import type { TaskQueueObject } from './task-queue-object.js';
import type { WorkflowObject } from './workflow-object.js';

export interface Env {
  WORKFLOWS: DurableObjectNamespace<WorkflowObject>;
  TASK_QUEUES: DurableObjectNamespace<TaskQueueObject>;
  /** Secret that signs task tokens. Unset in local development, where a fixed dev secret is used. */
  KEEL_TOKEN_SECRET?: string;
  /** How long long polls (task polls, history waits, queries) are held, in ms; default 20 000. Tests shorten it. */
  KEEL_LONG_POLL_MS?: string;
}

/** The long-poll hold time this deployment uses. */
export function longPollMs(env: Env): number {
  const n = Number(env.KEEL_LONG_POLL_MS);
  return Number.isFinite(n) && n > 0 ? n : 20_000;
}
