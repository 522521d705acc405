/**
 * TaskQueueObject: one Durable Object per namespace + task queue + kind. Keeps a backlog
 * of task references in SQLite and the long-polling workers in memory. A new task goes
 * straight to a waiting poller when there is one, else into the backlog. Before a
 * worker receives a task, the workflow object records it as started and confirms it is
 * still wanted; a stale task is dropped and the next one tried.
 */
import { DurableObject } from 'cloudflare:workers';
import { Limits, type ResponseOf } from '../protocol/index.js';
import type { Env } from './env.js';
import type { StartedTask } from './started-task.js';
import { parseTaskQueueName, workflowStub } from './stubs.js';
import type { TaskRef } from './task-token.js';

interface Poller {
  identity: string;
  deliver: (task: StartedTask | null) => void;
}

/** Pollers seen within this window are listed by describe. */
const RECENT_POLLER_MS = 5 * 60 * 1000;

export class TaskQueueObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly waiting: Poller[] = [];
  private readonly recentPollers = new Map<string, number>();
  /** Backlog rows being started right now, so two polls never start the same one. */
  private readonly inFlight = new Set<number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS backlog (id INTEGER PRIMARY KEY AUTOINCREMENT, ref TEXT NOT NULL, created_at INTEGER NOT NULL)`);
  }

  private get queueName(): string {
    return parseTaskQueueName(this.ctx.id.name).taskQueue;
  }

  /** Asks the workflow object to start the task; null when it is stale. */
  private startTask(ref: TaskRef, identity: string): Promise<StartedTask | null> {
    return workflowStub(this.env, ref.namespace, ref.workflowId).startTask(ref, identity, this.queueName);
  }

  /**
   * Takes a task from a workflow object's outbox. Returns once the task is either with
   * a worker or durably in the backlog, so the outbox row may then be deleted.
   */
  async add(ref: TaskRef): Promise<'delivered' | 'queued' | 'stale'> {
    const poller = this.waiting.shift();
    if (poller) {
      let task: StartedTask | null;
      try {
        task = await this.startTask(ref, poller.identity);
      } catch (err) {
        this.waiting.unshift(poller);
        throw err;
      }
      if (!task) {
        this.waiting.unshift(poller);
        return 'stale';
      }
      poller.deliver(task);
      return 'delivered';
    }
    this.sql.exec(`INSERT INTO backlog (ref, created_at) VALUES (?, ?)`, JSON.stringify(ref), Date.now());
    return 'queued';
  }

  /** Long-polls for a task: the backlog first, then waits up to the long-poll limit. */
  async poll(identity: string, waitMs: number = Limits.longPollMs): Promise<StartedTask | null> {
    this.recentPollers.set(identity, Date.now());
    const fromBacklog = await this.takeFromBacklog(identity);
    if (fromBacklog) return fromBacklog;
    return new Promise((resolve) => {
      const poller: Poller = {
        identity,
        deliver: (task) => {
          clearTimeout(timer);
          resolve(task);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(poller);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(null);
      }, waitMs);
      this.waiting.push(poller);
    });
  }

  private async takeFromBacklog(identity: string): Promise<StartedTask | null> {
    for (;;) {
      const row = this.sql
        .exec<{ id: number; ref: string }>(`SELECT id, ref FROM backlog ORDER BY id LIMIT ?`, this.inFlight.size + 1)
        .toArray()
        .find((r) => !this.inFlight.has(r.id));
      if (!row) return null;
      this.inFlight.add(row.id);
      try {
        const task = await this.startTask(JSON.parse(row.ref) as TaskRef, identity);
        // Started or stale, the row has done its job. If this object dies before the
        // delete, the row is offered again and the workflow object calls it stale.
        this.sql.exec(`DELETE FROM backlog WHERE id = ?`, row.id);
        if (task) return task;
      } finally {
        this.inFlight.delete(row.id);
      }
    }
  }

  describe(): ResponseOf<'describeTaskQueue'> {
    const now = Date.now();
    const pollers = [...this.recentPollers.entries()]
      .filter(([, t]) => now - t < RECENT_POLLER_MS)
      .map(([identity, t]) => ({ identity, lastAccessTime: new Date(t).toISOString() }));
    const backlogCount = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM backlog`).toArray()[0]?.n ?? 0;
    return { pollers, backlogCount };
  }
}
