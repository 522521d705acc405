// The Restate side of the bench's workflows: one service endpoint (the SDK's HTTP/2 server,
// SDK defaults) with the three workflows of the standard workloads. An activity is a
// `ctx.run` (Restate's journaled side effect), as cheap as Keel's `echo`. Prints
// "ready <port>" when it listens; the engine (engines/restate.ts) registers it.
import './node20';
import * as restate from '@restatedev/restate-sdk';

const echo = async (value: string) => value;

const w1 = restate.workflow({
  name: 'w1',
  handlers: {
    run: async (ctx: restate.WorkflowContext, value: string) => ctx.run('echo', () => echo(value)),
  },
});

const w2 = restate.workflow({
  name: 'w2',
  handlers: {
    run: async (ctx: restate.WorkflowContext, steps: number) => {
      let n = 0;
      for (let i = 0; i < steps; i++) if ((await ctx.run(`echo${i}`, () => echo(String(i)))) === String(i)) n++;
      return n;
    },
  },
});

const sleeper = restate.workflow({
  name: 'sleep',
  handlers: {
    // ctx.date.now() is journaled, like Date.now() in a Keel workflow.
    run: async (ctx: restate.WorkflowContext, ms: number) => {
      const before = await ctx.date.now();
      await ctx.sleep(ms);
      return { before, after: await ctx.date.now() };
    },
  },
});

const port = await restate.serve({ services: [w1, w2, sleeper], port: Number(process.argv[2] ?? 0) });
console.log(`ready ${port}`);
