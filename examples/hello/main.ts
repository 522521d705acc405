// Runs hello world against a Keel service — `keel dev` by default:
//
//   keel dev                              # in one terminal
//   npx tsx examples/hello/main.ts Keel   # in another (KEEL_ADDRESS to use another service)
//
// A worker runs in this process just long enough for the client to get its result.
// `npm start` runs this same loop with a `keel dev` of its own (with-keel-dev.ts).
import { fileURLToPath } from 'node:url';
import { runHello } from './client';
import { createWorker } from './worker';

/** Runs a worker until the client has the workflow's result, and returns the result. */
export async function helloOnce(address: string, name: string): Promise<string> {
  const worker = await createWorker(address);
  return worker.runUntil(runHello(address, name));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`Workflow result: ${await helloOnce(process.env.KEEL_ADDRESS ?? '127.0.0.1:7233', process.argv[2] ?? 'Keel')}`);
}
