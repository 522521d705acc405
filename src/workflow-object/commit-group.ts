/**
 * A shard's group commit: the changes that reach a busy shard within one turn of its event loop
 * share one commit of its database.
 *
 * Workerd commits a Durable Object's writes when the event that made them ends (an implicit
 * transaction, committed once the turn's synchronous code and microtasks have run; each engine
 * change is a savepoint inside it). Under `keel dev` a commit is an fsync of the shard's WAL on
 * workerd's one thread, so a shard that took each start and each completion in an event of its own
 * spent that thread on an fsync per change.
 *
 * So a change that finds the shard idle runs at once (a sequential workflow's step waits for
 * nothing), and opens a window of one turn (a timer of 0 ms, which fires after the events already
 * queued have been delivered). Every change that arrives while a window is open waits for it and
 * runs when it ends, one after the other in the order they arrived, inside that one turn: one
 * commit for all. A window whose end ran changes opens the next at once, of BUSY_WINDOW_MS, so a
 * shard under steady load commits about once a millisecond. Each call's answer still waits for the commit that holds its change
 * (workerd's output gate), so nothing is acknowledged before it is durable.
 *
 * The floor of this design groups the same way (bench/floor/worker.js, `group`); bench/RESULTS.md
 * has the commits per workflow before and after.
 */
/**
 * How long the window of a busy shard (one whose last window ran changes) stays open: a millisecond
 * gathers the changes of more than one turn, for a delay small beside the queueing of a loaded shard
 * (at 50 W1 in flight: 0.68 → 0.45 fsyncs per W1, bench/RESULTS.md "Group commit at the shard").
 * An idle shard's first change never waits.
 */
const BUSY_WINDOW_MS = 1;

export class CommitGroup {
  /** The open window: its end, and whether a change waits for it. */
  private window: { end: Promise<void>; waited: boolean } | undefined;

  /**
   * `onTurn`: called when a window ends with changes, once they are queued to run (its microtasks
   * queued from then on run after them, in the same turn and so the same commit: a shard's slot
   * rows are written then, once per row, shard-alarms.ts).
   */
  constructor(private readonly onTurn: () => void = () => {}) {}

  /** `fn` now, on an idle shard; else when the open window ends, with the changes that arrived meanwhile. */
  run<T>(fn: () => T): T | Promise<Awaited<T>> {
    const window = this.window;
    if (!window) {
      this.open();
      return fn();
    }
    window.waited = true;
    return window.end.then(fn) as Promise<Awaited<T>>;
  }

  private open(ms = 0): void {
    let end!: () => void;
    const window = { end: new Promise<void>((resolve) => (end = resolve)), waited: false };
    this.window = window;
    setTimeout(() => {
      this.window = undefined;
      // Changes ran at this end: the shard is busy, and the next arrivals gather in the next window.
      if (window.waited) this.open(BUSY_WINDOW_MS);
      end();
      if (window.waited) this.onTurn();
    }, ms);
  }
}
