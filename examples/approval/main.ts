// Runs the approval flow against a Keel service — `keel dev` by default:
//
//   keel dev                               # in one terminal
//   npx tsx examples/approval/main.ts      # in another (KEEL_ADDRESS to use another service)
//
// A worker runs in this process; the client starts an expense report, reads its state with a
// query, approves it with a signal and prints the outcome.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { createActivities } from './activities';
import { approve, expenseApproval, getState, type ApprovalState } from './workflows';

export const TASK_QUEUE = 'approvals';
export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** The client's side: start, query, signal, wait. */
export async function runApproval(client: Client, reportId: string): Promise<{ whileWaiting: ApprovalState; outcome: ApprovalState }> {
  const handle = await client.workflow.start(expenseApproval, {
    taskQueue: TASK_QUEUE,
    workflowId: `expense-${reportId}`,
    args: [{ id: reportId, employee: 'ada', amount: 120, description: 'train to the customer' }],
  });
  const whileWaiting = await handle.query(getState);
  await handle.signal(approve, 'grace');
  return { whileWaiting, outcome: await handle.result() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue: TASK_QUEUE,
    workflowsPath,
    activities: createActivities(),
  });
  const client = new Client({ connection: await Connection.connect({ address }) });
  const { whileWaiting, outcome } = await worker.runUntil(runApproval(client, `r-${Date.now()}`));
  console.log(`While waiting: ${JSON.stringify(whileWaiting)}`);
  console.log(`Outcome: ${JSON.stringify(outcome)}`);
}
