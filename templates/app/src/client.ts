// The client: starts a workflow and waits for its result. Any process can do this: a web
// server, a script, a cron job.
import { Client, Connection } from 'keel/client';
import { TASK_QUEUE, greet } from './workflows';

const connection = await Connection.connect({
  address: process.env.KEEL_ADDRESS ?? '127.0.0.1:7233',
  ...(process.env.KEEL_API_KEY ? { apiKey: process.env.KEEL_API_KEY } : {}),
});
const client = new Client({ connection });
const name = process.argv[2] ?? 'Keel';
const handle = await client.workflow.start(greet, { taskQueue: TASK_QUEUE, workflowId: `greet-${name}-${Date.now()}`, args: [name] });
console.log(`Started ${handle.workflowId}; result: ${await handle.result()}`);
await connection.close();
