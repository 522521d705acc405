// Workflows: deterministic functions, replayed from history. They call activities
// through a proxy; `import type` keeps the activities' code out of the sandbox.
import { proxyActivities } from 'keel/workflow';
import type * as activities from './activities';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function hello(name: string): Promise<string> {
  return await greet(name);
}
