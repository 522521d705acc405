// A TypeScript workflow whose activities run in Python (worker.py): the workflow only names
// them, by type and signature, on the task queue the Python worker polls.
import { ActivityCancellationType, proxyActivities } from 'keel/workflow';

/** The queue the TypeScript worker polls for workflow tasks. */
export const WORKFLOW_QUEUE = 'ml-workflows';
/** The queue worker.py polls for activity tasks (its KEEL_TASK_QUEUE). */
export const ACTIVITY_QUEUE = 'python-activities';

/** The activities worker.py serves, as the workflow sees them. */
export interface PythonActivities {
  /** Fails retryably (`SourceUnavailable`) while its attempt ≤ `flakyAttempts`; non-retryably (`DatasetNotFound`) for an unknown name. */
  fetchDataset(request: { name: string; flakyAttempts?: number }): Promise<number[]>;
  /** Heartbeats `{ epoch, loss }` each epoch and resumes from the last one on a retry. */
  trainModel(request: { rows: number[]; epochs: number; epochSeconds?: number }): Promise<{ epochs: number; loss: number; mean: number }>;
}

const { fetchDataset } = proxyActivities<PythonActivities>({
  taskQueue: ACTIVITY_QUEUE,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 5 },
});
const { trainModel } = proxyActivities<PythonActivities>({
  taskQueue: ACTIVITY_QUEUE,
  startToCloseTimeout: '1 hour',
  // A worker that stops heartbeating (crashed, cut off) is noticed after 10 s and the epoch
  // loop resumes on another attempt from the last heartbeat's details.
  heartbeatTimeout: '10 seconds',
  // Cancelling the workflow waits until the Python side has seen the cancellation and said so.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export interface TrainRequest {
  dataset: string;
  epochs: number;
  epochSeconds?: number;
  flakyAttempts?: number;
}

/** Fetches a dataset and trains a model on it, both in Python. */
export async function trainOnDataset(request: TrainRequest): Promise<{ epochs: number; loss: number; mean: number }> {
  const rows = await fetchDataset({ name: request.dataset, ...(request.flakyAttempts ? { flakyAttempts: request.flakyAttempts } : {}) });
  return await trainModel({ rows, epochs: request.epochs, ...(request.epochSeconds !== undefined ? { epochSeconds: request.epochSeconds } : {}) });
}
