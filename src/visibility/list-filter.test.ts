import { describe, expect, it } from 'vitest';
import { Limits } from '../../protocol/index.js';
import { FilterTooComplexError, keysetSql, sortKeys, whereSql } from './filter-sql.js';
import { ListFilterError, MAX_FILTER_LENGTH, caretExcerpt, parseListFilter, workflowIdsOf, type Condition } from './list-filter.js';

/** The condition tree in a compact prefix form, to assert structure and precedence. */
function shape(c: Condition | undefined): string {
  if (!c) return '∅';
  switch (c.kind) {
    case 'and':
    case 'or':
      return `${c.kind}(${shape(c.left)}, ${shape(c.right)})`;
    case 'compare':
      return `${c.attribute.name}${c.comparator}${JSON.stringify(c.value.value)}`;
    case 'in':
      return `${c.attribute.name} ${c.negated ? 'NOT IN' : 'IN'} ${JSON.stringify(c.values.map((v) => v.value))}`;
    case 'between':
      return `${c.attribute.name} ${c.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${JSON.stringify(c.low.value)}..${JSON.stringify(c.high.value)}`;
    case 'startsWith':
      return `${c.attribute.name} ${c.negated ? 'NOT STARTS_WITH' : 'STARTS_WITH'} ${JSON.stringify(c.prefix)}`;
    case 'isNull':
      return `${c.attribute.name} ${c.negated ? 'IS NOT NULL' : 'IS NULL'}`;
  }
}

const where = (q: string) => shape(parseListFilter(q).where);

/** The error a filter raises. */
function failure(q: string): ListFilterError {
  try {
    parseListFilter(q);
  } catch (err) {
    if (err instanceof ListFilterError) return err;
    throw err;
  }
  throw new Error(`expected '${q}' to be refused`);
}

describe('parseListFilter: operators', () => {
  it('reads every comparison', () => {
    expect(where("WorkflowType = 'a'")).toBe('WorkflowType="a"');
    expect(where("WorkflowType != 'a'")).toBe('WorkflowType!="a"');
    expect(where("WorkflowType <> 'a'")).toBe('WorkflowType!="a"');
    expect(where('HistoryLength > 5')).toBe('HistoryLength>5');
    expect(where('HistoryLength >= 5')).toBe('HistoryLength>=5');
    expect(where('HistoryLength < 5')).toBe('HistoryLength<5');
    expect(where('HistoryLength <= 5')).toBe('HistoryLength<=5');
    expect(where("WorkflowId>'a'")).toBe('WorkflowId>"a"');
  });

  it('reads IN, NOT IN, BETWEEN, NOT BETWEEN, STARTS_WITH, NOT STARTS_WITH, IS NULL and IS NOT NULL', () => {
    expect(where("WorkflowId IN ('a', 'b','c')")).toBe('WorkflowId IN ["a","b","c"]');
    expect(where("WorkflowId NOT IN ('a')")).toBe('WorkflowId NOT IN ["a"]');
    expect(where('Priority BETWEEN 1 AND 5')).toBe('Priority BETWEEN 1..5');
    expect(where('Priority NOT BETWEEN -1.5 AND 2e3')).toBe('Priority NOT BETWEEN -1.5..2000');
    expect(where("WorkflowId STARTS_WITH 'order-'")).toBe('WorkflowId STARTS_WITH "order-"');
    expect(where("WorkflowId NOT STARTS_WITH 'order-'")).toBe('WorkflowId NOT STARTS_WITH "order-"');
    expect(where('CloseTime IS NULL')).toBe('CloseTime IS NULL');
    expect(where('CloseTime IS NOT NULL')).toBe('CloseTime IS NOT NULL');
  });

  it('reads keywords in any case, and TRUE/FALSE as booleans', () => {
    expect(where("WorkflowId in ('a') and Vip = true or Vip = False")).toBe('or(and(WorkflowId IN ["a"], Vip=true), Vip=false)');
    expect(where('Priority between 1 and 2')).toBe('Priority BETWEEN 1..2');
    expect(where('CloseTime is not null')).toBe('CloseTime IS NOT NULL');
  });

  it('an empty or blank filter matches everything', () => {
    expect(parseListFilter('')).toEqual({ orderBy: [] });
    expect(parseListFilter('   \n ')).toEqual({ orderBy: [] });
  });
});

describe('parseListFilter: precedence', () => {
  it('binds AND tighter than OR, left to right', () => {
    expect(where("A = 'a' OR B = 'b' AND C = 'c'")).toBe('or(A="a", and(B="b", C="c"))');
    expect(where("A = 'a' AND B = 'b' OR C = 'c'")).toBe('or(and(A="a", B="b"), C="c")');
    expect(where("A = 'a' OR B = 'b' OR C = 'c'")).toBe('or(or(A="a", B="b"), C="c")');
    expect(where("A = 'a' AND B = 'b' AND C = 'c'")).toBe('and(and(A="a", B="b"), C="c")');
  });

  it('lets parentheses override it, nested', () => {
    expect(where("(A = 'a' OR B = 'b') AND C = 'c'")).toBe('and(or(A="a", B="b"), C="c")');
    expect(where("A = 'a' AND (B = 'b' OR (C = 'c' AND D = 'd'))")).toBe('and(A="a", or(B="b", and(C="c", D="d")))');
    expect(where("((A = 'a'))")).toBe('A="a"');
  });
});

describe('parseListFilter: quoting and escaping', () => {
  it('reads single- and double-quoted strings with doubled quotes and backslash escapes', () => {
    expect(where("A = 'it''s'")).toBe(`A=${JSON.stringify("it's")}`);
    expect(where("A = 'it\\'s'")).toBe(`A=${JSON.stringify("it's")}`);
    expect(where('A = "say ""hi"""')).toBe(`A=${JSON.stringify('say "hi"')}`);
    expect(where("A = 'back\\\\slash'")).toBe(`A=${JSON.stringify('back\\slash')}`);
    expect(where("A = 'tab\\there'")).toBe(`A=${JSON.stringify('tab\there')}`);
    expect(where("A = ''")).toBe('A=""');
    expect(where("A = 'AND OR ( ) ='")).toBe('A="AND OR ( ) ="');
  });

  it('reads backquoted attribute names, keywords and spaces included', () => {
    expect(where("`Customer Id` = 'x'")).toBe('Customer Id="x"');
    expect(where("`Order` = 'x'")).toBe('Order="x"');
    expect(where("`odd``name` = 'x'")).toBe('odd`name="x"');
    const f = parseListFilter("`WorkflowId` = 'x'");
    expect(f.where).toMatchObject({ attribute: { name: 'WorkflowId', builtIn: 'WorkflowId' } });
  });

  it('marks built-in attributes and leaves the rest custom', () => {
    const f = parseListFilter("WorkflowType = 'a' AND CustomerId = 'b'");
    expect(f.where).toMatchObject({ left: { attribute: { builtIn: 'WorkflowType' } }, right: { attribute: { name: 'CustomerId' } } });
    expect((f.where as { right: { attribute: { builtIn?: string } } }).right.attribute.builtIn).toBeUndefined();
  });
});

describe('parseListFilter: values of built-in attributes', () => {
  it('reads datetime literals in RFC 3339 and ISO forms into milliseconds', () => {
    const at = (q: string) => (parseListFilter(`StartTime > ${q}`).where as { value: { value: number } }).value.value;
    expect(at("'2024-05-01T12:00:00Z'")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(at("'2024-05-01T12:00:00.123456789Z'")).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(at("'2024-05-01T14:00:00+02:00'")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(at("'2024-05-01T09:30:00-0230'")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(at("'2024-05-01 12:00:00'")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(at("'2024-05-01T12:00'")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(at("'2024-05-01'")).toBe(Date.UTC(2024, 4, 1));
    expect(at('"2024-05-01t12:00:00z"')).toBe(Date.UTC(2024, 4, 1, 12));
  });

  it('refuses a datetime that is not one, pointing at it', () => {
    for (const bad of ["'2024-02-30'", "'2024-13-01'", "'2024-05-01T25:00:00Z'", "'yesterday'", '1714564800', "'2024-5-1'"]) {
      const err = failure(`CloseTime < ${bad}`);
      expect(err.offset).toBe(12);
      expect(err.reason).toMatch(/CloseTime is a Datetime; expected a datetime string such as '2024-05-01T12:00:00Z'/);
    }
  });

  it('reads ExecutionStatus in Temporal\'s spelling, and the wire\'s, into the wire\'s', () => {
    const status = (v: string) => (parseListFilter(`ExecutionStatus = '${v}'`).where as { value: { value: string } }).value.value;
    expect(status('Running')).toBe('RUNNING');
    expect(status('Completed')).toBe('COMPLETED');
    expect(status('Failed')).toBe('FAILED');
    expect(status('Canceled')).toBe('CANCELED');
    expect(status('Cancelled')).toBe('CANCELED');
    expect(status('Terminated')).toBe('TERMINATED');
    expect(status('ContinuedAsNew')).toBe('CONTINUED_AS_NEW');
    expect(status('CONTINUED_AS_NEW')).toBe('CONTINUED_AS_NEW');
    expect(status('TimedOut')).toBe('TIMED_OUT');
    expect(status('running')).toBe('RUNNING');
    expect(where("ExecutionStatus IN ('Running', 'TimedOut')")).toBe('ExecutionStatus IN ["RUNNING","TIMED_OUT"]');
  });

  it('keeps custom attributes\' values as written, typed by the literal', () => {
    const f = parseListFilter("Due > '2024-05-01' AND N = 5 AND B = TRUE");
    expect(JSON.stringify(f.where)).toContain('"kind":"string","value":"2024-05-01"');
    expect(JSON.stringify(f.where)).toContain('"kind":"number","value":5');
    expect(JSON.stringify(f.where)).toContain('"kind":"bool","value":true');
  });
});

describe('parseListFilter: ORDER BY and GROUP BY', () => {
  it('reads ORDER BY with directions, ASC by default', () => {
    expect(parseListFilter('ORDER BY StartTime').orderBy).toMatchObject([{ attribute: { name: 'StartTime' }, direction: 'ASC' }]);
    const f = parseListFilter("WorkflowType = 'a' ORDER BY CloseTime DESC, `Customer` asc");
    expect(f.orderBy).toMatchObject([
      { attribute: { name: 'CloseTime' }, direction: 'DESC' },
      { attribute: { name: 'Customer' }, direction: 'ASC' },
    ]);
    expect(f.orderByOffset).toBe(19);
  });

  it('reads GROUP BY ExecutionStatus, alone or after a condition', () => {
    expect(parseListFilter('GROUP BY ExecutionStatus')).toMatchObject({ groupBy: 'ExecutionStatus', groupByOffset: 0 });
    expect(parseListFilter("WorkflowType = 'a' GROUP BY ExecutionStatus").groupBy).toBe('ExecutionStatus');
  });
});

describe('parseListFilter: bad input says where and what was expected', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['WorkflowType =', 14, /expected a value \('text', a number, TRUE or FALSE\) after '=', found the end of the filter/],
    ["WorkflowType = 'a' AND", 22, /expected an attribute name \(e\.g\. WorkflowType\) or '\(', found the end of the filter/],
    ["WorkflowType = 'a' AND OR", 23, /expected an attribute name .*, found OR/],
    ["WorkflowType 'a'", 13, /expected an operator \(=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, NOT BETWEEN, STARTS_WITH, IS NULL or IS NOT NULL\) after 'WorkflowType', found the string 'a'/],
    ["WorkflowType == 'a'", 13, /expected '=' \(one equals sign\), found '=='/],
    ['WorkflowType = pending', 15, /found 'pending' \(quote text values: 'pending'\)/],
    ['WorkflowType = order', 15, /found ORDER \(quote text values: 'order'\)/],
    ["(WorkflowType = 'a'", 19, /expected AND, OR or '\)' to close the '\(' at offset 0/],
    ["WorkflowType = 'a')", 18, /expected AND, OR, GROUP BY, ORDER BY or the end of the filter, found '\)'/],
    ["WorkflowType = 'abc", 15, /expected a closing ' for the string that starts here/],
    ['`Customer = 1', 0, /expected a closing ` for the attribute name/],
    ['`` = 1', 0, /expected an attribute name between the backquotes/],
    ["WorkflowId IN 'a'", 14, /expected '\(' to start the list of values after IN/],
    ["WorkflowId IN ('a' 'b')", 19, /expected ',' or '\)' to close the IN list that starts at offset 14/],
    ["WorkflowId IN ()", 15, /expected a value .* in the IN list, found '\)'/],
    ["WorkflowId NOT = 'a'", 15, /expected IN, BETWEEN or STARTS_WITH after NOT/],
    ['Priority BETWEEN 1 OR 2', 19, /expected AND between the two values of BETWEEN, found OR/],
    ["Priority BETWEEN 1 AND 'x'", 23, /expected a number like the first value of BETWEEN, found a string/],
    ['CloseTime IS 5', 13, /expected NULL or NOT NULL after IS/],
    ['CloseTime IS NOT 5', 17, /expected NULL after IS NOT/],
    ["WorkflowId LIKE 'a%'", 11, /LIKE is not supported; use STARTS_WITH/],
    ["ExecutionStatus = 'Done'", 18, /ExecutionStatus has no value 'Done'; expected one of 'Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'/],
    ["ExecutionStatus >= 'Running'", 0, /ExecutionStatus takes =, !=, IN and NOT IN, not '>='/],
    ["ExecutionStatus BETWEEN 'a' AND 'b'", 0, /not BETWEEN/],
    ['WorkflowId = 5', 13, /WorkflowId is a Keyword; expected a 'string' value, found a number/],
    ["HistoryLength = '5'", 16, /HistoryLength is an Int; expected an integer, found a string/],
    ['HistoryLength = 1.5', 16, /expected an integer, found 1.5/],
    ['Vip > TRUE', 6, /TRUE and FALSE compare only with = and !=/],
    ["StartTime STARTS_WITH '2024'", 0, /STARTS_WITH applies to Keyword attributes .*StartTime is a Datetime/],
    ['WorkflowId STARTS_WITH 5', 23, /expected a 'string' prefix after STARTS_WITH/],
    ["executionStatus = 'Running'", 0, /attribute names are case-sensitive: did you mean ExecutionStatus\?/],
    ["Order = 'x'", 6, /expected BY after ORDER, found '=' \(backquote an attribute named like a keyword: `Order`\)/],
    ["WorkflowId = 'a' AND In = 'x'", 21, /backquote an attribute named like a keyword: `In`/],
    ['ORDER StartTime', 6, /expected BY after ORDER/],
    ['GROUP ExecutionStatus', 6, /expected BY after GROUP/],
    ['ORDER BY StartTime SIDEWAYS', 19, /expected ',' or the end of the filter, found 'SIDEWAYS'/],
    ['ORDER BY StartTime, StartTime', 20, /'StartTime' is already in ORDER BY/],
    ['GROUP BY WorkflowType', 9, /GROUP BY takes only ExecutionStatus/],
    ["ORDER BY StartTime WorkflowId = 'a'", 19, /expected ',' or the end of the filter/],
    ['3abc = 1', 0, /backquote attribute names that start with a digit/],
    ["WorkflowId = 'a' ; DROP TABLE executions", 17, /found ';'/],
  ];
  it.each(cases)('%s → offset %i', (query, offset, reason) => {
    const err = failure(query);
    expect(err.reason).toMatch(reason);
    expect(err.offset).toBe(offset);
    expect(err.message).toBe(`Invalid list filter at offset ${offset}: ${err.reason}\n  ${query}\n  ${' '.repeat(offset)}^`);
  });

  it('refuses a filter longer than the protocol allows', () => {
    expect(MAX_FILTER_LENGTH).toBe(Limits.maxListFilterLength);
    expect(failure(`WorkflowId = '${'x'.repeat(MAX_FILTER_LENGTH)}'`).reason).toMatch(/at most 10000/);
  });

  it('shows a window of a long filter around the position', () => {
    const q = `WorkflowId = '${'a'.repeat(100)}' AND ${'B'.repeat(50)} ?? 1`;
    const offset = q.indexOf('??');
    const [line, caret] = caretExcerpt(q, offset).split('\n') as [string, string];
    expect(line.startsWith('  …')).toBe(true);
    expect(line.length).toBeLessThanOrEqual(2 + 1 + 72 + 1);
    expect(line[caret.indexOf('^')]).toBe('?');
  });
});

describe('whereSql: parameterised, never concatenated', () => {
  const compile = (q: string) => whereSql(parseListFilter(q));

  it('binds every value and puts none of the filter\'s text in the SQL', () => {
    const evil = "x'); DROP TABLE executions; --";
    const s = compile(`WorkflowId = "${evil}" AND \`Robert'); DROP\` = "${evil}"`);
    expect(s.sql).not.toContain('DROP');
    expect(s.sql).not.toContain('Robert');
    expect(s.params).toContain(evil);
    expect(s.params).toContain("Robert'); DROP");
    expect(s.sql.split('?').length - 1).toBe(s.params.length);
  });

  it('translates built-in attributes to columns, datetimes and statuses to stored values', () => {
    expect(compile("WorkflowType = 'a'")).toEqual({ sql: 'e.workflow_type = ?', params: ['a'] });
    expect(compile("ExecutionStatus != 'Running'")).toEqual({ sql: 'e.status <> ?', params: ['RUNNING'] });
    expect(compile("StartTime BETWEEN '2024-01-01' AND '2024-01-02'")).toEqual({ sql: 'e.start_time BETWEEN ? AND ?', params: [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)] });
    expect(compile("TaskQueue NOT IN ('a', 'b')")).toEqual({ sql: 'e.task_queue NOT IN (?, ?)', params: ['a', 'b'] });
    expect(compile('CloseTime IS NULL')).toEqual({ sql: 'e.close_time IS NULL', params: [] });
    expect(compile("WorkflowId STARTS_WITH 'a*b[c?'")).toEqual({ sql: 'e.workflow_id GLOB ?', params: ['a[*]b[[]c[?]*'] });
    expect(compile('')).toEqual({ sql: '1', params: [] });
  });

  it('keeps the parse tree\'s grouping in the SQL', () => {
    expect(compile("WorkflowId = 'a' OR WorkflowId = 'b' AND RunId = 'c'").sql).toBe('(e.workflow_id = ? OR (e.workflow_id = ? AND e.run_id = ?))');
    expect(compile("(WorkflowId = 'a' OR WorkflowId = 'b') AND RunId = 'c'").sql).toBe('((e.workflow_id = ? OR e.workflow_id = ?) AND e.run_id = ?)');
  });

  it('compares a custom attribute\'s literal with each stored type it can stand for', () => {
    const s = compile("Due = '2024-05-01T00:00:00Z'");
    expect(s.sql).toContain("sa.type IN ('Keyword', 'KeywordList') AND sa.str IN (?)");
    expect(s.sql).toContain("sa.type = 'Datetime' AND sa.num IN (?)");
    // As a Text value, the literal is its words: 2024, 05, 01t00, 00, 00z.
    expect(s.sql).toContain("sa.type = 'Text' AND sa.str IN (?, ?, ?, ?, ?)");
    expect(s.params).toContain(Date.UTC(2024, 4, 1));
    expect(compile('N > 5').sql).toContain("sa.type IN ('Int', 'Double') AND sa.num > ?");
    expect(compile('B = true').params).toEqual(['B', 1]);
    expect(compile("K != 'x'").sql).toMatch(/^\(EXISTS \(.*\) AND NOT EXISTS \(.*\)\)$/);
    expect(compile('K IS NULL').sql).toMatch(/^NOT EXISTS/);
  });

  it('refuses a filter that needs more bound values than D1 allows', () => {
    const values = Array.from({ length: 91 }, (_, i) => `'v${i}'`).join(', ');
    expect(() => compile(`WorkflowId IN (${values})`)).toThrow(FilterTooComplexError);
    expect(() => compile(`WorkflowId IN (${Array.from({ length: 90 }, (_, i) => `'v${i}'`).join(', ')})`)).not.toThrow();
  });
});

describe('sortKeys and keysetSql: a total order and where a page ends', () => {
  it('orders newest start first by default, ties by run id', () => {
    expect(sortKeys(parseListFilter('')).map((k) => `${k.sql} ${k.direction}`)).toEqual(['e.start_time DESC', 'e.run_id DESC']);
    expect(sortKeys(parseListFilter('ORDER BY WorkflowId')).map((k) => `${k.sql} ${k.direction}`)).toEqual(['e.workflow_id ASC', 'e.run_id ASC']);
    expect(sortKeys(parseListFilter('ORDER BY RunId DESC')).map((k) => `${k.sql} ${k.direction}`)).toEqual(['e.run_id DESC']);
    expect(sortKeys(parseListFilter('ORDER BY Priority')).at(0)?.params).toEqual(['Priority']);
  });

  it('continues after the last row, NULLs first ascending and last descending', () => {
    const desc = sortKeys(parseListFilter(''));
    expect(keysetSql(desc, [5, 'r'])).toEqual({ sql: '(e.start_time <= ? AND ((e.start_time < ?) OR (e.start_time = ? AND e.run_id < ?)))', params: [5, 5, 5, 'r'] });
    const asc = sortKeys(parseListFilter('ORDER BY CloseTime ASC'));
    expect(keysetSql(asc, [null, 'r']).sql).toBe('((e.close_time IS NOT NULL) OR (e.close_time IS NULL AND e.run_id > ?))');
    const closeDesc = sortKeys(parseListFilter('ORDER BY CloseTime DESC'));
    expect(keysetSql(closeDesc, [null, 'r'])).toEqual({ sql: '((e.close_time IS NULL AND e.run_id < ?))', params: ['r'] });
    expect(keysetSql(closeDesc, [7, 'r'])).toEqual({ sql: '(((e.close_time < ? OR e.close_time IS NULL)) OR (e.close_time = ? AND e.run_id < ?))', params: [7, 7, 'r'] });
    const custom = sortKeys(parseListFilter('ORDER BY Priority DESC'));
    expect(keysetSql(custom, [3, 'r']).params).toEqual(['Priority', 3, 'Priority', 'Priority', 3, 'r']);
  });
});

describe('workflowIdsOf: the workflow ids a filter limits a list to (the shards it asks)', () => {
  const ids = (q: string) => workflowIdsOf(parseListFilter(q))?.sort();
  it('finds = and IN on WorkflowId, ANDed with anything, or ORed together', () => {
    expect(ids("WorkflowId = 'a'")).toEqual(['a']);
    expect(ids("WorkflowId IN ('a', 'b') AND ExecutionStatus = 'Running' ORDER BY StartTime")).toEqual(['a', 'b']);
    expect(ids("WorkflowType = 'x' AND (WorkflowId = 'a' OR WorkflowId IN ('b', 'c'))")).toEqual(['a', 'b', 'c']);
    expect(ids("WorkflowId IN ('a', 'b') AND WorkflowId = 'b'")).toEqual(['b']);
    expect(ids("WorkflowId = 'a' AND WorkflowId = 'b'")).toEqual([]);
  });
  it('is undefined when runs of any id may match', () => {
    for (const q of ['', "WorkflowType = 'x'", "WorkflowId = 'a' OR WorkflowType = 'x'", "WorkflowId != 'a'", "WorkflowId NOT IN ('a')", "WorkflowId STARTS_WITH 'a'", "WorkflowId > 'a'"]) {
      expect(ids(q), q).toBeUndefined();
    }
  });
});
