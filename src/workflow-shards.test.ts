import { describe, expect, it } from 'vitest';
import { MAX_WORKFLOW_SHARDS, ShardConfigError, shardOf, workflowShards } from './workflow-shards.js';
import { keyScope, workflowIdOfScope } from './workflow-object/host-storage.js';

describe('KEEL_WORKFLOW_SHARDS', () => {
  it('is 0 (an object per workflow) when unset or empty, else the whole number given', () => {
    expect(workflowShards({})).toBe(0);
    expect(workflowShards({ KEEL_WORKFLOW_SHARDS: ' ' })).toBe(0);
    expect(workflowShards({ KEEL_WORKFLOW_SHARDS: '16' })).toBe(16);
    expect(workflowShards({ KEEL_WORKFLOW_SHARDS: String(MAX_WORKFLOW_SHARDS) })).toBe(MAX_WORKFLOW_SHARDS);
  });

  it('refuses what is not a whole number within bounds, saying what to change', () => {
    for (const bad of ['-1', '1.5', 'eight', String(MAX_WORKFLOW_SHARDS + 1), '4 shards']) {
      expect(() => workflowShards({ KEEL_WORKFLOW_SHARDS: bad })).toThrow(ShardConfigError);
    }
    expect(() => workflowShards({ KEEL_WORKFLOW_SHARDS: 'x' })).toThrow(/KEEL_WORKFLOW_SHARDS must be a whole number from 0/);
  });
});

describe('shardOf', () => {
  it('is stable, within bounds, and spreads ids over every shard', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) {
      const s = shardOf(`order-${i}`, 8);
      expect(s).toBe(shardOf(`order-${i}`, 8));
      counts[s]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });
});

describe('key scopes', () => {
  it('round-trip any id, and no scope is a prefix of another', () => {
    const ids = ['a', 'a/b', 'ab', '1:a/', '', 'é🙂', 'x'.repeat(1000)];
    for (const id of ids) expect(workflowIdOfScope(keyScope(id))).toBe(id);
    for (const x of ids) for (const y of ids) if (x !== y) expect(keyScope(y).startsWith(keyScope(x))).toBe(false);
  });
});
