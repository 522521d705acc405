/**
 * A shard's group commit (src/workflow-object/commit-group.ts) on the real objects: a change that finds
 * its shard idle is made at once; the changes that reach it while that change's window is open are made
 * together, in arrival order, in one turn (so workerd writes them in one commit), and each is answered
 * and written as it would be alone.
 */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { WorkflowObject } from '../../src/workflow-object.js';
import { eventTypes, history, NS, settle, shardMates, startWorkflow, unique, watchObject, wfObject } from './helpers.js';

const signal = (signalName: string) => ({ signalName, input: [], identity: 'commit-group-test' });

describe('a shard’s group commit', () => {
  it('makes a change at once on an idle shard, and the changes that arrive meanwhile together in the next turn, in order', async () => {
    const ids = shardMates('group', 4);
    const tq = unique('group-tq');
    for (const id of ids) await startWorkflow(id, tq);
    await Promise.all(ids.map((id) => settle(id)));
    const seen = await watchObject(ids);

    const made = await runInDurableObject(wfObject(ids[0]!), async (o: WorkflowObject) => {
      const order: string[] = [];
      const answers = ids.map((id) => {
        const answer = Promise.resolve(o.call([NS, id], 'signal', [signal(`s-${id}`)] as never));
        void answer.then(() => order.push(id));
        return answer;
      });
      // Only the first change is made by now; the others wait for its window's end.
      const madeAtOnce = seen.turns.length;
      return { madeAtOnce, answers: await Promise.all(answers), order };
    });

    expect(made.madeAtOnce).toBe(1);
    expect(made.answers).toEqual(ids.map(() => ({ ok: true, value: {} })));
    expect(made.order).toEqual(ids);
    // The first in a turn of its own, the three behind it in one turn together.
    expect(seen.turns).toHaveLength(4);
    expect(new Set(seen.turns.slice(1)).size).toBe(1);
    expect(seen.turns[1]).not.toBe(seen.turns[0]);
    for (const id of ids) expect(eventTypes(await history(id)).at(-1)).toBe('WorkflowExecutionSignaled');
  });

  it('makes a read at once, even while changes wait for a window', async () => {
    const [a, b] = shardMates('group-read', 2);
    const tq = unique('group-read-tq');
    await startWorkflow(a!, tq);
    await startWorkflow(b!, tq);
    await Promise.all([settle(a!), settle(b!)]);
    const before = (await history(b!)).length;

    const { whileWaiting, after } = await runInDurableObject(wfObject(a!), async (o: WorkflowObject) => {
      type Described = { ok: true; value: { historyLength: number } };
      void o.call([NS, a!], 'signal', [signal('opens-a-window')] as never);
      const waiting = o.call([NS, b!], 'signal', [signal('waits')] as never);
      // Made now: it sees b's history without the signal that waits.
      const whileWaiting = (await o.call([NS, b!], 'describe', [{}] as never)) as unknown as Described;
      await waiting;
      const after = (await o.call([NS, b!], 'describe', [{}] as never)) as unknown as Described;
      return { whileWaiting: whileWaiting.value.historyLength, after: after.value.historyLength };
    });
    expect(whileWaiting).toBe(before);
    expect(after).toBe(before + 1);
  });
});
