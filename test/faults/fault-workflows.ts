// The fault suite's workload (as in issue 11): a few activities with a durable sleep in the middle.
import { proxyActivities, sleep } from 'keel/workflow';
import type { FaultActivities } from './fault-activities.js';

const { step } = proxyActivities<FaultActivities>({ startToCloseTimeout: '10s', retry: { initialInterval: '200ms' } });

export async function faultWorkflow(id: string, steps: number, sleepMs: number): Promise<string[]> {
  const done: string[] = [];
  for (let i = 0; i < steps; i++) {
    done.push(await step(id, i));
    if (i === Math.floor(steps / 2)) await sleep(sleepMs);
  }
  return done;
}

/** What `faultWorkflow(id, steps, …)` completes with. */
export const expectedResult = (id: string, steps: number) => Array.from({ length: steps }, (_, i) => `${id}:${i}`);
