// What a finished W1 keeps on disk, measured on the engine itself rather than assumed: runs a known
// number of W1s on a fresh engine (as the peers bench starts it, state on disk), stops it, and reads
// the size of every Durable Object database the W1s left, as SQLite counts it (sqlite-size.ts:
// page_count × page_size as of the last commit, WAL included — the measure Cloudflare bills as
// Durable Object SQL storage, which is also what Workflows storage is billed as).
//
//   npx tsx bench/peers/stored-bytes.ts                         # Cloudflare Workflows, 50 W1s
//   npx tsx bench/peers/stored-bytes.ts --engine keel --count 200 --in-flight 50
//   npx tsx bench/peers/stored-bytes.ts --check               # still CLOUDFLARE_WORKFLOWS_W1_STORED (bench/cost.ts)?
//   options: --engine cf-workflows|keel, --count N (W1s), --in-flight K (default 1), --json, --check
//
// Cloudflare Workflows (miniflare) keeps each instance in an engine Durable Object of its own,
// one SQLite file per instance under <state>/workflows/miniflare-workflows-<name>/ (beside
// metadata.sqlite, workerd's alarm bookkeeping for the namespace, which is not an instance's).
// Keel keeps workflows in shard objects: its bytes per W1 are its workflow objects' databases over
// the W1s they keep, as bench/instrumented-service.js counts them in the `requests` workload.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { CLOUDFLARE_WORKFLOWS_W1_STORED } from '../cost';
import { commandLine, pool, round } from '../lib';
import { loadEngine, type EngineName } from './engine';
import { closeHttp } from './http';
import { sqliteFileSize, type SqliteSize } from './sqlite-size';

const { args, value } = commandLine();
const engineName = (value('--engine') ?? 'cf-workflows') as EngineName;
const count = Number(value('--count') ?? 50);
const inFlight = Number(value('--in-flight') ?? 1);
if (engineName !== 'cf-workflows' && engineName !== 'keel') throw new Error('--engine must be cf-workflows or keel');

/** The databases on disk that hold the engine's W1s (not its bookkeeping, not its task queues). */
function w1Databases(stateDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.sqlite') && e.name !== 'metadata.sqlite') files.push(p);
    }
  };
  walk(stateDir);
  const holdsW1 = engineName === 'cf-workflows' ? (f: string) => path.basename(path.dirname(f)) === 'miniflare-workflows-w1' : (f: string) => path.basename(path.dirname(f)).endsWith('WorkflowObject');
  return files.filter(holdsW1);
}

const stateDir = mkdtempSync(path.join(tmpdir(), `stored-bytes-${engineName}-`));
const loadBefore = loadavg().map((x) => round(x));
const engine = await (await loadEngine(engineName))({ stateDir });
let sizes: SqliteSize[];
try {
  await pool(count, inFlight, async (i) => {
    const v = `v${i}`;
    const r = await engine.w1(`sb-${process.pid}-${i}`, v);
    if (r !== v) throw new Error(`W1 ${i} returned ${JSON.stringify(r)}`);
  });
} finally {
  // Stopped first: workerd's files are read as it left them (its WAL uncheckpointed, read as SQLite would recover it).
  await engine.stop();
  closeHttp();
}
try {
  sizes = w1Databases(stateDir).map(sqliteFileSize);
} finally {
  rmSync(stateDir, { recursive: true, force: true });
}
const total = sizes.reduce((a, s) => a + s.bytes, 0);
const bytes = sizes.map((s) => s.bytes).sort((a, b) => a - b);
const miniflare = (createRequire(import.meta.url)('miniflare/package.json') as { version: string }).version;
const result = {
  engine: engine.label,
  miniflare,
  date: new Date().toISOString(),
  w1s: count,
  inFlight,
  databases: sizes.length,
  pageSize: sizes[0]?.pageSize,
  bytesPerW1: round(total / count, 1),
  perDatabase: { min: bytes[0], max: bytes.at(-1), mean: round(total / Math.max(1, sizes.length), 1) },
  loadavg: { before: loadBefore, after: loadavg().map((x) => round(x)) },
};
if (engineName === 'cf-workflows' && sizes.length !== count) throw new Error(`expected one engine database per W1 instance, found ${sizes.length} for ${count}`);
if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`${result.engine}${result.engine.includes(miniflare) ? "" : ` (miniflare ${miniflare})`}: ${count} W1s (${inFlight} in flight) left ${sizes.length} database(s), ${total} bytes as SQLite counts them (page_count × page_size, ${result.pageSize}-byte pages, WAL included)`);
  console.log(`  bytes per W1: ${result.bytesPerW1}  (per database: min ${result.perDatabase.min}, mean ${result.perDatabase.mean}, max ${result.perDatabase.max})`);
  console.log(`  load before ${loadBefore.join(' ')}, after ${result.loadavg.after.join(' ')}`);
}
if (args.includes('--check')) {
  const recorded = CLOUDFLARE_WORKFLOWS_W1_STORED;
  if (engineName !== 'cf-workflows' || result.perDatabase.min !== recorded.bytesPerInstance || result.perDatabase.max !== recorded.bytesPerInstance) {
    console.error(`recorded in bench/cost.ts: ${recorded.bytesPerInstance} bytes per instance (miniflare ${recorded.miniflare}, ${recorded.date}); measured now: ${result.perDatabase.min}–${result.perDatabase.max} (miniflare ${miniflare}). Record the new figure.`);
    process.exit(1);
  }
  console.log(`  matches the figure recorded in bench/cost.ts (${recorded.bytesPerInstance} bytes, miniflare ${recorded.miniflare}, ${recorded.date})`);
}
process.exit(0);
