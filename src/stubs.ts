/** How the router and the objects find each other: one name scheme per object class. */
import type { Env } from './env.js';

export function workflowStub(env: Env, namespace: string, workflowId: string) {
  return env.WORKFLOWS.get(env.WORKFLOWS.idFromName(JSON.stringify([namespace, workflowId])));
}

export function taskQueueStub(env: Env, namespace: string, taskQueue: string, kind: 'workflow' | 'activity') {
  return env.TASK_QUEUES.get(env.TASK_QUEUES.idFromName(JSON.stringify([namespace, taskQueue, kind])));
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

export function parseTaskQueueName(name: string | undefined): { namespace: string; taskQueue: string; kind: 'workflow' | 'activity' } {
  const [namespace, taskQueue, kind] = JSON.parse(name ?? '[]') as [string?, string?, ('workflow' | 'activity')?];
  if (namespace === undefined || taskQueue === undefined || kind === undefined) throw new Error(`task queue object has no usable name: ${name}`);
  return { namespace, taskQueue, kind };
}
