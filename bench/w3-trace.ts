// W3 traced: one round of N concurrent 1 s durable sleeps (default 50), and for each timer where
// its lateness went, from its history (service clock) and the worker's exchanges (observed fetch):
//
//   asked           WorkflowTaskStarted (the workflow's `before`) → the moment the timer counts from (TimerStarted's
//                   Keel `anchorTime`: the worker's requestedAtMs, bounded; src/engine/timer-anchor.ts), else TimerStarted
//   first task      WorkflowTaskStarted → WorkflowTaskCompleted (= TimerStarted), of which
//     1st to worker   → the start's answer (eager workflow start) reached the worker
//     1st in worker   → the worker sent the completion
//     1st complete    → the completion's transaction (TimerStarted's time, service clock)
//   alarm late      the anchor + 1 s (due) → TimerFired (the alarm's transaction)
//   to hand-off     TimerFired → WorkflowTaskStarted (the queue started it for a poll: the workflow's `after`)
//   to worker       WorkflowTaskStarted → the poll answer that carried it arrived at the worker
//   in worker       arrived → the completion was sent
//   completion      completion sent → answered
//
// Each row is one timer, in the order the timers came due (due+: ms after the round's first), with its
// shard (of the local service's DEFAULT_WORKFLOW_SHARDS).
//
// The workflow sees `after − before − 1 s` = asked + alarm late + to hand-off.
//
//   node scripts/build.mjs && npx tsx bench/w3-trace.ts [count] [--rounds N]
import { loadavg } from 'node:os';
import type { HistoryEvent } from '../protocol/index.js';
import { DEFAULT_WORKFLOW_SHARDS } from '../sdk/testing/local-service.js';
import { shardOf } from '../src/workflow-shards.js';
import { newWorkflowId, round, startBench, stats, TASK_QUEUE } from './lib';
import type { durableSleep } from './workflows';

const args = process.argv.slice(2);
const count = Number(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds') ?? 50);
const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 1;
const sleepMs = 1000;
const wall = (perfMs: number) => performance.timeOrigin + perfMs;

/** A workflow task token → its workflow id, and when the worker got it / completed it. */
interface Seen {
  workflowId: string;
  arrived: number;
  /** Tasks in the poll answer (or completion answer) that carried it. */
  batch: number;
  via: string;
  completeSent?: number;
  completeAnswered?: number;
}

const b = await startBench({ observeExchanges: true });
const seen = new Map<string, Seen>();
b.counter.observe = ({ endpoint, requestBody, responseText, sentAt, answeredAt }) => {
  if (endpoint.endsWith('/workflow-tasks/poll') || endpoint.endsWith('/workflows') || endpoint.endsWith('/activity-tasks/complete')) {
    let r: { task?: { taskToken: string; workflowExecution: { workflowId: string } }; moreTasks?: Array<{ taskToken: string; workflowExecution: { workflowId: string } }>; eagerWorkflowTask?: { taskToken: string; workflowExecution: { workflowId: string } } };
    try {
      r = JSON.parse(responseText);
    } catch {
      return;
    }
    const tasks = [r.task, ...(r.moreTasks ?? []), r.eagerWorkflowTask].filter((t) => t?.taskToken && t.workflowExecution);
    for (const t of tasks) seen.set(t!.taskToken, { workflowId: t!.workflowExecution.workflowId, arrived: wall(answeredAt), batch: tasks.length, via: endpoint.split(' ').at(-1)! });
  } else if (endpoint.endsWith('/workflow-tasks/complete')) {
    const token = (JSON.parse(requestBody ?? '{}') as { taskToken?: string }).taskToken;
    const s = token ? seen.get(token) : undefined;
    if (s) Object.assign(s, { completeSent: wall(sentAt), completeAnswered: wall(answeredAt) });
  }
};

try {
  await Promise.all(Array.from({ length: 5 }, () => b.client.workflow.execute<typeof durableSleep>('durableSleep', { taskQueue: TASK_QUEUE, workflowId: newWorkflowId('w3w'), args: [50] })));
  const parts: Record<string, number[]> = { lateness: [], asked: [], firstTask: [], toWorker1: [], inWorker1: [], complete1: [], alarmLate: [], toHandOff: [], toWorker: [], inWorker: [], completion: [], batch: [] };
  const rows: string[] = [];
  for (let k = 0; k < rounds; k++) {
    seen.clear();
    const ids = Array.from({ length: count }, () => newWorkflowId('w3t'));
    const handles = await Promise.all(ids.map((workflowId) => b.client.workflow.start<typeof durableSleep>('durableSleep', { taskQueue: TASK_QUEUE, workflowId, args: [sleepMs], requestEagerStart: true })));
    const results = await Promise.all(handles.map((h) => h.result().catch((err: unknown) => (console.warn(`${h.workflowId}: ${String(err)}`), undefined))));
    const byWorkflow = new Map<string, Seen[]>();
    const roundRows: Array<{ due: number; text: string }> = [];
    for (const s of seen.values()) byWorkflow.set(s.workflowId, [...(byWorkflow.get(s.workflowId) ?? []), s]);
    for (const [i, id] of ids.entries()) {
      // As the service holds it: Keel's shape, with the timer's anchor (Temporal's JSON form has none).
      const events = ((await (await fetch(`http://${b.service.address}/api/v1/namespaces/default/workflows/${id}/history`)).json()) as { events: HistoryEvent[] }).events;
      const t = (type: string, nth = 0) => Date.parse(events.filter((e) => e.eventType === type)[nth]!.eventTime);
      const started1 = t('WorkflowTaskStarted', 0);
      const timerStarted = t('TimerStarted');
      const anchorTime = (events.find((e) => e.eventType === 'TimerStarted')?.attributes as { anchorTime?: string } | undefined)?.anchorTime;
      const anchor = anchorTime ? Date.parse(anchorTime) : timerStarted;
      const fired = t('TimerFired');
      const started2 = t('WorkflowTaskStarted', 1);
      const got = (byWorkflow.get(id) ?? []).sort((x, y) => x.arrived - y.arrived);
      const first = got.length > 1 ? got[0] : undefined;
      const second = got.at(-1);
      const v = results[i];
      if (!v) continue;
      const row = {
        lateness: v.after - v.before - sleepMs,
        asked: anchor - started1,
        firstTask: timerStarted - started1,
        toWorker1: first ? first.arrived - started1 : NaN,
        inWorker1: first?.completeSent !== undefined ? first.completeSent - first.arrived : NaN,
        complete1: first?.completeSent !== undefined ? timerStarted - first.completeSent : NaN,
        alarmLate: fired - (anchor + sleepMs),
        toHandOff: started2 - fired,
        toWorker: second ? second.arrived - started2 : NaN,
        inWorker: second?.completeSent !== undefined ? second.completeSent - second.arrived : NaN,
        completion: second?.completeAnswered !== undefined && second.completeSent !== undefined ? second.completeAnswered - second.completeSent : NaN,
        batch: second?.batch ?? NaN,
      };
      for (const [key, value] of Object.entries(row)) if (Number.isFinite(value)) parts[key]!.push(value);
      roundRows.push({ due: anchor + sleepMs, text: `${Object.values(row).map((x) => String(round(x, 1)).padStart(8)).join('')}  shard ${String(shardOf(id, DEFAULT_WORKFLOW_SHARDS)).padStart(2)}  ${second?.via.split('/').slice(-2).join('/') ?? ''}` });
    }
    // In the order the timers came due, with when each was due from the round's first (the burst's shape).
    roundRows.sort((x, y) => x.due - y.due);
    for (const r of roundRows) rows.push(`${String(rows.length).padStart(3)} +${String(r.due - roundRows[0]!.due).padStart(4)}${r.text}`);
  }
  console.log(`${''.padStart(3)} ${'due+'.padStart(5)}${Object.keys(parts).map((x) => x.slice(0, 8).padStart(8)).join('')}`);
  console.log(rows.join('\n'));
  console.log(`\nW3 traced: ${count} concurrent ${sleepMs} ms sleeps, ${rounds} round(s); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [key, values] of Object.entries(parts)) {
    const s = stats(values);
    console.log(`${key.padEnd(11)} p50 ${String(s.p50).padStart(7)}  p99 ${String(s.p99).padStart(7)}  max ${String(s.max).padStart(7)}  (n=${s.n})`);
  }
} finally {
  await b.stop();
}
