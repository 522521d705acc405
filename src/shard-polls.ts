/**
 * The router's side of protocol 6, workflow-task polls at the workflow shards: the shard a poll names
 * (checked against KEEL_WORKFLOW_SHARDS), the shard count a workflow-task poll's answer tells workers,
 * and a stopping worker's shard polls ended in every shard. The polls themselves wait in the shard
 * (src/workflow-object/shard-polls.ts).
 */
import type { WorkflowTask } from '../protocol/index.js';
import { longPollMs, type Env } from './env.js';
import { ServiceError } from './service-error.js';
import { workflowObjectNamed, workflowShardStubs } from './stubs.js';
import { workflowShards } from './workflow-shards.js';

/** A shard's RPCs for polls (src/workflow-object.ts). */
export interface PollingShard {
  pollWorkflowTasks(taskQueue: string, pollerId: string, waitMs: number, maxTasks?: number): Promise<WorkflowTask[]>;
  cancelPolls(pollerId: string): Promise<{ cancelled: number }>;
}

/** What a workflow-task poll's answer (protocol 6) and a start's (protocol 8) add: the shard count, when the service has shards (to poll, to send starts to). */
export function shardCount(env: Env): { workflowShards?: number } {
  const shards = workflowShards(env);
  return shards > 0 ? { workflowShards: shards } : {};
}

/**
 * What a queue poll's answer adds, to a worker that acknowledges: the shard count (protocol 6), and that the
 * shards wake a worker that parked its polls of the queue (protocol 10, src/workflow-object/queue-wakes.ts) —
 * only with shards: an object per workflow has no channels to send a wake on.
 */
export function queuePollAnswer(env: Env): { workflowShards?: number; wakes?: true } {
  const shards = shardCount(env);
  return shards.workflowShards !== undefined ? { ...shards, wakes: true } : {};
}

/** How long a queue poll waits: the service's long-poll bound, or less when the poll asks (protocol 10's `waitMs`; 0: a parked worker's check). */
export const queuePollWaitMs = (env: Env, asked: number | undefined): number => Math.min(asked ?? Infinity, longPollMs(env));

/**
 * The shard a path names (`…/shards/{shard}/…`: a shard poll, a shard's channel): a decimal index below
 * the shard count. FEATURE_DISABLED without shards, INVALID_ARGUMENT for another index.
 */
export function shardIndex(env: Env, shard: string): number {
  const shards = workflowShards(env);
  if (shards === 0) throw new ServiceError('FEATURE_DISABLED', 'This service keeps each workflow in an object of its own (KEEL_WORKFLOW_SHARDS is 0): it has no shards to poll or open a channel to. Poll the task queue and send completions over HTTP.');
  const index = /^(0|[1-9]\d{0,5})$/.test(shard) ? Number(shard) : NaN;
  if (!(index < shards)) {
    throw new ServiceError('INVALID_ARGUMENT', `Path parameter 'shard' must be a shard index from 0 to ${shards - 1} (this service has ${shards} shards); it is '${shard.slice(0, 100)}'.`, { issues: [{ path: 'shard', message: `must be 0 to ${shards - 1}` }] });
  }
  return index;
}

/** The shard object the path names (`shardIndex`), for its polls. */
export function pollingShard(env: Env, namespace: string, shard: string): PollingShard {
  return workflowObjectNamed(env, [namespace, shardIndex(env, shard)]) as unknown as PollingShard;
}

/** A stopping worker's shard polls end in every shard of the namespace (they answer empty). */
export async function cancelShardPolls(env: Env, namespace: string, pollerId: string): Promise<void> {
  await Promise.all(workflowShardStubs(env, namespace).map((s) => (s as unknown as PollingShard).cancelPolls(pollerId)));
}
