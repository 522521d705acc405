// Keel's floor: a Worker that makes exactly the exchanges Keel's protocol makes for one W1
// workflow, and nothing else — no history, no validation, no commands, no logic. Today's
// protocol as the peers bench runs Keel (the client in its own process, so no eager workflow
// start; the worker holds the run in its sticky cache), counted from the code of 2026-12-05
// (`npx tsx bench/run.ts --quick requests --experiment no-eager-start`; bench/RESULTS.md, "The floor"):
//
//   HTTP exchanges (6): start; 1 workflow-task poll that answers with the first task; 2
//     workflow-task completions (the first answers with the activity, started eagerly); 1
//     activity completion (answers with the next workflow task, started for the worker's sticky
//     queue); the client's result long poll.
//   Durable Object creations (1): the workflow's object (a new SQLite database).
//   RPCs (8): Worker → workflow object 5 (start, complete ×2, activity complete, result);
//     Worker → task queue 1 (poll); workflow → task queue 1 (add); task queue → workflow 1
//     (startTask).
//   SQLite transactions in the workflow object (6): the schema; start; the first task started
//     (its outbox row deleted in the same transaction); each completion (×3); the last five set
//     the alarm. After each of the 2 D1 writes the summary row is deleted (no transaction), and
//     once the alarm is set back: 6 setAlarm in all.
//   D1 writes (2): the run's summary at start and at close.
//
// With the client and the worker in one process (eager workflow start) a W1 is one exchange,
// two RPCs and one transaction less: no poll, no add, no startTask.
//
// The `/ws` variant (bench/peers/engines/floor.ts, engine `floor-ws`) measures a different
// design: the worker keeps one WebSocket to the Worker; the Worker keeps the worker's polls
// open on the task queues for it and pushes each task as a message, and completions and their
// answers are messages on the same socket — the same RPCs and transactions, no HTTP exchange
// per task and no poll round trip between two tasks.
//
// W2 repeats the activity → workflow task loop (every task in an answer); W3's sleep is an
// alarm whose transaction hands the next workflow task to the sticky queue (add → startTask).
// Plain JavaScript, bundled as it is by miniflare.
import { DurableObject } from 'cloudflare:workers';

const LONG_POLL_MS = 60_000;
const RETRY_ALARM_MS = 60_000;

export class FloorWorkflow extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // The schema, in a transaction of its own (Keel's openSchema).
    ctx.storage.transactionSync(() => {
      this.sql.exec('CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL, at INTEGER NOT NULL, state TEXT NOT NULL)');
      this.sql.exec('CREATE TABLE IF NOT EXISTS summary (id TEXT PRIMARY KEY, status TEXT NOT NULL)');
    });
    // Each transaction's row carries the state, so an object that workerd evicts and brings
    // back (seen under load) resumes where it was, as Keel's objects do from their tables.
    const last = this.sql.exec('SELECT state FROM log ORDER BY seq DESC LIMIT 1').toArray()[0];
    this.state = last ? JSON.parse(last.state) : undefined;
    this.waiters = [];
  }

  /** One transaction: one row (and the summary row, when it changes), and the alarm. */
  tx(what, summary) {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('INSERT INTO log (what, at, state) VALUES (?, ?, ?)', what, Date.now(), JSON.stringify(this.state));
      if (summary) this.sql.exec('INSERT OR REPLACE INTO summary (id, status) VALUES (?, ?)', this.state.id, summary);
      this.ctx.storage.setAlarm(Math.min(this.state.timerDue ?? Infinity, Date.now() + RETRY_ALARM_MS));
    });
  }

  async start(id, input) {
    this.state = { id, input, steps: input.steps ?? 1, done: 0, sleepMs: input.sleepMs, result: undefined, before: 0, timerDue: undefined };
    this.tx('start', 'started');
    // The outbox and the visibility outbox are delivered after the answer (Keel does not await them).
    void this.handOff('normal');
    this.summary('started');
    return { runId: id };
  }

  /** The outbox: the workflow task to its queue; the start of the task deletes its row. */
  async handOff(queue) {
    await this.env.QUEUES.get(this.env.QUEUES.idFromName(queue)).add(this.state.id);
  }

  /** The visibility outbox: the summary to D1, then its row deleted and the alarm set back. */
  summary(status) {
    void this.env.VISIBILITY.prepare('INSERT OR REPLACE INTO summaries (id, status, at) VALUES (?, ?, ?)')
      .bind(this.state.id, status, Date.now())
      .run()
      .then(() => {
        this.sql.exec('DELETE FROM summary WHERE id = ?', this.state.id);
        // Keel sets its alarm back only when the earliest due moment moved: counted, once per W1.
        if (status === 'completed') this.ctx.storage.setAlarm(Date.now() + RETRY_ALARM_MS);
      });
  }

  startTask() {
    this.tx('task started; outbox row deleted');
    return this.task();
  }

  task() {
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
      this.tx('workflow task completed; activity started eagerly');
      return { activity: { id: s.id, step: s.done } };
    }
    s.result = s.sleepMs !== undefined ? { before: s.before, after: Date.now() } : s.steps === 1 ? s.input.value : s.steps;
    this.tx('workflow task completed; closed', 'completed');
    this.summary('completed');
    for (const w of this.waiters.splice(0)) w(s.result);
    return {};
  }

  /** The activity's completion; the next workflow task is started in the same transaction for the sticky worker. */
  async completeActivityTask() {
    this.state.done++;
    this.tx('activity completed; next workflow task started');
    return { task: this.task() };
  }

  async alarm() {
    const s = this.state;
    if (s?.sleepMs === undefined || s.result !== undefined || s.done > 0) return;
    if (Date.now() < s.timerDue) return;
    s.done = 1;
    s.timerDue = undefined;
    this.tx('timer fired; workflow task to the sticky queue');
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
const queue = (env, name) => env.QUEUES.get(env.QUEUES.idFromName(name));
const json = (v) => Response.json(v ?? {});

/**
 * The WebSocket variant: one socket per worker. `{ op: 'poll', queue, n }` keeps n polls open on
 * that queue for the worker, each task pushed as `{ op: 'task', task }` and its poll renewed at
 * once; `{ op: 'complete-wt' | 'complete-act', id, seq }` is answered with `{ op: 'answer', seq, … }`.
 */
function acceptSocket(env) {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  let open = true;
  const send = (m) => open && server.send(JSON.stringify(m));
  const pollLoop = async (name) => {
    while (open) {
      const { task } = await queue(env, name).poll();
      if (task) send({ op: 'task', task });
    }
  };
  server.addEventListener('message', (e) => {
    const m = JSON.parse(e.data);
    if (m.op === 'poll') for (let i = 0; i < m.n; i++) void pollLoop(m.queue);
    else if (m.op === 'complete-wt') void workflow(env, m.id).completeWorkflowTask().then((a) => send({ op: 'answer', seq: m.seq, ...a }));
    else if (m.op === 'complete-act') void workflow(env, m.id).completeActivityTask().then((a) => send({ op: 'answer', seq: m.seq, ...a }));
  });
  server.addEventListener('close', () => {
    open = false;
  });
  return new Response(null, { status: 101, webSocket: client });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/ws') return acceptSocket(env);
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
        return json(await queue(env, body.queue).poll());
      case '/workflow-task/complete':
        return json(await workflow(env, body.id).completeWorkflowTask());
      case '/activity-task/complete':
        return json(await workflow(env, body.id).completeActivityTask());
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
