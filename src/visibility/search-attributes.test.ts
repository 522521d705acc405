import { describe, expect, it } from 'vitest';
import { ServiceError } from '../service-error.js';
import { checkSearchAttributes, indexSearchAttributes, parseDatetime, textWords } from './search-attributes.js';

const rows = (attrs: Record<string, unknown>) => indexSearchAttributes(attrs).map((r) => [r.name, r.type, r.ord, r.str, r.num]);

describe('indexSearchAttributes: a value\'s type comes from the value', () => {
  it('types scalars: Bool, Int, Double, Datetime (RFC 3339 with a zone), else Keyword', () => {
    expect(rows({ B: true, I: 3, D: 2.5, T: '2024-05-01T14:00:00+02:00', K: '2024-05-01', S: 'x' })).toEqual([
      ['B', 'Bool', 0, null, 1],
      ['D', 'Double', 0, null, 2.5],
      ['I', 'Int', 0, null, 3],
      ['K', 'Keyword', 0, '2024-05-01', null],
      ['S', 'Keyword', 0, 'x', null],
      ['T', 'Datetime', 0, '2024-05-01T12:00:00.000Z', Date.UTC(2024, 4, 1, 12)],
    ]);
  });

  it('gives a list one row per element (Temporal\'s legacy form), strings as KeywordList', () => {
    expect(rows({ Tags: ['a', 'b'], Ns: [1, 2], One: ['2024-05-01T00:00:00Z'], Empty: [], Gone: null })).toEqual([
      ['Ns', 'Int', 0, null, 1],
      ['Ns', 'Int', 1, null, 2],
      ['One', 'Datetime', 0, '2024-05-01T00:00:00.000Z', Date.UTC(2024, 4, 1)],
      ['Tags', 'KeywordList', 0, 'a', null],
      ['Tags', 'KeywordList', 1, 'b', null],
    ]);
  });

  it('takes an explicit { type, value }: Text by words, a Keyword that looks like a date', () => {
    expect(rows({ Notes: { type: 'Text', value: 'Refund approved, refund sent' }, When: { type: 'Keyword', value: '2024-05-01T00:00:00Z' } })).toEqual([
      ['Notes', 'Text', 0, 'refund', null],
      ['Notes', 'Text', 1, 'approved', null],
      ['Notes', 'Text', 2, 'sent', null],
      ['When', 'Keyword', 0, '2024-05-01T00:00:00Z', null],
    ]);
    expect(rows({ L: { type: 'KeywordList', value: ['x', 'x', 'y'] }, D: { type: 'Datetime', value: '2024-05-01' }, I: { type: 'Int', value: 7 } })).toEqual([
      ['D', 'Datetime', 0, '2024-05-01T00:00:00.000Z', Date.UTC(2024, 4, 1)],
      ['I', 'Int', 0, null, 7],
      ['L', 'KeywordList', 0, 'x', null],
      ['L', 'KeywordList', 1, 'y', null],
    ]);
  });
});

describe('checkSearchAttributes', () => {
  it('refuses what it cannot index with INVALID_ARGUMENT naming the attribute', () => {
    const refused = (attrs: Record<string, unknown>) => {
      try {
        checkSearchAttributes(attrs);
      } catch (err) {
        expect(err).toBeInstanceOf(ServiceError);
        expect((err as ServiceError).code).toBe('INVALID_ARGUMENT');
        return (err as ServiceError).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ X: { a: 1 } })).toMatch(/searchAttributes\.X: expected a string, a number/);
    expect(refused({ X: [[1]] })).toMatch(/searchAttributes\.X\[0\]: a list element must be/);
    expect(refused({ X: { type: 'Int', value: 1.5 } })).toMatch(/searchAttributes\.X: an Int value must be an integer/);
    expect(refused({ X: { type: 'Datetime', value: 'soon' } })).toMatch(/RFC 3339/);
    expect(refused({ X: { type: 'Nope', value: 1 } })).toMatch(/searchAttributes\.X/);
    expect(refused({ X: Number.NaN })).toMatch(/finite/);
    expect(refused({ StartTime: 'x' })).toMatch(/built-in attribute/);
    expect(() => checkSearchAttributes(undefined)).not.toThrow();
    expect(() => checkSearchAttributes({ CustomerId: 'c-17', Priority: 3, Tags: ['a', 'b'] })).not.toThrow();
  });
});

describe('parseDatetime and textWords', () => {
  it('reads strictly only RFC 3339 with T, seconds and a zone', () => {
    expect(parseDatetime('2024-05-01T12:00:00Z', true)).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseDatetime('2024-05-01T12:00:00.5-01:00', true)).toBe(Date.UTC(2024, 4, 1, 13, 0, 0, 500));
    for (const loose of ['2024-05-01', '2024-05-01 12:00:00Z', '2024-05-01T12:00Z', '2024-05-01T12:00:00']) expect(parseDatetime(loose, true)).toBeUndefined();
    expect(parseDatetime('2024-05-01T12:00:00')).toBe(Date.UTC(2024, 4, 1, 12));
    expect(parseDatetime('2023-02-29')).toBeUndefined();
    expect(parseDatetime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('splits text into lower-case words of letters and digits', () => {
    expect(textWords('my-business-id_FooBar, Ünïcode 42!')).toEqual(['my', 'business', 'id', 'foobar', 'ünïcode', '42']);
  });
});
