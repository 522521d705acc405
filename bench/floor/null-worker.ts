// The floor's worker: polls the floor Worker (bench/floor/worker.js) as Keel's SDK worker
// polls Keel — 2 polls on the normal queue and 8 on the sticky one, the SDK's defaults (10
// workflow-task polls, a fifth of them normal) — and completes each task at once, running
// the eager activity it is handed: the exchanges of Keel's protocol, without a workflow.
// Prints "ready"; stops on SIGTERM.
import { postJson } from '../peers/http';

const base = process.argv[2]!;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  // Long polls in flight end with the process.
  process.exit(0);
});

interface Answer {
  task?: { id: string };
}

async function poller(queue: string): Promise<void> {
  while (!stopping) {
    const { task } = await postJson<Answer>(`${base}/poll`, { queue });
    if (!task) continue;
    let answer = await postJson<{ activity?: { id: string } }>(`${base}/workflow-task/complete`, { id: task.id });
    // The activity handed back with the completion (eager): run it (echo) and complete it.
    if (answer.activity) answer = await postJson(`${base}/activity-task/complete`, { id: answer.activity.id });
  }
}

for (let i = 0; i < 2; i++) void poller('normal');
for (let i = 0; i < 8; i++) void poller('sticky');
console.log('ready');
