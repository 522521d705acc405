/**
 * `ConnectionLayer`: a layer a worker puts over its connection (`ShardExchanges`, which groups
 * completions per shard; `ShardChannels`, which carries a shard's calls on its WebSocket). A layer
 * changes how calls go; the scope of calls, connecting and closing are the connection's beneath,
 * passed through here once rather than by each layer.
 */
import type { EndpointName, RequestOf, ResponseOf } from '../../protocol/index.js';
import type { ConnectionLike } from './connection.js';
import type { CallOptions } from './http-transport.js';

export abstract class ConnectionLayer<C extends ConnectionLike = ConnectionLike> implements ConnectionLike {
  constructor(protected readonly connection: C) {}

  abstract call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>>;

  ensureConnected(): Promise<void> {
    return this.connection.ensureConnected();
  }
  close(): Promise<void> {
    return this.connection.close();
  }
  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    return this.connection.withDeadline(deadline, fn);
  }
  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    return this.connection.withAbortSignal(abortSignal, fn);
  }
  withMetadata<R>(metadata: Record<string, string>, fn: () => Promise<R>): Promise<R> {
    return this.connection.withMetadata(metadata, fn);
  }
}
