/**
 * How many shards keep a namespace's workflows, from the Worker variable KEEL_WORKFLOW_SHARDS
 * (src/workflow-object.ts). 0 (unset): every workflow id gets an object of its own, the layout every
 * deployment had before shards. The count is part of where a workflow is kept: changing it on a
 * deployment with workflows makes their objects unreachable (docs/scale.md), so `keel dev` records
 * it in its data directory and a deployment sets it once. Pure: the service and its unit tests share it.
 */

/** More shards than this only spread a namespace thinner; each is an object serving ~1,000 requests a second. */
export const MAX_WORKFLOW_SHARDS = 1024;

/** Thrown for a KEEL_WORKFLOW_SHARDS the service cannot read; the message says what to change. */
export class ShardConfigError extends Error {
  override readonly name = 'ShardConfigError';
}

/** Reads the variable (cached per text: every workflow call reads it). */
export function workflowShards(env: { KEEL_WORKFLOW_SHARDS?: string }): number {
  const text = env.KEEL_WORKFLOW_SHARDS?.trim() ?? '';
  if (text === lastText) return lastCount;
  const count = text === '' ? 0 : Number(text);
  if (!/^\d*$/.test(text) || !Number.isInteger(count) || count > MAX_WORKFLOW_SHARDS) {
    throw new ShardConfigError(`KEEL_WORKFLOW_SHARDS must be a whole number from 0 (an object per workflow) to ${MAX_WORKFLOW_SHARDS} (it is '${text.slice(0, 100)}').`);
  }
  lastText = text;
  lastCount = count;
  return count;
}
let lastText: string | undefined;
let lastCount = 0;

/** The shard a workflow id is kept in: the protocol's function, which clients compute too (protocol 8). */
export { shardOf } from '../protocol/workflow-shard.js';
