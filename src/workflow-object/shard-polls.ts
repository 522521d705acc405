/**
 * ShardPolls: the workflow-task polls waiting at one workflow shard (protocol 6), in memory, by task
 * queue. A worker long-polls its normal queue here as well as at the queue; a first workflow task one
 * of the shard's workflows offers (src/workflow-object/task-offer.ts) goes to the newest poll waiting
 * here for its queue before any RPC to the queue. A poll answers with that task, or empty when its
 * long-poll bound passes or its worker stops (`cancel`). Nothing is stored: a shard that restarts
 * drops its polls, whose workers poll again; a task given to a poll whose worker is gone is caught by
 * the offer's hand-off window, as one taken at the queue is.
 */
import type { WorkflowTask } from '../../protocol/index.js';

interface Waiting {
  taskQueue: string;
  /** The worker's poller id: `cancel` ends its polls. */
  pollerId: string;
  answer: (tasks: WorkflowTask[]) => void;
}

export class ShardPolls {
  /** By task queue, oldest first. */
  private readonly byQueue = new Map<string, Waiting[]>();

  /** Polls waiting now (all queues). */
  get size(): number {
    let n = 0;
    for (const list of this.byQueue.values()) n += list.length;
    return n;
  }

  /** Whether a poll of `taskQueue` waits now. */
  waits(taskQueue: string): boolean {
    return this.byQueue.has(taskQueue);
  }

  /** Waits up to `waitMs` for a task of `taskQueue`; answers [] when none came. */
  wait(taskQueue: string, pollerId: string, waitMs: number): Promise<WorkflowTask[]> {
    return new Promise((resolve) => {
      const waiting: Waiting = {
        taskQueue,
        pollerId,
        answer: (tasks) => {
          clearTimeout(timer);
          resolve(tasks);
        },
      };
      const timer = setTimeout(() => this.remove(waiting) && waiting.answer([]), waitMs);
      const list = this.byQueue.get(taskQueue);
      if (list) list.push(waiting);
      else this.byQueue.set(taskQueue, [waiting]);
    });
  }

  /**
   * Hands `task` to the newest poll waiting for `taskQueue` (a worker that went away leaves its polls
   * here until their bound; the newest is the likeliest to be read). False when none waits.
   */
  answer(taskQueue: string, task: WorkflowTask): boolean {
    const list = this.byQueue.get(taskQueue);
    const waiting = list?.pop();
    if (!waiting) return false;
    if (list!.length === 0) this.byQueue.delete(taskQueue);
    waiting.answer([task]);
    return true;
  }

  /** A worker is stopping: its waiting polls answer empty at once. Returns how many. */
  cancel(pollerId: string): number {
    let cancelled = 0;
    for (const list of [...this.byQueue.values()]) {
      for (const waiting of list.filter((w) => w.pollerId === pollerId)) {
        this.remove(waiting);
        waiting.answer([]);
        cancelled++;
      }
    }
    return cancelled;
  }

  /** Takes `waiting` off its queue's list; false when it is not there (answered already). */
  private remove(waiting: Waiting): boolean {
    const list = this.byQueue.get(waiting.taskQueue);
    const i = list ? list.indexOf(waiting) : -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    if (list!.length === 0) this.byQueue.delete(waiting.taskQueue);
    return true;
  }
}
