/**
 * The workflow's upserts of its search attributes and memo: each command writes its event
 * (UpsertWorkflowSearchAttributes, WorkflowPropertiesModified) and changes the run's state and its
 * visibility summary in the same transaction, so describe and list filters see the new values;
 * a value that cannot be indexed refuses the whole completion and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../protocol/index.js';
import { taskQueueStub } from '../../src/stubs.js';
import { expectError, json, testEnv } from './helpers.js';
import { Space } from './visibility-helpers.js';

const upsert = (searchAttributes: Record<string, unknown>): Command => ({ type: 'UpsertWorkflowSearchAttributes', searchAttributes });
const upsertMemo = (upsertedMemo: Record<string, ReturnType<typeof json> | null>): Command => ({ type: 'ModifyWorkflowProperties', upsertedMemo });

async function history(s: Space, workflowId: string) {
  return (await s.ok<{ events: Array<{ eventId: number; eventType: string; attributes: Record<string, unknown> }> }>('GET', `/workflows/${workflowId}/history`)).events;
}

describe('upsert search attributes and memo', () => {
  it('records the upsert as an event and shows the merged attributes in describe and list filters at once', async () => {
    const s = new Space();
    const runId = await s.start('up1', { searchAttributes: { Customer: 'ada', Stage: 'new', Tags: ['a'] } });
    expect(await s.ids("Stage = 'new'")).toEqual(['up1']);

    await s.completeTask('up1', [upsert({ Stage: 'paid', Priority: 3, Tags: [], Notes: { type: 'Text', value: 'Paid by card' } })]);

    const events = await history(s, 'up1');
    const completed = events.find((e) => e.eventType === 'WorkflowTaskCompleted')!;
    expect(events.at(-1)).toMatchObject({
      eventType: 'UpsertWorkflowSearchAttributes',
      attributes: { searchAttributes: { Stage: 'paid', Priority: 3, Tags: [], Notes: { type: 'Text', value: 'Paid by card' } }, workflowTaskCompletedEventId: completed.eventId },
    });
    const d = await s.ok('GET', '/workflows/up1', { runId });
    // Tags: [] removed the attribute; the rest merged over the start's.
    expect(d.searchAttributes).toEqual({ Customer: 'ada', Stage: 'paid', Priority: 3, Notes: { type: 'Text', value: 'Paid by card' } });
    expect(await s.ids("Stage = 'new'")).toEqual([]);
    expect(await s.ids("Stage = 'paid' AND Priority >= 3 AND Notes = 'card'")).toEqual(['up1']);
    expect(await s.ids("Tags = 'a'")).toEqual([]);
    expect((await s.list("WorkflowId = 'up1'")).executions[0]!.searchAttributes).toEqual(d.searchAttributes);
  });

  it('merges upserted memo fields, a null field removing one, shown by describe and list', async () => {
    const s = new Space();
    await s.start('memo1', { memo: { owner: json('ada'), note: json('first') } });
    await s.completeTask('memo1', [upsertMemo({ note: null, progress: json('3 of 5') })]);

    const events = await history(s, 'memo1');
    expect(events.at(-1)).toMatchObject({ eventType: 'WorkflowPropertiesModified', attributes: { upsertedMemo: { note: null, progress: json('3 of 5') } } });
    const d = await s.ok('GET', '/workflows/memo1');
    expect(d.memo).toEqual({ owner: json('ada'), progress: json('3 of 5') });
    expect((await s.list("WorkflowId = 'memo1'")).executions[0]!.memo).toEqual(d.memo);
  });

  it('applies several upserts of one completion in order, each checked against the ones before it', async () => {
    const s = new Space();
    await s.start('up2');
    await s.completeTask('up2', [upsert({ Stage: 'a' }), { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 60_000 }, upsert({ Stage: null, Region: 'eu' })]);
    const types = (await history(s, 'up2')).map((e) => e.eventType).slice(-3);
    expect(types).toEqual(['UpsertWorkflowSearchAttributes', 'TimerStarted', 'UpsertWorkflowSearchAttributes']);
    expect((await s.ok('GET', '/workflows/up2')).searchAttributes).toEqual({ Region: 'eu' });
    expect(await s.ids("Region = 'eu'")).toEqual(['up2']);
  });

  it('refuses a completion with an attribute value that cannot be indexed, naming it, and changes nothing', async () => {
    const s = new Space();
    await s.start('bad1', { searchAttributes: { Stage: 'new' } });
    const before = await history(s, 'bad1');
    // Take the task by hand so that its token can be used again after the refusal.
    const started = await taskQueueStub(testEnv, s.ns, s.queueOf('bad1'), 'workflow').poll('w', 2000);
    if (started?.kind !== 'workflow') throw new Error('no task');
    const token = started.task.taskToken;

    const bad = await s.call('POST', '/workflow-tasks/complete', { taskToken: token, commands: [upsert({ Stage: 'paid' }), upsert({ Due: { type: 'Datetime', value: 'tomorrow' } })] });
    const err = expectError(bad, 'INVALID_ARGUMENT', /commands\[1\] \(UpsertWorkflowSearchAttributes\): searchAttributes\.Due: a Datetime value must be an RFC 3339 datetime/);
    expect(err.details).toMatchObject({ index: 1 });
    expectError(await s.call('POST', '/workflow-tasks/complete', { taskToken: token, commands: [upsert({ WorkflowType: 'x' })] }), 'INVALID_ARGUMENT', /built-in attribute/);
    expectError(await s.call('POST', '/workflow-tasks/complete', { taskToken: token, commands: [upsert({})] }), 'BAD_COMMAND', /upsert at least one attribute/);

    await s.settle('bad1');
    expect((await history(s, 'bad1')).length).toBe(before.length + 1); // only the task's WorkflowTaskStarted
    expect((await s.ok('GET', '/workflows/bad1')).searchAttributes).toEqual({ Stage: 'new' });
    expect(await s.ids("Stage = 'paid'")).toEqual([]);
    // The task is still open: the same token completes it with valid commands.
    await s.ok('POST', '/workflow-tasks/complete', { taskToken: token, commands: [upsert({ Stage: 'paid' })] });
    await s.settle('bad1');
    expect(await s.ids("Stage = 'paid'")).toEqual(['bad1']);
  });

  it('continue-as-new carries the upserted attributes and memo to the next run', async () => {
    const s = new Space();
    await s.start('upcan', { memo: { a: json(1) }, searchAttributes: { Stage: 'new' } });
    await s.completeTask('upcan', [upsert({ Stage: 'looped' }), upsertMemo({ b: json(2) }), { type: 'ContinueAsNewWorkflowExecution', input: [] }]);
    const next = await history(s, 'upcan');
    expect(next[0]!.attributes).toMatchObject({ searchAttributes: { Stage: 'looped' }, memo: { a: json(1), b: json(2) } });
  });
});
