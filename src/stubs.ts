/** How the router and the objects find each other: one name scheme per object class. */
import type { Env } from './env.js';
import { TaskQueue } from './task-queue.js';

export function workflowStub(env: Env, namespace: string, workflowId: string) {
  return env.WORKFLOWS.get(env.WORKFLOWS.idFromName(JSON.stringify([namespace, workflowId])));
}

/** A task queue across its partitions (src/task-queue.ts); `partitionStub` there reaches one partition's object. */
export function taskQueueStub(env: Env, namespace: string, taskQueue: string, kind: 'workflow' | 'activity'): TaskQueue {
  return new TaskQueue(env, namespace, taskQueue, kind);
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
