import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute, type Route } from './route.js';

const roundTrip = (r: Route) => {
  const href = formatRoute(r);
  const u = new URL(href, 'http://x');
  return parseRoute(u.pathname, u.search);
};

describe('UI routes', () => {
  it('carries namespace, filter, status and page size in a workflows link', () => {
    const r: Route = { page: 'workflows', namespace: 'prod eu', query: "WorkflowType = 'order' ORDER BY StartTime", status: 'Running', pageSize: 100 };
    expect(formatRoute(r)).toBe("/namespaces/prod%20eu/workflows?query=WorkflowType+%3D+%27order%27+ORDER+BY+StartTime&status=Running&pageSize=100");
    expect(roundTrip(r)).toEqual(r);
  });

  it('carries namespace, workflow, run, tab and event in an execution link, ids with slashes included', () => {
    const r: Route = { page: 'execution', namespace: 'default', workflowId: 'order/42?x', runId: 'r-1', tab: 'json', eventId: 7 };
    expect(formatRoute(r)).toBe('/namespaces/default/workflows/order%2F42%3Fx/r-1?tab=json&event=7');
    expect(roundTrip(r)).toEqual(r);
    expect(roundTrip({ page: 'execution', namespace: 'default', workflowId: 'w', tab: 'history' })).toEqual({ page: 'execution', namespace: 'default', workflowId: 'w', tab: 'history' });
  });

  it('carries namespace and schedule id in schedule links', () => {
    expect(formatRoute({ page: 'schedules', namespace: 'default' })).toBe('/namespaces/default/schedules');
    const r: Route = { page: 'schedule', namespace: 'default', scheduleId: 'daily/report' };
    expect(formatRoute(r)).toBe('/namespaces/default/schedules/daily%2Freport');
    expect(roundTrip(r)).toEqual(r);
    expect(roundTrip({ page: 'schedules', namespace: 'x' })).toEqual({ page: 'schedules', namespace: 'x' });
  });

  it('opens the default namespace at the root, and knows what it does not know', () => {
    expect(parseRoute('/', '')).toEqual({ page: 'workflows', namespace: 'default', query: '' });
    expect(parseRoute('/namespaces/x', '')).toMatchObject({ page: 'workflows', namespace: 'x' });
    expect(parseRoute('/elsewhere', '')).toEqual({ page: 'not-found', path: '/elsewhere' });
    expect(parseRoute('/namespaces/x/workflows/%E0%A4%A', '')).toMatchObject({ page: 'not-found' });
    expect(parseRoute('/namespaces/x/workflows/w', '?tab=bogus&event=-1')).toEqual({ page: 'execution', namespace: 'x', workflowId: 'w', tab: 'history' });
  });
});
