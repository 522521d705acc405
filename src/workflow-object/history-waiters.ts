/**
 * Long polls held in memory until their run changes: history reads with `waitNewEvent`, result
 * waits (`closeOnly`: they sleep through every event but the close), queries and updates waiting
 * for a stage. Woken after each committed change; nothing here is durable.
 */
import { CLOSE_EVENT_TYPES } from '../../protocol/index.js';
import type { Txn } from '../engine/transaction.js';

type Waiter = { runId: string; closeOnly: boolean; wake: () => void };

export class HistoryWaiters {
  private readonly waiters = new Set<Waiter>();

  /** @param onCloseWait called when a result wait begins (time skipping looks for idle runs then). */
  constructor(private readonly onCloseWait: () => void = () => {}) {}

  /** How many polls are held (tests check that none is left behind). */
  get size(): number {
    return this.waiters.size;
  }

  /** Whether a client waits for this run's close. */
  awaitsClose(runId: string): boolean {
    for (const w of this.waiters) if (w.closeOnly && w.runId === runId) return true;
    return false;
  }

  /** Wakes the polls of the runs a committed change added events to. */
  wake(events: Txn['events']): void {
    if (this.waiters.size === 0) return;
    const changed = new Set(events.map((e) => e.runId));
    const closed = new Set(events.filter((e) => CLOSE_EVENT_TYPES.has(e.event.eventType)).map((e) => e.runId));
    for (const w of this.waiters) if ((w.closeOnly ? closed : changed).has(w.runId)) w.wake();
  }

  /** Resolves when the run gets a new event (with `closeOnly`, its close event), or after `ms`. */
  wait(runId: string, ms: number, closeOnly = false): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        runId,
        closeOnly,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
      if (closeOnly) this.onCloseWait();
    });
  }
}
