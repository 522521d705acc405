// The standard workloads, engine-neutral: one client driver and one set of statistics for
// every engine (Keel, its floor, Restate, Cloudflare Workflows). Runs in its own process per
// engine and round (run.ts spawns it), so that the CPU of everything the engine started is
// the engine's CPU.
import { loadavg } from 'node:os';
import { pool, round, stats, type Stats } from '../lib';
import type { Engine } from './engine';
import * as http from './http';
import { engineCpuMeter, type EngineCpu } from './proc';

export interface DriverOptions {
  quick: boolean;
}

export interface EngineResult {
  engine: string;
  w1: { p50: number; p99: number; n: number; dist: Stats };
  w1Throughput: { perSecond: number; n: number; inFlight: number; latency: Stats; cpu: EngineCpu; cpuMsPerWorkflow: number; byProcessMsPerWorkflow: Record<string, number> };
  w2: { msPerStep: number; p50: number; n: number; dist: Stats };
  /** Lateness as each workflow sees it (its clock after the sleep − before − the sleep), by number of concurrent sleeps. */
  w3: Record<string, { p50: number; p99: number; n: number; clientP99: number }>;
  loadavg: number[];
  /** Requests the driver sent again after the engine reset a kept-alive connection (http.ts). */
  connectionResets: number;
}

let seq = 0;
const id = (p: string) => `${p}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

export async function runWorkloads(engine: Engine, o: DriverOptions, log: (s: string) => void): Promise<EngineResult> {
  const w1Once = async (v: string) => {
    const [ms, r] = await timed(() => engine.w1(id('w1'), v));
    if (r !== v) throw new Error(`${engine.label}: W1 returned ${JSON.stringify(r)}, expected ${JSON.stringify(v)}`);
    return ms;
  };

  // W1 latency: sequential start → result.
  const w1Runs = o.quick ? 50 : 200;
  for (let i = 0; i < (o.quick ? 10 : 30); i++) await w1Once(`warm${i}`);
  const w1: number[] = [];
  for (let i = 0; i < w1Runs; i++) w1.push(await w1Once(`v${i}`));
  const w1s = stats(w1);
  log(`W1 p50 ${w1s.p50} ms`);

  // W1 throughput: `total` workflows, 50 in flight; the engine's CPU over the same window.
  const total = o.quick ? 300 : 1000;
  const inFlight = 50;
  await pool(inFlight * 2, inFlight, (i) => w1Once(`tw${i}`));
  const meter = engineCpuMeter();
  const t0 = performance.now();
  const lat = await pool(total, inFlight, (i) => w1Once(`t${i}`));
  const elapsed = performance.now() - t0;
  const cpu = meter();
  const perSecond = round((total / elapsed) * 1000, 1);
  log(`W1 throughput ${perSecond}/s, engine CPU ${round(cpu.engineMs / total)} ms/wf`);

  // W2: ten sequential activities.
  const steps = 10;
  const w2Runs = o.quick ? 15 : 50;
  const w2Once = async () => {
    const [ms, n] = await timed(() => engine.w2(id('w2'), steps));
    if (n !== steps) throw new Error(`${engine.label}: W2 returned ${n}`);
    return ms;
  };
  for (let i = 0; i < (o.quick ? 3 : 10); i++) await w2Once();
  const w2: number[] = [];
  for (let i = 0; i < w2Runs; i++) w2.push(await w2Once());
  const w2s = stats(w2);
  log(`W2 ${round(w2s.p50 / steps)} ms/step`);

  // W3: 20 and 50 concurrent 1-s durable sleeps.
  const sleepMs = 1000;
  await Promise.all(Array.from({ length: 5 }, () => engine.sleep(id('w3w'), 50)));
  const w3: EngineResult['w3'] = {};
  for (const count of [20, 50]) {
    const late: number[] = [];
    const client: number[] = [];
    for (let r = 0; r < (o.quick ? 1 : 2); r++) {
      const t = performance.now();
      const results = await Promise.all(
        Array.from({ length: count }, async () => {
          const v = await engine.sleep(id('w3'), sleepMs);
          return { ...v, clientMs: performance.now() - t - sleepMs };
        }),
      );
      for (const v of results) {
        late.push(v.after - v.before - sleepMs);
        client.push(v.clientMs);
      }
    }
    const s = stats(late);
    w3[String(count)] = { p50: s.p50, p99: s.p99, n: s.n, clientP99: stats(client).p99 };
    log(`W3 ×${count} lateness p99 ${s.p99} ms`);
  }

  return {
    engine: engine.label,
    w1: { p50: w1s.p50, p99: w1s.p99, n: w1s.n, dist: w1s },
    w1Throughput: {
      perSecond,
      n: total,
      inFlight,
      latency: stats(lat),
      cpu: { ...cpu, wallMs: round(cpu.wallMs), engineMs: round(cpu.engineMs), driverMs: round(cpu.driverMs), otherMs: round(cpu.otherMs) },
      cpuMsPerWorkflow: round(cpu.engineMs / total),
      byProcessMsPerWorkflow: Object.fromEntries(Object.entries(cpu.byProcess).map(([k, v]) => [k, round(v / total)])),
    },
    w2: { msPerStep: round(w2s.p50 / steps), p50: w2s.p50, n: w2s.n, dist: w2s },
    w3,
    loadavg: loadavg().map((x) => round(x)),
    connectionResets: http.resets,
  };
}
