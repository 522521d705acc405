import { describe, expect, it } from 'vitest';
import {
  SearchAttributeType,
  TypedSearchAttributes,
  defineSearchAttributeKey,
  typedSearchAttributesFromWire,
  typedSearchAttributesToWire,
  untypedSearchAttributesFromWire,
} from './search-attributes.js';

const keyword = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
const text = defineSearchAttributeKey('Note', SearchAttributeType.TEXT);
const due = defineSearchAttributeKey('Due', SearchAttributeType.DATETIME);
const tags = defineSearchAttributeKey('Tags', SearchAttributeType.KEYWORD_LIST);
const amount = defineSearchAttributeKey('Amount', SearchAttributeType.INT);

describe('typed search attributes', () => {
  it('go on the wire as { type, value } with the wire type names, a Date as its ISO string', () => {
    const wire = typedSearchAttributesToWire([
      { key: keyword, value: 'paid' },
      { key: text, value: 'Paid by card' },
      { key: due, value: new Date('2026-01-02T03:04:05.006Z') },
      { key: tags, value: ['a', 'b'] },
    ]);
    expect(wire).toEqual({
      Stage: { type: 'Keyword', value: 'paid' },
      Note: { type: 'Text', value: 'Paid by card' },
      Due: { type: 'Datetime', value: '2026-01-02T03:04:05.006Z' },
      Tags: { type: 'KeywordList', value: ['a', 'b'] },
    });
    expect(typedSearchAttributesToWire([{ key: keyword, value: null }])).toEqual({ Stage: { type: 'Keyword', value: null } });
    expect(() => typedSearchAttributesToWire([{ key: due, value: 'tomorrow' as unknown as Date }])).toThrow(/DATETIME search attribute value must be a valid Date/);
    expect(() => typedSearchAttributesToWire([{ key: amount, value: 1.5 }])).toThrow(/INT search attribute value must be a safe integer; got number 1.5/);
    expect(() => typedSearchAttributesToWire([{ key: tags, value: 'a' as unknown as string[] }])).toThrow(/KEYWORD_LIST .* an array of strings/);
  });

  it('read back typed from the wire: { type, value } by its type, untyped values by their shape as the service types them', () => {
    const typed = typedSearchAttributesFromWire({
      Stage: { type: 'Keyword', value: '2026-01-02T03:04:05Z' },
      Note: { type: 'Text', value: 'x' },
      Amount: 3,
      Score: 0.5,
      Vip: true,
      Due: '2026-01-02T03:04:05Z',
      Tags: ['a'],
      Numbers: [1, 2],
      Gone: null,
    });
    expect(typed.get(keyword)).toBe('2026-01-02T03:04:05Z');
    expect(typed.get(text)).toBe('x');
    expect(typed.get(amount)).toBe(3);
    expect(typed.get(due)).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(typed.get(tags)).toEqual(['a']);
    expect(typed.getAll().map((p) => `${p.key.name}:${p.key.type}`)).toEqual(['Amount:INT', 'Due:DATETIME', 'Note:TEXT', 'Score:DOUBLE', 'Stage:KEYWORD', 'Tags:KEYWORD_LIST', 'Vip:BOOL']);
  });

  it('answer get only for the key of the stored type; updateCopy replaces and removes without changing the original', () => {
    const a = new TypedSearchAttributes([{ key: keyword, value: 'new' }, { key: amount, value: 1 }]);
    expect(a.get(defineSearchAttributeKey('Stage', SearchAttributeType.TEXT))).toBeUndefined();
    const b = a.updateCopy([{ key: keyword, value: 'paid' }, { key: amount, value: null }]);
    expect(b.getAll()).toEqual([{ key: keyword, value: 'paid' }]);
    expect(a.get(keyword)).toBe('new');
    expect(a.get(amount)).toBe(1);
  });
});

describe("Temporal's untyped search attributes", () => {
  it('makes every value an array, unwraps typed values, and reads date-times as Dates', () => {
    expect(
      untypedSearchAttributesFromWire({
        Customer: 'ada',
        Priority: 7,
        Tags: ['urgent', 'eu'],
        Scores: [1, 2],
        Stage: { type: 'Keyword', value: 'paid' },
        Due: '2026-01-01T00:00:00Z',
        Gone: null,
      }),
    ).toEqual({ Customer: ['ada'], Priority: [7], Tags: ['urgent', 'eu'], Scores: [1, 2], Stage: ['paid'], Due: [new Date('2026-01-01T00:00:00Z')] });
  });
});
