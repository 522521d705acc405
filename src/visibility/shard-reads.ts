/**
 * The router's side of list entries in the shards: a read (src/visibility/shard-store.ts) asked of
 * each shard of a namespace. List and count, the namespace's cost and the service metrics all ask
 * this way.
 */
import type { Env } from '../env.js';
import { workflowShardStubs } from '../stubs.js';
import { workflowShards } from '../workflow-shards.js';
import type { ShardAnswers, ShardRead } from './shard-store.js';

/**
 * With workflow shards, the answers to `read` of each shard of the namespace — every one, or with
 * `workflowIds` only those the ids hash to — asked in parallel, one request each; undefined when
 * the namespace's summaries are in D1 (KEEL_WORKFLOW_SHARDS = 0).
 */
export async function askShards<R extends ShardRead>(env: Env, namespace: string, read: R, workflowIds?: readonly string[]): Promise<Array<ShardAnswers[R['kind']]> | undefined> {
  if (workflowShards(env) === 0) return undefined;
  return Promise.all(workflowShardStubs(env, namespace, workflowIds).map((s) => s.readVisibility(read) as unknown as Promise<ShardAnswers[R['kind']]>));
}
