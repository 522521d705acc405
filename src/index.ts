/** The Keel Worker: the HTTP API and the Durable Object classes it is served by. */
// First, before any module that makes a schema.
import './zod-acyclic.js';
import type { Env } from './env.js';
import { createRouter } from './router.js';

export { WorkflowObject } from './workflow-object.js';
export { TaskQueueObject } from './task-queue-object.js';
export { ScheduleObject } from './schedule-object.js';

const router = createRouter();

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
