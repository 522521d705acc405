// Runs a subscription against a Keel service — `keel dev` by default:
//
//   keel dev                                                # in one terminal
//   npx tsx examples/subscription/main.ts                   # 3 cycles of 5 seconds
//   npx tsx examples/subscription/main.ts '30 days' 12      # the real thing: a year
//
// The real plan sleeps for 30 days between charges; its test (test/node/examples.test.ts) skips
// those days with TestWorkflowEnvironment.advanceTime instead of waiting.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { Billing, createActivities } from './activities';
import { getBilling, subscription } from './workflows';

export const TASK_QUEUE = 'subscriptions';
export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [period = '5 seconds', cycles = '3'] = process.argv.slice(2);
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue: TASK_QUEUE,
    workflowsPath,
    activities: createActivities(new Billing(), console.log),
  });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const workflowId = `subscription-ada-${Date.now()}`;
  const final = await worker.runUntil(async () => {
    const handle = await client.workflow.start(subscription, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ customer: 'ada', amount: 9, billingPeriod: period, cycles: Number(cycles) }],
    });
    console.log(`Started ${workflowId}: ${cycles} cycles of ${period}. Cancel it with: keel workflow signal -w ${workflowId} --name cancelSubscription`);
    const timer = setInterval(() => void handle.query(getBilling).then((s) => console.log(`  state: ${JSON.stringify(s)}`), () => undefined), 2000);
    try {
      return await handle.result();
    } finally {
      clearInterval(timer);
    }
  });
  console.log(`Subscription over: ${JSON.stringify(final)}`);
}
