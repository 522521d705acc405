import { describe, expect, it } from 'vitest';
import { decide, scheduleActivity, started } from '../engine/engine-test-kit.js';
import { fingerprintHash } from './fingerprint.js';
import { INLINE_ITEM_MAX_BYTES, joinRun, splitExtras, splitRun, withExtras } from './run-rows.js';

describe('run rows', () => {
  it('a run with pending activities and timers splits into a run row and a row per item, and joins back to the same run', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a'), scheduleActivity('b'), { type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1_000 }]);
    const run = s.run();
    const rows = splitRun(run);
    expect([...rows.items.keys()]).toEqual([`i/${run.runId}/activities/5`, `i/${run.runId}/activities/6`, `i/${run.runId}/timers/t`]);
    expect(JSON.parse(rows.core)).not.toHaveProperty('activities');
    expect(joinRun(rows.core, [...rows.items].map(([k, v]) => ({ k, v, n: null })))).toEqual(run);
  });

  it('a change to one pending item changes that item’s row and no other', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a'), scheduleActivity('b'), scheduleActivity('c')]);
    const run = s.run();
    const before = splitRun(run);
    run.activities[6]!.attempt = 2;
    const after = splitRun(run);
    const changed = [...after.items].filter(([k, v]) => before.items.get(k) !== v).map(([k]) => k);
    expect(changed).toEqual([`i/${run.runId}/activities/6`]);
  });
});

describe('a run’s only pending item', () => {
  const rowsOf = (rows: { items: Map<string, string> }) => [...rows.items.keys()];
  const join = (rows: { core: string; items: Map<string, string> }) => joinRun(rows.core, [...rows.items].map(([k, v]) => ({ k, v, n: null })));

  it('stays in the run’s row while it is the only one; with a second, each item has a row of its own', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a')]);
    const one = s.run();
    const alone = splitRun(one);
    expect(rowsOf(alone)).toEqual([]);
    expect(JSON.parse(alone.core).activities).toEqual(one.activities);
    expect(join(alone)).toEqual(one);

    const two = s.run();
    two.activities[8] = { ...two.activities[5]!, activityId: 'b', scheduledEventId: 8 };
    const both = splitRun(two);
    expect(rowsOf(both)).toEqual([`i/${two.runId}/activities/5`, `i/${two.runId}/activities/8`]);
    expect(JSON.parse(both.core)).not.toHaveProperty('activities');
    expect(join(both)).toEqual(two);
  });

  it('a large one has a row of its own, so that the run’s row stays small', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a')]);
    const run = s.run();
    run.activities[5]!.activityType = 'x'.repeat(INLINE_ITEM_MAX_BYTES);
    const rows = splitRun(run);
    expect(rowsOf(rows)).toEqual([`i/${run.runId}/activities/5`]);
    expect(join(rows)).toEqual(run);
  });

  it('a run row written before items could be in it (the item in a row of its own) reads the same', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a')]);
    const run = s.run();
    const { activities, ...core } = run;
    expect(joinRun(JSON.stringify(core), [{ k: `i/${run.runId}/activities/5`, v: JSON.stringify(activities[5]), n: null }])).toEqual(run);
  });
});

describe('request fingerprints', () => {
  it('are 16 hex digits, the same for the same request and different for another', () => {
    const a = fingerprintHash('start:{"workflowId":"a"}');
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintHash('start:{"workflowId":"a"}')).toBe(a);
    expect(fingerprintHash('start:{"workflowId":"b"}')).not.toBe(a);
    expect(fingerprintHash('')).not.toBe(fingerprintHash(' '));
  });
});

describe('a run row with its billable units', () => {
  it('keeps the run’s JSON apart from its units, and an older row without them reads as before', () => {
    const core = JSON.stringify({ runId: 'r', status: 'RUNNING', memo: { $usage: 'user data' } });
    const units = { workerRequests: 1, durableObjectRequests: 2, alarms: 0, channelMessages: 5, sqliteRowsRead: 3, sqliteRowsWritten: 4, d1RowsRead: 0, d1RowsWritten: 0, storedBytes: 0 };
    expect(splitExtras(withExtras(core, { usage: units }))).toEqual({ core, usage: units });
    expect(splitExtras(core)).toEqual({ core });
    expect(withExtras(core, {})).toBe(core);
    // As the cost diet wrote them: an object.
    expect(splitExtras(`${core.slice(0, -1)},"$usage":${JSON.stringify(units)}}`)).toEqual({ core, usage: units });
  });
});

describe('a run row with its history tail', () => {
  it('keeps the run’s JSON apart from its newest events, which read back as written, ids and text', () => {
    const core = JSON.stringify({ runId: 'r', status: 'RUNNING', memo: { $h: 'user data' } });
    const v = JSON.stringify([[7, 1_700_000_000_000, 'WorkflowExecutionSignaled', { signalName: 'ü "q"', input: [] }], [8, 1_700_000_000_001, 'WorkflowTaskScheduled', {}]]);
    const units = { workerRequests: 1, durableObjectRequests: 2, alarms: 0, channelMessages: 5, sqliteRowsRead: 3, sqliteRowsWritten: 4, d1RowsRead: 0, d1RowsWritten: 0, storedBytes: 0 };
    expect(splitExtras(withExtras(core, { usage: units, tail: { first: 7, last: 8, v } }))).toEqual({ core, usage: units, tail: { first: 7, last: 8, v } });
    expect(splitExtras(withExtras(core, { tail: { first: 7, last: 8, v } }))).toEqual({ core, tail: { first: 7, last: 8, v } });
  });
});

describe('a run’s only pending item, encoded', () => {
  it('is encoded once, its map the run row’s last key; a row written before (the map where the run’s keys put it) reads the same', () => {
    const s = started();
    decide(s.store, s.runId, [scheduleActivity('a')]);
    const run = s.run();
    let encodings = 0;
    Object.defineProperty(run.activities[5]!, 'toJSON', { value: function (this: object) { encodings++; return { ...this }; }, enumerable: false });
    const rows = splitRun(run);
    expect(encodings).toBe(1);
    expect(Object.keys(JSON.parse(rows.core)).at(-1)).toBe('activities');
    const fresh = s.run();
    expect(joinRun(rows.core, [])).toStrictEqual(fresh);
    const before = JSON.stringify(Object.fromEntries(Object.entries(fresh).filter(([k]) => k !== 'timers')));
    expect(Object.keys(JSON.parse(before)).at(-1)).not.toBe('activities');
    expect(joinRun(before, [])).toStrictEqual(fresh);
    expect(rows.bytes).toBe(rows.core.length);
  });
});
