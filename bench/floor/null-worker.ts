// The floor's worker: polls the floor Worker (bench/floor/worker.js) as Keel's SDK worker
// polls Keel — 2 polls on the normal queue and 8 on the sticky one, the SDK's defaults (10
// workflow-task polls, a fifth of them normal) — and completes each task at once, running
// the eager activity it is handed and the workflow task the activity's completion hands back:
// the exchanges of Keel's protocol, without a workflow.
//
//   null-worker.ts <base url>        HTTP, as Keel's worker today
//   null-worker.ts <base url> --ws   one WebSocket: polls kept open by the Worker, tasks pushed,
//                                    completions as messages (bench/floor/worker.js, `/ws`)
//   null-worker.ts <base url> --xhttp  HTTP, and one extra no-op exchange (`/noop`) beside each
//                                    exchange: what an HTTP exchange costs (floor-xhttp)
//   null-worker.ts <base url> --batch K  the lean design: one exchange at a time per shard (K),
//                                    carrying every completion for that shard and answered with
//                                    every ready task of it (bench/floor/worker.js, `/batch`)
//   null-worker.ts <base url> --batch K --ws  the lean design over shard channels (protocol 7):
//                                    the same exchanges as messages on one WebSocket per shard,
//                                    held by the shard object (`/shards/{i}/ws`)
//
// Prints "ready"; stops on SIGTERM.
import { WebSocket } from 'undici';
import { postJson } from '../peers/http';

const base = process.argv[2]!;
const overSocket = process.argv.includes('--ws');
const extraExchange = process.argv.includes('--xhttp');
const batchShards = process.argv.includes('--batch') ? Number(process.argv[process.argv.indexOf('--batch') + 1]) : 0;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  // Long polls in flight end with the process.
  process.exit(0);
});

interface Task {
  id: string;
}
interface Answer {
  activity?: { id: string };
  task?: Task;
}

/** Completes a workflow task, and what each answer hands back, until an answer hands back nothing. */
async function run(task: Task, complete: (op: 'complete-wt' | 'complete-act', id: string) => Promise<Answer>): Promise<void> {
  let answer = await complete('complete-wt', task.id);
  for (;;) {
    // The activity handed back with the completion (eager): run it (echo) and complete it; its
    // answer carries the next workflow task, started for this worker's sticky queue.
    if (answer.activity) answer = await complete('complete-act', answer.activity.id);
    else if (answer.task) answer = await complete('complete-wt', answer.task.id);
    else return;
  }
}

/** One exchange with the floor Worker; with --xhttp, one no-op exchange beside it. */
async function post<T>(url: string, body: unknown): Promise<T> {
  if (!extraExchange) return postJson<T>(url, body);
  const [r] = await Promise.all([postJson<T>(url, body), postJson(`${base}/noop`, {})]);
  return r;
}

const overHttp = (op: 'complete-wt' | 'complete-act', id: string) => post<Answer>(`${base}/${op === 'complete-wt' ? 'workflow-task' : 'activity-task'}/complete`, { id });

async function poller(queue: string): Promise<void> {
  while (!stopping) {
    const { task } = await post<Answer>(`${base}/poll`, { queue });
    if (task) await run(task, overHttp);
  }
}

interface BatchTask {
  id: string;
  kind: 'workflow' | 'activity';
}

/** One exchange with a shard: the completions in, the shard's tasks out. */
type ShardExchange = (completions: BatchTask[]) => Promise<BatchTask[]>;

/** The lean design's worker loop for one shard: every task of an answer completed at once, all the completions in the next exchange. */
async function batchLoop(exchange: ShardExchange): Promise<void> {
  let completions: BatchTask[] = [];
  while (!stopping) {
    const tasks = await exchange(completions);
    completions = tasks.map((t) => ({ id: t.id, kind: t.kind }));
  }
}

const overBatchPost =
  (shard: number): ShardExchange =>
  async (completions) =>
    (await postJson<{ tasks: BatchTask[] }>(`${base}/batch`, { shard, completions })).tasks;

async function openSocket(path: string): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`floor WebSocket ${path} did not open`));
  });
  return ws;
}

/**
 * A shard's channel: one exchange in flight at a time (batchLoop awaits each), so an answer is
 * the one awaited and needs no id. A channel that closes under a running bench ends the process,
 * so that the engine fails rather than hangs.
 */
async function overShardChannel(shard: number): Promise<ShardExchange> {
  const ws = await openSocket(`/shards/${shard}/ws`);
  let answer: ((tasks: BatchTask[]) => void) | undefined;
  ws.onmessage = (e) => {
    const take = answer;
    answer = undefined;
    take?.((JSON.parse(String(e.data)) as { tasks: BatchTask[] }).tasks);
  };
  ws.onclose = () => {
    if (stopping) return;
    console.error(`shard ${shard}'s channel closed`);
    process.exit(1);
  };
  return (completions) =>
    new Promise((resolve) => {
      answer = resolve;
      ws.send(JSON.stringify({ completions }));
    });
}

if (batchShards) {
  const exchanges = await Promise.all(Array.from({ length: batchShards }, (_, i) => (overSocket ? overShardChannel(i) : overBatchPost(i))));
  for (const exchange of exchanges) void batchLoop(exchange);
} else if (overSocket) {
  const ws = await openSocket('/ws');
  let seq = 0;
  const answers = new Map<number, (a: Answer) => void>();
  const overWs = (op: 'complete-wt' | 'complete-act', id: string) =>
    new Promise<Answer>((resolve) => {
      answers.set(++seq, resolve);
      ws.send(JSON.stringify({ op, id, seq }));
    });
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as Answer & { op: string; seq?: number };
    if (m.op === 'task') void run(m.task!, overWs);
    else if (m.op === 'answer') {
      answers.get(m.seq!)?.(m);
      answers.delete(m.seq!);
    }
  };
  ws.send(JSON.stringify({ op: 'poll', queue: 'normal', n: 2 }));
  ws.send(JSON.stringify({ op: 'poll', queue: 'sticky', n: 8 }));
} else {
  for (let i = 0; i < 2; i++) void poller('normal');
  for (let i = 0; i < 8; i++) void poller('sticky');
}
console.log('ready');
