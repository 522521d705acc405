// The standard workloads (DESIGN.md, "Performance targets"). Each starts its own local
// service, worker and client (lib.startBench) and stops them when done.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { benchDir, cpuMeter, eagerStart, experiments, newWorkflowId, pool, round, startBench, stats, TASK_QUEUE, type Bench, type CpuReport, type Stats } from './lib';
import { CLOUDFLARE_WORKFLOWS_W1_STORED, PRICES, WHOLE_LIFE_DAYS_KEPT, cloudflareWorkflowsPerMillion, keelDeletionPerMillion, keelLifetimePerMillion, keelPerMillion, temporalCloudPerMillion, total, type DeletionUnits, type KeelUnits } from './cost';
import type { activityLoop, durableSleep, oneActivity, sequentialActivities, timerLoop } from './workflows';
import { fromTemporalHistory } from '../sdk/client/history-json.js';

export interface WorkloadResult {
  name: string;
  description: string;
  /** Headline numbers, by name. */
  metrics: Record<string, number | string>;
  /** Target from DESIGN.md, when there is one. */
  targets?: Record<string, string>;
  /** Distributions, by name, in ms. */
  distributions?: Record<string, Stats>;
  cpu?: CpuReport;
  /** CPU ms per workflow, when a workload runs many. */
  cpuPerWorkflowMs?: { node: number; workerd: number; other: number };
  loadavg?: number[];
  extra?: unknown;
  /** The build measured (hashes of dist/ bundles when the workload's process started). */
  code?: Record<string, string>;
  /** Cores other processes used on average meanwhile (set by run.ts). */
  contention?: number;
}

export interface WorkloadOptions {
  quick: boolean;
}

async function withBench<T>(fn: (b: Bench) => Promise<T>, options?: Parameters<typeof startBench>[0]): Promise<T> {
  const b = await startBench(options);
  try {
    return await fn(b);
  } finally {
    await b.stop();
  }
}

const perWorkflow = (cpu: CpuReport, n: number) => ({
  node: round(cpu.nodeCpuMs / n),
  workerd: round(cpu.workerdCpuMs / n),
  other: round(cpu.otherCpuMs / n),
});

/** The sum of a map of counts (of the keys that pass `pred`). */
const sumCounts = (m: Record<string, number> | undefined, pred: (k: string) => boolean = () => true) => Object.entries(m ?? {}).reduce((a, [k, v]) => (pred(k) ? a + v : a), 0);

/** A map of counts over `n` workflows: each per workflow, keys sorted. */
const countsPer = (m: Record<string, number> | undefined, n: number) => Object.fromEntries(Object.entries(m ?? {}).sort().map(([k, v]) => [k, round(v / n, 3)]));

async function executeOne(b: Bench, value: string): Promise<number> {
  const t0 = performance.now();
  const options = { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('w1'), args: [value] as [string], requestEagerStart: eagerStart() };
  // `start-then-result`: the handle shows the start, so the service writes it before answering (no provisional start).
  const r = experiments().has('start-then-result') ? await (await b.client.workflow.start<typeof oneActivity>('oneActivity', options)).result() : await b.client.workflow.execute<typeof oneActivity>('oneActivity', options);
  const ms = performance.now() - t0;
  if (r !== value) throw new Error(`oneActivity returned ${JSON.stringify(r)}`);
  return ms;
}

/**
 * W1 latency: one-activity workflow, sequential start → result. Also reports the trend over
 * the runs (p50 and this process's CPU per workflow for each block of 50), since a cost that
 * grows with the number of runs a worker has executed shows up there first.
 */
export async function w1Latency(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const runs = o.quick ? 50 : 200;
  const warmup = o.quick ? 10 : 30;
  const block = 50;
  return withBench(async (b) => {
    for (let i = 0; i < warmup; i++) await executeOne(b, 'warm');
    const meter = cpuMeter(b.workerdPids);
    const lat: number[] = [];
    const trend: Array<{ runs: string; p50_ms: number; node_cpu_ms_per_wf: number; workerd_cpu_ms_per_wf: number; other_cpu_ms_per_wf: number }> = [];
    for (let start = 0; start < runs; start += block) {
      const m = cpuMeter(b.workerdPids);
      const part: number[] = [];
      for (let i = start; i < Math.min(runs, start + block); i++) part.push(await executeOne(b, `v${i}`));
      const c = m();
      lat.push(...part);
      trend.push({
        runs: `${warmup + start + 1}–${warmup + start + part.length}`,
        p50_ms: stats(part).p50,
        node_cpu_ms_per_wf: round(c.nodeCpuMs / part.length),
        workerd_cpu_ms_per_wf: round(c.workerdCpuMs / part.length),
        other_cpu_ms_per_wf: round(c.otherCpuMs / part.length),
      });
    }
    const cpu = meter();
    return [
      {
        name: 'w1-latency',
        description: `W1 one-activity workflow, sequential start → result, ${runs} runs after ${warmup} warm-up runs`,
        metrics: { p50_ms: stats(lat).p50, p99_ms: stats(lat).p99 },
        targets: { p50_ms: '≤ 4' },
        distributions: { start_to_result_ms: stats(lat) },
        cpu,
        cpuPerWorkflowMs: perWorkflow(cpu, runs),
        loadavg: loadavg().map((x) => round(x)),
        extra: { trend },
      },
    ];
  });
}

/** W1 throughput: 1,000 one-activity workflows, 50 in flight. */
export async function w1Throughput(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const total = o.quick ? 200 : 1000;
  const inFlight = 50;
  return withBench(async (b) => {
    // Warm-up: the concurrent path (pollers, connections, JIT), two waves.
    await pool(inFlight * 2, inFlight, (i) => executeOne(b, `tw${i}`));
    const meter = cpuMeter(b.workerdPids);
    const t0 = performance.now();
    const done: number[] = [];
    const lat = await pool(total, inFlight, async (i) => {
      const ms = await executeOne(b, `t${i}`);
      done.push(performance.now() - t0);
      return ms;
    });
    const elapsed = performance.now() - t0;
    const cpu = meter();
    // Completions per second in each tenth of the run: a rate that falls as the run goes on
    // means a cost that grows with the number of workflows executed.
    const tenth = Math.ceil(total / 10);
    const sorted = [...done].sort((a, b) => a - b);
    const rates = Array.from({ length: 10 }, (_, k) => {
      const from = k === 0 ? 0 : sorted[k * tenth - 1]!;
      const to = sorted[Math.min(total, (k + 1) * tenth) - 1]!;
      return round((tenth / (to - from)) * 1000, 1);
    });
    return [
      {
        name: 'w1-throughput',
        description: `W1 throughput: ${total} one-activity workflows, ${inFlight} in flight (start → result each), after ${inFlight * 2} warm-up`,
        metrics: { workflows_per_s: round((total / elapsed) * 1000, 1), elapsed_ms: round(elapsed) },
        targets: { workflows_per_s: '≥ 650' },
        distributions: { start_to_result_ms_under_load: stats(lat) },
        cpu,
        cpuPerWorkflowMs: perWorkflow(cpu, total),
        loadavg: loadavg().map((x) => round(x)),
        extra: { workflows_per_s_by_tenth: rates },
      },
    ];
  });
}

/** W2: ten sequential activities; latency and ms per step. */
export async function w2(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const runs = o.quick ? 20 : 50;
  const warmup = o.quick ? 5 : 10;
  const steps = 10;
  return withBench(async (b) => {
    const one = async () => {
      const t0 = performance.now();
      const n = await b.client.workflow.execute<typeof sequentialActivities>('sequentialActivities', { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('w2'), args: [steps], requestEagerStart: eagerStart() });
      if (n !== steps) throw new Error(`sequentialActivities returned ${n}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < warmup; i++) await one();
    // W1 on the same service and worker, interleaved, for the marginal cost of one step.
    for (let i = 0; i < warmup; i++) await executeOne(b, 'warm');
    const meter = cpuMeter(b.workerdPids);
    const lat: number[] = [];
    for (let i = 0; i < runs; i++) lat.push(await one());
    const cpu = meter();
    const w1lat: number[] = [];
    for (let i = 0; i < runs; i++) w1lat.push(await executeOne(b, `v${i}`));
    const s = stats(lat);
    const s1 = stats(w1lat);
    return [
      {
        name: 'w2',
        description: `W2 ten sequential activities, sequential start → result, ${runs} runs after ${warmup} warm-up runs`,
        metrics: {
          p50_ms: s.p50,
          p99_ms: s.p99,
          ms_per_step: round(s.p50 / steps),
          marginal_ms_per_step: round((s.p50 - s1.p50) / (steps - 1)),
        },
        targets: { ms_per_step: '≤ 1' },
        distributions: { start_to_result_ms: s, w1_same_setup_ms: s1 },
        cpu,
        cpuPerWorkflowMs: perWorkflow(cpu, runs),
        loadavg: loadavg().map((x) => round(x)),
        extra: { note: 'ms_per_step = p50 / 10; marginal_ms_per_step = (W2 p50 − W1 p50 on the same setup) / 9' },
      },
    ];
  });
}

/** W3: fifty 1-s durable sleeps started together; lateness. */
export async function w3(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const count = 50;
  const sleepMs = 1000;
  const rounds = o.quick ? 1 : 3;
  return withBench(async (b) => {
    // Warm-up: a few sleeps, so the first round does not pay for first use.
    await Promise.all(Array.from({ length: 5 }, () => b.client.workflow.execute<typeof durableSleep>('durableSleep', { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('w3w'), args: [50] })));
    const inWorkflow: number[] = [];
    const service: number[] = [];
    const resume: number[] = [];
    const client: number[] = [];
    const perRound: Array<{ inWorkflow: Stats; service: Stats; resume: Stats }> = [];
    /** Starts `count` sleeps together and collects their lateness three ways. */
    const round1 = async (n: number) => {
      const ids = Array.from({ length: n }, () => newWorkflowId('w3'));
      const started = performance.now();
      const handles = await Promise.all(ids.map((workflowId) => b.client.workflow.start<typeof durableSleep>('durableSleep', { taskQueue: TASK_QUEUE, workflowId, args: [sleepMs], requestEagerStart: eagerStart() })));
      const results = await Promise.all(
        handles.map(async (h) => {
          const v = await h.result();
          return { ...v, clientMs: performance.now() - started };
        }),
      );
      const r = { inWorkflow: [] as number[], service: [] as number[], resume: [] as number[], client: [] as number[] };
      for (const [i, v] of results.entries()) {
        // (a) as the workflow sees it: Date.now() after the sleep − Date.now() before − 1 s.
        r.inWorkflow.push(v.after - v.before - sleepMs);
        r.client.push(v.clientMs - sleepMs);
        const events = fromTemporalHistory((await b.client.workflow.getHandle(ids[i]!).fetchHistory()).events);
        const startedEv = events.find((e) => e.eventType === 'TimerStarted');
        const firedEv = events.find((e) => e.eventType === 'TimerFired');
        if (startedEv && firedEv) {
          const due = Date.parse(startedEv.eventTime) + sleepMs;
          // (b) as the service recorded it: TimerFired − (TimerStarted + 1 s).
          r.service.push(Date.parse(firedEv.eventTime) - due);
          // (c) the workflow resumes (its next task starts) − (TimerStarted + 1 s).
          r.resume.push(v.after - due);
        }
      }
      return r;
    };
    // A lone sleep, a few times in a row: the timer path without 49 others firing at once.
    const single = { inWorkflow: [] as number[], service: [] as number[], resume: [] as number[] };
    for (let i = 0; i < (o.quick ? 2 : 5); i++) {
      const r = await round1(1);
      single.inWorkflow.push(...r.inWorkflow);
      single.service.push(...r.service);
      single.resume.push(...r.resume);
    }
    const meter = cpuMeter(b.workerdPids);
    for (let k = 0; k < rounds; k++) {
      const r = await round1(count);
      inWorkflow.push(...r.inWorkflow);
      service.push(...r.service);
      resume.push(...r.resume);
      client.push(...r.client);
      perRound.push({ inWorkflow: stats(r.inWorkflow), service: stats(r.service), resume: stats(r.resume) });
    }
    const cpu = meter();
    const sIn = stats(inWorkflow);
    const sSvc = stats(service);
    const sRes = stats(resume);
    return [
      {
        name: 'w3',
        description: `W3 ${count} durable sleeps of ${sleepMs} ms started together, ${rounds} round(s) (n = ${count * rounds})`,
        metrics: {
          lateness_p50_ms: sIn.p50,
          lateness_p99_ms: sIn.p99,
          resume_after_due_p50_ms: sRes.p50,
          resume_after_due_p99_ms: sRes.p99,
          timer_fired_after_due_p50_ms: sSvc.p50,
          timer_fired_after_due_p99_ms: sSvc.p99,
        },
        targets: { lateness_p99_ms: '≤ 20' },
        distributions: {
          lateness_in_workflow_ms: sIn,
          resume_after_due_ms: sRes,
          timer_fired_after_due_ms: sSvc,
          client_result_minus_1s_ms: stats(client),
          single_sleep_lateness_in_workflow_ms: stats(single.inWorkflow),
          single_sleep_resume_after_due_ms: stats(single.resume),
          single_sleep_timer_fired_after_due_ms: stats(single.service),
        },
        cpu,
        loadavg: loadavg().map((x) => round(x)),
        extra: {
          perRound,
          definitions: {
            lateness_in_workflow_ms: 'the headline: workflow Date.now() after the sleep (start of the workflow task that resumed it) − Date.now() before it (start of the first workflow task) − 1000',
            resume_after_due_ms: 'workflow Date.now() after the sleep − (TimerStarted.eventTime + 1000): from the moment the timer was durably created',
            timer_fired_after_due_ms: 'TimerFired.eventTime − (TimerStarted.eventTime + 1000): when the alarm handler ran, service clock',
            client_result_minus_1s_ms: 'client: result received − starts issued − 1000 (includes start and completion)',
            single_sleep_: 'the same for one sleep at a time (sequential), without 49 others firing together',
          },
        },
      },
    ];
  });
}

/**
 * Workflow task cost vs history length: one workflow loops `steps` activities (≈6 events each),
 * and each workflow task's cost is read (1) by the worker — the time from the poll answer that
 * carried the task to the completeWorkflowTask request, and that request's round trip — and
 * (2) from history: WorkflowTaskStarted → WorkflowTaskCompleted and the time per loop step.
 */
export async function history(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const targets = o.quick ? [10, 100, 1000] : [10, 100, 1000, 10_000];
  const maxEvents = targets.at(-1)!;
  const results: WorkloadResult[] = [];
  for (const kind of ['activities', 'timers'] as const) {
    const eventsPerStep = kind === 'activities' ? 6 : 5;
    const steps = Math.ceil((maxEvents * 1.03) / eventsPerStep);
    const r = await withBench(async (b) => {
      // The worker side: match each poll answer to its completion by task token.
      const polled = new Map<string, { at: number; startedEventId: number; historyEvents: number; bytes: number }>();
      const tasks: Array<{ startedEventId: number; workerMs: number; completeRttMs: number; historyEvents: number; pollBytes: number; completeBytes: number }> = [];
      b.counter.observe = (e) => {
        if (e.endpoint.endsWith('/workflow-tasks/poll')) {
          const t = (JSON.parse(e.responseText || '{}') as { task?: { taskToken: string; startedEventId: number; history: unknown[] } }).task;
          if (t) polled.set(t.taskToken, { at: e.answeredAt, startedEventId: t.startedEventId, historyEvents: t.history.length, bytes: e.responseText.length });
        } else if (e.endpoint.endsWith('/workflow-tasks/complete') && e.requestBody) {
          const token = (JSON.parse(e.requestBody) as { taskToken: string }).taskToken;
          const p = polled.get(token);
          if (p) {
            polled.delete(token);
            tasks.push({ startedEventId: p.startedEventId, workerMs: e.sentAt - p.at, completeRttMs: e.answeredAt - e.sentAt, historyEvents: p.historyEvents, pollBytes: p.bytes, completeBytes: e.requestBody.length });
          }
        }
      };
      // Warm-up on a short one.
      await b.client.workflow.execute(kind === 'activities' ? 'activityLoop' : 'timerLoop', { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('hw'), args: [20] });
      tasks.length = 0;
      const workflowId = newWorkflowId(`history-${kind}`);
      const t0 = performance.now();
      const meter = cpuMeter(b.workerdPids);
      if (kind === 'activities') await b.client.workflow.execute<typeof activityLoop>('activityLoop', { taskQueue: TASK_QUEUE, workflowId, args: [steps] });
      else await b.client.workflow.execute<typeof timerLoop>('timerLoop', { taskQueue: TASK_QUEUE, workflowId, args: [steps] });
      const elapsed = performance.now() - t0;
      const cpu = meter();
      b.counter.observe = undefined;
      const events = fromTemporalHistory((await b.client.workflow.getHandle(workflowId).fetchHistory()).events);
      // From history: each task's started → completed, and the time between successive starts.
      const started = new Map<number, number>();
      const svcTasks: Array<{ startedEventId: number; taskMs: number; stepMs: number | undefined }> = [];
      let prevStart: number | undefined;
      for (const e of events) {
        if (e.eventType === 'WorkflowTaskStarted') started.set(e.eventId, Date.parse(e.eventTime));
        if (e.eventType === 'WorkflowTaskCompleted') {
          const sid = (e.attributes as { startedEventId: number }).startedEventId;
          const s = started.get(sid);
          if (s !== undefined) {
            svcTasks.push({ startedEventId: sid, taskMs: Date.parse(e.eventTime) - s, stepMs: prevStart === undefined ? undefined : s - prevStart });
            prevStart = s;
          }
        }
      }
      const buckets: Record<string, unknown> = {};
      for (const target of targets) {
        // The tasks whose history length (their started event id) is within ±15% of the target, at least 5 of them.
        const lo = Math.max(1, Math.floor(target * 0.85));
        const hi = Math.ceil(target * 1.15) + 12;
        const w = tasks.filter((t) => t.startedEventId >= lo && t.startedEventId <= hi);
        const s = svcTasks.filter((t) => t.startedEventId >= lo && t.startedEventId <= hi);
        buckets[String(target)] = {
          tasks: w.length,
          worker_task_ms: stats(w.map((t) => t.workerMs)),
          complete_rtt_ms: stats(w.map((t) => t.completeRttMs)),
          history_events_sent: stats(w.map((t) => t.historyEvents)),
          poll_answer_bytes: stats(w.map((t) => t.pollBytes)),
          service_task_ms: stats(s.map((t) => t.taskMs)),
          step_ms: stats(s.flatMap((t) => (t.stepMs === undefined ? [] : [t.stepMs]))),
        };
      }
      const metrics: Record<string, number> = {};
      for (const target of targets) {
        const bk = buckets[String(target)] as { worker_task_ms: Stats; step_ms: Stats };
        metrics[`worker_task_p50_ms@${target}`] = bk.worker_task_ms.p50;
        metrics[`step_p50_ms@${target}`] = bk.step_ms.p50;
      }
      return {
        name: `history-${kind}`,
        description: `Workflow task cost vs history length: one workflow of ${steps} ${kind === 'activities' ? 'activities' : '1-ms sleeps'} in a loop (${events.length} events)`,
        metrics,
        targets: { worker_task_ms: 'flat from 10 to 10,000 events' },
        cpu,
        loadavg: loadavg().map((x) => round(x)),
        extra: { events: events.length, steps, elapsed_ms: round(elapsed), buckets },
      } satisfies WorkloadResult;
    }, { observeExchanges: true });
    results.push(r);
  }
  return results;
}

/**
 * What one W1 workflow costs: HTTP requests by endpoint (counted in this process's `fetch`),
 * and in the service (instrumented build): HTTP requests reaching the Worker, Durable Object
 * method calls, storage transactions and SQL statements. The billable units are counted twice:
 * over W1s run one at a time, and over W1s run 50 in flight as w1-throughput runs them, where
 * the service shares work between workflows (a shard's group commit, a message carrying several
 * tasks): the bill at load is on record beside the one of a lone W1. After each, the shard deletes the
 * W1s it keeps closed as its retention sweep does days later (`deletionUnits`): a W1's whole life is
 * priced beside its price until closed.
 */
export async function requests(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const runs = o.quick ? 10 : 50;
  const loadRuns = o.quick ? 200 : 1000;
  const inFlight = 50;
  return withBench(
    async (b) => {
      for (let i = 0; i < 10; i++) await executeOne(b, 'warm');
      // Let the worker's poll loops settle, then count from zero (polls in flight when counting
      // starts are counted when they answer, which is when their task arrives).
      await new Promise((r) => setTimeout(r, 200));
      b.counter.reset();
      // Read each answer (for its size) and keep a log of every exchange, for the timeline.
      const log: Exchange[] = [];
      b.counter.observe = (e) => log.push({ endpoint: e.endpoint, sentAt: e.sentAt, answeredAt: e.answeredAt, hasTask: e.endpoint.endsWith('/poll') && e.responseText.includes('"taskToken"') });
      const countsUrl = `${b.service.url}/__bench/counts`;
      await fetch(`${countsUrl}?reset=1`).then((r) => r.text());
      const windows: Array<[number, number]> = [];
      const meter = cpuMeter(b.workerdPids);
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await executeOne(b, `v${i}`);
        windows.push([t0, performance.now()]);
      }
      b.counter.observe = undefined;
      const cpu = meter();
      const timeline = w1Timeline(log, windows);
      const service = (await fetch(countsUrl).then((r) => r.json())) as ServiceCounts;
      const units = billableUnits(service, runs, cpu);
      // The W1s run one at a time (and the warm-ups before them) deleted at their retention.
      const deletion = await deletionUnits(b);

      const client: Record<string, { per_workflow: number; empty_polls: number; avg_request_bytes: number; avg_response_bytes: number; avg_rtt_ms: number }> = {};
      for (const [endpoint, c] of [...b.counter.byEndpoint.entries()].sort()) {
        client[endpoint] = {
          per_workflow: round(c.requests / runs, 2),
          empty_polls: c.emptyPolls,
          avg_request_bytes: Math.round(c.requestBytes / c.requests),
          avg_response_bytes: Math.round(c.responseBytes / c.requests),
          avg_rtt_ms: round(c.totalMs / c.requests),
        };
      }
      const httpPerWorkflow = round(b.counter.total() / runs, 2);
      // The same units as the service itself counts them for one more W1 (describe's cost, which
      // includes the describe call itself: one Worker request, one Durable Object request, its reads).
      const described = await describedUnits(b);
      const load = await unitsAtLoad(b, loadRuns, inFlight);
      // The W1s run 50 in flight (their warm-up wave and the described one) deleted at their retention: full pages.
      const loadDeletion = await deletionUnits(b);
      const workflowsPriced = (u: KeelUnits) => ({
        own_bytes: round(total(cloudflareWorkflowsPerMillion({ cpuMs: u.workerCpuMs, storedBytes: CLOUDFLARE_WORKFLOWS_W1_STORED.bytesPerInstance })), 2),
        at_keel_bytes: round(total(cloudflareWorkflowsPerMillion({ cpuMs: u.workerCpuMs, storedBytes: u.storedBytes })), 2),
        whole_life: round(total(cloudflareWorkflowsPerMillion({ cpuMs: u.workerCpuMs, storedBytes: CLOUDFLARE_WORKFLOWS_W1_STORED.bytesPerInstance, daysKept: WHOLE_LIFE_DAYS_KEPT })), 2),
      });
      const perWf = (m: Record<string, number> | undefined, n = runs) => countsPer(m, n);
      return [
        {
          name: 'requests',
          description: `Cost of one W1 workflow, averaged over ${runs} sequential runs (instrumented service build)`,
          metrics: {
            http_requests_per_workflow: httpPerWorkflow,
            rows_read_per_workflow: round(service.billing.rowsRead / runs, 1),
            rows_written_per_workflow: round(service.billing.rowsWritten / runs, 1),
            ...(service.billing.workflowObjects ? { workflow_db_bytes: Math.round(service.billing.workflowObjectBytes / service.billing.workflowObjects) } : {}),
            keel_usd_per_million_w1: round(total(keelPerMillion(units)), 2),
            [`rows_written_per_workflow_${inFlight}_in_flight`]: round(load.service.billing.rowsWritten / loadRuns, 1),
            [`keel_usd_per_million_w1_${inFlight}_in_flight`]: round(total(keelPerMillion(load.units)), 2),
            rows_written_per_deleted_w1: round(deletion.units.sqliteRowsWritten, 2),
            [`rows_written_per_deleted_w1_${inFlight}_in_flight`]: round(loadDeletion.units.sqliteRowsWritten, 2),
            keel_usd_per_million_w1_lifetime: round(total(keelLifetimePerMillion(units, deletion.units)), 2),
            [`keel_usd_per_million_w1_lifetime_${inFlight}_in_flight`]: round(total(keelLifetimePerMillion(load.units, loadDeletion.units)), 2),
            cloudflare_workflows_usd_per_million_w1_lifetime: workflowsPriced(units).whole_life,
            [`cloudflare_workflows_usd_per_million_w1_lifetime_${inFlight}_in_flight`]: workflowsPriced(load.units).whole_life,
          },
          cpu,
          cpuPerWorkflowMs: perWorkflow(cpu, runs),
          extra: {
            runs,
            timeline,
            client_side_http: client,
            service_http_per_workflow: perWf(service.http),
            durable_object_calls_per_workflow: perWf(service.rpc),
            storage_calls_per_workflow: perWf(service.storage),
            sql_statements_per_workflow: perWf(service.sql),
            sql_rows_written_per_workflow: perWf(service.billing.rowsWrittenBy),
            durable_object_requests_per_workflow: perWf(service.stubCalls),
            d1_per_workflow: perWf(service.d1),
            billable_units_per_workflow: Object.fromEntries(Object.entries(units).map(([k, v]) => [k, round(v, 3)])),
            at_load: {
              runs: loadRuns,
              in_flight: inFlight,
              workflows_per_s: load.workflowsPerS,
              billable_units_per_workflow: Object.fromEntries(Object.entries(load.units).map(([k, v]) => [k, round(v, 3)])),
              service_http_per_workflow: perWf(load.service.http, loadRuns),
              durable_object_calls_per_workflow: perWf(load.service.rpc, loadRuns),
              durable_object_requests_per_workflow: perWf(load.service.stubCalls, loadRuns),
              sql_rows_written_per_workflow: perWf(load.service.billing.rowsWrittenBy, loadRuns),
            },
            at_retention: { one_at_a_time: deletionReport(deletion), at_load: deletionReport(loadDeletion) },
            describe_units_of_one_w1: described,
            task_queue_active_ms_per_workflow: round((service.billing.activeMs.TaskQueueObject ?? 0) / runs, 1),
            usd_per_million_w1: {
              keel: keelPerMillion(units).map((l) => ({ ...l, units: round(l.units, 3), usd: round(l.usd, 3) })),
              keel_at_load: keelPerMillion(load.units).map((l) => ({ ...l, units: round(l.units, 3), usd: round(l.usd, 3) })),
              // Each W1's deletion at retention (the shard's sweep), on lines of its own: Keel's whole life is keel + keel_deletion.
              keel_deletion: keelDeletionPerMillion(deletion.units).map((l) => ({ ...l, units: round(l.units, 4), usd: round(l.usd, 4) })),
              keel_deletion_at_load: keelDeletionPerMillion(loadDeletion.units).map((l) => ({ ...l, units: round(l.units, 4), usd: round(l.usd, 4) })),
              // At Keel's CPU per W1 (one at a time, and at load): Workflows' CPU is not measured here.
              cloudflare_workflows: workflowsPriced(units),
              cloudflare_workflows_at_load: workflowsPriced(load.units),
              cloudflare_workflows_stored_bytes: CLOUDFLARE_WORKFLOWS_W1_STORED,
              temporal_cloud: total(temporalCloudPerMillion()),
            },
          },
        },
      ];
    },
    // The worker as users run it (its calls over its shard channels); the client's exchanges observed, on a connection of its own.
    { instrumented: true, observeExchanges: 'client' },
  );
}

/** One W1's units as describe reports them (src/cost), read once its summary has reached D1. */
async function describedUnits(b: Bench): Promise<Record<string, number>> {
  const workflowId = newWorkflowId('w1-described');
  await b.client.workflow.execute<typeof oneActivity>('oneActivity', { taskQueue: TASK_QUEUE, workflowId, args: ['d'], requestEagerStart: eagerStart() });
  // The close's summary reaches D1 just after the result: wait (bounded) until it is listed as closed.
  for (let i = 0; i < 100 && (await b.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'`)).count === 0; i++) await new Promise((r) => setTimeout(r, 50));
  const { raw } = await b.client.workflow.getHandle(workflowId).describe();
  return { ...(raw.cost?.units ?? {}) };
}

/**
 * Keel's billable units per W1 over `runs` W1s run `inFlight` at a time (after one wave to warm
 * the concurrent path), counted from zero by the instrumented service.
 */
async function unitsAtLoad(b: Bench, runs: number, inFlight: number): Promise<{ units: KeelUnits; service: ServiceCounts; workflowsPerS: number }> {
  await pool(inFlight, inFlight, (i) => executeOne(b, `lw${i}`));
  const countsUrl = `${b.service.url}/__bench/counts`;
  await fetch(`${countsUrl}?reset=1`).then((r) => r.text());
  const meter = cpuMeter(b.workerdPids);
  const t0 = performance.now();
  await pool(runs, inFlight, (i) => executeOne(b, `l${i}`));
  const elapsed = performance.now() - t0;
  const cpu = meter();
  const service = (await fetch(countsUrl).then((r) => r.json())) as ServiceCounts;
  return { units: billableUnits(service, runs, cpu), service, workflowsPerS: round((runs / elapsed) * 1000, 1) };
}

/** What a deletion at retention cost, per deleted W1 (`deletionUnits`). */
interface Deletion {
  units: DeletionUnits;
  /** Runs the sweep deleted, and each turn's. */
  deleted: number;
  turns: Array<{ deleted: number; ms: number }>;
  /** The workflow shards' rows written and read, per deleted W1, by statement kind. */
  rowsWrittenBy: Record<string, number>;
  rowsReadBy: Record<string, number>;
  /** Rows written or read by any other object meanwhile (idle polls), per deleted W1: not the deletion's. */
  otherRows: { written: number; read: number };
}

/**
 * Every closed run the namespace's shards keep, deleted now as their retention sweep deletes them once
 * the retention has passed (POST /__bench/sweep in the instrumented build: a page of up to 100 per turn,
 * the shard holding none of them in memory, as days after their close), and the units that cost, per
 * deleted W1. Each turn counts as one alarm invocation (what fires the sweep), and its duration as the
 * time the Worker waited for it (the RPC included: an upper bound). Only the workflow shards' rows are
 * the deletion's: the rest of the service is idle meanwhile (workers' long polls), reported apart.
 */
async function deletionUnits(b: Bench): Promise<Deletion> {
  const countsUrl = `${b.service.url}/__bench/counts`;
  await fetch(`${countsUrl}?reset=1`).then((r) => r.text());
  const sweep = (await fetch(`${b.service.url}/__bench/sweep?namespace=default`, { method: 'POST' }).then((r) => r.json())) as { turns: Array<{ deleted: number; ms: number }>; deleted: number };
  const service = (await fetch(countsUrl).then((r) => r.json())) as ServiceCounts;
  const n = Math.max(1, sweep.deleted);
  const ofShards = (m: Record<string, number> | undefined) => Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => k.startsWith('WorkflowObject:')).map(([k, v]) => [k, v / n]));
  const rowsWrittenBy = ofShards(service.billing.rowsWrittenBy);
  const rowsReadBy = ofShards(service.billing.rowsReadBy);
  const written = sumCounts(rowsWrittenBy);
  const read = sumCounts(rowsReadBy);
  return {
    units: {
      doRequests: sweep.turns.length / n,
      doActiveSeconds: sweep.turns.reduce((a, t) => a + t.ms, 0) / 1000 / n,
      sqliteRowsRead: read,
      sqliteRowsWritten: written,
    },
    deleted: sweep.deleted,
    turns: sweep.turns,
    rowsWrittenBy,
    rowsReadBy,
    otherRows: { written: service.billing.rowsWritten / n - written, read: service.billing.rowsRead / n - read },
  };
}

/** A deletion as the JSON keeps it. */
const deletionReport = (d: Deletion) => ({
  runs_deleted: d.deleted,
  runs_per_turn: d.turns.map((t) => t.deleted),
  ms_per_turn: d.turns.map((t) => t.ms),
  units_per_deleted_w1: Object.fromEntries(Object.entries(d.units).map(([k, v]) => [k, round(v, 4)])),
  sql_rows_written_per_deleted_w1: Object.fromEntries(Object.entries(d.rowsWrittenBy).sort().map(([k, v]) => [k, round(v, 3)])),
  sql_rows_read_per_deleted_w1: Object.fromEntries(Object.entries(d.rowsReadBy).sort().map(([k, v]) => [k, round(v, 3)])),
  other_objects_rows_per_deleted_w1: { written: round(d.otherRows.written, 3), read: round(d.otherRows.read, 3) },
});

/** What the instrumented service counts (bench/instrumented-service.js, GET /__bench/counts): calls by kind, and billing. */
type ServiceCounts = Record<string, Record<string, number>> & { billing: ServiceBilling };

/** What the instrumented service reports for billing (bench/instrumented-service.js). */
interface ServiceBilling {
  rowsRead: number;
  rowsWritten: number;
  /** Rows written by statement kind (`Class: VERB table`). */
  rowsWrittenBy: Record<string, number>;
  /** Rows read by statement kind. */
  rowsReadBy: Record<string, number>;
  activeMs: Record<string, number>;
  workflowObjects: number;
  workflowObjectBytes: number;
}

/**
 * Cloudflare's billable units of one W1 from the instrumented service's counts over `runs`
 * sequential runs. Duration counts the workflow objects only: the task queues are held active
 * by the workers' long polls whether workflows run or not, a fixed cost per polled queue
 * (reported beside it). Worker CPU is workerd's whole CPU: an upper bound, since locally the
 * Worker and the objects share one process. Rows written include each setting of an object's alarm:
 * Cloudflare bills a `setAlarm()` as a row written (Durable Objects pricing); a `deleteAlarm()`, which
 * the page does not name, is counted as one too.
 */
function billableUnits(service: ServiceCounts, runs: number, cpu: CpuReport): KeelUnits {
  const b = service.billing;
  return {
    workerRequests: sumCounts(service.http) / runs,
    doRequests: (sumCounts(service.stubCalls) + sumCounts(service.rpc, (k) => k.endsWith('.alarm'))) / runs,
    // Priced 20 to a request (protocol/prices.ts); a channel's upgrade is a Worker request, counted in `http`.
    channelMessages: sumCounts(service.rpc, (k) => k.endsWith('.webSocketMessage')) / runs,
    doActiveSeconds: (b.activeMs.WorkflowObject ?? 0) / runs / 1000,
    workerCpuMs: cpu.workerdCpuMs / runs,
    sqliteRowsRead: b.rowsRead / runs,
    sqliteRowsWritten: (b.rowsWritten + sumCounts(service.storage, (k) => k.endsWith(': setAlarm') || k.endsWith(': deleteAlarm'))) / runs,
    d1RowsRead: (service.d1?.rowsRead ?? 0) / runs,
    d1RowsWritten: (service.d1?.rowsWritten ?? 0) / runs,
    storedBytes: b.workflowObjects ? b.workflowObjectBytes / b.workflowObjects : 0,
  };
}

/**
 * What a connected worker costs when no workflow runs: the local service (one shard) and one worker
 * polling one task queue with the SDK's defaults, nothing started, for `windowS` seconds, from 45 s after
 * the worker started (its first queue polls and the shard polls they started over). A Durable
 * Object is billed for duration while it cannot hibernate, and one where a long poll waits cannot: the
 * queues' objects hold the worker's HTTP polls, the shard its channel's. Priced per month at that rate,
 * at list price above the included amount (none subtracted). The instrumented build counts an object
 * active while a call to it is in flight: a poll over a channel counts only while its message's
 * handler runs, so the shard's share is a lower bound.
 */
export async function idle(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const windowS = o.quick ? 15 : 60;
  return withBench(
    async (b) => {
      // The worker's pollers reach their steady state first: its first queue polls (20 s) run out empty and it
      // parks them (protocol 10, sdk/worker/queue-parking.ts), then the shard polls their answers started (20 s
      // more) do and park too (shard-pollers.ts); a worker that does not park has every poller waiting by then.
      await new Promise((r) => setTimeout(r, 45_000));
      const countsUrl = `${b.service.url}/__bench/counts`;
      await fetch(`${countsUrl}?reset=1`).then((r) => r.text());
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const seconds = (performance.now() - t0) / 1000;
      const service = (await fetch(countsUrl).then((r) => r.json())) as ServiceCounts;
      const month = 30 * 24 * 3600;
      const activeByClass = Object.fromEntries(Object.entries(service.billing.activeMs).map(([cls, ms]) => [cls, round(ms / 1000 / seconds, 2)]));
      const gbS = (sumCounts(service.billing.activeMs) / 1000 / seconds) * month * PRICES.durableObjects.memoryGb;
      const lines = [
        { item: 'Durable Object duration (GB-s, 128 MB while active)', units: gbS, usd: (gbS / 1e6) * PRICES.durableObjects.perMillionGbS },
        { item: 'Worker requests (polls)', units: (sumCounts(service.http) / seconds) * month, usd: ((sumCounts(service.http) / seconds) * month * PRICES.workers.perMillionRequests) / 1e6 },
        { item: 'Durable Object requests (RPCs, alarms)', units: (sumCounts(service.stubCalls) / seconds) * month, usd: ((sumCounts(service.stubCalls) / seconds) * month * PRICES.durableObjects.perMillionRequests) / 1e6 },
      ];
      return [
        {
          name: 'idle',
          description: `A connected worker with nothing to do: one shard, one task queue, ${round(seconds, 1)} s (instrumented service build)`,
          metrics: {
            objects_active: round(sumCounts(service.billing.activeMs) / 1000 / seconds, 2),
            usd_per_month_idle: round(total(lines), 2),
          },
          extra: {
            seconds: round(seconds, 1),
            objects_active_by_class: activeByClass,
            service_http_per_second: Object.fromEntries(Object.entries(service.http ?? {}).map(([k, v]) => [k, round(v / seconds, 3)])),
            usd_per_month: lines.map((l) => ({ ...l, units: Math.round(l.units), usd: round(l.usd, 2) })),
          },
        },
      ];
    },
    { instrumented: true },
  );
}

/**
 * What a W1 costs on a quiet shard: W1s one at a time, `gapMs` apart, so that each is alone in its
 * second's alarm row (as on each of a deployed namespace's 16 shards at a few workflows a second),
 * counted until every row they wrote has passed and been taken by the shard's timer or alarm. Where
 * `requests` runs W1s back to back and they share their second's row, its setting of the shard's
 * alarm and its deletion, here each pays its own.
 */
export async function requestsQuiet(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const runs = o.quick ? 6 : 12;
  const gapMs = 2500;
  return withBench(
    async (b) => {
      for (let i = 0; i < 3; i++) await executeOne(b, 'warm');
      // The warm-up's rows pass (a slot a workflow task's timeout ahead, 10 s, and the alarm up to NEAR_MS after it).
      const settleMs = 13_000;
      await new Promise((r) => setTimeout(r, settleMs));
      const countsUrl = `${b.service.url}/__bench/counts`;
      await fetch(`${countsUrl}?reset=1`).then((r) => r.text());
      const meter = cpuMeter(b.workerdPids);
      for (let i = 0; i < runs; i++) {
        await executeOne(b, `q${i}`);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      await new Promise((r) => setTimeout(r, settleMs));
      const cpu = meter();
      const service = (await fetch(countsUrl).then((r) => r.json())) as ServiceCounts;
      const units = billableUnits(service, runs, cpu);
      const perWf = (m: Record<string, number> | undefined) => countsPer(m, runs);
      return [
        {
          name: 'requests-quiet',
          description: `Cost of one W1 alone on its shard: ${runs} W1s ${gapMs} ms apart, counted until their alarm rows had passed (instrumented service build)`,
          metrics: {
            rows_written_per_workflow: round(units.sqliteRowsWritten, 2),
            keel_usd_per_million_w1: round(total(keelPerMillion(units)), 2),
          },
          cpu,
          cpuPerWorkflowMs: perWorkflow(cpu, runs),
          extra: {
            runs,
            gap_ms: gapMs,
            storage_calls_per_workflow: perWf(service.storage),
            sql_rows_written_per_workflow: perWf(service.billing.rowsWrittenBy),
            alarm_invocations_per_workflow: round(sumCounts(service.rpc, (k) => k.endsWith('.alarm')) / runs, 3),
            billable_units_per_workflow: Object.fromEntries(Object.entries(units).map(([k, v]) => [k, round(v, 3)])),
            usd_per_million_w1: keelPerMillion(units).map((l) => ({ ...l, units: round(l.units, 3), usd: round(l.usd, 3) })),
          },
        },
      ];
    },
    { instrumented: true },
  );
}

interface Exchange {
  endpoint: string;
  sentAt: number;
  answeredAt: number;
  hasTask: boolean;
}

/**
 * The critical path of a W1 workflow, from the HTTP exchanges seen by this process (client and
 * worker): each segment's p50 over the runs. Runs are sequential, so every exchange of a run
 * falls inside its window.
 */
function w1Timeline(log: Exchange[], windows: Array<[number, number]>): Record<string, Stats> {
  const seg: Record<string, number[]> = {};
  const add = (k: string, v: number) => (seg[k] ??= []).push(v);
  for (const [t0, t1] of windows) {
    // A poll belongs to the run whose task it answers with; anything else to the run it was sent
    // in (the last complete is often answered after the client already has the result).
    const at = (e: Exchange) => (e.endpoint.endsWith('/poll') ? e.answeredAt : e.sentAt);
    const inRun = log.filter((e) => at(e) >= t0 && at(e) <= t1);
    const one = (suffix: string, pred: (e: Exchange) => boolean = () => true) => inRun.filter((e) => e.endpoint.endsWith(suffix) && pred(e)).sort((a, b) => a.answeredAt - b.answeredAt);
    const start = one('POST /workflows')[0];
    const wtPolls = one('/workflow-tasks/poll', (e) => e.hasTask);
    const wtCompletes = one('/workflow-tasks/complete');
    const actPoll = one('/activity-tasks/poll', (e) => e.hasTask)[0];
    const actComplete = one('/activity-tasks/complete')[0];
    const result = one('/history')[0];
    const [first, second] = wtCompletes;
    if (inRun.length === 0) {
      // No HTTP exchange at all: the client's start went on its shard channel too (protocol 8), answered when the run closed.
      add('   total start → result', t1 - t0);
      add("x1 every exchange on a shard channel (the client's start-and-wait too)", t1 - t0);
      continue;
    }
    if (start && wtPolls.length === 0 && wtCompletes.length === 0 && !actComplete) {
      // Only the client's exchanges are seen: the worker's went over its shard channels (protocol 7),
      // and the start waited for the result (or a history long poll fetched it).
      const last = result ?? start;
      add("c1 client: start → result at the client (the worker's tasks and completions over its shard channels)", last.answeredAt - start.sentAt);
      add('c2 client: result received → execute() returns', t1 - last.answeredAt);
      add('   total start → result', t1 - t0);
      continue;
    }
    if (start && wtPolls.length === 0 && !actPoll && first && !second && actComplete && result) {
      // The second workflow task ran ahead and went with the activity's completion (a speculative workflow task).
      add('s1 client: start, answered with the first workflow task (round trip)', start.answeredAt - start.sentAt);
      add('s2 worker: first workflow task (new run: vm context + bundle + activation)', first.sentAt - start.answeredAt);
      add('s3 worker→service: complete first workflow task, answered with the activity (round trip)', first.answeredAt - first.sentAt);
      add('s4 worker: run the activity, then the second workflow task ahead (cached run)', actComplete.sentAt - first.answeredAt);
      add('s5 worker→service: complete the activity with the second workflow task (round trip)', actComplete.answeredAt - actComplete.sentAt);
      add('s6 service: complete sent → client has the result (history long poll answers)', result.answeredAt - actComplete.sentAt);
      add('s7 client: result received → execute() returns', t1 - result.answeredAt);
      add('   total start → result', t1 - t0);
      continue;
    }
    if (start && wtPolls.length === 0 && !actPoll && first && second && actComplete && result) {
      // Every task came in an answer (eager start, eager activity, the next task with the activity's completion).
      add('e1 client: start, answered with the first workflow task (round trip)', start.answeredAt - start.sentAt);
      add('e2 worker: first workflow task (new run: vm context + bundle + activation)', first.sentAt - start.answeredAt);
      add('e3 worker→service: complete first workflow task, answered with the activity (round trip)', first.answeredAt - first.sentAt);
      add('e4 worker: run the activity (decode, call, encode)', actComplete.sentAt - first.answeredAt);
      add('e5 worker→service: complete activity, answered with the next workflow task (round trip)', actComplete.answeredAt - actComplete.sentAt);
      add('e6 worker: second workflow task (cached run)', second.sentAt - actComplete.answeredAt);
      add('e7 worker→service: complete second workflow task (round trip)', second.answeredAt - second.sentAt);
      add('e8 service: complete sent → client has the result (history long poll answers)', result.answeredAt - second.sentAt);
      add('e9 client: result received → execute() returns', t1 - result.answeredAt);
      add('   total start → result', t1 - t0);
      continue;
    }
    if (!start || wtPolls.length !== 2 || wtCompletes.length !== 2 || !actPoll || !actComplete || !result) continue;
    const [p1, p2] = wtPolls as [Exchange, Exchange];
    const [c1, c2] = wtCompletes as [Exchange, Exchange];
    add('01 client: start request (POST /workflows round trip)', start.answeredAt - start.sentAt);
    add('02 service: start → first workflow task reaches the worker (outbox → queue → poll answer)', p1.answeredAt - start.sentAt);
    add('03 worker: first workflow task (new run: vm context + bundle + activation)', c1.sentAt - p1.answeredAt);
    add('04 worker→service: complete first workflow task (round trip)', c1.answeredAt - c1.sentAt);
    add('05 service: complete sent → activity task reaches the worker', actPoll.answeredAt - c1.sentAt);
    add('06 worker: run the activity (decode, call, encode)', actComplete.sentAt - actPoll.answeredAt);
    add('07 worker→service: complete activity (round trip)', actComplete.answeredAt - actComplete.sentAt);
    add('08 service: activity complete sent → second workflow task reaches the worker (sticky)', p2.answeredAt - actComplete.sentAt);
    add('09 worker: second workflow task (cached run)', c2.sentAt - p2.answeredAt);
    add('10 worker→service: complete second workflow task (round trip)', c2.answeredAt - c2.sentAt);
    add('11 service: complete sent → client has the result (history long poll answers)', result.answeredAt - c2.sentAt);
    add('13 (worker: the answer to its last complete arrives, ms after start)', c2.answeredAt - t0);
    add('12 client: result received → execute() returns', t1 - result.answeredAt);
    add('   total start → result', t1 - t0);
  }
  return Object.fromEntries(Object.entries(seg).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, stats(v)]));
}

/**
 * The floor under every number above: what one exchange with the local service costs on this
 * machine, from the cheapest (a Worker-only GET) to one that creates a Durable Object.
 */
export async function floor(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const n = o.quick ? 100 : 300;
  return withBench(async (b) => {
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const base = b.service.url;
    const conn = b.client.connection;
    const probes: Array<[string, () => Promise<unknown>]> = [
      ['GET /api/v1/health — fetch (undici), gzip answer (the default)', () => fetch(`${base}/api/v1/health`).then((r) => r.text())],
      ['GET /api/v1/health — fetch, accept-encoding: identity', () => fetch(`${base}/api/v1/health`, { headers: { 'accept-encoding': 'identity' } }).then((r) => r.text())],
      [
        'GET /api/v1/health — node:http keep-alive agent, identity',
        () =>
          new Promise<string>((resolve, reject) => {
            const req = request(`${base}/api/v1/health`, { agent, headers: { 'accept-encoding': 'identity' } }, (res) => {
              let t = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => (t += c));
              res.on('end', () => resolve(t));
            });
            req.on('error', reject);
            req.end();
          }),
      ],
      ['describeTaskQueue — SDK transport; Worker → TaskQueue object (1 SELECT)', () => conn.call('describeTaskQueue', { kind: 'workflow' }, { namespace: 'default', params: { taskQueue: 'floor' } })],
    ];
    // A workflow that exists, on a queue nobody polls.
    const existing = newWorkflowId('floor');
    await b.client.workflow.start('oneActivity', { taskQueue: 'floor-nobody', workflowId: existing, args: ['x'] });
    probes.push(['describeWorkflow — SDK transport; Worker → existing Workflow object (reads)', () => conn.call('describeWorkflow', {}, { namespace: 'default', params: { workflowId: existing } })]);
    probes.push([
      'startWorkflow, same id, USE_EXISTING — existing Workflow object, request-id write',
      () => b.client.workflow.start('oneActivity', { taskQueue: 'floor-nobody', workflowId: existing, args: ['x'], workflowIdConflictPolicy: 'USE_EXISTING' }),
    ]);
    probes.push([
      'startWorkflow, new id — new Workflow object (new SQLite database, schema, first transaction, outbox → queue backlog)',
      () => b.client.workflow.start('oneActivity', { taskQueue: 'floor-nobody', workflowId: newWorkflowId('floor-new'), args: ['x'] }),
    ]);
    const distributions: Record<string, Stats> = {};
    const cpu: Record<string, { node: number; workerd: number }> = {};
    const total = cpuMeter(b.workerdPids);
    for (const [name, fn] of probes) {
      for (let i = 0; i < 20; i++) await fn();
      const m = cpuMeter(b.workerdPids);
      const lat: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await fn();
        lat.push(performance.now() - t0);
      }
      const c = m();
      distributions[name] = stats(lat);
      cpu[name] = { node: round(c.nodeCpuMs / n, 3), workerd: round(c.workerdCpuMs / n, 3) };
    }
    agent.destroy();
    const totalCpu = total();
    return [
      {
        name: 'floor',
        description: `Cost of single exchanges with the local service, ${n} sequential each after 20 warm-up (the worker idles, long-polling)`,
        metrics: Object.fromEntries(Object.entries(distributions).map(([k, s]) => [k, s.p50])),
        distributions,
        cpu: totalCpu,
        loadavg: loadavg().map((x) => round(x)),
        extra: { cpu_ms_per_request: cpu },
      },
    ];
  });
}

/** One W1 run loop for profiling (run under node --cpu-prof). */
export async function profile(o: WorkloadOptions): Promise<WorkloadResult[]> {
  const runs = o.quick ? 50 : 200;
  return withBench(async (b) => {
    for (let i = 0; i < 20; i++) await executeOne(b, 'warm');
    const meter = cpuMeter(b.workerdPids);
    const lat: number[] = [];
    // The profile's clock is the monotonic clock process.hrtime reads: mark the measured window.
    const startUs = Number(process.hrtime.bigint() / 1000n);
    for (let i = 0; i < runs; i++) lat.push(await executeOne(b, `p${i}`));
    const endUs = Number(process.hrtime.bigint() / 1000n);
    const cpu = meter();
    const dir = path.join(benchDir, 'profiles');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'window.json'), JSON.stringify({ startUs, endUs, runs }) + '\n');
    return [
      {
        name: 'profile-w1',
        description: `${runs} sequential W1 runs, for node --cpu-prof`,
        metrics: { p50_ms: stats(lat).p50 },
        distributions: { start_to_result_ms: stats(lat) },
        cpu,
        cpuPerWorkflowMs: perWorkflow(cpu, runs),
      },
    ];
  });
}

export const WORKLOADS: Record<string, (o: WorkloadOptions) => Promise<WorkloadResult[]>> = {
  'w1-latency': w1Latency,
  'w1-throughput': w1Throughput,
  w2,
  w3,
  history,
  requests,
  'requests-quiet': requestsQuiet,
  idle,
  floor,
  profile,
};
/** Names on the command line that stand for several workloads. */
export const ALIASES: Record<string, string[]> = { w1: ['w1-latency', 'w1-throughput'], all: ['w1-latency', 'w1-throughput', 'w2', 'w3', 'history', 'requests', 'floor'] };
export const DEFAULT_WORKLOADS = ALIASES.all!;
