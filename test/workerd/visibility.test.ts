/**
 * Visibility: every run's summary reaches the store — its shard's table (the workerd project, 4
 * shards) or D1 through its object's outbox (workerd-objects) — and list and count answer
 * Temporal's list filters over it, through HTTP, as any client. Both layouts run this file.
 */
import { describe, expect, it } from 'vitest';
import { expectError, json, unique } from './helpers.js';
import { Space, complete, fail } from './visibility-helpers.js';

describe('summaries reach the store', () => {
  it('lists a started run with everything its summary holds, newest start first', async () => {
    const s = new Space();
    const memo = { customer: json('ada') };
    const searchAttributes = { CustomerId: 'c-17', Priority: 3 };
    const first = await s.start('first', { memo, searchAttributes, startDelayMs: 5000 });
    const second = await s.start('second', { type: 'refund', minutesLater: 1 });

    const { executions, nextPageToken } = await s.list();
    expect(nextPageToken).toBeUndefined();
    expect(executions.map((e) => e.execution)).toEqual([
      { workflowId: 'second', runId: second },
      { workflowId: 'first', runId: first },
    ]);
    const e = executions[1]!;
    expect(e).toMatchObject({ workflowType: 'order', taskQueue: s.queueOf('first'), status: 'RUNNING', historyLength: 1, firstRunId: first, memo, searchAttributes });
    expect(e.closeTime).toBeUndefined();
    expect(Date.parse(e.executionTime) - Date.parse(e.startTime)).toBe(5000);
    expect(executions[0]).toMatchObject({ workflowType: 'refund', historyLength: 2 });
  });

  it('updates the summary when the run closes: status, close time, history length', async () => {
    const s = new Space();
    await s.start('done');
    await s.start('failed', { minutesLater: 1 });
    await s.start('stopped', { minutesLater: 2 });
    await s.completeTask('done', complete);
    await s.completeTask('failed', fail);
    await s.terminate('stopped');

    const byId = Object.fromEntries((await s.list()).executions.map((e) => [e.execution.workflowId, e]));
    expect(byId.done).toMatchObject({ status: 'COMPLETED', historyLength: 5 });
    expect(byId.failed).toMatchObject({ status: 'FAILED', historyLength: 5 });
    expect(byId.stopped).toMatchObject({ status: 'TERMINATED', historyLength: 3 });
    for (const e of Object.values(byId)) expect(Date.parse(e.closeTime!)).toBeGreaterThanOrEqual(Date.parse(e.startTime));
  });

  it('keeps every run of a workflow id, and the namespace apart from others', async () => {
    const s = new Space();
    const other = new Space();
    const a = await s.start('same-id');
    await s.terminate('same-id');
    const b = await s.start('same-id', { minutesLater: 1 });
    await other.start('elsewhere');
    expect((await s.list()).executions.map((e) => [e.execution.runId, e.status])).toEqual([
      [b, 'RUNNING'],
      [a, 'TERMINATED'],
    ]);
    expect(await other.ids()).toEqual(['elsewhere']);
    expect((await s.count()).count).toBe(2);
  });

});

describe('filters over the built-in attributes', () => {
  it('compares WorkflowId, WorkflowType, RunId and TaskQueue with every operator', async () => {
    const s = new Space();
    const otherQueue = unique('vis-other-tq');
    const runA = await s.start('order-1');
    await s.start('order-2', { minutesLater: 1 });
    await s.start('refund-1', { type: 'refund', taskQueue: otherQueue, minutesLater: 2 });

    expect(await s.ids("WorkflowId = 'order-1'")).toEqual(['order-1']);
    expect(await s.ids("WorkflowId != 'order-1'")).toEqual(['refund-1', 'order-2']);
    expect(await s.ids("WorkflowId <> 'order-1'")).toEqual(['refund-1', 'order-2']);
    expect(await s.ids("WorkflowId > 'order-1'")).toEqual(['refund-1', 'order-2']);
    expect(await s.ids("WorkflowId >= 'order-2'")).toEqual(['refund-1', 'order-2']);
    expect(await s.ids("WorkflowId < 'order-2'")).toEqual(['order-1']);
    expect(await s.ids("WorkflowId <= 'order-2'")).toEqual(['order-2', 'order-1']);
    expect(await s.ids("WorkflowId IN ('order-1', 'refund-1', 'nope')")).toEqual(['refund-1', 'order-1']);
    expect(await s.ids("WorkflowId NOT IN ('order-1', 'refund-1')")).toEqual(['order-2']);
    expect(await s.ids("WorkflowId BETWEEN 'order-1' AND 'order-2'")).toEqual(['order-2', 'order-1']);
    expect(await s.ids("WorkflowId NOT BETWEEN 'order-1' AND 'order-2'")).toEqual(['refund-1']);
    expect(await s.ids("WorkflowId STARTS_WITH 'order-'")).toEqual(['order-2', 'order-1']);
    expect(await s.ids("WorkflowId NOT STARTS_WITH 'order-'")).toEqual(['refund-1']);
    expect(await s.ids("WorkflowId STARTS_WITH 'ORDER'")).toEqual([]); // case-sensitive, as Keyword
    expect(await s.ids("WorkflowType = 'refund'")).toEqual(['refund-1']);
    expect(await s.ids(`RunId = '${runA}'`)).toEqual(['order-1']);
    expect(await s.ids(`TaskQueue = '${otherQueue}'`)).toEqual(['refund-1']);
    expect(await s.ids('WorkflowId IS NOT NULL')).toHaveLength(3);
    expect(await s.ids('WorkflowId IS NULL')).toEqual([]);
  });

  it('STARTS_WITH takes the prefix literally: wildcards in it are plain characters', async () => {
    const s = new Space();
    await s.start('a*b?c[1]');
    await s.start('axbycz', { minutesLater: 1 });
    expect(await s.ids("WorkflowId STARTS_WITH 'a*b?c['")).toEqual(['a*b?c[1]']);
    expect(await s.ids("WorkflowId STARTS_WITH 'a*'")).toEqual(['a*b?c[1]']);
    expect(await s.ids("WorkflowId = 'a*b?c[1]'")).toEqual(['a*b?c[1]']);
  });

  it('filters by ExecutionStatus in Temporal\'s spelling', async () => {
    const s = new Space();
    await s.start('running');
    await s.start('completed', { minutesLater: 1 });
    await s.start('failed', { minutesLater: 2 });
    await s.start('terminated', { minutesLater: 3 });
    await s.start('canceled', { minutesLater: 4 });
    await s.start('timedout', { minutesLater: 5, workflowRunTimeoutMs: 60_000 });
    await s.completeTask('running', []);
    await s.completeTask('completed', complete);
    await s.completeTask('failed', fail);
    await s.terminate('terminated');
    await s.ok('POST', '/workflows/canceled/cancel', {});
    await s.completeTask('canceled', [{ type: 'CancelWorkflowExecution' }]);
    await s.advance('timedout', 61_000);

    expect(await s.ids("ExecutionStatus = 'Running'")).toEqual(['running']);
    expect(await s.ids("ExecutionStatus = 'Completed'")).toEqual(['completed']);
    expect(await s.ids("ExecutionStatus = 'Failed'")).toEqual(['failed']);
    expect(await s.ids("ExecutionStatus = 'Terminated'")).toEqual(['terminated']);
    expect(await s.ids("ExecutionStatus = 'Canceled'")).toEqual(['canceled']);
    expect(await s.ids("ExecutionStatus = 'TimedOut'")).toEqual(['timedout']);
    expect(await s.ids("ExecutionStatus = 'ContinuedAsNew'")).toEqual([]);
    expect(await s.ids("ExecutionStatus = 'RUNNING'")).toEqual(['running']);
    expect(await s.ids("ExecutionStatus != 'Running'")).toEqual(['timedout', 'canceled', 'terminated', 'failed', 'completed']);
    expect(await s.ids("ExecutionStatus IN ('Completed', 'Failed')")).toEqual(['failed', 'completed']);
    expect(await s.ids("ExecutionStatus NOT IN ('Completed', 'Failed', 'Canceled', 'TimedOut')")).toEqual(['terminated', 'running']);
  });

  it('compares StartTime, ExecutionTime and CloseTime as datetimes, and HistoryLength as a number', async () => {
    const s = new Space();
    await s.start('early');
    await s.start('late', { minutesLater: 10, startDelayMs: 60_000 });
    await s.completeTask('early', complete);
    const [late, early] = (await s.list()).executions;
    const midway = new Date(Date.parse(early!.startTime) + 5 * 60_000).toISOString();

    expect(await s.ids(`StartTime > '${midway}'`)).toEqual(['late']);
    expect(await s.ids(`StartTime < '${midway}'`)).toEqual(['early']);
    expect(await s.ids(`StartTime = '${early!.startTime}'`)).toEqual(['early']);
    expect(await s.ids(`StartTime BETWEEN '${early!.startTime}' AND '${late!.startTime}'`)).toEqual(['late', 'early']);
    expect(await s.ids(`StartTime >= "${late!.startTime.replace('Z', '+00:00')}"`)).toEqual(['late']);
    expect(await s.ids(`ExecutionTime > '${late!.startTime}'`)).toEqual(['late']);
    expect(await s.ids(`StartTime > '2000-01-01'`)).toEqual(['late', 'early']);
    expect(await s.ids('CloseTime IS NULL')).toEqual(['late']);
    expect(await s.ids('CloseTime IS NOT NULL')).toEqual(['early']);
    expect(await s.ids(`CloseTime >= '${early!.startTime}'`)).toEqual(['early']);
    expect(await s.ids('HistoryLength > 2')).toEqual(['early']);
    expect(await s.ids('HistoryLength = 1')).toEqual(['late']); // its first task waits out the start delay
  });

  it('gives AND precedence over OR, and parentheses override it', async () => {
    const s = new Space();
    await s.start('a', { type: 'x' });
    await s.start('b', { type: 'y', minutesLater: 1 });
    await s.start('c', { type: 'x', minutesLater: 2 });
    // a OR (b AND type x) → only a; (a OR b) AND type x → a
    expect(await s.ids("WorkflowId = 'a' OR WorkflowId = 'b' AND WorkflowType = 'x'")).toEqual(['a']);
    expect(await s.ids("(WorkflowId = 'a' OR WorkflowId = 'b') AND WorkflowType = 'y'")).toEqual(['b']);
    expect(await s.ids("WorkflowType = 'x' AND (WorkflowId = 'c' OR WorkflowId = 'b')")).toEqual(['c']);
    expect(await s.ids("WorkflowType = 'x' and WorkflowId = 'c' or WorkflowId = 'nope'")).toEqual(['c']); // keywords in any case
  });
});

describe('filters over custom search attributes', () => {
  async function catalogue() {
    const s = new Space();
    await s.start('w1', { searchAttributes: { CustomerId: 'ada', Priority: 1, Score: 0.5, Vip: true, Due: '2024-05-01T12:00:00Z', Tags: ['red', 'blue'], Notes: { type: 'Text', value: 'Refund approved by billing' } } });
    await s.start('w2', { minutesLater: 1, searchAttributes: { CustomerId: 'bob', Priority: 5, Score: 2.25, Vip: false, Due: '2024-06-01T00:00:00+02:00', Tags: ['green'], Notes: { type: 'Text', value: 'waiting on billing-team' } } });
    await s.start('w3', { minutesLater: 2, searchAttributes: { CustomerId: 'carol', Priority: 10, 'Odd Name': { type: 'Keyword', value: 'x' } } });
    await s.start('w4', { minutesLater: 3 });
    return s;
  }

  it('compares each type with its own values', async () => {
    const s = await catalogue();
    // Keyword
    expect(await s.ids("CustomerId = 'ada'")).toEqual(['w1']);
    expect(await s.ids("CustomerId != 'ada'")).toEqual(['w3', 'w2']);
    expect(await s.ids("CustomerId IN ('ada', 'carol')")).toEqual(['w3', 'w1']);
    expect(await s.ids("CustomerId NOT IN ('ada', 'carol')")).toEqual(['w2']);
    expect(await s.ids("CustomerId STARTS_WITH 'ca'")).toEqual(['w3']);
    expect(await s.ids("CustomerId > 'ada'")).toEqual(['w3', 'w2']);
    // Int and Double compare as numbers (not as text: 10 > 5)
    expect(await s.ids('Priority > 4')).toEqual(['w3', 'w2']);
    expect(await s.ids('Priority BETWEEN 1 AND 5')).toEqual(['w2', 'w1']);
    expect(await s.ids('Priority = 10')).toEqual(['w3']);
    expect(await s.ids('Score <= 0.5')).toEqual(['w1']);
    expect(await s.ids('Score > 1')).toEqual(['w2']);
    expect(await s.ids('Priority IN (1, 10)')).toEqual(['w3', 'w1']);
    // Bool
    expect(await s.ids('Vip = true')).toEqual(['w1']);
    expect(await s.ids('Vip = FALSE')).toEqual(['w2']);
    expect(await s.ids('Vip != true')).toEqual(['w2']);
    // Datetime, in any zone
    expect(await s.ids("Due > '2024-05-15T00:00:00Z'")).toEqual(['w2']);
    expect(await s.ids("Due = '2024-05-01T14:00:00+02:00'")).toEqual(['w1']);
    expect(await s.ids("Due BETWEEN '2024-04-01' AND '2024-05-31T22:00:00Z'")).toEqual(['w2', 'w1']);
    // KeywordList: = matches any element
    expect(await s.ids("Tags = 'blue'")).toEqual(['w1']);
    expect(await s.ids("Tags IN ('green', 'red')")).toEqual(['w2', 'w1']);
    expect(await s.ids("Tags != 'red'")).toEqual(['w2']);
    // Text: = matches words, whatever their case
    expect(await s.ids("Notes = 'billing'")).toEqual(['w2', 'w1']);
    expect(await s.ids("Notes = 'REFUND'")).toEqual(['w1']);
    expect(await s.ids("Notes = 'bill'")).toEqual([]);
    // Backquoted names
    expect(await s.ids("`Odd Name` = 'x'")).toEqual(['w3']);
  });

  it('IS NULL finds executions without the attribute; a type mismatch matches nothing', async () => {
    const s = await catalogue();
    expect(await s.ids('Vip IS NULL')).toEqual(['w4', 'w3']);
    expect(await s.ids('Vip IS NOT NULL')).toEqual(['w2', 'w1']);
    expect(await s.ids('Missing IS NULL')).toHaveLength(4);
    expect(await s.ids("Priority = '5'")).toEqual([]);
    expect(await s.ids('CustomerId = 5')).toEqual([]);
  });

  it('orders by a custom attribute, numbers numerically, missing values first ascending', async () => {
    const s = await catalogue();
    expect(await s.ids('ORDER BY Priority ASC')).toEqual(['w4', 'w1', 'w2', 'w3']);
    expect(await s.ids('Priority IS NOT NULL ORDER BY Priority DESC')).toEqual(['w3', 'w2', 'w1']);
    expect(await s.ids("CustomerId != 'x' ORDER BY CustomerId")).toEqual(['w1', 'w2', 'w3']);
  });

  it('refuses at start a search attribute value it could not index', async () => {
    const s = new Space();
    for (const searchAttributes of [{ Bad: { nested: true } }, { Bad: [[1]] }, { Bad: { type: 'Int', value: 1.5 } }, { WorkflowId: 'x' }]) {
      const res = await s.call('POST', '/workflows', { workflowId: unique('bad-sa'), workflowType: 't', taskQueue: s.queueOf('bad'), searchAttributes });
      const err = expectError(res, 'INVALID_ARGUMENT', /searchAttributes\.(Bad|WorkflowId)/);
      expect(err.details.issues[0].path).toMatch(/^searchAttributes\./);
    }
    expect((await s.count()).count).toBe(0);
  });
});

describe('paging and ordering', () => {
  it('pages newest first with opaque tokens, every run once, and no token after the last page', async () => {
    const s = new Space();
    const ids = ['p0', 'p1', 'p2', 'p3', 'p4'];
    for (const [i, id] of ids.entries()) await s.start(id, { minutesLater: i });
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s.list('', { pageSize: 2, ...(token ? { nextPageToken: token } : {}) });
      seen.push(...page.executions.map((e) => e.execution.workflowId));
      token = page.nextPageToken;
      pages++;
    } while (token);
    expect(seen).toEqual(['p4', 'p3', 'p2', 'p1', 'p0']);
    expect(pages).toBe(3);
    expect((await s.list('', { pageSize: 5 })).nextPageToken).toBeUndefined();
  });

  it('pages through a filtered, ordered list, ties broken by run id', async () => {
    const s = new Space();
    for (let i = 0; i < 5; i++) await s.start(`t${i}`, { type: i % 2 ? 'odd' : 'even', searchAttributes: { Group: i < 3 ? 'a' : 'b' } });
    // `Group` is a keyword, so the filter backquotes it.
    const query = "WorkflowType = 'even' OR `Group` = 'b' ORDER BY `Group` ASC";
    const all = await s.ids(query);
    expect(all).toHaveLength(4);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await s.list(query, { pageSize: 1, ...(token ? { nextPageToken: token } : {}) });
      paged.push(...page.executions.map((e) => e.execution.workflowId));
      token = page.nextPageToken;
    } while (token);
    expect(paged).toEqual(all);
    expect(new Set(all.slice(0, 2))).toEqual(new Set(['t0', 't2']));
    expect(new Set(all.slice(2))).toEqual(new Set(['t3', 't4']));
  });

  it('orders by built-in attributes in either direction, running runs last by close time descending', async () => {
    const s = new Space();
    await s.start('b');
    await s.start('a', { minutesLater: 1 });
    await s.start('c', { minutesLater: 2 });
    await s.completeTask('b', complete);
    expect(await s.ids('ORDER BY StartTime ASC')).toEqual(['b', 'a', 'c']);
    expect(await s.ids('ORDER BY WorkflowId')).toEqual(['a', 'b', 'c']);
    expect(await s.ids('ORDER BY WorkflowId DESC')).toEqual(['c', 'b', 'a']);
    expect((await s.ids('ORDER BY CloseTime DESC'))[0]).toBe('b');
    expect((await s.ids('ORDER BY CloseTime ASC')).at(-1)).toBe('b');
    // A page at a time gives the same order, NULL close times included.
    for (const query of ['ORDER BY CloseTime DESC', 'ORDER BY CloseTime ASC', 'ORDER BY StartTime ASC', 'ORDER BY WorkflowType DESC, WorkflowId ASC', '']) {
      const paged: string[] = [];
      let token: string | undefined;
      do {
        const page = await s.list(query, { pageSize: 1, ...(token ? { nextPageToken: token } : {}) });
        paged.push(...page.executions.map((e) => e.execution.workflowId));
        token = page.nextPageToken;
      } while (token);
      expect(paged, query).toEqual(await s.ids(query));
    }
  });

  it('refuses a page token from another query, or one it did not issue', async () => {
    const s = new Space();
    for (let i = 0; i < 3; i++) await s.start(`x${i}`, { minutesLater: i });
    const { nextPageToken } = await s.list("WorkflowType = 'order'", { pageSize: 1 });
    expectError(await s.call('GET', '/workflows', { query: "WorkflowType = 'other'", nextPageToken }), 'INVALID_ARGUMENT', /another query/);
    expectError(await s.call('GET', '/workflows', { nextPageToken: 'garbage' }), 'INVALID_ARGUMENT', /nextPageToken/);
    expectError(await s.call('GET', '/workflows', { pageSize: 0 }), 'INVALID_ARGUMENT', /pageSize/);
    expectError(await s.call('GET', '/workflows', { pageSize: 1001 }), 'INVALID_ARGUMENT', /pageSize/);
  });
});

describe('count', () => {
  it('counts a filter, in total or grouped by ExecutionStatus', async () => {
    const s = new Space();
    await s.start('r1');
    await s.start('r2', { minutesLater: 1 });
    await s.start('c1', { minutesLater: 2 });
    await s.start('t1', { minutesLater: 3, type: 'other' });
    await s.completeTask('r1', []);
    await s.completeTask('r2', []);
    await s.completeTask('c1', complete);
    await s.terminate('t1');

    expect(await s.count()).toEqual({ count: 4 });
    expect(await s.count("WorkflowType = 'order'")).toEqual({ count: 3 });
    expect(await s.count("ExecutionStatus = 'Running'")).toEqual({ count: 2 });
    expect(await s.count('', 'ExecutionStatus')).toEqual({
      count: 4,
      groups: [
        { groupValues: ['Running'], count: 2 },
        { groupValues: ['Completed'], count: 1 },
        { groupValues: ['Terminated'], count: 1 },
      ],
    });
    expect(await s.count("WorkflowType = 'order' GROUP BY ExecutionStatus")).toEqual({
      count: 3,
      groups: [
        { groupValues: ['Running'], count: 2 },
        { groupValues: ['Completed'], count: 1 },
      ],
    });
    expect(await new Space().count('', 'ExecutionStatus')).toEqual({ count: 0, groups: [] });
  });
});

describe('bad filters', () => {
  const cases: Array<[string, number, RegExp]> = [
    ["WorkflowType = ", 15, /expected a value .* after '='.*found the end of the filter/],
    ["WorkflowType = 'a' AND", 22, /expected an attribute name/],
    ["WorkflowType 'a'", 13, /expected an operator .* after 'WorkflowType'/],
    ["(WorkflowType = 'a'", 19, /to close the '\(' at offset 0/],
    ["WorkflowType = 'a", 15, /closing ' for the string/],
    ["ExecutionStatus = 'Runing'", 18, /ExecutionStatus has no value 'Runing'; expected one of 'Running'/],
    ["StartTime > 'yesterday'", 12, /StartTime is a Datetime; expected a datetime string/],
    ["WorkflowId = 5", 13, /WorkflowId is a Keyword/],
    ["workflowId = 'x'", 0, /did you mean WorkflowId/],
    ["WorkflowId LIKE 'a%'", 11, /LIKE is not supported; use STARTS_WITH/],
    ["WorkflowId = 'a' ORDER BY", 25, /expected an attribute to order by/],
    ["WorkflowId = 'a' GROUP BY ExecutionStatus", 17, /GROUP BY is for count only/],
    ["WorkflowId = 'a' WorkflowType = 'b'", 17, /expected AND, OR, GROUP BY, ORDER BY or the end of the filter, found 'WorkflowType'/],
    ["ExecutionStatus > 'Running'", 0, /ExecutionStatus takes =, !=, IN and NOT IN/],
    ["StartTime STARTS_WITH '2024'", 0, /STARTS_WITH applies to Keyword attributes/],
    ["WorkflowId = 'a' # x", 17, /found '#'/],
  ];
  it.each(cases)('%s → 400 INVALID_ARGUMENT at offset %i', async (query, offset, message) => {
    const s = new Space();
    const err = expectError(await s.call('GET', '/workflows', { query }), 'INVALID_ARGUMENT', message);
    expect(err.details.offset).toBe(offset);
    expect(err.message).toContain(`at offset ${offset}`);
    // The message ends with the filter and a caret under the offending position.
    const [line, caret] = err.message.split('\n').slice(-2) as [string, string];
    expect(line).toBe(`  ${query}`);
    expect(caret).toBe(`  ${' '.repeat(offset)}^`);
    expect(err.details.issues).toEqual([{ path: 'query', message: expect.any(String) }]);
  });

  it('count refuses ORDER BY and a GROUP BY other than ExecutionStatus', async () => {
    const s = new Space();
    expectError(await s.call('GET', '/workflow-count', { query: 'ORDER BY StartTime' }), 'INVALID_ARGUMENT', /count takes no ORDER BY/);
    expectError(await s.call('GET', '/workflow-count', { query: 'GROUP BY WorkflowType' }), 'INVALID_ARGUMENT', /GROUP BY takes only ExecutionStatus/);
    expectError(await s.call('GET', '/workflow-count', { groupBy: 'WorkflowType' }), 'INVALID_ARGUMENT', /groupBy/);
  });

  it('refuses a filter that binds more values than D1 takes, and one that is too long', async () => {
    const s = new Space();
    const many = `WorkflowId IN (${Array.from({ length: 120 }, (_, i) => `'w${i}'`).join(', ')})`;
    expectError(await s.call('GET', '/workflows', { query: many }), 'INVALID_ARGUMENT', /values bound to the query; at most 90/);
    expectError(await s.call('GET', '/workflows', { query: `WorkflowId = '${'x'.repeat(10_001)}'` }), 'INVALID_ARGUMENT', /query/);
  });
});
