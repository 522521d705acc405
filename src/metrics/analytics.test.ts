import { describe, expect, it } from 'vitest';
import { queueDataPoint, utf8Prefix } from './analytics.js';

describe('Analytics Engine data points', () => {
  it('names the queue and the event, with the wait of a dispatched task', () => {
    expect(queueDataPoint('ns', 'orders', 'activity', { kind: 'dispatched', waitedMs: 12 })).toEqual({ indexes: ['ns'], blobs: ['ns', 'orders', 'dispatched', 'activity'], doubles: [1, 12] });
    expect(queueDataPoint('ns', 'orders', 'workflow', { kind: 'poll', gotTask: false }).blobs).toEqual(['ns', 'orders', 'poll_empty', 'workflow']);
  });

  it('keeps the index within Analytics Engine’s 96 bytes', () => {
    expect(queueDataPoint('n'.repeat(200), 'q', 'workflow', { kind: 'added' }).indexes![0]).toHaveLength(96);
    // The limit is in bytes: two-byte and four-byte letters are cut sooner, and never in half.
    const bytes = (s: string) => new TextEncoder().encode(s).length;
    expect(bytes(queueDataPoint('é'.repeat(200), 'q', 'workflow', { kind: 'added' }).indexes![0] as string)).toBe(96);
    const emoji = queueDataPoint('🚢'.repeat(100), 'q', 'workflow', { kind: 'added' }).indexes![0] as string;
    expect(bytes(emoji)).toBe(96);
    expect(emoji).toBe('🚢'.repeat(24));
    expect(utf8Prefix('ab🚢', 5)).toBe('ab');
  });
});
