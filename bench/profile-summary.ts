// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by category and by function,
// and inclusive ("total") time of the functions on the hot path.
//
//   npx tsx bench/profile-summary.ts bench/profiles/CPU.….cpuprofile [--top 40] [--from-ms N] [--window file] [--per N]
//
// --from-ms skips the first N ms of the profile (process start, bundling, warm-up).
// --window reads {startUs, endUs, runs} (written by the `profile` workload next to the profile:
//   bench/profiles/window.json) and keeps only the samples in that window; --per N (default: the
//   window's runs) adds a column of ms per workflow.
import { readFileSync } from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--from-ms N]');
  process.exit(2);
}
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const top = opt('--top', 40);
const fromMs = opt('--from-ms', 0);
const windowFile = args[args.indexOf('--window') + 1];
const window = args.includes('--window') && windowFile ? (JSON.parse(readFileSync(windowFile, 'utf8')) as { startUs: number; endUs: number; runs: number }) : undefined;
const per = opt('--per', window?.runs ?? 0);

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\/\/work\/main\//, '')
    .replace(/^node_modules\//, 'nm/')
    .replace(/\?.*$/, '');

/** A coarse category of where a frame's code lives. */
function category(n: CpuNode): string {
  const { functionName, url } = n.callFrame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'program (native, unattributed)';
  if (url === 'workflow-bundle.js') return 'workflow code + Keel workflow runtime (in the vm context)';
  if (url.startsWith('node:internal/deps/undici') || url.includes('undici')) return 'undici (fetch)';
  if (url === 'node:zlib') return 'zlib (gunzip of answers)';
  if (url.includes('dist/worker/')) return 'keel service JS (dist/worker)';
  if (url.startsWith('node:internal/vm') || url === 'node:vm') return 'node:vm';
  if (url.includes('/dist/sdk/') || url.includes('/sdk/')) return 'keel sdk (client, worker)';
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:internal/webstreams')) return 'streams (node + web)';
  if (url.startsWith('node:internal/modules') || url.includes('tsx/dist') || url.includes('source_map')) return 'module loading, tsx, source maps';
  if (url.startsWith('node:net') || url.startsWith('node:internal/stream_base') || url.startsWith('node:internal/net')) return 'net';
  if (url.startsWith('node:internal/process/task_queues') || url.startsWith('node:internal/timers') || url.startsWith('node:timers')) return 'node event loop (timers, microtasks)';
  if (url.startsWith('node:internal/async_hooks') || url.startsWith('node:async_hooks')) return 'async_hooks / AsyncLocalStorage';
  if (url.startsWith('node:')) return 'node other';
  if (url.includes('node_modules/miniflare')) return 'miniflare';
  if (url.includes('node_modules/')) return 'other deps';
  if (url === '') {
    // workerd's native functions, by what they are for.
    if (functionName === 'exec' || functionName === 'toArray' || functionName === 'transactionSync' || functionName === 'next') return 'native: SQLite (exec, toArray, transactionSync)';
    if (/^(setAlarm|getAlarm|deleteAlarm)$/.test(functionName)) return 'native: alarms';
    if (/^(sign|verify|importKey|digest)$/.test(functionName)) return 'native: WebCrypto (task tokens)';
    if (/^(Response|Request|json|text|arrayBuffer|getReader|read)$/.test(functionName)) return 'native: Request/Response bodies';
    return `native: ${functionName || '(anonymous)'}`;
  }
  return 'other';
}

const key = (n: CpuNode) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const cats = new Map<string, number>();
const inclusive = new Map<string, number>();
const sdkFile = new Map<string, number>();
let t = profile.startTime;
let counted = 0;
const t0 = window ? window.startUs : profile.startTime + fromMs * 1000;
const t1 = window ? window.endUs : Infinity;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  if (t < t0 || t > t1) continue;
  const node = byId.get(profile.samples[i]!)!;
  counted += dt;
  self.set(key(node), (self.get(key(node)) ?? 0) + dt);
  cats.set(category(node), (cats.get(category(node)) ?? 0) + dt);
  // Inclusive: each function once per sample, however deep it recurses.
  const seen = new Set<string>();
  const files = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id)!;
    const k = key(n);
    if (!seen.has(k)) {
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
    const u = shortUrl(n.callFrame.url);
    if (u.includes('dist/sdk/') && !files.has(u)) files.add(u);
  }
}

const busy = counted - (cats.get('idle') ?? 0);
const pct = (x: number) => `${((100 * x) / busy).toFixed(1)}%`;
const line = (ms: number, label: string) => `${ms.toFixed(0).padStart(8)} ms ${pct(ms).padStart(6)}${per ? `${(ms / per).toFixed(3).padStart(9)} ms/wf` : ''}  ${label}`;

console.log(
  `${file}: ${(counted / 1000).toFixed(2)} s profiled${fromMs ? ` (after the first ${fromMs} ms)` : ''}${window ? ' (the measured window only)' : ''}, ${(busy / 1000).toFixed(2)} s busy (percentages are of busy time)${per ? `; ${per} workflows: ${(busy / per).toFixed(2)} ms busy per workflow` : ''}\n`,
);
console.log('Self time by category');
for (const [c, ms] of [...cats.entries()].filter(([c]) => c !== 'idle').sort((a, b) => b[1] - a[1])) console.log(line(ms, c));
console.log(`\nSelf time, top ${top} functions`);
for (const [k, ms] of [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(ms, k));
console.log(`\nInclusive time, top ${top} functions (excluding the event loop's own frames)`);
for (const [k, ms] of [...inclusive.entries()]
  .filter(([k]) => !k.startsWith('(') && !/processTicksAndRejections|listOnTimeout|processTimers|runMicrotasks/.test(k))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(line(ms, k));
