// One task queue's dispatch rate on this machine: tasks added and polled through Keel's own
// TaskQueueObject (bench/queue-dispatch/worker.ts: the real queue, a null workflow object), in
// workerd through miniflare with state on disk as `keel dev` keeps it, at 1, 2, 4 and 8 partitions.
//
//   npx tsx bench/queue-dispatch.ts [--tasks 3000] [--rounds 3]
//
// Locally every object shares workerd's one JavaScript thread, so more partitions cannot go
// faster here: the run shows what forwarding costs, and the one-partition rate is one object's
// ceiling on this CPU. docs/scale.md turns it into Cloudflare numbers.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { miniflare } from '../sdk/testing/miniflare.js';
import { benchDir, round } from './lib';

const args = process.argv.slice(2);
const value = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const tasks = value('--tasks', 3000);
const rounds = value('--rounds', 3);
const shapes = [
  { partitions: 1, pollers: 8, producers: 8 },
  { partitions: 2, pollers: 8, producers: 8 },
  { partitions: 4, pollers: 8, producers: 8 },
  { partitions: 8, pollers: 8, producers: 8 },
  { partitions: 4, pollers: 32, producers: 8 },
];

const bundle = await build({
  entryPoints: [path.join(benchDir, 'queue-dispatch', 'worker.ts')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  external: ['cloudflare:*'],
  write: false,
  logLevel: 'error',
});
const code = bundle.outputFiles[0]!.text;

console.log(`queue dispatch: ${tasks} tasks a run, ${rounds} round(s); load ${loadavg().map((x) => round(x)).join(' ')}`);
const results: Array<{ partitions: number; pollers: number; producers: number; tasksPerS: number[] }> = [];
for (const shape of shapes) results.push({ ...shape, tasksPerS: [] });
for (let r = 0; r < rounds; r++) {
  for (const [i, shape] of shapes.entries()) {
    const dir = mkdtempSync(path.join(tmpdir(), 'keel-queue-dispatch-'));
    const mf = new miniflare.Miniflare({
      modules: [{ type: 'ESModule', path: path.join(dir, 'worker.js'), contents: code }],
      modulesRoot: dir,
      compatibilityDate: '2026-04-01',
      cf: false,
      durableObjects: { TASK_QUEUES: { className: 'TaskQueueObject', useSQLite: true }, WORKFLOWS: 'NullWorkflowObject' },
      bindings: { KEEL_TASK_QUEUE_PARTITIONS: String(shape.partitions) },
      defaultPersistRoot: dir,
      durableObjectsPersist: true,
    });
    try {
      // A short warm-up run on another queue: the isolate, JIT, objects created.
      await (await mf.dispatchFetch(`http://bench/run?tasks=300&pollers=${shape.pollers}&producers=${shape.producers}&queue=warm`)).json();
      const res = (await (await mf.dispatchFetch(`http://bench/run?tasks=${tasks}&pollers=${shape.pollers}&producers=${shape.producers}&queue=q`)).json()) as { ms: number; partitions: number; outcomes: Record<string, number> };
      if (res.partitions !== shape.partitions) throw new Error(`ran ${res.partitions} partitions, wanted ${shape.partitions}`);
      const rate = round((tasks / res.ms) * 1000, 0);
      results[i]!.tasksPerS.push(rate);
      console.log(`  round ${r + 1}: ${shape.partitions} partition(s), ${shape.pollers} pollers, ${shape.producers} producers: ${rate} tasks/s (${res.ms} ms; adds ${JSON.stringify(res.outcomes)})`);
    } finally {
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nmedian of ${rounds} round(s), load ${loadavg().map((x) => round(x)).join(' ')} at the end:`);
console.log('| partitions | pollers | producers | tasks/s (median) | rounds |');
console.log('| ---: | ---: | ---: | ---: | --- |');
for (const r of results) console.log(`| ${r.partitions} | ${r.pollers} | ${r.producers} | ${median(r.tasksPerS)} | ${r.tasksPerS.join(', ')} |`);
