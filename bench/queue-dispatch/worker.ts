// The Worker bench/queue-dispatch.ts runs: Keel's own TaskQueueObject (src/task-queue-object.ts)
// behind its facade (src/task-queue.ts), with a null workflow object that starts every task at
// once. So the rate it measures is the queue's: per task one `add` and one `poll` request to a
// partition object and one `startTask` request out of it, plus whatever forwarding the partitions do.
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../../src/env.js';
import type { StartedTask } from '../../src/started-task.js';
import { TaskQueue } from '../../src/task-queue.js';
import type { TaskRef } from '../../src/task-token.js';

export { TaskQueueObject } from '../../src/task-queue-object.js';

/** A workflow object that only says "started": no storage, no history. */
export class NullWorkflowObject extends DurableObject<Env> {
  startTask(ref: TaskRef): StartedTask {
    return { kind: 'activity', task: { taskToken: ref.workflowId, activityId: String(ref.scheduledEventId) } as never };
  }
}

/**
 * GET /run?tasks=&pollers=&producers=&queue=: `producers` loops add `tasks` tasks in all while
 * `pollers` loops long-poll them; answers the time from the first add to the last task received.
 */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const tasks = Number(url.searchParams.get('tasks') ?? 1000);
    const pollers = Number(url.searchParams.get('pollers') ?? 8);
    const producers = Number(url.searchParams.get('producers') ?? 8);
    const queue = new TaskQueue(env, 'bench', url.searchParams.get('queue') ?? 'q', 'activity');
    let added = 0;
    let received = 0;
    let lastAt = 0;
    const outcomes: Record<string, number> = {};
    const t0 = Date.now();
    const produce = async () => {
      while (added < tasks) {
        const i = added++;
        const ref: TaskRef = { namespace: 'bench', workflowId: `w${i % 512}`, runId: 'r', kind: 'activity', scheduledEventId: i, attempt: 1 };
        const outcome = await queue.add(ref);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    };
    const consume = async () => {
      while (received < tasks) {
        const task = await queue.poll('bench-poller', 1000);
        if (task) {
          received++;
          lastAt = Date.now();
        }
      }
    };
    await Promise.all([...Array.from({ length: producers }, produce), ...Array.from({ length: pollers }, consume)]);
    return Response.json({ tasks, ms: lastAt - t0, partitions: queue.partitions, outcomes });
  },
} satisfies ExportedHandler<Env>;
