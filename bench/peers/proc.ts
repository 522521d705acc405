// CPU accounting of an engine: the CPU time of every process this process started (the
// engine's servers and workers: workerd, restate-server, worker processes), from /proc, so
// that "server CPU per workflow" is measured the same way for every engine. The driver (this
// process: the client side) is not counted.
import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 1000 / Number(execSync('getconf CLK_TCK').toString().trim() || 100);

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
}

function readProc(pid: string): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), ppid: Number(f[1]), comm, cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

/** The descendants of this process, with their CPU ms so far. */
export function descendants(root = process.pid): Proc[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(readProc).filter((p): p is Proc => !!p);
  const byParent = new Map<number, Proc[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: Proc[] = [];
  const walk = (pid: number) => {
    for (const c of byParent.get(pid) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

/** Busy CPU ms of the whole machine (all cores), from /proc/stat. */
export function machineBusyMs(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (v[3] ?? 0) - (v[4] ?? 0)) * TICK_MS;
}

export interface EngineCpu {
  wallMs: number;
  /** All processes of the engine (servers + workers), ms. */
  engineMs: number;
  /** The same, by process name (workerd, restate-server, node, …). */
  byProcess: Record<string, number>;
  /** This process (the client driver), ms. */
  driverMs: number;
  /** Everything else on the machine: other people's work, noise. */
  otherMs: number;
}

/** Starts a CPU meter; the function it returns reports the use since. */
export function engineCpuMeter(): () => EngineCpu {
  const t0 = performance.now();
  const before = new Map(descendants().map((p) => [p.pid, p.cpuMs]));
  const d0 = process.cpuUsage();
  const m0 = machineBusyMs();
  return () => {
    const byProcess: Record<string, number> = {};
    let engineMs = 0;
    // esbuild is tsx's transpiler service (the driver's and the Node workers' loaders): it
    // compiles at start-up and then idles; it is no engine's work.
    for (const p of descendants().filter((p) => p.comm !== 'esbuild')) {
      const used = p.cpuMs - (before.get(p.pid) ?? 0);
      engineMs += used;
      byProcess[p.comm] = (byProcess[p.comm] ?? 0) + used;
    }
    const d = process.cpuUsage(d0);
    const driverMs = (d.user + d.system) / 1000;
    return { wallMs: performance.now() - t0, engineMs, byProcess, driverMs, otherMs: Math.max(0, machineBusyMs() - m0 - engineMs - driverMs) };
  };
}
