// Owns the workflows that sandbox.test.ts bundles and runs inside a node:vm context: they use the
// globals the sandbox makes deterministic.
import { defineQuery, log, proxyActivities, setHandler, uuid4, workflowInfo } from '../index.js';

const { echo } = proxyActivities<{ echo(values: unknown[]): Promise<unknown[]> }>({ startToCloseTimeout: '1m' });

/** Draws every kind of "non-deterministic" value, sends them out through an activity, and returns them. */
export async function draws(): Promise<unknown[]> {
  setHandler(defineQuery<number>('now'), () => Date.now());
  log.info('drawing');
  const first = [Math.random(), Date.now(), new Date().getTime(), Date(), crypto.randomUUID(), uuid4()];
  await new Promise<void>((resolve) => setTimeout(resolve, 5000));
  const second = [Math.random(), Date.now(), workflowInfo().workflowId, workflowInfo().historyLength];
  let weakRef = 'allowed';
  try {
    new WeakRef({});
  } catch (err) {
    weakRef = (err as Error).name;
  }
  const viaConstructor = new (new Date(0).constructor as DateConstructor)().getTime();
  const echoed = await echo([...first, ...second, weakRef, viaConstructor]);
  return echoed;
}

/** Clears a setTimeout before it fires. */
export async function cleared(): Promise<string> {
  const handle = setTimeout(() => undefined, 1000);
  await Promise.resolve();
  clearTimeout(handle);
  return 'cleared';
}
