/**
 * HistoryWaiters: the long polls of one workflow object that wait for a run's next event
 * (history with waitNewEvent, update results). In memory only: a poll that loses its object
 * times out at its caller and is made again.
 */
type Waiter = { runId: string; wake: () => void };

export class HistoryWaiters {
  private readonly waiters = new Set<Waiter>();

  /** How many polls wait now (tests wait on it). */
  get size(): number {
    return this.waiters.size;
  }

  /** Wakes every poll waiting on one of these runs. */
  wake(runIds: Set<string>): void {
    for (const w of this.waiters) if (runIds.has(w.runId)) w.wake();
  }

  /** Resolves when the run gets a new event, or after `ms`. */
  wait(runId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        runId,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
    });
  }
}
