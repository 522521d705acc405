// A worker: polls the `hello` task queue and runs the workflows and activities.
// Run it against any Keel service: KEEL_ADDRESS=127.0.0.1:7233 npx tsx examples/hello/worker.ts
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from './activities';

export async function createWorker(address: string) {
  const connection = await NativeConnection.connect({ address });
  return Worker.create({
    connection,
    taskQueue: 'hello',
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    activities,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const worker = await createWorker(process.env.KEEL_ADDRESS ?? '127.0.0.1:7233');
  await worker.run();
}
