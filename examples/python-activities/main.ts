// A TypeScript workflow with Python activities, against a Keel service — `keel dev` by default:
//
//   keel dev                                          # one terminal
//   python3 examples/python-activities/worker.py      # another: the activities
//   npx tsx examples/python-activities/main.ts iris   # a third: the workflow worker and the client
//
// KEEL_ADDRESS points all three at another service.
import { fileURLToPath } from 'node:url';
import { Client, Connection } from 'keel/client';
import { NativeConnection, Worker } from 'keel/worker';
import { WORKFLOW_QUEUE, trainOnDataset, type TrainRequest } from './workflows';

export const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));

/** A worker for the workflow only: the activities are served by the Python worker. */
export async function createWorkflowWorker(connection: NativeConnection): Promise<Worker> {
  return Worker.create({ connection, taskQueue: WORKFLOW_QUEUE, workflowsPath, shutdownSignals: [] });
}

/** Starts a training run. */
export function startTraining(client: Client, workflowId: string, request: TrainRequest) {
  return client.workflow.start(trainOnDataset, { taskQueue: WORKFLOW_QUEUE, workflowId, args: [request] });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const address = process.env.KEEL_ADDRESS ?? '127.0.0.1:7233';
  const worker = await createWorkflowWorker(await NativeConnection.connect({ address }));
  const client = new Client({ connection: await Connection.connect({ address }) });
  const request: TrainRequest = { dataset: process.argv[2] ?? 'iris', epochs: 20, flakyAttempts: 2 };
  const result = await worker.runUntil(async () => (await startTraining(client, `train-${request.dataset}-${Date.now()}`, request)).result());
  console.log(`Trained: ${JSON.stringify(result)}`);
}
