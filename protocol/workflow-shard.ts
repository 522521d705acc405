/**
 * The shard a workflow id is kept in, among a namespace's shards (the service's KEEL_WORKFLOW_SHARDS,
 * src/workflow-shards.ts). Part of the protocol because both sides compute it: the service to find a
 * workflow's object, a client to send a start on the channel of the shard that keeps it (protocol 8,
 * protocol/shard-channel.ts) — one function, so they never disagree. Pure.
 */

/** The shard a workflow id is kept in: FNV-1a of its UTF-16 code units, modulo the count. */
export function shardOf(workflowId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < workflowId.length; i++) {
    h ^= workflowId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
