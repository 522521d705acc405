// Tests what replay relies on: identical commands and uuid4 values, queries kept out of the run, replay-aware log, workflowInfo.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { ActivationJob } from './activation.js';
import {
  defineQuery,
  log,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
  type WorkflowLogSink,
} from './index.js';
import { Run, T0, job, startInfo, v } from './test-support/harness.js';

const silent: WorkflowLogSink = { log: () => undefined };
const run = (workflows: Record<string, unknown>, logger = silent) => new Run(workflows, { AsyncLocalStorage, logger });
const acts = proxyActivities<{ use(ids: string[]): Promise<string> }>({ startToCloseTimeout: '1m' });

async function ids(): Promise<string> {
  setHandler(defineQuery<string>('peek'), () => uuid4());
  log.info('started', { step: 1 });
  const first = [uuid4(), uuid4()];
  await sleep('1s');
  log.info('woke');
  return await acts.use([...first, uuid4()]);
}

const history: { jobs: ActivationJob[] }[] = [{ jobs: [job.start('ids', [], 123)] }, { jobs: [job.fire('1')] }, { jobs: [job.complete('1', 'ok')] }];

describe('replay', () => {
  it('gives identical commands and uuid4 values when the same activations are replayed', async () => {
    const play = async (isReplaying: boolean) => {
      const r = run({ ids });
      const out = [];
      for (const { jobs } of history) out.push(await r.commands(jobs, { isReplaying }));
      return out;
    };
    const original = await play(false);
    expect(await play(true)).toEqual(original);
    expect(original.map((cmds) => cmds.map((c) => c.type))).toEqual([
      ['StartTimer'],
      ['ScheduleActivityTask'],
      ['CompleteWorkflowExecution'],
    ]);
  });

  it('keeps queries out of the run: a query drawing a uuid4 does not change later values', async () => {
    const plain = run({ ids });
    await plain.commands(history[0]!.jobs);
    const withQuery = run({ ids });
    await withQuery.commands(history[0]!.jobs);
    const peeked = v(withQuery.query('peek').answer);
    expect(v(withQuery.query('peek').answer)).toBe(peeked);
    expect(await withQuery.commands(history[1]!.jobs)).toEqual(await plain.commands(history[1]!.jobs));
  });

  it('logs only when not replaying, with the run identity', async () => {
    const records: unknown[] = [];
    const sink: WorkflowLogSink = { log: (level, message, meta) => records.push({ level, message, meta }) };
    const r = run({ ids }, sink);
    await r.commands(history[0]!.jobs, { isReplaying: true });
    expect(records).toEqual([]);
    await r.commands(history[1]!.jobs, { isReplaying: false });
    expect(records).toEqual([
      {
        level: 'INFO',
        message: 'woke',
        meta: { sdkComponent: 'workflow', namespace: 'default', taskQueue: 'q', workflowId: 'wf-1', runId: 'run-1', workflowType: 'ids' },
      },
    ]);
  });
});

describe('workflowInfo', () => {
  it("fills Temporal's fields from the start info and the current activation", async () => {
    let seen: ReturnType<typeof workflowInfo> | undefined;
    async function wf(): Promise<void> {
      await sleep(1);
      seen = workflowInfo();
    }
    const r = run({ wf });
    const start: ActivationJob = {
      type: 'startWorkflow',
      workflowType: 'wf',
      args: [],
      randomnessSeed: 1,
      info: startInfo('wf', {
        workflowExecutionTimeoutMs: 60_000,
        memo: { owner: { metadata: { encoding: btoa('json/plain') }, data: btoa('"ops"') } },
        retryPolicy: { initialIntervalMs: 1000, maximumAttempts: 2 },
        continuedFromExecutionRunId: 'run-0',
      }),
    };
    await r.commands([start]);
    await r.commands([job.fire('1')], { isReplaying: true });
    expect(seen).toMatchObject({
      workflowId: 'wf-1',
      runId: 'run-1',
      workflowType: 'wf',
      namespace: 'default',
      taskQueue: 'q',
      attempt: 1,
      firstExecutionRunId: 'run-1',
      continuedFromExecutionRunId: 'run-0',
      startTime: new Date(T0),
      runStartTime: new Date(T0),
      executionTimeoutMs: 60_000,
      executionExpirationTime: new Date(T0 + 60_000),
      taskTimeoutMs: 10_000,
      retryPolicy: { initialInterval: 1000, maximumAttempts: 2 },
      memo: { owner: 'ops' },
      searchAttributes: {},
      historyLength: r.historyLength,
      unsafe: { isReplaying: true },
    });
    expect(Object.isFrozen(seen)).toBe(true);
  });
});
