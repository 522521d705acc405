import { describe, expect, it } from 'vitest';
import { DEFAULT_PARTITIONS, PartitionConfigError, isStickyQueueName, parsePartitionConfig, partitionCount, pickPartition } from './task-queue-partitions.js';

describe('task queue partitions config', () => {
  it("unset, every normal queue has Temporal's default of 4", () => {
    const c = parsePartitionConfig(undefined);
    expect(partitionCount(c, 'orders')).toBe(DEFAULT_PARTITIONS);
    expect(DEFAULT_PARTITIONS).toBe(4);
  });

  it('a number sets every queue; JSON sets a default and single queues', () => {
    expect(partitionCount(parsePartitionConfig('8'), 'orders')).toBe(8);
    const c = parsePartitionConfig('{"default":2,"queues":{"orders":16}}');
    expect(partitionCount(c, 'orders')).toBe(16);
    expect(partitionCount(c, 'emails')).toBe(2);
    expect(partitionCount(parsePartitionConfig('{"queues":{"orders":16}}'), 'emails')).toBe(4);
  });

  it('a sticky queue always has one partition', () => {
    const sticky = `orders/sticky/worker-1@host/${'0123456789abcdef'.repeat(2)}`;
    expect(isStickyQueueName(sticky)).toBe(true);
    expect(isStickyQueueName('orders')).toBe(false);
    expect(partitionCount(parsePartitionConfig('8'), sticky)).toBe(1);
  });

  it('spreads above 200 requests a second at the root unless told otherwise; 0 spreads always', () => {
    expect(parsePartitionConfig(undefined).spreadAbovePerSecond).toBe(200);
    expect(parsePartitionConfig('{"spreadAbovePerSecond":0}').spreadAbovePerSecond).toBe(0);
    expect(() => parsePartitionConfig('{"spreadAbovePerSecond":-1}')).toThrow(/spreadAbovePerSecond/);
  });

  it('refuses what it cannot read, saying what to change', () => {
    for (const bad of ['0', '65', '2.5', 'four', '[4]', '{"default":0}', '{"queues":{"a":"4"}}', '{"partitions":4}']) {
      expect(() => parsePartitionConfig(bad), bad).toThrow(PartitionConfigError);
    }
    expect(() => parsePartitionConfig('{"default":4,"queue":{}}')).toThrow(/unknown key\(s\) queue/);
  });

  it('picks every partition, and only partition 0 of a one-partition queue', () => {
    expect(pickPartition(1, () => 0.99)).toBe(0);
    expect([0, 0.25, 0.5, 0.999999].map((r) => pickPartition(4, () => r))).toEqual([0, 1, 2, 3]);
  });
});
