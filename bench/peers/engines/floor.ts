// Keel's floor (bench/floor): the exchanges, object creations, RPCs and transactions of Keel's
// protocol for a W1, with no logic, in workerd with its state on disk, and its null worker in
// its own Node process. What Keel would cost if its code took no time. The variants take that
// floor apart, one component at a time (bench/floor/worker.js says what each switch does;
// bench/RESULTS.md, "Where the floor's time goes").
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineFactory, SleepResult } from '../engine';
import { getJson, postJson } from '../http';
import { spawnReady, stopChild } from '../spawn';
import { startMiniflare } from './cf-workflows';

const here = path.dirname(fileURLToPath(import.meta.url));
const floorDir = path.resolve(here, '..', '..', 'floor');
const SHARDS = 8;

interface Variant {
  label: string;
  /** The Worker's switches (FLOOR_MODE, bench/floor/worker.js). */
  mode?: Record<string, unknown>;
  /** The null worker's options. */
  worker?: string[];
}

/** Every floor engine: the name the peers bench takes, and what it removes or adds. */
export const FLOOR_VARIANTS = {
  floor: { label: "floor of Keel's protocol of 2026-12-05 (bench/floor: an object per workflow, D1, a poll per task; no logic)" },
  'floor-ws': { label: "floor over one WebSocket (bench/floor: the 2026-12-05 protocol's RPCs and transactions, tasks and completions as messages)", worker: ['--ws'] },
  'floor-noalarm': { label: 'floor − setAlarm (−6 per W1)', mode: { alarm: 'timers' } },
  'floor-nod1': { label: 'floor − D1 (−2 writes per W1)', mode: { d1: false } },
  'floor-nosql': { label: 'floor − SQLite (−6 transactions per W1; state in memory)', mode: { sql: false } },
  'floor-xrpc': { label: 'floor + 8 no-op DO requests per W1', mode: { xrpc: true } },
  'floor-xhttp': { label: 'floor + 4 no-op HTTP exchanges per W1 (worker → Worker)', worker: ['--xhttp'] },
  'floor-shard': { label: `floor in ${SHARDS} shard objects (no new object, SQLite file or schema transaction per W1)`, mode: { shards: SHARDS } },
  'floor-shard-gc': { label: `floor in ${SHARDS} shards + group commit`, mode: { shards: SHARDS, group: true } },
  'floor-lean': {
    label: `lean design: ${SHARDS} shards as task queues, group commit, batched exchanges, start+result in one, no D1, lazy alarm`,
    mode: { shards: SHARDS, group: true, lean: true, d1: false, alarm: 'lazy' },
    worker: ['--batch', String(SHARDS)],
  },
  // Keel's floor: protocol 7's design (a WebSocket per shard, held by the shard) with no logic.
  'floor-lean-ws': {
    label: `Keel's floor — Keel's design, no logic: ${SHARDS} shards as task queues, one WebSocket per shard held by the shard (hibernation API), group commit, batched exchanges, start+result in one, no D1, lazy alarm`,
    mode: { shards: SHARDS, group: true, lean: true, d1: false, alarm: 'lazy' },
    worker: ['--batch', String(SHARDS), '--ws'],
  },
} satisfies Record<string, Variant>;
export type FloorVariant = keyof typeof FLOOR_VARIANTS;

export const floorEngine =
  (name: FloorVariant): EngineFactory =>
  async ({ stateDir }) => {
    const v: Variant = FLOOR_VARIANTS[name];
    const mode = v.mode ?? {};
    const script = path.join(floorDir, 'worker.js');
    const { url, mf } = await startMiniflare(
      {
        modules: [{ type: 'ESModule', path: script, contents: readFileSync(script, 'utf8') }],
        modulesRoot: floorDir,
        bindings: { FLOOR_MODE: mode },
        durableObjects: {
          WORKFLOWS: { className: 'FloorWorkflow', useSQLite: true },
          QUEUES: { className: 'FloorQueue', useSQLite: true },
        },
        d1Databases: { VISIBILITY: 'floor-visibility' },
      },
      stateDir,
    );
    await postJson(`${url}/setup`, {});
    const worker = await spawnReady('floor null worker', process.execPath, ['--import', 'tsx', path.join(floorDir, 'null-worker.ts'), url, ...(v.worker ?? [])], { cwd: path.resolve(floorDir, '..', '..') });
    const run = mode.lean
      ? async <T>(id: string, input: Record<string, unknown>): Promise<T> => (await postJson<{ result: T }>(`${url}/run`, { id, input })).result
      : async <T>(id: string, input: Record<string, unknown>): Promise<T> => {
          await postJson(`${url}/start`, { id, input });
          return (await getJson<{ result: T }>(`${url}/result?id=${encodeURIComponent(id)}`)).result;
        };
    return {
      label: v.label,
      w1: (id, value) => run<string>(id, { value }),
      w2: (id, steps) => run<number>(id, { steps }),
      sleep: (id, ms) => run<SleepResult>(id, { sleepMs: ms }),
      async stop() {
        // Steps per transaction and tasks per exchange, in the sharded variants.
        if (mode.shards) console.log(`  [${name}] shard stats ${JSON.stringify(await getJson(`${url}/stats`))}`);
        await stopChild(worker);
        await mf.dispose();
      },
    };
  };
