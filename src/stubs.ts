/** How the router and the objects find each other: one name scheme per object class. */
import type { Env } from './env.js';
import { wallClock } from './clock.js';
import { TaskQueue } from './task-queue.js';
import type { WorkflowHost } from './workflow-host.js';
import type { WorkflowMethod } from './workflow-object.js';
import { workflowShards, shardOf } from './workflow-shards.js';

/** A workflow as its callers see it: its RPC methods, each one request to the object that keeps it. */
export type WorkflowStub = { [M in WorkflowMethod]: WorkflowHost[M] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never };

/** A workflow, wherever it is kept (an object of its own, or a shard: `workflowObjectStub`). */
export function workflowStub(env: Env, namespace: string, workflowId: string): WorkflowStub {
  // The object's RPC types are too deep to check here; WorkflowStub states what each call returns.
  return workflowMethods(workflowObjectStub(env, namespace, workflowId) as unknown as WorkflowCaller, namespace, workflowId);
}

/** What reaches a workflow's methods: the `call` of the object that keeps it (its RPC stub's, or inside the object, its own). */
export interface WorkflowCaller {
  call(name: [string, string], method: string, args: unknown[]): unknown;
}

/** A workflow's methods, each one `call` on `object` (see WorkflowCaller). */
export function workflowMethods(object: WorkflowCaller, namespace: string, workflowId: string): WorkflowStub {
  const name: [string, string] = [namespace, workflowId];
  return new Proxy({} as WorkflowStub, {
    // Not thenable: the stub is returned from async functions.
    get: (_target, method) => (typeof method !== 'string' || method === 'then' ? undefined : (...args: unknown[]) => object.call(name, method, args)),
  });
}

/**
 * The object that keeps a workflow: with KEEL_WORKFLOW_SHARDS = 0 (unset), one named [namespace,
 * workflow id] for it alone; else the namespace's shard its id hashes to, named [namespace, shard].
 */
export function workflowObjectStub(env: Env, namespace: string, workflowId: string) {
  return workflowObjectNamed(env, workflowObjectName(env, namespace, workflowId));
}

/** The name of the object that keeps a workflow (see `workflowObjectStub`): workflows with the same name share an object. */
export function workflowObjectName(env: Env, namespace: string, workflowId: string): string {
  const shards = workflowShards(env);
  return JSON.stringify(shards === 0 ? [namespace, workflowId] : [namespace, shardOf(workflowId, shards)]);
}

/** The workflow object of this name: [namespace, workflow id] or [namespace, shard], as JSON. */
export function workflowObjectNamed(env: Env, name: [string, string | number] | string) {
  return env.WORKFLOWS.get(env.WORKFLOWS.idFromName(typeof name === 'string' ? name : JSON.stringify(name)));
}

/**
 * The shards of the namespace (none when KEEL_WORKFLOW_SHARDS is 0): what a list or count asks —
 * every one, or with `workflowIds` only those the ids hash to.
 */
export function workflowShardStubs(env: Env, namespace: string, workflowIds?: readonly string[]) {
  const count = workflowShards(env);
  const shards = workflowIds ? [...new Set(workflowIds.map((id) => shardOf(id, count)))].sort((a, b) => a - b) : Array.from({ length: count }, (_, shard) => shard);
  return count === 0 ? [] : shards.map((shard) => workflowObjectNamed(env, [namespace, shard]));
}

/** A workflow object's name: [namespace, workflow id] (an object of its own) or [namespace, shard]. */
export function parseObjectName(name: string): { namespace: string; workflowId?: string; shard?: number } {
  const [namespace, which] = JSON.parse(name) as [string?, (string | number)?];
  if (typeof namespace !== 'string' || (typeof which !== 'string' && typeof which !== 'number')) throw new Error(`workflow object has no usable name: ${name}`);
  return typeof which === 'number' ? { namespace, shard: which } : { namespace, workflowId: which };
}

/** A task queue across its partitions (src/task-queue.ts); `partitionStub` there reaches one partition's object. */
export function taskQueueStub(env: Env, namespace: string, taskQueue: string, kind: 'workflow' | 'activity'): TaskQueue {
  return new TaskQueue(env, namespace, taskQueue, kind, wallClock);
}

export function scheduleStub(env: Env, namespace: string, scheduleId: string) {
  return env.SCHEDULES.get(env.SCHEDULES.idFromName(JSON.stringify([namespace, scheduleId])));
}

/** The [namespace, workflowId] a workflow object was named with. */
export function parseWorkflowName(name: string | undefined): { namespace: string; workflowId: string } {
  const [namespace, workflowId] = JSON.parse(name ?? '[]') as [string?, string?];
  if (namespace === undefined || workflowId === undefined) throw new Error(`workflow object has no usable name: ${name}`);
  return { namespace, workflowId };
}

/** The [namespace, taskQueue, kind, partition?] a task queue partition's object was named with (partition 0, the root, has none). */
export function parseTaskQueueName(name: string | undefined): { namespace: string; taskQueue: string; kind: 'workflow' | 'activity'; partition: number } {
  const [namespace, taskQueue, kind, partition] = JSON.parse(name ?? '[]') as [string?, string?, ('workflow' | 'activity')?, number?];
  if (namespace === undefined || taskQueue === undefined || kind === undefined) throw new Error(`task queue object has no usable name: ${name}`);
  return { namespace, taskQueue, kind, partition: partition ?? 0 };
}
