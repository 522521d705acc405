// Runs money transfers against a Keel service — `keel dev` by default:
//
//   keel dev                                     # in one terminal
//   npx tsx examples/money-transfer/main.ts      # in another (KEEL_ADDRESS to use another service)
//
// The bank is down for the first two attempts of every call and loses the answer of the first
// withdrawal: the transfer still moves the money exactly once. A transfer to an account that
// does not exist is refunded.
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowFailedError } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { Bank, createActivities } from './activities';
import { moneyTransfer, type TransferReceipt } from './workflows';

export const TASK_QUEUE = 'transfers';
export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** Transfers `amount` and resolves with the receipt, or with why the transfer was refunded. */
export async function runTransfer(client: Client, id: string, from: string, to: string, amount: number): Promise<TransferReceipt | { refunded: string }> {
  try {
    // The workflow id is the transfer id: starting the same transfer twice is refused while it runs.
    return await client.workflow.execute(moneyTransfer, { taskQueue: TASK_QUEUE, workflowId: `transfer-${id}`, args: [{ id, from, to, amount }] });
  } catch (err) {
    if (err instanceof WorkflowFailedError) return { refunded: err.cause?.message ?? err.message };
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const stamp = Date.now();
  const bank = new Bank({ alice: 100, bob: 20 }, { unavailableAttempts: 2, loseAnswerFor: [`t1-${stamp}/withdraw`] });
  const worker = await Worker.create({ connection: await NativeConnection.connect({ address }), taskQueue: TASK_QUEUE, workflowsPath, activities: createActivities(bank) });
  const client = new Client({ connection: await Connection.connect({ address }) });
  await worker.runUntil(async () => {
    console.log('alice → bob, 30:  ', JSON.stringify(await runTransfer(client, `t1-${stamp}`, 'alice', 'bob', 30)));
    console.log('alice → carol, 10:', JSON.stringify(await runTransfer(client, `t2-${stamp}`, 'alice', 'carol', 10)));
  });
  console.log(`Balances: ${JSON.stringify(Object.fromEntries(bank.balances))}`);
}
