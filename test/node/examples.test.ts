// Every example under examples/ runs its own scenario — the code its main.ts runs against
// `keel dev` — against a local service, and does what its comments promise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from 'keel/testing';
import { Worker } from 'keel/worker';
import { helloOnce } from '../../examples/hello/main.js';
import * as approval from '../../examples/approval/main.js';
import { createActivities as approvalActivities } from '../../examples/approval/activities.js';
import * as saga from '../../examples/saga/main.js';
import { TravelAgency, createActivities as sagaActivities } from '../../examples/saga/activities.js';
import * as subscriptionMain from '../../examples/subscription/main.js';
import { Billing, createActivities as subscriptionActivities } from '../../examples/subscription/activities.js';
import { cancelSubscription, getBilling, subscription } from '../../examples/subscription/workflows.js';
import * as transfer from '../../examples/money-transfer/main.js';
import { Bank, createActivities as bankActivities } from '../../examples/money-transfer/activities.js';
import { greetOverHttp, TASK_QUEUE as HTTP_QUEUE } from '../../examples/http-worker/main.js';
import { runFetchWorker } from '../../examples/http-worker/worker.js';
import { tracedOrder } from '../../examples/tracing/main.js';
import * as schedules from '../../examples/schedules/main.js';
import { createActivities as scheduleActivities } from '../../examples/schedules/activities.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { waitFor } from './fixtures/wait.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal();
});
afterAll(async () => {
  await env?.teardown();
});

describe('examples', () => {
  it('hello: a worker and a client say hello', async () => {
    expect(await helloOnce(env.address, 'Keel')).toBe('Hello, Keel!');
  });

  it('approval: a query reads the pending request, a signal approves it, and only then is it paid', async () => {
    const log: string[] = [];
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: approval.TASK_QUEUE, workflowsPath: approval.workflowsPath, activities: approvalActivities((l) => log.push(l)), shutdownSignals: [] });
    const { whileWaiting, outcome } = await worker.runUntil(approval.runApproval(env.client, 'r1'));
    expect(whileWaiting).toEqual({ status: 'PENDING' });
    expect(outcome).toEqual({ status: 'APPROVED', decidedBy: 'grace' });
    expect(log.map((l) => l.split(' ')[0])).toEqual(['[mail]', '[payments]', '[mail]']);
  });

  it('schedules: a weekday schedule in Paris time, backfilled for a week and triggered, sends a report per action', async () => {
    const log: string[] = [];
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: schedules.TASK_QUEUE, workflowsPath: schedules.workflowsPath, activities: scheduleActivities((l) => log.push(l)), shutdownSignals: [] });
    const run = await worker.runUntil(schedules.runSchedule(env.client, 'sales'));
    expect(run.nextActionTimes).toHaveLength(10);
    // 09:00 in Paris is 08:00 UTC in winter and 07:00 in summer.
    for (const t of run.nextActionTimes) expect([7, 8]).toContain(t.getUTCHours());
    expect(run.reports.slice(0, 5)).toEqual(['05', '06', '07', '08', '09'].map((d) => `[report] sales report for EMEA 2026-01-${d} sent`));
    expect(run.reports).toHaveLength(6);
    expect(log).toHaveLength(6);
    expect(run.pausedNote).toBe('end of the example');
  });

  it('saga: a trip whose flight fails cancels its hotel and car, in reverse order', async () => {
    const agency = new TravelAgency();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: saga.TASK_QUEUE, workflowsPath: saga.workflowsPath, activities: sagaActivities(agency), shutdownSignals: [] });
    await worker.runUntil(async () => {
      expect(await saga.runTrip(env.client, 'lisbon', 'Lisbon')).toEqual({ booked: ['lisbon-car', 'lisbon-hotel', 'lisbon-flight'] });
      const failed = await saga.runTrip(env.client, 'atlantis', 'Atlantis');
      expect(failed).toEqual({ failed: expect.stringMatching(/^trip atlantis was not booked, and what was booked is cancelled: no flights to Atlantis$/) });
    });
    expect(agency.log).toEqual([
      'booked lisbon-car',
      'booked lisbon-hotel',
      'booked lisbon-flight',
      'booked atlantis-car',
      'booked atlantis-hotel',
      'cancelled atlantis-hotel',
      'cancelled atlantis-car',
    ]);
    expect([...agency.bookings.keys()]).toEqual(['lisbon-car', 'lisbon-hotel', 'lisbon-flight']);
  });

  it('subscription: charges every 30 days — the days skipped with advanceTime — until cancelled', async () => {
    const billing = new Billing();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: subscriptionMain.TASK_QUEUE, workflowsPath: subscriptionMain.workflowsPath, activities: subscriptionActivities(billing), shutdownSignals: [] });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(subscription, { taskQueue: subscriptionMain.TASK_QUEUE, workflowId: 'sub-ada', args: [{ customer: 'ada', amount: 9 }] });
      const charged = (n: number) => waitFor(`charge ${n}`, async () => ((await handle.query(getBilling)).cyclesCharged === n ? await handle.query(getBilling) : undefined));
      const first = await charged(1);
      const firstDue = Date.parse(first.nextChargeAt!);
      expect(firstDue - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);

      // The workflow sleeps for 30 days; move its clock instead of waiting.
      await env.advanceTime('sub-ada', '30 days');
      const second = await charged(2);
      // Its own time moved: the next charge is due 30 days after the first was.
      expect(Date.parse(second.nextChargeAt!) - firstDue).toBeGreaterThanOrEqual(30 * 24 * 3600_000);
      await env.advanceTime('sub-ada', '30 days');
      await charged(3);

      await handle.signal(cancelSubscription);
      expect(await handle.result()).toEqual({ cyclesCharged: 3, totalCharged: 27, cancelled: true });
    });
    expect([...billing.charges.keys()]).toEqual(['sub-ada/cycle-1', 'sub-ada/cycle-2', 'sub-ada/cycle-3']);
    expect(billing.mails).toEqual(['ada: welcome aboard', 'ada: sorry to see you go']);
  });

  it('money transfer: retries through an unavailable bank and a lost answer, moving the money exactly once; refunds a failed deposit', async () => {
    const bank = new Bank({ alice: 100, bob: 20 }, { unavailableAttempts: 2, loseAnswerFor: ['t1/withdraw'] });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: transfer.TASK_QUEUE, workflowsPath: transfer.workflowsPath, activities: bankActivities(bank), shutdownSignals: [] });
    await worker.runUntil(async () => {
      expect(await transfer.runTransfer(env.client, 't1', 'alice', 'bob', 30)).toEqual({ transferId: 't1', withdrawal: 'tx-1', deposit: 'tx-2' });
      expect(await transfer.runTransfer(env.client, 't2', 'alice', 'carol', 10)).toEqual({ refunded: 'transfer t2 failed and was refunded: account carol does not exist' });
    });
    expect(Object.fromEntries(bank.balances)).toEqual({ alice: 70, bob: 50 });
    // Two unavailable attempts, one whose answer was lost, then the one that got the first answer.
    expect(bank.calls.get('t1/withdraw')).toBe(4);
    expect([...bank.processed.keys()]).toEqual(['t1/withdraw', 't1/deposit', 't2/withdraw', 't2/refund']);
  });

  it('http-worker: a worker written with plain fetch serves a workflow started with plain fetch', async () => {
    const stop = new AbortController();
    const worker = runFetchWorker({ baseUrl: env.service.url, taskQueue: HTTP_QUEUE, signal: stop.signal });
    try {
      expect(await greetOverHttp(env.service.url, 'HTTP')).toBe('Hello, HTTP!');
      // The SDK's client sees the same workflow type as any other.
      expect(await env.client.workflow.execute('greeting', { taskQueue: HTTP_QUEUE, workflowId: 'greeting-sdk', args: ['SDK'] })).toBe('Hello, SDK!');
    } finally {
      stop.abort();
      await worker;
    }
  });

  it('tracing: one trace runs from the client start through the workflow to each activity', async () => {
    const exporter = new InMemorySpanExporter();
    expect(await tracedOrder(env.address, exporter, 'tracing-1')).toBe('charged for reservation of a teapot');
    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const path = (name: string) => {
      const names: string[] = [];
      for (let s = spans.find((x) => x.name === name); s; s = byId.get(s.parentSpanContext?.spanId ?? '')) names.unshift(s.name);
      return names.join(' > ');
    };
    expect(path('RunActivity:reserve')).toBe('StartWorkflow:order > RunWorkflow:order > StartActivity:reserve > RunActivity:reserve');
    expect(path('RunActivity:charge')).toBe('StartWorkflow:order > RunWorkflow:order > StartActivity:charge > RunActivity:charge');
  });
});
