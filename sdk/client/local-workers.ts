// Owns the link between a connection and the Workers in this process that use it, for eager
// workflow start: as in Temporal, a client can start a workflow eagerly only when a Worker for the
// task queue shares its connection, so the first workflow task can be handed to that Worker
// without going through the task queue.
import type { WorkflowTask } from '../../protocol/index.js';

/** What a Worker offers for eager workflow start. */
export interface LocalWorkflowWorker {
  namespace: string;
  taskQueue: string;
  /** A free workflow task slot, or undefined (a busy or stopping Worker takes nothing eagerly). */
  reserve(): (() => void) | undefined;
  /** Runs an eagerly started workflow task in the slot `release` gives back. */
  run(task: WorkflowTask, release: () => void): void;
}

/** A worker and the slot reserved on it for one eager start. */
export interface EagerReservation {
  worker: LocalWorkflowWorker;
  release: () => void;
}

const workersByConnection = new WeakMap<object, Set<LocalWorkflowWorker>>();

/** Offers a Worker for eager starts made through `connection`; the returned function withdraws it. */
export function registerLocalWorker(connection: object, worker: LocalWorkflowWorker): () => void {
  let workers = workersByConnection.get(connection);
  if (!workers) workersByConnection.set(connection, (workers = new Set()));
  workers.add(worker);
  return () => void workers.delete(worker);
}

/** A Worker on `connection` for the namespace and task queue with a free slot, reserved; else undefined. */
export function reserveLocalWorker(connection: object, namespace: string, taskQueue: string): EagerReservation | undefined {
  for (const worker of workersByConnection.get(connection) ?? []) {
    if (worker.namespace !== namespace || worker.taskQueue !== taskQueue) continue;
    const release = worker.reserve();
    if (release) return { worker, release };
  }
  return undefined;
}
