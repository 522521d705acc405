/**
 * `ShardExchanges`: the worker's completions grouped by shard (protocol 5, group commit). The service
 * commits a Durable Object's writes once per turn, so completions for one shard that reach it in one
 * request share one commit — one fsync instead of one each. Per shard key, at most one exchange is
 * in flight: a completion finding none goes at once, alone, as before (nothing waits at low load, no
 * timer); one finding one in flight queues behind it, and when that returns everything queued goes in
 * one `/tasks/batch` exchange. Each caller gets its own item's answer or error, as if it had sent alone.
 *
 * Only tasks that carry a `shardKey` are grouped: a service without protocol 5 (or without shards)
 * sends none, and each completion goes alone. A service that refuses the batch endpoint
 * (ROUTE_NOT_FOUND: an older one during an upgrade) gets single exchanges from then on.
 */
import { BATCHED_ENDPOINTS, Limits, type BatchedEndpoint, type EndpointName, type RequestOf, type ResponseOf } from '../../protocol/index.js';
import { KeelServiceError, keelServiceErrorOf } from '../client/errors.js';
import type { CallOptions } from '../client/http-transport.js';
import { retrySafety, withRequestId } from '../client/retry.js';
import { ConnectionLayer } from '../client/connection-layer.js';

const BATCHED: ReadonlySet<EndpointName> = new Set(BATCHED_ENDPOINTS);

/**
 * Characters of requests one batch carries at most: a quarter of the service's body limit in bytes
 * (a character is at most 4 bytes of UTF-8, and the JSON around the items is small). One request
 * bigger than this goes alone.
 */
const MAX_BATCH_CHARS = Limits.maxRequestBytes / 4;

interface Queued {
  endpoint: BatchedEndpoint;
  request: Record<string, unknown>;
  options: CallOptions;
  resolve: (answer: unknown) => void;
  reject: (err: unknown) => void;
}

export class ShardExchanges extends ConnectionLayer {
  /** Per shard (namespace and key): present while an exchange for it is in flight, with what queued behind it. */
  private readonly shards = new Map<string, Queued[]>();
  /** The service refused `/tasks/batch`: every completion goes alone. */
  private unsupported = false;
  /** Exchanges that carried several completions, and the completions they carried (tests and benchmarks read them). */
  readonly stats = { batches: 0, batchedItems: 0 };


  call<E extends EndpointName>(endpoint: E, request: RequestOf<E>, options: CallOptions): Promise<ResponseOf<E>> {
    if (options.shardKey === undefined || !BATCHED.has(endpoint) || this.unsupported) return this.connection.call(endpoint, request, options);
    const key = `${options.namespace}\0${options.shardKey}`;
    const queued = this.shards.get(key);
    if (queued) return new Promise((resolve, reject) => queued.push({ endpoint: endpoint as BatchedEndpoint, request: request as Record<string, unknown>, options, resolve: resolve as (a: unknown) => void, reject }));
    this.shards.set(key, []);
    return this.inFlight(key, this.connection.call(endpoint, request, options));
  }

  /** `sent` is the shard's exchange in flight: when it ends, what queued behind it goes. */
  private inFlight<T>(key: string, sent: Promise<T>): Promise<T> {
    const next = () => this.sendQueued(key);
    sent.then(next, next);
    return sent;
  }

  private sendQueued(key: string): void {
    const queued = this.shards.get(key)!;
    if (queued.length === 0) {
      this.shards.delete(key);
      return;
    }
    const batch = takeBatch(queued);
    if (batch.length === 1 || this.unsupported) {
      const [first, ...rest] = batch;
      // The rest (the service refused batches meanwhile) go alone, beside it.
      for (const q of rest) this.connection.call(q.endpoint, q.request as never, q.options).then(q.resolve, q.reject);
      void this.inFlight(key, this.connection.call(first!.endpoint, first!.request as never, first!.options).then(first!.resolve, first!.reject));
      return;
    }
    void this.inFlight(key, this.sendBatch(batch));
  }

  private async sendBatch(batch: Queued[]): Promise<void> {
    // Each item keeps its own request id (as the transport gives a single call one), so a retried
    // batch is answered item by item with the first answers; the batch is retried only if every item has one.
    const items = batch.map((q) => ({ kind: q.endpoint, request: withRequestId(q.request, retrySafety(q.endpoint)) }));
    const idempotent = items.every((i) => i.request.requestId !== undefined);
    let answer: ResponseOf<'batchTasks'>;
    try {
      answer = await this.connection.call('batchTasks', { items: items as RequestOf<'batchTasks'>['items'] }, { namespace: batch[0]!.options.namespace, shardKey: batch[0]!.options.shardKey, idempotent });
    } catch (err) {
      if (err instanceof KeelServiceError && err.code === 'ROUTE_NOT_FOUND') {
        this.unsupported = true;
        // Nothing of the batch was applied: each goes alone (with the request id it was given).
        await Promise.all(batch.map((q, i) => this.connection.call(q.endpoint, items[i]!.request as never, q.options).then(q.resolve, q.reject)));
        return;
      }
      for (const q of batch) q.reject(err);
      return;
    }
    this.stats.batches++;
    this.stats.batchedItems += batch.length;
    batch.forEach((q, i) => {
      const result = answer.results[i];
      if (result?.error) q.reject(keelServiceErrorOf(result.error));
      else if (result) q.resolve(result.response ?? {});
      else q.reject(new KeelServiceError('UNKNOWN', 200, `The service answered a batch of ${batch.length} exchanges with ${answer.results.length} results`));
    });
  }
}

/** Takes from the front of `queued` what one batch carries: up to the item bound and MAX_BATCH_CHARS, at least one. */
function takeBatch(queued: Queued[]): Queued[] {
  if (queued.length === 1) return queued.splice(0, 1);
  let chars = 0;
  let n = 0;
  while (n < queued.length && n < Limits.maxTasksPerBatch) {
    chars += JSON.stringify(queued[n]!.request).length;
    if (n > 0 && chars > MAX_BATCH_CHARS) break;
    n++;
  }
  return queued.splice(0, n);
}
