// W2 exchange by exchange: every call the worker's and the client's connections make, with when it
// was sent and answered, for sequential W2 workflows (client on its own connection, state on disk,
// as the peers bench). Prints, per step, the exchange's round trip (service + wire) and the worker's
// gap between an answer and its next request (activity, prediction, sandbox, encoding), medians over
// the runs, so a step's time splits into service side and worker side.
//
//   flock /tmp/keel-bench.lock npx tsx bench/w2-timeline.ts [--runs 50] [--steps 10]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from 'keel/client';
import { startLocalService } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './activities';
import { commandLine, cpuMeter, newWorkflowId, stats, TASK_QUEUE, workerdPids, workflowBundle } from './lib';

const { args, value } = commandLine();
const runs = Number(value('--runs') ?? 50);
const steps = Number(value('--steps') ?? 10);

interface Exchange {
  endpoint: string;
  sent: number;
  answered: number;
  chars?: number;
}
let log: Exchange[] = [];
/** Wraps a connection's `call` to log each exchange's send and answer times. */
function observe<C extends { call: (...a: any[]) => Promise<unknown> }>(c: C, tag: string): C {
  const call = c.call.bind(c);
  c.call = (async (endpoint: string, ...rest: unknown[]) => {
    const e = { endpoint: `${tag}:${endpoint}`, sent: performance.now(), answered: NaN };
    log.push(e);
    try {
      const r = await call(endpoint, ...rest);
      if (process.env.W2_SIZES) (e as Exchange).chars = JSON.stringify(r).length;
      return r;
    } finally {
      e.answered = performance.now();
    }
  }) as C['call'];
  return c;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-w2-timeline-'));
const before = new Set(workerdPids());
const service = await startLocalService({ dataDir, uiDir: false, log: () => undefined });
const workerd = workerdPids().filter((p) => !before.has(p));
const connection = observe(await NativeConnection.connect({ address: service.address }), 'worker');
const worker = await Worker.create({ connection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), activities, shutdownSignals: [] });
const running = worker.run();
const client = new Client({ connection: observe(await Connection.connect({ address: service.address }), 'client') });
let lastId = '';
const one = () => client.workflow.execute('sequentialActivities', { taskQueue: TASK_QUEUE, workflowId: (lastId = newWorkflowId('tl')), args: [steps] });
for (let i = 0; i < 10; i++) await one();

const total: number[] = [];
const rtt: number[] = [];
const gap: number[] = [];
const startToFirstActivity: number[] = [];
const lastToResult: number[] = [];
const meter = cpuMeter(workerd);
for (let i = 0; i < runs; i++) {
  log = [];
  const t0 = performance.now();
  await one();
  const t1 = performance.now();
  total.push(t1 - t0);
  const completions = log.filter((e) => e.endpoint === 'worker:completeActivityTask' || e.endpoint === 'worker:batchTasks').sort((a, b) => a.sent - b.sent);
  // The last completion (it closes the run) may be answered after the client has the result: not counted then.
  for (const c of completions) if (Number.isFinite(c.answered)) rtt.push(c.answered - c.sent);
  for (let k = 1; k < completions.length; k++) gap.push(completions[k]!.sent - completions[k - 1]!.answered);
  if (completions[0]) startToFirstActivity.push(completions[0].sent - t0);
  if (completions.length > 0 && Number.isFinite(completions.at(-1)!.answered)) lastToResult.push(t1 - completions.at(-1)!.answered);
  if (i === runs - 1) for (const e of [...log].sort((a, b) => a.sent - b.sent)) console.log(`${(e.sent - t0).toFixed(2).padStart(7)} → ${(e.answered - t0).toFixed(2).padStart(7)}  ${e.endpoint}${e.chars ? ` ${e.chars} chars` : ''}`);
}
const cpu = meter();
const p = (label: string, xs: number[]) => console.log(`${label.padEnd(58)} p50 ${stats(xs).p50} · mean ${stats(xs).mean} · p90 ${stats(xs).p90} (n=${xs.length})`);
console.log(`\nW2 timeline, ${runs} runs of ${steps} steps — load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
p('start → result (ms)', total);
p('start → first activity completion sent', startToFirstActivity);
p('activity completion round trip (service + wire)', rtt);
p('worker gap: answer → next completion sent', gap);
p('last completion answered → result at the client', lastToResult);
console.log(`CPU per workflow: workerd ${(cpu.workerdCpuMs / runs).toFixed(2)} ms, this process (worker + client) ${(cpu.nodeCpuMs / runs).toFixed(2)} ms`);
// Reference round trips on the same service, through the client's connection: the health check
// (HTTP + Worker, no object) and describing the last run (HTTP + router + the shard's object, a read:
// no write, no commit). A completion's round trip minus the describe's is its write, commit and answer.
const bare = await Connection.connect({ address: service.address });
const health: number[] = [];
const describe: number[] = [];
for (let i = 0; i < 300; i++) {
  let t = performance.now();
  await fetch(`http://${service.address}/api/v1/health`).then((r) => r.text());
  health.push(performance.now() - t);
  t = performance.now();
  await bare.call('describeWorkflow', {} as never, { namespace: 'default', params: { workflowId: lastId } });
  describe.push(performance.now() - t);
}
p('GET /health round trip (fetch; HTTP + Worker)', health);
p('describeWorkflow round trip (HTTP + router + shard, a read)', describe);
worker.shutdown();
await running;
await service.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
