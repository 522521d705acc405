// One worker process of the fault suite; the suite SIGKILLs it and starts another.
// Usage: node --import tsx test/faults/worker-process.ts <address> <taskQueue>
// Imports the SDK by its package name (the built dist/), as an application would. Prints its
// identity first, so the suite knows whose tasks to look for after the kill.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from 'keel/worker';
import { createFaultActivities } from './fault-activities.js';

const [address, taskQueue] = process.argv.slice(2);
if (!address || !taskQueue) {
  console.error('usage: worker-process.ts <address> <taskQueue>');
  process.exit(2);
}
const worker = await Worker.create({
  connection: await NativeConnection.connect({ address }),
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./fault-workflows.ts', import.meta.url)),
  activities: createFaultActivities(),
});
console.log(`identity ${worker.identity}`);
await worker.run();
