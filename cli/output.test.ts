import { describe, expect, it } from 'vitest';
import { formatJson, formatKeyValues, formatTable, truncate } from './output.js';

describe('CLI output', () => {
  it('aligns table columns under their headings, without trailing spaces', () => {
    const rows = [
      { id: 'a', status: 'RUNNING', type: 'order' },
      { id: 'longer-id', status: 'COMPLETED', type: 'x' },
    ];
    const text = formatTable(rows, [
      { header: 'WorkflowId', value: (r) => r.id },
      { header: 'Status', value: (r) => r.status },
      { header: 'Type', value: (r) => r.type },
    ]);
    expect(text).toBe(['WorkflowId  Status     Type', 'a           RUNNING    order', 'longer-id   COMPLETED  x', ''].join('\n'));
  });

  it('prints key/value blocks, leaving out what is undefined', () => {
    expect(formatKeyValues([['WorkflowId', 'w1'], ['CloseTime', undefined], ['Status', 'RUNNING']])).toBe('  WorkflowId  w1\n  Status      RUNNING\n');
  });

  it('prints JSON with dates as ISO strings', () => {
    expect(formatJson({ at: new Date(0) })).toBe('{\n  "at": "1970-01-01T00:00:00.000Z"\n}\n');
  });

  it('marks a cut', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
