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
// Variants, to take that floor apart ("Where the floor's time goes" in bench/RESULTS.md). The
// engine (bench/peers/engines/floor.ts) picks one by the FLOOR_MODE binding; each switch removes
// or adds one thing and leaves the rest as above:
//
//   alarm: 'each'    (default) setAlarm in every transaction, as Keel.
//          'timers'  no setAlarm, except for a durable sleep's timer (W3 needs it): −6 setAlarm per W1.
//          'lazy'    the alarm is moved only when a timer is due earlier than it (the design below).
//   d1: false        no D1 write, and so no summary-row delete after it: −2 D1 writes per W1.
//   sql: false       no SQLite at all, state in memory (setAlarm and D1 kept): −6 transactions.
//   shards: K        every run lives in one of K long-lived objects (hashed by id) instead of
//                    an object of its own: the same RPCs and transactions, but no new object,
//                    no new SQLite file and no schema transaction per workflow (−1 transaction).
//   group: true      (with shards) group commit: the writes of every step that reaches a shard
//                    before its next timer turn are one transaction.
//   xrpc: true       one extra no-op Durable Object request beside each of the 8: +8 per W1.
//   (xhttp is the null worker's: one extra no-op exchange beside each of its 4: +4 per W1.)
//   lean: true       a batched design (with shards, group, alarm 'lazy', no D1): the shard is
//                    also its runs' task queue; the client's start waits for the result (one
//                    exchange, one DO request); the worker makes one exchange per shard at a
//                    time that carries all its completions for that shard and answers with all
//                    the shard's ready tasks (the tasks the completions hand back and any new
//                    ones), one transaction per exchange; the summary row is written in the run's
//                    transaction instead of D1.
//
// The lean design over shard channels (engine `floor-lean-ws`, Keel's protocol 7 with no logic):
// the worker's exchanges with a shard are messages on one WebSocket per shard, opened through
// the Worker at `/shards/{i}/ws` and accepted by the shard object itself with the hibernation
// API (`ctx.acceptWebSocket`); a message carries the completions and is answered with the tasks,
// by the same `exchange` as `/batch`: the same transactions, group commit and alarms, only the
// transport differs.
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

const modeOf = (env) => ({ alarm: 'each', d1: true, sql: true, shards: 0, group: false, xrpc: false, lean: false, ...(env.FLOOR_MODE ?? {}) });

/** Calls `method` on a Durable Object stub; with `xrpc`, one no-op request to the same object beside it. */
async function call(mode, stub, method, ...args) {
  if (!mode.xrpc) return stub[method](...args);
  const [r] = await Promise.all([stub[method](...args), stub.ping()]);
  return r;
}

/**
 * One workflow's object (`floor`), or one of K shards that hold many workflows (`shards`): the
 * same code, only the object's name differs (the run's id, or `shard-<hash % K>`).
 */
export class FloorWorkflow extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.mode = modeOf(env);
    this.sql = ctx.storage.sql;
    this.runs = new Map();
    this.waiters = new Map();
    this.timers = new Set();
    this.pending = [];
    this.flushing = undefined;
    this.alarmAt = undefined;
    // The lean design's ready tasks and the worker exchanges waiting for one.
    this.ready = [];
    this.exchangeWaiters = [];
    this.stats = { commits: 0, steps: 0, exchanges: 0, tasksOut: 0 };
    // The schema, in a transaction of its own (Keel's openSchema): once per object.
    if (this.mode.sql)
      ctx.storage.transactionSync(() => {
        this.sql.exec('CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, run TEXT NOT NULL, what TEXT NOT NULL, at INTEGER NOT NULL, state TEXT NOT NULL)');
        this.sql.exec('CREATE TABLE IF NOT EXISTS summary (id TEXT PRIMARY KEY, status TEXT NOT NULL)');
      });
  }

  ping() {
    return 1;
  }

  /** A run's state; each transaction's row carries it, so an object that workerd evicts and brings back (seen under load) resumes. */
  run(id) {
    let s = this.runs.get(id);
    if (!s && this.mode.sql) {
      const row = this.sql.exec('SELECT state FROM log WHERE run = ? ORDER BY seq DESC LIMIT 1', id).toArray()[0];
      if (row) this.runs.set(id, (s = JSON.parse(row.state)));
    }
    return s;
  }

  /** One step's durable write: one row (and the summary row, when it changes), and the alarm; awaited before the answer. */
  write(s, what, summary) {
    this.stats.steps++;
    if (!this.mode.sql) {
      if (this.mode.alarm !== 'timers' || this.timers.size) this.armAlarm();
      return;
    }
    const apply = () => {
      this.sql.exec('INSERT INTO log (run, what, at, state) VALUES (?, ?, ?, ?)', s.id, what, Date.now(), JSON.stringify(s));
      if (summary) this.sql.exec('INSERT OR REPLACE INTO summary (id, status) VALUES (?, ?)', s.id, summary);
    };
    if (!this.mode.group) {
      this.stats.commits++;
      this.ctx.storage.transactionSync(() => {
        apply();
        this.armAlarm();
      });
      return;
    }
    // Group commit: every step that arrives before the next timer turn shares one transaction.
    this.pending.push(apply);
    this.flushing ??= new Promise((resolve) =>
      setTimeout(() => {
        const batch = this.pending.splice(0);
        this.flushing = undefined;
        this.stats.commits++;
        this.ctx.storage.transactionSync(() => {
          for (const f of batch) f();
          this.armAlarm();
        });
        resolve();
      }, 0),
    );
    return this.flushing;
  }

  /** The alarm: the earliest timer, or the retry alarm (Keel re-arms it in every transaction). */
  armAlarm() {
    let due = Infinity;
    for (const id of this.timers) due = Math.min(due, this.runs.get(id)?.timerDue ?? Infinity);
    const set = (at) => this.ctx.storage.setAlarm(Math.max(at, Date.now() + 1));
    if (this.mode.alarm === 'timers') {
      if (due !== Infinity) set(due);
      return;
    }
    if (this.mode.alarm === 'lazy') {
      // Moved only when a timer is due before it; the retry alarm otherwise stays where it is.
      const at = Math.min(due, this.alarmAt ?? Date.now() + RETRY_ALARM_MS);
      if (at !== this.alarmAt) set((this.alarmAt = at));
      return;
    }
    set(Math.min(due, Date.now() + RETRY_ALARM_MS));
  }

  async start(id, input) {
    const s = { id, input, steps: input.steps ?? 1, done: 0, sleepMs: input.sleepMs, result: undefined, before: 0, timerDue: undefined };
    this.runs.set(id, s);
    await this.write(s, 'start', 'started');
    // The outbox and the visibility outbox are delivered after the answer (Keel does not await them).
    void this.handOff(id, 'normal');
    this.summary(s, 'started');
    return { runId: id };
  }

  /** The outbox: the workflow task to its queue; the start of the task deletes its row. */
  async handOff(id, queue) {
    await call(this.mode, this.env.QUEUES.get(this.env.QUEUES.idFromName(queue)), 'add', id);
  }

  /** The visibility outbox: the summary to D1, then its row deleted and the alarm set back. */
  summary(s, status) {
    if (!this.mode.d1) return;
    void this.env.VISIBILITY.prepare('INSERT OR REPLACE INTO summaries (id, status, at) VALUES (?, ?, ?)')
      .bind(s.id, status, Date.now())
      .run()
      .then(() => {
        if (this.mode.sql) this.sql.exec('DELETE FROM summary WHERE id = ?', s.id);
        // Keel sets its alarm back only when the earliest due moment moved: counted, once per W1.
        if (status === 'completed' && this.mode.alarm === 'each') this.ctx.storage.setAlarm(Date.now() + RETRY_ALARM_MS);
      });
  }

  async startTask(id) {
    const s = this.run(id);
    await this.write(s, 'task started; outbox row deleted');
    return task(s);
  }

  /** The workflow task's completion: a timer, the next activity (handed back), or the close. */
  async completeWorkflowTask(id) {
    const s = this.run(id);
    const { answer, what, summary } = this.applyWorkflowTask(s);
    await this.write(s, what, summary);
    if (summary) this.closed(s);
    return answer;
  }

  applyWorkflowTask(s) {
    if (s.done === 0 && s.sleepMs !== undefined && s.before === 0) {
      s.before = Date.now();
      s.timerDue = s.before + s.sleepMs;
      this.timers.add(s.id);
      // A shard's many timers fire from memory while it lives, the alarm being the backstop: local
      // workerd did not fire a shard's alarm re-set a few ms ahead during or after its handler
      // (the timers were 60 s late), where one alarm per object (floor) fires on time.
      if (this.mode.shards) setTimeout(() => void this.fireDue(), s.sleepMs);
      return { answer: {}, what: 'workflow task completed; timer started' };
    }
    if (s.done < s.steps && s.sleepMs === undefined) return { answer: { activity: { id: s.id, step: s.done } }, what: 'workflow task completed; activity started eagerly' };
    s.result = s.sleepMs !== undefined ? { before: s.before, after: Date.now() } : s.steps === 1 ? s.input.value : s.steps;
    return { answer: {}, what: 'workflow task completed; closed', summary: 'completed' };
  }

  closed(s) {
    this.summary(s, 'completed');
    for (const w of this.waiters.get(s.id)?.splice(0) ?? []) w(s.result);
    this.waiters.delete(s.id);
  }

  /** The activity's completion; the next workflow task is started in the same transaction for the sticky worker. */
  async completeActivityTask(id) {
    const s = this.run(id);
    s.done++;
    await this.write(s, 'activity completed; next workflow task started');
    return { task: task(s) };
  }

  async alarm() {
    await this.fireDue();
    // The next timer (or the retry alarm), whatever the writes of fireDue left.
    this.alarmAt = undefined;
    this.armAlarm();
  }

  /** Every timer due now, and those that come due meanwhile (taken off the list before any write re-arms the alarm). */
  async fireDue() {
    for (;;) {
      const due = [...this.timers].map((id) => this.run(id)).filter((s) => s && s.timerDue !== undefined && Date.now() >= s.timerDue);
      if (!due.length) return;
      for (const s of due) {
        s.done = 1;
        s.timerDue = undefined;
        this.timers.delete(s.id);
      }
      await Promise.all(
        due.map(async (s) => {
          if (this.mode.lean) {
            await this.write(s, 'timer fired; workflow task ready');
            this.makeReady(task(s));
          } else {
            await this.write(s, 'timer fired; workflow task to the sticky queue');
            await this.handOff(s.id, 'sticky');
          }
        }),
      );
    }
  }

  result(id) {
    const s = this.run(id);
    if (s?.result !== undefined) return s.result;
    return new Promise((resolve) => {
      if (!this.waiters.has(id)) this.waiters.set(id, []);
      this.waiters.get(id).push(resolve);
    });
  }

  // ---- The lean design: the shard is its runs' task queue; exchanges carry many steps. ----

  /** Start and wait for the result: the client's one exchange. */
  async startAndWait(id, input) {
    const s = { id, input, steps: input.steps ?? 1, done: 0, sleepMs: input.sleepMs, result: undefined, before: 0, timerDue: undefined };
    this.runs.set(id, s);
    const result = this.result(id);
    await this.write(s, 'start; first workflow task ready', 'started');
    this.makeReady(task(s));
    return result;
  }

  makeReady(t) {
    this.ready.push(t);
    this.exchangeWaiters.shift()?.();
  }

  /**
   * One worker exchange with this shard: applies every completion it carries and answers with
   * the tasks they hand back and every ready task, all written in one transaction; waits for a
   * ready task when there is none.
   */
  async exchange(completions) {
    this.stats.exchanges++;
    const tasks = [];
    const closed = [];
    for (const c of completions) {
      const s = this.run(c.id);
      if (c.kind === 'activity') {
        s.done++;
        void this.write(s, 'activity completed; next workflow task started');
        tasks.push(task(s));
      } else {
        const { answer, what, summary } = this.applyWorkflowTask(s);
        void this.write(s, what, summary);
        if (answer.activity) tasks.push({ ...answer.activity, kind: 'activity' });
        if (summary) closed.push(s);
      }
    }
    if (!tasks.length && !this.ready.length && !completions.length) await new Promise((resolve) => this.exchangeWaiters.push(resolve));
    for (const t of this.ready.splice(0)) {
      void this.write(this.run(t.id), 'task started');
      tasks.push(t);
    }
    await this.flushing;
    for (const s of closed) this.closed(s);
    this.stats.tasksOut += tasks.length;
    return tasks;
  }

  getStats() {
    return this.stats;
  }

  /** A worker's channel to this shard (`/shards/{i}/ws`, forwarded by the Worker): held by the object, hibernatable. */
  async fetch(request) {
    if (request.headers.get('Upgrade') !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One exchange on a channel: `{ completions }` in, `{ tasks }` out (the worker has one exchange in flight per shard, as over `/batch`). */
  async webSocketMessage(ws, message) {
    const { completions } = JSON.parse(message);
    ws.send(JSON.stringify({ tasks: await this.exchange(completions) }));
  }

  /** The close handshake (before compatibility date 2026-04-07 workerd does not answer a close by itself). */
  webSocketClose(ws, code) {
    try {
      ws.close(code === 1005 ? 1000 : code, 'closed');
    } catch {
      // Already closed.
    }
  }
}

const task = (s) => ({ id: s.id, input: s.input, done: s.done, kind: 'workflow' });

export class FloorQueue extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.mode = modeOf(env);
    this.backlog = [];
    this.pollers = [];
  }

  ping() {
    return 1;
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
    return { task: await call(this.mode, workflow(this.env, id), 'startTask', id) };
  }
}

/** FNV-1a: a run's shard. */
function hash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const shardName = (env, i) => `shard-${i}`;
const workflow = (env, id) => {
  const { shards } = modeOf(env);
  return env.WORKFLOWS.get(env.WORKFLOWS.idFromName(shards ? shardName(env, hash(id) % shards) : id));
};
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
    else if (m.op === 'complete-wt') void workflow(env, m.id).completeWorkflowTask(m.id).then((a) => send({ op: 'answer', seq: m.seq, ...a }));
    else if (m.op === 'complete-act') void workflow(env, m.id).completeActivityTask(m.id).then((a) => send({ op: 'answer', seq: m.seq, ...a }));
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
    // A shard channel: the upgrade goes to the shard object, which holds the socket.
    const channel = /^\/shards\/(\d+)\/ws$/.exec(url.pathname);
    if (channel) return env.WORKFLOWS.get(env.WORKFLOWS.idFromName(shardName(env, Number(channel[1])))).fetch(request);
    const mode = modeOf(env);
    const body = request.method === 'POST' ? await request.json() : undefined;
    switch (url.pathname) {
      case '/setup':
        if (mode.d1) await env.VISIBILITY.exec('CREATE TABLE IF NOT EXISTS summaries (id TEXT PRIMARY KEY, status TEXT NOT NULL, at INTEGER NOT NULL)');
        return json({ shards: mode.shards });
      case '/noop':
        return json({});
      case '/start':
        return json(await call(mode, workflow(env, body.id), 'start', body.id, body.input));
      case '/result': {
        const id = url.searchParams.get('id');
        return json({ result: await call(mode, workflow(env, id), 'result', id) });
      }
      case '/poll':
        return json(await call(mode, queue(env, body.queue), 'poll'));
      case '/workflow-task/complete':
        return json(await call(mode, workflow(env, body.id), 'completeWorkflowTask', body.id));
      case '/activity-task/complete':
        return json(await call(mode, workflow(env, body.id), 'completeActivityTask', body.id));
      // The lean design's two exchanges.
      case '/run':
        return json({ result: await workflow(env, body.id).startAndWait(body.id, body.input) });
      case '/batch':
        return json({ tasks: await env.WORKFLOWS.get(env.WORKFLOWS.idFromName(shardName(env, body.shard))).exchange(body.completions) });
      case '/stats': {
        const all = await Promise.all(Array.from({ length: mode.shards }, (_, i) => env.WORKFLOWS.get(env.WORKFLOWS.idFromName(shardName(env, i))).getStats()));
        const sum = {};
        for (const s of all) for (const [k, v] of Object.entries(s)) sum[k] = (sum[k] ?? 0) + v;
        return json(sum);
      }
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
