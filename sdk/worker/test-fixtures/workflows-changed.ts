// Owns `order` after an incompatible change: it now starts a timer where it used to schedule
// the activity, so histories recorded with workflows.ts no longer replay.
import { proxyActivities, sleep } from 'keel/workflow';
import type * as activities from './activities.js';

const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function order(id: string): Promise<string> {
  await sleep('1 second');
  return await charge(id);
}
