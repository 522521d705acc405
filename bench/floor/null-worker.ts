// The floor's worker: polls the floor Worker (bench/floor/worker.js) as Keel's SDK worker
// polls Keel — 2 polls on the normal queue and 8 on the sticky one, the SDK's defaults (10
// workflow-task polls, a fifth of them normal) — and completes each task at once, running
// the eager activity it is handed and the workflow task the activity's completion hands back:
// the exchanges of Keel's protocol, without a workflow.
//
//   null-worker.ts <base url>        HTTP, as Keel's worker today
//   null-worker.ts <base url> --ws   one WebSocket: polls kept open by the Worker, tasks pushed,
//                                    completions as messages (bench/floor/worker.js, `/ws`)
//
// Prints "ready"; stops on SIGTERM.
import { WebSocket } from 'undici';
import { postJson } from '../peers/http';

const base = process.argv[2]!;
const overSocket = process.argv.includes('--ws');
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

const overHttp = (op: 'complete-wt' | 'complete-act', id: string) => postJson<Answer>(`${base}/${op === 'complete-wt' ? 'workflow-task' : 'activity-task'}/complete`, { id });

async function poller(queue: string): Promise<void> {
  while (!stopping) {
    const { task } = await postJson<Answer>(`${base}/poll`, { queue });
    if (task) await run(task, overHttp);
  }
}

if (overSocket) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('floor WebSocket did not open'));
  });
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
