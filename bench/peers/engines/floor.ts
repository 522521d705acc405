// Keel's floor (bench/floor): the exchanges, object creations, RPCs and transactions of Keel's
// protocol for a W1, with no logic, in workerd with its state on disk, and its null worker in
// its own Node process. What Keel would cost if its code took no time.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineFactory, SleepResult } from '../engine';
import { getJson, postJson } from '../http';
import { spawnReady, stopChild } from '../spawn';
import { startMiniflare } from './cf-workflows';

const here = path.dirname(fileURLToPath(import.meta.url));
const floorDir = path.resolve(here, '..', '..', 'floor');

/** Keel's protocol over HTTP, as today (`floor`), or one WebSocket per worker (`floor-ws`: a design to weigh). */
export const floorEngine =
  (variant: 'http' | 'ws'): EngineFactory =>
  async ({ stateDir }) => {
  const script = path.join(floorDir, 'worker.js');
  const { url, mf } = await startMiniflare(
    {
      modules: [{ type: 'ESModule', path: script, contents: readFileSync(script, 'utf8') }],
      modulesRoot: floorDir,
      durableObjects: {
        WORKFLOWS: { className: 'FloorWorkflow', useSQLite: true },
        QUEUES: { className: 'FloorQueue', useSQLite: true },
      },
      d1Databases: { VISIBILITY: 'floor-visibility' },
    },
    stateDir,
  );
  await postJson(`${url}/setup`, {});
  const worker = await spawnReady('floor null worker', process.execPath, ['--import', 'tsx', path.join(floorDir, 'null-worker.ts'), url, ...(variant === 'ws' ? ['--ws'] : [])], { cwd: path.resolve(floorDir, '..', '..') });
  const run = async <T>(id: string, input: Record<string, unknown>): Promise<T> => {
    await postJson(`${url}/start`, { id, input });
    return (await getJson<{ result: T }>(`${url}/result?id=${encodeURIComponent(id)}`)).result;
  };
  return {
    label: variant === 'ws' ? "floor over one WebSocket (bench/floor: Keel's RPCs and transactions, tasks and completions as messages)" : "Keel's floor (bench/floor: Keel's exchanges, no logic)",
    w1: (id, value) => run<string>(id, { value }),
    w2: (id, steps) => run<number>(id, { steps }),
    sleep: (id, ms) => run<SleepResult>(id, { sleepMs: ms }),
    async stop() {
      await stopChild(worker);
      await mf.dispose();
    },
  };
};
