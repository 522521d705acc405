import { describe, expect, it } from 'vitest';
import { escapeControl, formatJson, formatKeyValues, formatTable, truncate } from './output.js';
import { main } from './program.js';

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

describe('terminal safety', () => {
  it('escapes control characters, C1 and bidi overrides, and keeps newlines, tabs and other text', () => {
    const id = 'wf\x1b]0;pwned\x07\x1b[31mred\u009b2J\u202eevil\r';
    expect(escapeControl(`${id}\n\tok ü 日本`)).toBe('wf\\x1b]0;pwned\\x07\\x1b[31mred\\x9b2J\\u{202e}evil\\x0d\n\tok ü 日本');
  });

  it('nothing the CLI prints reaches the terminal unescaped, errors included', async () => {
    let out = '';
    let err = '';
    const code = await main(['node', 'keel', 'workflow', 'describe', '--workflow-id', 'x\x1b]0;title\x07', '--address', '127.0.0.1:1', '--output', 'bogus\x1b[2J'], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
    });
    expect(code).not.toBe(0);
    expect(out + err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(err).toContain('\\x1b[2J');
  });
});
