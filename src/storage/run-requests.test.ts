import { describe, expect, it } from 'vitest';
import { REQUEST_ID_TTL_MS, RUN_REQUESTS_KEPT, decodeRequests, encodeRequests, keepRequests, withRequestAppended, type RunRequest } from './run-requests.js';
import { splitExtras, withExtras } from './run-rows.js';

const record = (i: number, t: number): RunRequest => ({ id: `req-${i}`, f: '0123456789abcdef', t, r: JSON.stringify({ runId: `run-${i}`, started: true }) });

describe('request records in a run row', () => {
  it('a run row keeps the records of its last requests within the window, and gives up no record early', () => {
    const now = 10 * REQUEST_ID_TTL_MS;
    let held: RunRequest[] = [];
    const spilled: RunRequest[] = [];
    for (let i = 0; i < RUN_REQUESTS_KEPT + 3; i++) {
      const step = keepRequests(held, record(i, now + i), now + i);
      held = step.kept;
      spilled.push(...step.spilled);
    }
    expect(held.map((r) => r.id)).toEqual(Array.from({ length: RUN_REQUESTS_KEPT }, (_, i) => `req-${i + 3}`));
    // The three pushed out are still within the window: each goes to a row of its own.
    expect(spilled.map((r) => r.id)).toEqual(['req-0', 'req-1', 'req-2']);
  });

  it('a record past the window is dropped when the row is written, not moved to a row of its own', () => {
    const old = record(1, 0);
    const fresh = record(2, REQUEST_ID_TTL_MS);
    const { kept, spilled, dropped } = keepRequests([old], fresh, REQUEST_ID_TTL_MS);
    expect(kept).toEqual([fresh]);
    expect(spilled).toEqual([]);
    expect(dropped).toEqual([old]);
    // A write without a new request drops it too.
    expect(keepRequests([old, fresh], undefined, REQUEST_ID_TTL_MS + 1).kept).toEqual([fresh]);
  });

  it('ride in the run row as a key of its JSON, the answer as JSON, and read back the same', () => {
    const core = JSON.stringify({ runId: 'r', status: 'RUNNING', memo: { $q: 'user data' } });
    const requests = [record(1, 5), { ...record(2, 6), id: 'a "quoted" id', r: 'null' }];
    const text = withExtras(core, { requests });
    expect(JSON.parse(text).$q[0]).toEqual(['req-1', '0123456789abcdef', 5, { runId: 'run-1', started: true }]);
    expect(splitExtras(text)).toEqual({ core, requests });
    expect(decodeRequests(JSON.parse(encodeRequests(requests)))).toEqual(requests);
    const units = { workerRequests: 1, durableObjectRequests: 2, alarms: 0, channelMessages: 5, sqliteRowsRead: 3, sqliteRowsWritten: 4, d1RowsRead: 0, d1RowsWritten: 0, storedBytes: 0 };
    expect(splitExtras(withExtras(core, { usage: units, requests }))).toEqual({ core, usage: units, requests });
    expect(withExtras(core, { requests: [] })).toBe(core);
  });

  it('a row written again with one more record is the same text as all of them encoded anew, made from the last text and the new record', () => {
    const now = 10 * REQUEST_ID_TTL_MS;
    let held: RunRequest[] = [];
    let text = encodeRequests(held);
    for (let i = 0; i < 4; i++) {
      const added = { ...record(i, now + i), id: `req "${i}"` };
      held = keepRequests(held, added, now + i).kept;
      text = withRequestAppended(text, added);
      expect(text).toBe(encodeRequests(held));
    }
  });
});
