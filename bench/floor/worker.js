// Keel's floor: a Worker that makes exactly the exchanges Keel's protocol makes for one W1
// workflow, and nothing else — no history, no validation, no commands, no logic. Counted from
// `npx tsx bench/run.ts requests` on the code of 2026-12-05 (see bench/RESULTS.md, "The floor"):
//
//   HTTP exchanges (7): start; 2 workflow-task polls that answer with a task; 2 workflow-task
//     completions (the first answers with the activity, eagerly); 1 activity completion; the
//     client's result long poll.
//   Durable Object creations (1): the workflow's object (a new SQLite database).
//   RPCs (11): Worker → workflow object 5 (start, complete ×2, activity complete, result);
//     Worker → task queue 2 (poll); workflow → task queue 2 (add); task queue → workflow 2
//     (startTask).
//   SQLite transactions in the workflow object (10), with 9 alarm sets: start; the outbox row
//     deleted after each hand-off to a queue (×2); each task started (×2); each completion
//     (×3); the visibility row deleted after each D1 write (×2).
//   D1 writes (2): the run's summary at start and at close.
//
// W2 repeats the activity → workflow task loop; W3's sleep is an alarm that hands the next
// workflow task to the sticky queue. Plain JavaScript, bundled as it is by miniflare.
import { DurableObject } from 'cloudflare:workers';

const LONG_POLL_MS = 60_000;
const RETRY_ALARM_MS = 60_000;

export class FloorWorkflow extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL, at INTEGER NOT NULL, state TEXT NOT NULL)');
    // Each transaction's row carries the state, so an object that workerd evicts and brings
    // back (seen under load) resumes where it was, as Keel's objects do from their tables.
    const last = this.sql.exec('SELECT state FROM log ORDER BY seq DESC LIMIT 1').toArray()[0];
    this.state = last ? JSON.parse(last.state) : undefined;
    this.waiters = [];
  }

  /** One transaction: one row, and (unless told otherwise) the alarm. */
  tx(what, alarm = true) {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT INTO log (what, at, state) VALUES (?, ?, ?)', what, Date.now(), JSON.stringify(this.state));
      if (alarm) this.ctx.storage.setAlarm(Math.min(this.state.timerDue ?? Infinity, Date.now() + RETRY_ALARM_MS));
    });
  }

  async start(id, input) {
    this.state = { id, input, steps: input.steps ?? 1, done: 0, sleepMs: input.sleepMs, result: undefined, before: 0, timerDue: undefined };
    this.tx('start');
    await this.handOff('normal');
    this.summary('started', true);
    return { runId: id };
  }

  /** The outbox: the workflow task to its queue, then its row deleted. */
  async handOff(queue) {
    await this.env.QUEUES.get(this.env.QUEUES.idFromName(queue)).add(this.state.id);
    this.tx('outbox delivered');
  }

  /** The visibility outbox: the summary to D1, then its row deleted. */
  summary(status, alarm) {
    void this.env.VISIBILITY.prepare('INSERT OR REPLACE INTO summaries (id, status, at) VALUES (?, ?, ?)')
      .bind(this.state.id, status, Date.now())
      .run()
      .then(() => this.tx('visibility delivered', alarm));
  }

  startTask() {
    this.tx('task started');
    return { id: this.state.id, input: this.state.input, done: this.state.done };
  }

  async completeWorkflowTask() {
    const s = this.state;
    if (s.done === 0 && s.sleepMs !== undefined && s.before === 0) {
      s.before = Date.now();
      s.timerDue = s.before + s.sleepMs;
      this.tx('workflow task completed; timer started');
      return {};
    }
    if (s.done < s.steps && s.sleepMs === undefined) {
      this.tx('workflow task completed; activity started');
      return { activity: { id: s.id, step: s.done } };
    }
    s.result = s.sleepMs !== undefined ? { before: s.before, after: Date.now() } : s.steps === 1 ? s.input.value : s.steps;
    this.tx('workflow task completed; closed');
    this.summary('completed', false);
    for (const w of this.waiters.splice(0)) w(s.result);
    return {};
  }

  async completeActivityTask() {
    this.state.done++;
    this.tx('activity completed');
    await this.handOff('sticky');
    return {};
  }

  async alarm() {
    const s = this.state;
    if (s?.sleepMs === undefined || s.result !== undefined || s.done > 0) return;
    if (Date.now() < s.timerDue) return;
    s.done = 1;
    s.timerDue = undefined;
    this.tx('timer fired');
    await this.handOff('sticky');
  }

  result() {
    if (this.state?.result !== undefined) return this.state.result;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export class FloorQueue extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.backlog = [];
    this.pollers = [];
  }

  add(id) {
    const p = this.pollers.shift();
    if (p) p(id);
    else this.backlog.push(id);
  }

  async poll() {
    const id =
      this.backlog.shift() ??
      (await new Promise((resolve) => {
        const timer = setTimeout(() => {
          this.pollers.splice(this.pollers.indexOf(take), 1);
          resolve(undefined);
        }, LONG_POLL_MS);
        const take = (v) => {
          clearTimeout(timer);
          resolve(v);
        };
        this.pollers.push(take);
      }));
    if (id === undefined) return {};
    return { task: await workflow(this.env, id).startTask() };
  }
}

const workflow = (env, id) => env.WORKFLOWS.get(env.WORKFLOWS.idFromName(id));
const json = (v) => Response.json(v ?? {});

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = request.method === 'POST' ? await request.json() : undefined;
    switch (url.pathname) {
      case '/setup':
        await env.VISIBILITY.exec('CREATE TABLE IF NOT EXISTS summaries (id TEXT PRIMARY KEY, status TEXT NOT NULL, at INTEGER NOT NULL)');
        return json({});
      case '/start':
        return json(await workflow(env, body.id).start(body.id, body.input));
      case '/result':
        return json({ result: await workflow(env, url.searchParams.get('id')).result() });
      case '/poll':
        return json(await env.QUEUES.get(env.QUEUES.idFromName(body.queue)).poll());
      case '/workflow-task/complete':
        return json(await workflow(env, body.id).completeWorkflowTask());
      case '/activity-task/complete':
        return json(await workflow(env, body.id).completeActivityTask());
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
