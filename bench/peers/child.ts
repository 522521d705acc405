// One engine, one round: starts the engine (state in a fresh directory on disk), runs the
// workloads with the shared driver, writes the result as JSON to --out, and stops the engine.
// run.ts spawns one of these per engine and round.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runWorkloads } from './driver';
import { ENGINES, loadEngine, type EngineName } from './engine';
import { closeHttp } from './http';

const args = process.argv.slice(2);
const value = (n: string) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const name = value('--engine') as EngineName;
if (!ENGINES.includes(name)) throw new Error(`--engine must be one of ${ENGINES.join(', ')}`);
const out = value('--out');

// /tmp is on disk here (not tmpfs): every engine's state is, as keel dev keeps Keel's.
const stateDir = mkdtempSync(path.join(tmpdir(), `peers-${name}-`));
const engine = await (await loadEngine(name))({ stateDir });
try {
  const result = await runWorkloads(engine, { quick: args.includes('--quick') }, (s) => console.log(`  [${name}] ${s}`));
  if (out) writeFileSync(out, JSON.stringify(result, null, 2));
  else console.log(JSON.stringify(result, null, 2));
} finally {
  await engine.stop();
  closeHttp();
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(0);
