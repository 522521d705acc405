// CPU profile of the service side (the Keel Worker and its Durable Objects in workerd) while
// W1 workflows run (as the W1 throughput workload: `inFlight` at a time, default 50; 1 is the
// sequential latency workload): workerd's V8 inspector, Profiler domain, saved as a .cpuprofile that
// bench/profile-summary.ts reads (and Chrome DevTools opens).
//
//   npx tsx bench/profile-service.ts [runs=300] [out=bench/profiles/service-w1.cpuprofile] [inFlight=50] [--w2]
//
// --w2 runs W2 (ten sequential activities per workflow) instead, from a client on a connection of its
// own (no eager start, as the peers bench): with inFlight 1, the sequential step's service CPU. Run it
// under `node --cpu-prof --import tsx` to profile the worker's side of the same steps.
//
// The service is started as everywhere else in the bench (startLocalService: the bundle with
// its modules root, state on tmpfs, the visibility store), with workerd's inspector on.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'undici';
import { Client, Connection } from 'keel/client';
import { startLocalService } from 'keel/testing';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './activities';
import { benchDir, cpuMeter, newWorkflowId, pool, stats, TASK_QUEUE, workerdPids, workflowBundle } from './lib';

const w2 = process.argv.includes('--w2');
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const runs = Number(positional[0] ?? 300);
const out = path.resolve(positional[1] ?? path.join(benchDir, 'profiles', `service-${w2 ? 'w2' : 'w1'}.cpuprofile`));

const inFlight = Number(positional[2] ?? 50);

const inspectorPort = 9229 + Math.floor(Math.random() * 500);
// KEEL_BENCH_SERVICE_SCRIPT profiles another build (e.g. bench/instrumented-service.js's output).
const service = await startLocalService({ inspectorPort, uiDir: false, scriptPath: process.env.KEEL_BENCH_SERVICE_SCRIPT, log: () => undefined });
const address = service.address;

// The inspector lists one target per Worker ("workerd: worker core:user:" is the Keel Worker
// with its Durable Objects; "core:entry" is miniflare's proxy in front of it).
const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ id: string; title: string; webSocketDebuggerUrl: string }>;
const target = targets.find((t) => t.title.includes('core:user:'));
if (!target) throw new Error(`no core:user target among ${targets.map((t) => t.title).join(', ')}`);
console.log(`inspector targets: ${targets.map((t) => t.title).join(', ')}; profiling '${target.title}'`);

const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise<void>((resolve, reject) => {
  ws.onopen = () => resolve();
  ws.onerror = (e) => reject(new Error(`inspector websocket: ${String((e as { message?: string }).message ?? e)}`));
});
let nextId = 1;
const pending = new Map<number, (r: unknown) => void>();
ws.onmessage = (m) => {
  const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: unknown };
  if (msg.id !== undefined && pending.has(msg.id)) {
    pending.get(msg.id)!(msg.error ? { error: msg.error } : msg.result);
    pending.delete(msg.id);
  }
};
const send = (method: string, params: Record<string, unknown> = {}) =>
  new Promise<unknown>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });

const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({ connection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), activities, shutdownSignals: [] });
const running = worker.run();
const client = new Client({ connection: await Connection.connect({ address }) });
const one = async (v: string) => {
  const t0 = performance.now();
  if (w2) await client.workflow.execute('sequentialActivities', { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('ps'), args: [10] });
  else await client.workflow.execute('oneActivity', { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('ps'), args: [v] });
  return performance.now() - t0;
};
await pool(Math.max(20, inFlight), inFlight, () => one('warm'));

await send('Profiler.enable');
await send('Profiler.setSamplingInterval', { interval: 100 });
await send('Profiler.start');
const meter = cpuMeter(workerdPids());
const lat = await pool(runs, inFlight, (i) => one(`v${i}`));
const cpu = meter();
const result = (await send('Profiler.stop')) as { profile?: unknown; error?: unknown };
if (!result.profile) throw new Error(`Profiler.stop: ${JSON.stringify(result)}`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result.profile));
console.log(`${runs} ${w2 ? 'W2' : 'W1'} runs, ${inFlight} in flight: p50 ${stats(lat).p50} ms; CPU per workflow: node ${(cpu.nodeCpuMs / runs).toFixed(2)} ms, workerd ${(cpu.workerdCpuMs / runs).toFixed(2)} ms, other processes ${(cpu.otherCpuMs / runs).toFixed(2)} ms`);
console.log(`wrote ${path.relative(process.cwd(), out)}; summarise with: npx tsx bench/profile-summary.ts ${path.relative(process.cwd(), out)}`);

ws.close();
worker.shutdown();
await running;
await service.stop();
