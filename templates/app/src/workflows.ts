// Workflows: deterministic functions, replayed from their history after any crash. They call
// activities through a proxy; `import type` keeps the activities' code out of the sandbox.
import { proxyActivities, sleep } from 'keel/workflow';
import type { Activities } from './activities';

export const TASK_QUEUE = 'greetings';

const { composeGreeting } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

/** Greets `name`: the greeting is composed by an activity, which may fail and is retried. */
export async function greet(name: string): Promise<string> {
  const greeting = await composeGreeting(name);
  await sleep('10 milliseconds'); // a durable timer: it survives restarts of workers and service
  return greeting;
}
