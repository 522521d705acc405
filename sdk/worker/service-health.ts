/**
 * Whether the worker can reach the Keel service, as its poll loops see it, and the two log lines
 * an operator needs about it: one warning when polls start failing (the cause and the back-off),
 * and one line when they work again — once per outage, however many poll loops fail meanwhile.
 */

import type { Logger } from '../common/index.js';

/** The part of Temporal's `Logger` the poll loops use (the worker passes `Runtime.instance().logger`'s). */
export type OutageLogger = Pick<Logger, 'warn' | 'info'>;

export class ServiceHealth {
  private outage: { since: number; failures: number } | undefined;

  constructor(
    private readonly logger: OutageLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** True between the first failed poll of an outage and the next poll that works. */
  get down(): boolean {
    return this.outage !== undefined;
  }

  /** A poll failed and is retried in `retryInMs`; the first failure of an outage is logged. */
  failed(poller: string, err: unknown, retryInMs: number, maxBackoffMs: number): void {
    if (this.outage) {
      this.outage.failures++;
      return;
    }
    this.outage = { since: this.now(), failures: 1 };
    const cause = describeCause(err);
    this.logger.warn(`Keel service unreachable: ${poller} failed (${cause}); polling again with back-off, first in ${retryInMs} ms, at most every ${maxBackoffMs} ms. Logged once until it is back.`, {
      poller,
      cause,
      retryInMs,
      maxBackoffMs,
    });
  }

  /** A poll worked: ends an outage, with one line saying how long it lasted. */
  succeeded(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    const downMs = this.now() - outage.since;
    this.logger.info(`Keel service reachable again after ${(downMs / 1000).toFixed(1)} s (${outage.failures} failed polls)`, { downMs, failedPolls: outage.failures });
  }
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
