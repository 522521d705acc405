import { describe, expect, it } from 'vitest';
import { parseListFilter } from './list-filter.js';
import { sortKeys, type SqlValue } from './filter-sql.js';
import { compareSqlValues, mergePages, storePage, type ExecutionRow, type StorePage } from './list-rows.js';

/** A row with only what ordering and the byte count look at. */
const row = (id: string, k0: SqlValue, memo = ''): ExecutionRow => ({ run_id: id, workflow_id: id, memo: memo || null, search_attributes: null, k0, k1: id }) as unknown as ExecutionRow;
const ids = (p: StorePage) => p.rows.map((r) => r.run_id);

describe('compareSqlValues', () => {
  it('orders as SQLite does: NULL, numbers, then text by code point', () => {
    const values: SqlValue[] = ['b', 2, null, 'a', 10, '\u{1F600}', '\uFFFF', -1];
    expect([...values].sort(compareSqlValues)).toEqual([null, -1, 2, 10, 'a', 'b', '\uFFFF', '\u{1F600}']);
    // JavaScript's own order puts the astral character (a surrogate pair) before U+FFFF.
    expect('\u{1F600}' < '\uFFFF').toBe(true);
  });
});

describe('mergePages', () => {
  const newestFirst = sortKeys(parseListFilter(''));

  it('takes the first rows of all stores in the keys’ order, and says whether any are left', () => {
    const a = storePage([row('a1', 9), row('a2', 5), row('a3', 1)], 3, Infinity);
    const b = storePage([row('b1', 8), row('b2', 7), row('b3', 2), row('b4', 0)], 3, Infinity);
    expect(b.more).toBe(true);
    const page = mergePages(newestFirst, [a, b, { rows: [], more: false }], 3);
    expect(ids(page)).toEqual(['a1', 'b1', 'b2']);
    expect(page.more).toBe(true);
    expect(mergePages(newestFirst, [a, { rows: [], more: false }], 3)).toEqual({ rows: a.rows, more: false });
  });

  it('breaks ties by the next key, in its direction', () => {
    const page = mergePages(newestFirst, [{ rows: [row('x', 5)], more: false }, { rows: [row('y', 5)], more: false }], 10);
    expect(ids(page)).toEqual(['y', 'x']);
    expect(page.more).toBe(false);
  });

  it('stops at the last row of a store that cut its page short (bytes): its next rows may come first', () => {
    const big = 'm'.repeat(600);
    const cut = storePage([row('a1', 9, big), row('a2', 6, big), row('a3', 1)], 10, 1000);
    expect(ids(cut)).toEqual(['a1']);
    expect(cut.more).toBe(true);
    const other = storePage([row('b1', 8), row('b2', 7), row('b3', 2)], 10, Infinity);
    const page = mergePages(newestFirst, [cut, other], 10);
    // After a1 comes b1 (8) only if a2 (6, not sent) is not before it — it is not, but the merge cannot know.
    expect(ids(page)).toEqual(['a1']);
    expect(page.more).toBe(true);
  });
});
