// The whole loop in one process: a local Keel service (the same Worker that
// `wrangler deploy` ships, in workerd), a worker, and a client that prints the result.
import { startLocalService } from 'keel/testing';
import { runHello } from './client';
import { createWorker } from './worker';

const service = await startLocalService();
console.log(`Keel service on ${service.url}`);
const worker = await createWorker(service.address);
try {
  const result = await worker.runUntil(runHello(service.address, process.argv[2] ?? 'Keel'));
  console.log(`Workflow result: ${result}`);
} finally {
  await service.stop();
}
