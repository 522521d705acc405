import { describe, expect, it } from 'vitest';
import { queueDataPoint } from './analytics.js';

describe('Analytics Engine data points', () => {
  it('names the queue and the event, with the wait of a dispatched task', () => {
    expect(queueDataPoint('ns', 'orders', 'activity', { kind: 'dispatched', waitedMs: 12 })).toEqual({ indexes: ['ns'], blobs: ['ns', 'orders', 'dispatched', 'activity'], doubles: [1, 12] });
    expect(queueDataPoint('ns', 'orders', 'workflow', { kind: 'poll', gotTask: false }).blobs).toEqual(['ns', 'orders', 'poll_empty', 'workflow']);
  });

  it('keeps the index within Analytics Engine’s 96 bytes', () => {
    expect(queueDataPoint('n'.repeat(200), 'q', 'workflow', { kind: 'added' }).indexes![0]).toHaveLength(96);
  });
});
