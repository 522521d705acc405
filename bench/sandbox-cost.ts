// The sandbox's own CPU per W1, without service or network: for each SDK checkout given, its
// WorkflowSandbox (from the checkout's sources) runs what a worker runs for one W1 — a new run,
// the start activation (ScheduleActivityTask), the activity's result (CompleteWorkflowExecution),
// dispose — with `inFlight` runs open at once, as a worker holding that many runs interleaves them.
// Rounds alternate between checkouts; prints CPU µs per W1 and the ratio to the first.
//
//   npx tsx bench/sandbox-cost.ts [--runs 2000] [--rounds 3] [--in-flight 50] name=<checkout> …
import path from 'node:path';
import { commandLine, round } from './lib';

const { args, value, builds } = commandLine();
const runs = Number(value('--runs') ?? 2000);
const rounds = Number(value('--rounds') ?? 3);
const inFlight = Number(value('--in-flight') ?? 50);

interface RunContext {
  activate(a: unknown): Promise<{ commands?: Array<{ type: string }>; failure?: { message: string } }>;
  dispose(): void;
}
interface Sandbox {
  createRunContext(info: object): RunContext;
}

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const json = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify(v)).toString('base64') });
const start = (i: number) => ({
  timestamp: T0,
  isReplaying: false,
  historyLength: 3,
  jobs: [
    {
      type: 'startWorkflow',
      workflowType: 'oneActivity',
      args: [json(`v${i}`)],
      randomnessSeed: i,
      info: { namespace: 'default', workflowId: `w${i}`, runId: `r${i}`, workflowType: 'oneActivity', taskQueue: 'bench', attempt: 1, firstExecutionRunId: `r${i}`, workflowTaskTimeoutMs: 10_000, startTime: T0 },
    },
  ],
});
const resolve = (i: number) => ({ timestamp: T0 + 10, isReplaying: false, historyLength: 9, jobs: [{ type: 'resolveActivity', activityId: '1', result: { completed: { result: json(`v${i}`) } } }] });

const sandboxes = new Map<string, Sandbox>();
for (const b of builds) {
  const { bundleWorkflowCode } = (await import(path.join(b.root, 'sdk/worker/workflow-bundler.ts'))) as { bundleWorkflowCode: (o: object) => Promise<{ code: string }> };
  const { WorkflowSandbox } = (await import(path.join(b.root, 'sdk/worker/workflow-sandbox.ts'))) as { WorkflowSandbox: new (code: string, o: object) => Sandbox };
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(b.root, 'bench/workflows.ts') });
  sandboxes.set(b.name, new WorkflowSandbox(code, { logger: { log: () => {} } }));
}

async function w1s(sandbox: Sandbox, n: number): Promise<void> {
  let next = 0;
  const expect = (r: Awaited<ReturnType<RunContext['activate']>>, type: string) => {
    if (r.commands?.[0]?.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(r)}`);
  };
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < n; i = next++) {
        const run = sandbox.createRunContext({ workflowId: `w${i}` });
        expect(await run.activate(start(i)), 'ScheduleActivityTask');
        await new Promise((r) => setImmediate(r)); // the activity's round trip: other runs go meanwhile
        expect(await run.activate(resolve(i)), 'CompleteWorkflowExecution');
        run.dispose();
      }
    }),
  );
}

const samples = new Map<string, number[]>();
for (const [, sb] of sandboxes) await w1s(sb, 200); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const b of builds.map((_, i) => builds[(i + r) % builds.length]!)) {
    const c0 = process.cpuUsage();
    await w1s(sandboxes.get(b.name)!, runs);
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / runs;
    (samples.get(b.name) ?? samples.set(b.name, []).get(b.name)!).push(us);
    console.log(`round ${r + 1} ${b.name}: ${round(us)} µs CPU per W1`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const first = median(samples.get(builds[0]!.name)!);
for (const b of builds) console.log(`${b.name}: median ${round(median(samples.get(b.name)!))} µs per W1, ÷ ${builds[0]!.name} ${round(median(samples.get(b.name)!) / first)}`);
