// The worker: polls the Keel service for this app's workflow and activity tasks and runs them.
// Run as many as you like, anywhere that reaches the service (KEEL_ADDRESS).
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from 'keel/worker';
import { createActivities } from './activities';
import { TASK_QUEUE } from './workflows';

export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

const connection = await NativeConnection.connect({
  address: process.env.KEEL_ADDRESS ?? '127.0.0.1:7233',
  ...(process.env.KEEL_API_KEY ? { apiKey: process.env.KEEL_API_KEY } : {}),
});
const worker = await Worker.create({ connection, taskQueue: TASK_QUEUE, workflowsPath, activities: createActivities() });
console.log(`Worker polling '${TASK_QUEUE}' on ${process.env.KEEL_ADDRESS ?? '127.0.0.1:7233'} (Ctrl-C stops it)`);
await worker.run(); // until SIGINT or SIGTERM
