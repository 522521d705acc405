// Workflows of the standard workloads (see DESIGN.md, "Performance targets").
// Bundled by the worker and run in its deterministic sandbox.
import { proxyActivities, sleep } from 'keel/workflow';
import type * as activities from './activities';

const { echo } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** W1: one activity. */
export async function oneActivity(value: string): Promise<string> {
  return await echo(value);
}

/** W2: `steps` sequential activities (ten in the standard workload). */
export async function sequentialActivities(steps: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < steps; i++) if ((await echo(String(i))) === String(i)) n++;
  return n;
}

/**
 * W3: one durable sleep. `Date.now()` in a workflow is the start time of the workflow task
 * (as history recorded it), so `after - before - ms` is the lateness the workflow itself sees.
 */
export async function durableSleep(ms: number): Promise<{ before: number; after: number }> {
  const before = Date.now();
  await sleep(ms);
  return { before, after: Date.now() };
}

/** Workflow task cost vs history length: `steps` activities (≈6 events each) in a loop. */
export async function activityLoop(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await echo('x');
  return steps;
}

/** Workflow task cost vs history length, with timers: `steps` 1-ms sleeps (≈5 events each). */
export async function timerLoop(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) await sleep(1);
  return steps;
}
