// Cloudflare Workflows side of the bench: the three workflows of the standard workloads as
// WorkflowEntrypoints (an activity is a `step.do`), and a fetch handler that creates an
// instance and answers with its output. Workflows has no "wait for the result" call, so the
// handler polls `instance.status()` every POLL_MS, in the Worker (next to the engine) rather
// than over HTTP; that polling is part of the CPU this engine is charged with.
import { WorkflowEntrypoint } from 'cloudflare:workers';

const POLL_MS = 1;
const echo = async (value) => value;

export class W1 extends WorkflowEntrypoint {
  async run(event, step) {
    return step.do('echo', () => echo(event.payload.value));
  }
}

export class W2 extends WorkflowEntrypoint {
  async run(event, step) {
    let n = 0;
    for (let i = 0; i < event.payload.steps; i++) if ((await step.do(`echo${i}`, () => echo(String(i)))) === String(i)) n++;
    return n;
  }
}

export class Sleep extends WorkflowEntrypoint {
  async run(event, step) {
    // Date.now() inside a step is recorded with it, like Date.now() in a Keel workflow.
    const before = await step.do('before', async () => Date.now());
    await step.sleep('sleep', event.payload.ms);
    const after = await step.do('after', async () => Date.now());
    return { before, after };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const m = /^\/run\/(w1|w2|sleep)\/([^/]+)$/.exec(url.pathname);
    if (!m) return new Response('not found', { status: 404 });
    const binding = { w1: env.W1, w2: env.W2, sleep: env.SLEEP }[m[1]];
    const instance = await binding.create({ id: m[2], params: await request.json() });
    for (;;) {
      const s = await instance.status();
      if (s.status === 'complete') return Response.json(s.output);
      if (s.status === 'errored' || s.status === 'terminated') return Response.json(s, { status: 500 });
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  },
};
