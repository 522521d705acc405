// Owns the fixture workflows written against the real `keel/workflow`, as users write them.
import { condition, defineQuery, defineSignal, inWorkflowContext, proxyActivities, setHandler, sleep, uuid4 } from 'keel/workflow';
// Type-only: esbuild erases it, so the Node built-in activities.ts imports never reaches the bundle.
import type * as activities from './activities.js';

const { charge, ship } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export const approve = defineSignal<[boolean]>('approve');
export const stepQuery = defineQuery<string>('step');

/** Charges through an activity and completes with its result. */
export async function order(id: string): Promise<string> {
  return await charge(id);
}

/** Sleeps one second, then completes. */
export async function sleeper(): Promise<string> {
  await sleep('1 second');
  return 'slept';
}

/** Draws from every source of nondeterminism the sandbox makes deterministic. */
export async function randomness(): Promise<{ random: number; now: number; uuid: string; date: string }> {
  return { random: Math.random(), now: Date.now(), uuid: uuid4(), date: new Date().toISOString() };
}

/** Charges, waits for approval, sleeps, ships; answers the `step` query along the way. */
export async function fulfil(id: string): Promise<string> {
  let step = 'charging';
  let approved: boolean | undefined;
  setHandler(stepQuery, () => step);
  setHandler(approve, (ok) => {
    approved = ok;
  });
  const charged = await charge(id);
  step = 'awaiting approval';
  await condition(() => approved !== undefined);
  if (!approved) return 'rejected';
  step = 'waiting';
  await sleep(5000);
  step = 'shipping';
  return await ship(charged);
}

/** Writes a global and reports what it found there first: runs must not see each other's globals. */
export async function globalsProbe(): Promise<unknown> {
  const g = globalThis as { probe?: string };
  const found = g.probe ?? null;
  g.probe = 'set by an earlier run';
  console.log('probe found', found);
  return { found, setTimeout: typeof setTimeout, process: typeof (globalThis as { process?: unknown }).process };
}

/** Throws a plain error: a bug, which fails the workflow task rather than the workflow. */
export async function buggy(): Promise<never> {
  throw new TypeError('a bug in the workflow');
}

/** Module-level state: each run of the shared sandbox must get its own copy of this module. */
let startsInThisModule = 0;
/** A module-level draw: before the run starts, from a fixed seed, the same in every run. */
const moduleDraw = Math.random();
/** Whether a run looked current while this module loaded: never (no run's Activator outlives its call into the context). */
const loadedInRun = inWorkflowContext();

/**
 * Leaves a mark in every place one run could leak into another (a new global, a replaced one, a
 * deleted one, module state), sleeps, and reports what it sees then: its own marks only.
 */
export async function isolationProbe(name: string): Promise<unknown> {
  const g = globalThis as Record<string, unknown>;
  startsInThisModule++;
  const seenAtStart = { owner: g.owner ?? null, urlSearchParams: typeof g.URLSearchParams, starts: startsInThisModule, loadedInRun };
  g.owner = name;
  g.URLSearchParams = `replaced by ${name}`;
  delete g.URL;
  const drawn = [Math.random()];
  const times = [Date.now()];
  let microtaskRan = false;
  queueMicrotask(() => {
    microtaskRan = true;
  });
  // The global setTimeout is a durable timer of this run (timer 1); one cleared at once never reaches history.
  const fired = new Promise<void>((resolve) => setTimeout(resolve, 1000));
  clearTimeout(setTimeout(() => undefined, 60_000));
  await fired;
  drawn.push(Math.random());
  times.push(Date.now());
  return {
    seenAtStart,
    after: { owner: g.owner, urlSearchParams: g.URLSearchParams, url: typeof g.URL, starts: startsInThisModule, microtaskRan },
    drawn,
    times,
    uuid: uuid4(),
    moduleDraw,
  };
}
