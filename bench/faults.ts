// `npm run bench:faults`: the large fault run of issue 11 — 300 workflows (5 activities and a 1–3 s
// durable sleep each, 2 starts a second), 3 workers, a random worker SIGKILLed every 3–5 s, `keel dev`
// SIGKILLed and restarted 3 times on its data directory — then every history checked
// (test/faults/history-invariants.ts). Prints the figures for bench/RESULTS.md and writes them to
// bench/results/faults-<time>.json. Flags: --workflows N --service-kills N (for a quicker look).
// Run it under `flock /tmp/keel-bench.lock` with `uptime` beside it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runFaults } from '../test/faults/fault-run.js';
import { violationCount } from '../test/faults/history-invariants.js';
import { benchDir, percentile } from './lib.js';

const { values } = parseArgs({ options: { workflows: { type: 'string', default: '300' }, 'service-kills': { type: 'string', default: '3' } } });
const workflows = Number(values.workflows);
const report = await runFaults({
  workflows,
  startsPerSecond: 2,
  workers: 3,
  steps: 5,
  sleepMs: [1000, 3000],
  workerKillEveryMs: [3000, 5000],
  serviceKills: Number(values['service-kills']),
  deadlineMs: 10 * 60_000,
  progress: (line) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
});
const sorted = [...report.latenciesMs].sort((a, b) => a - b);
const v = report.violations;
const figures = {
  workflows,
  completed: report.latenciesMs.length,
  lost: v.lost.length,
  completedTwice: v.completedTwice.length,
  nonDense: v.nonDense.length,
  activityNotClosedOnce: v.activityNotClosedOnce.length,
  workflowTasksStartedAfterDeath: v.workflowTasksStartedAfterDeath.length,
  activityTasksStartedAfterDeath: v.activityTasksStartedAfterDeath.length,
  workerKills: report.workerKills,
  serviceKills: report.serviceKills,
  lostHandOffs: report.lostHandOffs,
  activityRetries: report.activityRetries,
  visibilityCompleted: report.visibilityCompleted,
  e2eMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) },
  p99OverP50: Math.round((percentile(sorted, 99) / percentile(sorted, 50)) * 100) / 100,
  survivorOutageLogs: report.survivorOutageLogs,
  workerCrashes: report.workerCrashes.length,
  elapsedMs: report.elapsedMs,
};
console.log(JSON.stringify(figures, null, 2));
if (violationCount(v) > 0) console.log(JSON.stringify(v, null, 2));
for (const c of report.workerCrashes) console.log(`worker crashed (${c.exit}):\n${c.outputTail}`);
const out = path.join(benchDir, 'results', `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify({ figures, violations: v }, null, 2));
console.log(`written to ${path.relative(process.cwd(), out)}`);
process.exit(violationCount(v) > 0 ? 1 : 0);
