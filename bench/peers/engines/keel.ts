// Keel as `keel dev` runs it: the service in workerd (miniflare) with its state on disk, and
// one worker with the SDK's defaults in its own Node process (keel-worker.ts), so that the
// worker's CPU is the engine's and the client's is not.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from 'keel/client';
import { startLocalService } from 'keel/testing';
import type { durableSleep, oneActivity, sequentialActivities } from '../../workflows';
import type { EngineFactory } from '../engine';
import { spawnReady, stopChild } from '../spawn';

const here = path.dirname(fileURLToPath(import.meta.url));
export const KEEL_TASK_QUEUE = 'bench';

export const startKeel: EngineFactory = (o) => keelWith(process.env.KEEL_BENCH_SERVICE_SCRIPT, 'Keel (keel dev + one worker, SDK defaults)', o);

/**
 * `keel-before`: the same with another build's service bundle (KEEL_BENCH_BEFORE_SCRIPT, e.g. an older
 * checkout's dist/worker/index.js), so that a change is measured before and after in the same run as
 * the peers. The worker and client are this checkout's.
 */
export const startKeelBefore: EngineFactory = (o) => {
  const scriptPath = process.env.KEEL_BENCH_BEFORE_SCRIPT;
  if (!scriptPath) throw new Error('keel-before needs KEEL_BENCH_BEFORE_SCRIPT: the service bundle of the build to compare with');
  return keelWith(scriptPath, `Keel before (service bundle ${scriptPath})`, o);
};

async function keelWith(scriptPath: string | undefined, label: string, { stateDir }: { stateDir: string }): ReturnType<EngineFactory> {
  if (scriptPath && !existsSync(scriptPath)) throw new Error(`service bundle ${scriptPath} is missing`);
  const service = await startLocalService({ dataDir: stateDir, ...(scriptPath ? { scriptPath } : {}) });
  const worker = await spawnReady('keel worker', process.execPath, ['--import', 'tsx', path.join(here, '..', 'keel-worker.ts'), service.address], { cwd: path.resolve(here, '../../..') });
  const connection = await Connection.connect({ address: service.address });
  const client = new Client({ connection });
  const opts = (workflowId: string) => ({ taskQueue: KEEL_TASK_QUEUE, workflowId });
  return {
    label,
    w1: (id, value) => client.workflow.execute<typeof oneActivity>('oneActivity', { ...opts(id), args: [value] }),
    w2: (id, steps) => client.workflow.execute<typeof sequentialActivities>('sequentialActivities', { ...opts(id), args: [steps] }),
    sleep: (id, ms) => client.workflow.execute<typeof durableSleep>('durableSleep', { ...opts(id), args: [ms] }),
    async stop() {
      await stopChild(worker);
      await connection.close();
      await service.stop();
    },
  };
}
