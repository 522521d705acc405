// Tests of upsertSearchAttributes / upsertMemo in the runtime: the commands they issue, the values
// workflowInfo() shows at once, and continue-as-new's typed search attributes.
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import type { ActivationJob } from './activation.js';
import {
  SearchAttributeType,
  defineSearchAttributeKey,
  defineQuery,
  makeContinueAsNewFunc,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from './index.js';
import { Run, job, startInfo, v } from './test-support/harness.js';

const run = (workflows: Record<string, unknown>) => new Run(workflows, { AsyncLocalStorage });
const stage = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
const due = defineSearchAttributeKey('Due', SearchAttributeType.DATETIME);

const startWith = (workflowType: string, overrides: Parameters<typeof startInfo>[1]): ActivationJob => ({ ...(job.start(workflowType) as Extract<ActivationJob, { type: 'startWorkflow' }>), info: startInfo(workflowType, overrides) });

describe('upsertSearchAttributes and upsertMemo', () => {
  it('issue their commands and change workflowInfo() at once: typed and untyped forms, null and [] removing', async () => {
    const seen: unknown[] = [];
    async function wf(): Promise<void> {
      const info = () => workflowInfo();
      seen.push(info().typedSearchAttributes.get(stage), info().memo);
      upsertSearchAttributes([{ key: stage, value: 'paid' }, { key: due, value: new Date(Date.UTC(2026, 0, 2)) }]);
      upsertSearchAttributes({ Tags: [], Region: ['eu'] });
      upsertMemo({ progress: 3, owner: undefined });
      seen.push(info().typedSearchAttributes.get(stage), info().typedSearchAttributes.get(due), info().searchAttributes, info().memo);
      await sleep(1);
    }
    const commands = await run({ wf }).commands([startWith('wf', { searchAttributes: { Stage: 'new', Tags: ['a'] }, memo: { owner: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'ImFkYSI=' } } })]);
    expect(commands.map((c) => c.type)).toEqual(['UpsertWorkflowSearchAttributes', 'UpsertWorkflowSearchAttributes', 'ModifyWorkflowProperties', 'StartTimer']);
    expect(commands[0]).toEqual({ type: 'UpsertWorkflowSearchAttributes', searchAttributes: { Stage: { type: 'Keyword', value: 'paid' }, Due: { type: 'Datetime', value: '2026-01-02T00:00:00.000Z' } } });
    expect(commands[1]).toEqual({ type: 'UpsertWorkflowSearchAttributes', searchAttributes: { Tags: [], Region: ['eu'] } });
    const memo = commands[2]!.type === 'ModifyWorkflowProperties' ? commands[2].upsertedMemo : {};
    expect(memo['owner']).toBeNull();
    expect(v(memo['progress']!)).toBe(3);
    expect(seen).toEqual([
      'new',
      { owner: 'ada' },
      'paid',
      new Date(Date.UTC(2026, 0, 2)),
      { Stage: { type: 'Keyword', value: 'paid' }, Due: { type: 'Datetime', value: '2026-01-02T00:00:00.000Z' }, Region: ['eu'] },
      { progress: 3 },
    ]);
  });

  it('cannot be called from a query handler, and a wrongly typed value fails the workflow task with a clear message', async () => {
    async function wf(): Promise<void> {
      setHandler(defineQuery('q'), () => upsertMemo({ a: 1 }));
      await sleep(1);
    }
    const r = run({ wf });
    await r.commands([job.start('wf')]);
    expect(r.query('q').failure?.message).toMatch(/upsertMemo\(\) cannot be used in a query handler/);

    async function bad(): Promise<void> {
      upsertSearchAttributes([{ key: due, value: 'tomorrow' as unknown as Date }]);
    }
    const result = await run({ bad }).activate([job.start('bad')]);
    expect('failure' in result && result.failure.message).toMatch(/DATETIME search attribute value must be a valid Date/);
  });

  it("continue-as-new takes typed search attributes for the next run", async () => {
    async function wf(): Promise<void> {
      await makeContinueAsNewFunc({ typedSearchAttributes: [{ key: stage, value: 'next' }] })();
    }
    const [command] = await run({ wf }).commands([job.start('wf')]);
    expect(command).toMatchObject({ type: 'ContinueAsNewWorkflowExecution', searchAttributes: { Stage: { type: 'Keyword', value: 'next' } } });
  });
});
