import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from './client.js';
import { Connection } from './connection.js';
import { KeelServiceError } from './errors.js';
import { FakeService } from './test-fake-service.js';
import { jsonPayload } from './test-payloads.js';

let service: FakeService;
let client: Client;
const NS = '/api/v1/namespaces/default';

beforeEach(async () => {
  service = await FakeService.start();
  client = new Client({ connection: Connection.lazy({ address: service.address, retry: { initialIntervalMs: 1, maxIntervalMs: 1 } }) });
});
afterEach(async () => {
  await service.close();
});

const entry = (workflowId: string, extra: Record<string, unknown> = {}) => ({
  execution: { workflowId, runId: `${workflowId}-run` },
  workflowType: 'order',
  taskQueue: 'orders',
  status: 'RUNNING',
  startTime: '2026-01-01T00:00:00.000Z',
  executionTime: '2026-01-01T00:00:05.000Z',
  historyLength: 2,
  firstRunId: `${workflowId}-run`,
  ...extra,
});

describe('WorkflowClient.list', () => {
  it('iterates every page with the query and page size, as Temporal\'s WorkflowExecutionInfo', async () => {
    service.route(
      'GET',
      `${NS}/workflows`,
      { body: { executions: [entry('a', { memo: { customer: jsonPayload('ada') }, searchAttributes: { Tier: 'gold' } }), entry('b')], nextPageToken: 'p2' } },
      { body: { executions: [entry('c', { status: 'CANCELED', closeTime: '2026-01-02T00:00:00.000Z' })] } },
    );
    const seen = [];
    for await (const wf of client.workflow.list({ query: "WorkflowType = 'order'", pageSize: 2 })) seen.push(wf);

    expect(seen.map((w) => w.workflowId)).toEqual(['a', 'b', 'c']);
    expect(seen[0]).toMatchObject({
      type: 'order',
      runId: 'a-run',
      taskQueue: 'orders',
      status: { code: 1, name: 'RUNNING' },
      historyLength: 2,
      startTime: new Date('2026-01-01T00:00:00.000Z'),
      executionTime: new Date('2026-01-01T00:00:05.000Z'),
      memo: { customer: 'ada' },
      searchAttributes: { Tier: ['gold'] },
      firstExecutionRunId: 'a-run',
    });
    expect(seen[0]!.closeTime).toBeUndefined();
    expect(seen[2]).toMatchObject({ status: { code: 4, name: 'CANCELLED' }, closeTime: new Date('2026-01-02T00:00:00.000Z') });
    const [first, second] = service.requestsTo(`${NS}/workflows`);
    expect(Object.fromEntries(first!.query)).toEqual({ query: "WorkflowType = 'order'", pageSize: '2' });
    expect(Object.fromEntries(second!.query)).toEqual({ query: "WorkflowType = 'order'", pageSize: '2', nextPageToken: 'p2' });
  });

  it('fetches nothing until iterated, and lists everything without options', async () => {
    service.route('GET', `${NS}/workflows`, { body: { executions: [] } });
    const list = client.workflow.list();
    expect(service.requests).toHaveLength(0);
    for await (const _ of list) throw new Error('nothing to list');
    expect(Object.fromEntries(service.requests[0]!.query)).toEqual({});
  });

  it('rejects with the service\'s INVALID_ARGUMENT for a bad filter', async () => {
    const message = "Invalid list filter at offset 15: expected a value\n  WorkflowType = \n                 ^";
    service.route('GET', `${NS}/workflows`, { status: 400, body: { error: { code: 'INVALID_ARGUMENT', message, details: { offset: 15 } } } });
    const iterate = async () => {
      for await (const _ of client.workflow.list({ query: 'WorkflowType = ' })) void _;
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message, details: { offset: 15 } });
    await expect(iterate()).rejects.toBeInstanceOf(KeelServiceError);
  });

  it('intoHistories fetches each listed run\'s history, in list order', async () => {
    service.route('GET', `${NS}/workflows`, { body: { executions: [entry('a'), entry('b'), entry('c')] } });
    service.route('GET', /\/workflows\/[abc]\/history$/, (req) => ({
      delayMs: req.path.includes('/a/') ? 30 : 0,
      body: { runId: req.query.get('runId'), events: [{ eventId: 1, eventTime: '2026-01-01T00:00:00.000Z', eventType: 'WorkflowExecutionStarted', attributes: { note: req.path } }] },
    }));
    const got = [];
    for await (const h of client.workflow.list().intoHistories({ concurrency: 3 })) got.push(h);
    expect(got.map((h) => h.workflowId)).toEqual(['a', 'b', 'c']);
    expect(got.map((h) => h.history.events.length)).toEqual([1, 1, 1]);
    expect(service.requestsTo(/history$/).map((r) => r.query.get('runId')).sort()).toEqual(['a-run', 'b-run', 'c-run']);
  });
});

describe('WorkflowClient.count', () => {
  it('counts a query, with groups when it groups, and always answers groups', async () => {
    service.route('GET', `${NS}/workflow-count`, { body: { count: 7 } }, { body: { count: 3, groups: [{ groupValues: ['Running'], count: 2 }, { groupValues: ['Completed'], count: 1 }] } });
    expect(await client.workflow.count("WorkflowType = 'order'")).toEqual({ count: 7, groups: [] });
    expect(await client.workflow.count('GROUP BY ExecutionStatus')).toEqual({
      count: 3,
      groups: [
        { count: 2, groupValues: ['Running'] },
        { count: 1, groupValues: ['Completed'] },
      ],
    });
    expect(service.requestsTo(`${NS}/workflow-count`).map((r) => r.query.get('query'))).toEqual(["WorkflowType = 'order'", 'GROUP BY ExecutionStatus']);
  });
});
