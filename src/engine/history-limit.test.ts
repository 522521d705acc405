import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../protocol/index.js';
import { decide, started } from './engine-test-kit.js';
import { enforceHistoryLimit, eventBytes } from './history-limit.js';
import { signalWorkflow } from './run-control.js';

const bytes = (s: string) => new TextEncoder().encode(s).length;

describe('history limit sizes', () => {
  it("an event's size from its attributes' JSON is the size of the whole event's JSON, ASCII or not", () => {
    for (const attributes of [{}, { signalName: 'go', input: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] }, { signalName: 'grüße ✓ 𝄞', input: [] }]) {
      const event = { eventId: 12345, eventTime: new Date(Date.UTC(2026, 0, 1)).toISOString(), eventType: 'WorkflowExecutionSignaled', attributes } as unknown as HistoryEvent;
      expect(eventBytes(event, JSON.stringify(attributes))).toBe(bytes(JSON.stringify(event)));
    }
  });

  it('measures each change once: events carry their stored attributes, runs their stored encoding, and the run counts its events', () => {
    const s = started();
    decide(s.store, s.runId, [{ type: 'StartTimer', timerId: 't', startToFireTimeoutMs: 1_000 }]);
    const before = s.run().historySizeBytes ?? 0;
    const tx = s.store.change((tx) => {
      signalWorkflow(tx, tx.loadRun(s.runId)!, 'go', []);
      enforceHistoryLimit(tx);
      return tx;
    });
    expect(tx.events.length).toBeGreaterThan(0);
    for (const e of tx.events) expect(e.attributes).toBe(JSON.stringify(e.event.attributes));
    const added = tx.events.reduce((n, e) => n + bytes(JSON.stringify(e.event)), 0);
    expect(s.run().historySizeBytes).toBe(before + added);
    expect(tx.encodedRuns.get(s.runId)?.bytes).toBeGreaterThan(0);
  });
});
