import { describe, expect, it } from 'vitest';
import { ServiceError } from '../service-error.js';
import { decodeRow, encodeRow, isEncoded, ROW_CODEC_VERSION } from './row-codec.js';
import { ROW_DICTIONARIES } from './row-dictionaries.js';

/**
 * Each dictionary's SHA-256 as released. A row names its dictionary by version and is inflated with
 * exactly those bytes: an edited dictionary would make every row written with it unreadable. Never
 * change a hash here; add a dictionary as a new version (and its hash) instead.
 */
const RELEASED: Record<number, string> = {
  1: '17075cba89cb16dab67df131cc5055b076b30cb96f9ea57281fa3684049174ef',
};

const id = () => crypto.randomUUID();
/** A closed W1's run row as another worker and another day would write it (not the dictionary's own). */
function w1Row(): string {
  const [runId, r1, r2, r3] = [id(), id(), id(), id()];
  const identity = '90210@build-host-7';
  const t = 1_800_000_000_000 + Math.floor(Math.random() * 1e9);
  return JSON.stringify({
    namespace: 'payments', workflowId: `order-${t}`, runId, firstRunId: runId, workflowType: 'processOrder', taskQueue: 'orders', status: 'COMPLETED',
    startTime: t, executionTime: t, workflowTaskTimeoutMs: 10000, attempt: 1, nextEventId: 12, buffered: [], cancelRequested: false,
    lastCompletedStartedEventId: 9, taskSeq: 2, lastEventTime: t + 31, historySizeBytes: 2530, closeEventId: 11, closeTime: t + 31,
    $usage: [3, 4, 0, 5, 5, 0, 0, 0, 1],
    $q: [
      [r1, 'a1b2c3d4e5f60718', t, { runId, started: true }],
      [r2, '0f1e2d3c4b5a6978', t + 24, { eager: [{ runId, scheduledEventId: 5, attempt: 1 }], historyEnd: { nextEventId: 6, historySizeBytes: 1360, time: t + 24 } }],
      [r3, '1122334455667788', t + 31, { speculation: { accepted: true }, eager: [] }],
    ],
    $h: [
      [1, t, 'WorkflowExecutionStarted', { workflowType: 'processOrder', taskQueue: 'orders', input: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJpZCI6NDJ9' }], workflowTaskTimeoutMs: 10000, identity, attempt: 1, originalExecutionRunId: runId, firstExecutionRunId: runId }],
      [2, t, 'WorkflowTaskScheduled', { taskQueue: 'orders', startToCloseTimeoutMs: 10000, attempt: 1 }],
      [3, t, 'WorkflowTaskStarted', { scheduledEventId: 2, identity, historySizeBytes: 0 }],
      [4, t + 24, 'WorkflowTaskCompleted', { scheduledEventId: 2, startedEventId: 3, identity }],
      [5, t + 24, 'ActivityTaskScheduled', { activityId: '1', activityType: 'charge', taskQueue: 'orders', input: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJpZCI6NDJ9' }], startToCloseTimeoutMs: 60000, workflowTaskCompletedEventId: 4, retryPolicy: { initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 100000, maximumAttempts: 0, nonRetryableErrorTypes: [] } }],
      [6, t + 24, 'ActivityTaskStarted', { scheduledEventId: 5, identity, attempt: 1 }],
      [7, t + 30, 'ActivityTaskCompleted', { result: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'Im9rIg==' }, scheduledEventId: 5, startedEventId: 6, identity }],
      [8, t + 30, 'WorkflowTaskScheduled', { taskQueue: `orders/sticky/${identity}/5f0c6a1e9b8d4c3a2b1f0e9d8c7b6a59`, startToCloseTimeoutMs: 10000, attempt: 1 }],
      [9, t + 30, 'WorkflowTaskStarted', { scheduledEventId: 8, identity, historySizeBytes: 1360 }],
      [10, t + 31, 'WorkflowTaskCompleted', { scheduledEventId: 8, startedEventId: 9, identity }],
      [11, t + 31, 'WorkflowExecutionCompleted', { result: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'Im9rIg==' }, workflowTaskCompletedEventId: 10 }],
    ],
  });
}

describe('the run-row codec', () => {
  it("stores a closed W1's row as its dictionary's version and a deflate that fits in a leaf page's cell, and reads it back", () => {
    const text = w1Row();
    expect(text.length).toBeGreaterThan(2500);
    const stored = encodeRow(text);
    expect(isEncoded(stored)).toBe(true);
    const bytes = new Uint8Array(stored as ArrayBuffer);
    expect(bytes[0]).toBe(ROW_CODEC_VERSION);
    // A WITHOUT ROWID cell on a 4 KB page keeps ~1,000 bytes before the rest spills to an overflow page.
    expect(bytes.length).toBeLessThan(600);
    expect(decodeRow(stored)).toBe(text);
  });

  it('reads a row stored as text (written before the codec, or while its run ran) as it is', () => {
    const text = w1Row();
    expect(decodeRow(text)).toBe(text);
  });

  it('keeps as text what deflate would not shrink, or UTF-8 could not carry; carries any other character', () => {
    expect(encodeRow('{}')).toBe('{}');
    const lone = JSON.stringify({ workflowId: 'a' }).replace('a', '\ud800');
    expect(encodeRow(lone)).toBe(lone);
    const wide = w1Row().replace('payments', 'paiements-été-🚀-支付');
    expect(isEncoded(encodeRow(wide))).toBe(true);
    expect(decodeRow(encodeRow(wide))).toBe(wide);
  });

  it('refuses a row deflated with a dictionary it does not know (a newer Keel wrote it): INTERNAL, not a wrong text', () => {
    const stored = new Uint8Array(encodeRow(w1Row()) as ArrayBuffer);
    stored[0] = 200;
    expect(() => decodeRow(stored.buffer)).toThrow(ServiceError);
    expect(() => decodeRow(stored.buffer)).toThrow(/dictionary 200/);
  });

  it('never changes a released dictionary: each version hashes as it did when released, and new rows use the newest', async () => {
    const sha256 = async (text: string) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const hashes = Object.fromEntries(await Promise.all(Object.entries(ROW_DICTIONARIES).map(async ([v, text]) => [v, await sha256(text)])));
    expect(hashes).toEqual(Object.fromEntries(Object.entries(RELEASED).map(([v, h]) => [v, h])));
    expect(ROW_CODEC_VERSION).toBe(Math.max(...Object.keys(ROW_DICTIONARIES).map(Number)));
  });
});
