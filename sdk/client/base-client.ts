// Owns what every client shares (Temporal's BaseClient): the connection its calls go through,
// and running a function with a deadline, an abort signal or extra headers on those calls.
import type { ConnectionLike } from './connection.js';

export abstract class BaseClient {
  protected constructor(
    /** The connection every call goes through. */
    public readonly connection: ConnectionLike,
  ) {}

  /** Runs `fn` with a deadline on every service call it makes; see {@link Connection.withDeadline}. */
  public async withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    return this.connection.withDeadline(deadline, fn);
  }

  /** Runs `fn` so that aborting `abortSignal` abandons its service calls; see {@link Connection.withAbortSignal}. */
  public async withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    return this.connection.withAbortSignal(abortSignal, fn);
  }

  /** Runs `fn` with extra headers on its service calls; see {@link Connection.withMetadata}. */
  public async withMetadata<R>(metadata: Record<string, string>, fn: () => Promise<R>): Promise<R> {
    return this.connection.withMetadata(metadata, fn);
  }
}
