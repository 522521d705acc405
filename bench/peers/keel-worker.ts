// One Keel worker with the SDK's defaults, polling the service at argv[2]: the bench's
// workflows (bench/workflows.ts) and activities. Prints "ready" when it polls; stops on SIGTERM.
import { NativeConnection, Worker } from 'keel/worker';
import * as activities from '../activities';
import { workflowBundle } from '../lib';
import { KEEL_TASK_QUEUE } from './engines/keel';

const connection = await NativeConnection.connect({ address: process.argv[2]! });
const worker = await Worker.create({ connection, taskQueue: KEEL_TASK_QUEUE, workflowBundle: await workflowBundle(), activities, shutdownSignals: [] });
const running = worker.run();
process.on('SIGTERM', () => worker.shutdown());
console.log('ready');
await running;
await connection.close();
process.exit(0);
