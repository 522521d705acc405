// Search attributes and memo end to end: typed attributes of every type round-trip through
// start, describe and list; a workflow's upserts show in workflowInfo() at once, and in describe
// and list filters; the recorded history replays with Worker.runReplayHistory.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchAttributeType, TypedSearchAttributes, defineSearchAttributeKey } from 'keel/common';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { keys, proceed, upsertAttributes } from './fixtures/attrs-workflows.js';
import { recordedHistory } from './fixtures/recorded-histories.js';
import { waitFor } from './fixtures/wait.js';
import { keelHistory } from './fixtures/keel-history.js';

const workflowsPath = fileURLToPath(new URL('./fixtures/attrs-workflows.ts', import.meta.url));
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ namespace: 'attrs' });
});
afterAll(async () => {
  await env?.teardown();
});

const ids = async (query: string) => {
  const out: string[] = [];
  for await (const info of env.client.workflow.list({ query })) out.push(info.workflowId);
  return out.sort();
};

describe('typed search attributes', () => {
  it('round-trip with their types through start, describe and list, and list filters compare them typed', async () => {
    const due = new Date('2026-05-01T12:30:00.250Z');
    const typedSearchAttributes = [
      { key: keys.stage, value: 'new' },
      { key: keys.note, value: 'Rush order for the Berlin office' },
      { key: keys.amount, value: 1200 },
      { key: keys.score, value: 0.75 },
      { key: keys.vip, value: true },
      { key: keys.due, value: due },
      { key: keys.tags, value: ['eu', 'rush'] },
    ];
    const handle = await env.client.workflow.start('nobodyRunsThis', { taskQueue: 'attrs-nowhere', workflowId: 'typed-1', typedSearchAttributes, searchAttributes: { Legacy: 'kept' } });
    await env.client.workflow.start('nobodyRunsThis', { taskQueue: 'attrs-nowhere', workflowId: 'typed-2', typedSearchAttributes: new TypedSearchAttributes([{ key: keys.stage, value: '2026-05-01T12:30:00Z' }, { key: keys.amount, value: 5 }]) });

    const d = await handle.describe();
    for (const { key, value } of typedSearchAttributes) expect(d.typedSearchAttributes.get(key as never)).toEqual(value);
    expect(d.typedSearchAttributes.get(keys.due)).toBeInstanceOf(Date);
    // The same name asked for with another type has no value.
    expect(d.typedSearchAttributes.get(defineSearchAttributeKey('Note', SearchAttributeType.KEYWORD))).toBeUndefined();
    expect(d.typedSearchAttributes.get(defineSearchAttributeKey('Legacy', SearchAttributeType.KEYWORD))).toBe('kept');
    // A keyword that looks like a date stays a keyword, because its type went with it.
    expect((await env.client.workflow.getHandle('typed-2').describe()).typedSearchAttributes.get(keys.stage)).toBe('2026-05-01T12:30:00Z');

    await waitFor('both runs in the visibility store', async () => (await ids("WorkflowType = 'nobodyRunsThis'")).length === 2);
    let listed;
    for await (const info of env.client.workflow.list({ query: "WorkflowId = 'typed-1'" })) listed = info;
    expect(listed!.typedSearchAttributes.getAll()).toEqual(d.typedSearchAttributes.getAll());

    expect(await ids("Note = 'berlin'")).toEqual(['typed-1']); // Text: matched by word
    expect(await ids("Stage = '2026-05-01T12:30:00Z'")).toEqual(['typed-2']); // Keyword: whole value
    expect(await ids('Amount > 100 AND Score < 1 AND Vip = true')).toEqual(['typed-1']);
    expect(await ids("Due >= '2026-05-01T12:00:00Z' AND Tags = 'rush'")).toEqual(['typed-1']);
    await handle.terminate('done');
    await env.client.workflow.getHandle('typed-2').terminate('done');
  });
});

describe('upsertSearchAttributes and upsertMemo', () => {
  it('show in workflowInfo() at once, and in describe and list filters while the workflow runs; the history replays', async () => {
    const taskQueue = 'attrs-upsert';
    const workflowId = 'upsert-1';
    const worker = await Worker.create({ connection: env.nativeConnection, namespace: env.namespace, taskQueue, workflowsPath, shutdownSignals: [] });
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(upsertAttributes, {
        taskQueue,
        workflowId,
        typedSearchAttributes: [
          { key: keys.stage, value: 'new' },
          { key: keys.vip, value: true },
        ],
        memo: { owner: 'ada', team: 'billing' },
      });
      await waitFor('the upsert events', async () => (await handle.fetchHistory().then(keelHistory)).events.some((e) => e.eventType === 'WorkflowPropertiesModified'));

      const d = await handle.describe();
      expect(d.typedSearchAttributes.get(keys.stage)).toBe('paid');
      expect(d.typedSearchAttributes.get(keys.note)).toBe('Paid by card on arrival');
      expect(d.typedSearchAttributes.get(keys.amount)).toBe(42);
      expect(d.typedSearchAttributes.get(keys.vip)).toBeUndefined();
      expect(d.searchAttributes).toMatchObject({ Region: ['eu'] });
      expect(d.memo).toEqual({ team: 'billing', progress: 'paid' });

      await waitFor('the upserted attributes in list filters', async () => (await ids("Stage = 'paid' AND Note = 'card' AND Amount = 42 AND Region = 'eu'")).includes(workflowId));
      expect(await ids("WorkflowId = 'upsert-1' AND Vip = true")).toEqual([]);
      let listed;
      for await (const info of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed = info;
      expect(listed!.memo).toEqual({ team: 'billing', progress: 'paid' });

      await handle.signal(proceed);
      return handle.result();
    });

    expect(result.before).toMatchObject({ stage: 'new', memo: { owner: 'ada', team: 'billing' } });
    expect(result.before.typed).toEqual([
      ['Stage', 'KEYWORD', 'new'],
      ['Vip', 'BOOL', true],
    ]);
    expect(result.after.stage).toBe('paid');
    expect(result.after.typed).toEqual([
      ['Amount', 'INT', 42],
      ['Note', 'TEXT', 'Paid by card on arrival'],
      ['Region', 'KEYWORD_LIST', ['eu']],
      ['Stage', 'KEYWORD', 'paid'],
    ]);
    expect(result.after.memo).toEqual({ team: 'billing', progress: 'paid' });

    const history = await env.client.workflow.getHandle(workflowId).fetchHistory().then(keelHistory);
    expect(history.events.filter((e) => e.eventType === 'UpsertWorkflowSearchAttributes')).toHaveLength(2);
    for (const h of [history, recordedHistory('upsert-search-attributes-and-memo', history)]) {
      await expect(Worker.runReplayHistory({ workflowsPath }, h, workflowId)).resolves.toBeUndefined();
    }
  });
});
