// Owns `client.schedule` (Temporal's ScheduleClient): create, getHandle and list, the
// ScheduleHandle's describe/pause/unpause/trigger/backfill/update/delete, and the two schedule
// errors, rebuilt from the service's codes.
import type { RequestOf, ResponseOf } from '../../protocol/index.js';
import { composeInterceptors, markErrorClass, typedSearchAttributesToWire, type Headers, type LoadedDataConverter, encodeMapToPayloads } from '../common/index.js';
import { BaseClient } from './base-client.js';
import { Connection, type ConnectionLike } from './connection.js';
import { KeelServiceError } from './errors.js';
import { descriptionFromWire, scheduleToWire, summaryFromWire } from './schedule-convert.js';
import type { Backfill, CompiledScheduleOptions, ScheduleDescription, ScheduleOptions, ScheduleOptionsAction, ScheduleOverlapPolicy, ScheduleSummary, ScheduleUpdateOptions } from './schedule-types.js';
import { workflowTypeName } from './workflow-client.js';
import { dropUndefined } from './workflow-options.js';

/** Thrown when no schedule has the id (the service's SCHEDULE_NOT_FOUND). */
export class ScheduleNotFoundError extends Error {
  static {
    markErrorClass(this, 'ScheduleNotFoundError');
  }
  constructor(
    message: string,
    public readonly scheduleId: string,
  ) {
    super(message);
  }
}

/** Thrown by create when a schedule with the id exists (the service's SCHEDULE_ALREADY_RUNNING). */
export class ScheduleAlreadyRunning extends Error {
  static {
    markErrorClass(this, 'ScheduleAlreadyRunning');
  }
  constructor(
    message: string,
    public readonly scheduleId: string,
  ) {
    super(message);
  }
}

/** Options of {@link ScheduleClient}: as {@link WorkflowClient}'s. */
export interface ScheduleClientOptions {
  connection?: ConnectionLike;
  namespace?: string;
  dataConverter?: LoadedDataConverter;
  identity?: string;
  /** Interceptors of the client's schedule calls (Temporal's), the first outermost. */
  interceptors?: ScheduleClientInterceptor[];
}

/** With defaults applied. */
export interface LoadedScheduleClientOptions {
  namespace: string;
  identity: string;
  loadedDataConverter: LoadedDataConverter;
  interceptors: ScheduleClientInterceptor[];
}

/**
 * Intercepts schedule calls (Temporal's): `create` sees the compiled options and the headers, which
 * travel with the action to every workflow the schedule starts (where a tracing interceptor puts
 * its context).
 */
export interface ScheduleClientInterceptor {
  create?: (input: CreateScheduleInput, next: (input: CreateScheduleInput) => Promise<CreateScheduleOutput>) => Promise<CreateScheduleOutput>;
}
export interface CreateScheduleInput {
  readonly headers: Headers;
  readonly options: CompiledScheduleOptions;
}
export interface CreateScheduleOutput {
  /** The service's conflict token (Temporal's is bytes; Keel's is its text, encoded). */
  readonly conflictToken: Uint8Array | undefined;
}

/** Options of {@link ScheduleClient.list}. */
export interface ListScheduleOptions {
  /** Schedules per page fetched. @default 1000 */
  pageSize?: number;
  /** Temporal's visibility filter; Keel lists every schedule and refuses a filter. */
  query?: string;
}

/** A schedule by id: describe it and act on it. Made by {@link ScheduleClient.getHandle} or create. */
export interface ScheduleHandle {
  readonly scheduleId: string;
  readonly client: ScheduleClient;
  /** The schedule, with its recent (last 10) and upcoming (next 10) actions. */
  describe(): Promise<ScheduleDescription>;
  /**
   * Changes the schedule: `updateFn` gets its description and returns its new options. Retried
   * (with a fresh description) when the schedule changed in between.
   *
   * @example
   * await handle.update((prev) => ({ ...prev, spec: { intervals: [{ every: '2h' }] } }));
   */
  update<W extends ScheduleOptionsAction = ScheduleOptionsAction>(updateFn: (previous: ScheduleDescription) => ScheduleUpdateOptions<W>): Promise<void>;
  delete(): Promise<void>;
  /** Takes one action now, even while paused. */
  trigger(overlap?: ScheduleOverlapPolicy): Promise<void>;
  /** Takes the actions the spec names in each range, now. */
  backfill(options: Backfill | Backfill[]): Promise<void>;
  pause(note?: string): Promise<void>;
  unpause(note?: string): Promise<void>;
}

const UPDATE_ATTEMPTS = 5;

/**
 * Creates schedules, makes handles to them and lists them (Temporal's ScheduleClient), usually
 * reached as `client.schedule`.
 *
 * @example
 * const handle = await client.schedule.create({
 *   scheduleId: 'daily-report',
 *   spec: { calendars: [{ hour: 9, dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY' }] }], timezone: 'Europe/Paris' },
 *   action: { type: 'startWorkflow', workflowType: report, taskQueue: 'reports', args: ['daily'] },
 * });
 * const { info } = await handle.describe();
 */
export class ScheduleClient extends BaseClient {
  public readonly options: LoadedScheduleClientOptions;

  constructor(options: ScheduleClientOptions & { loadedDataConverter: LoadedDataConverter }) {
    super(options.connection ?? Connection.lazy());
    this.options = { namespace: options.namespace ?? 'default', identity: options.identity ?? 'keel-client', loadedDataConverter: options.loadedDataConverter, interceptors: options.interceptors ?? [] };
  }

  /**
   * Creates a schedule and answers its handle.
   *
   * @throws {ScheduleAlreadyRunning} when a schedule with this id exists.
   */
  public async create<A extends ScheduleOptionsAction>(options: ScheduleOptions<A>): Promise<ScheduleHandle> {
    const compiled = { ...options, action: { ...options.action, workflowType: workflowTypeName(options.action.workflowType), args: (options.action.args ?? []) as unknown[] } } as CompiledScheduleOptions;
    await composeInterceptors(this.options.interceptors, 'create', (input: CreateScheduleInput) => this.createSchedule(input))({ headers: {}, options: compiled });
    return this.getHandle(options.scheduleId);
  }

  private async createSchedule({ headers, options }: CreateScheduleInput): Promise<CreateScheduleOutput> {
    const dc = this.options.loadedDataConverter;
    const state = options.state;
    const schedule = await scheduleToWire(options.scheduleId, options as unknown as ScheduleOptions, dc);
    // The headers go with the action, into every workflow the schedule starts, as Temporal's.
    if (Object.keys(headers).length > 0) schedule.action.startWorkflow.header = { ...headers };
    const request: RequestOf<'createSchedule'> = dropUndefined({
      scheduleId: options.scheduleId,
      schedule,
      memo: options.memo ? await encodeMapToPayloads(dc, options.memo) : undefined,
      searchAttributes: options.typedSearchAttributes ? { ...(options.searchAttributes ?? {}), ...typedSearchAttributesToWire(options.typedSearchAttributes) } : options.searchAttributes,
      initialPatch:
        state?.triggerImmediately || state?.backfill?.length
          ? dropUndefined({ triggerImmediately: state.triggerImmediately ? {} : undefined, backfill: state.backfill?.map(backfillToWire) })
          : undefined,
      identity: this.options.identity,
      requestId: crypto.randomUUID(),
    });
    const answer = await this.call(options.scheduleId, 'createSchedule', request);
    return { conflictToken: new TextEncoder().encode(answer.conflictToken) };
  }

  /** A handle to the schedule with this id; nothing is asked of the service until it is used. */
  public getHandle(scheduleId: string): ScheduleHandle {
    const call = <E extends 'describeSchedule' | 'updateSchedule' | 'patchSchedule' | 'deleteSchedule'>(endpoint: E, request: RequestOf<E>) => this.call(scheduleId, endpoint, request, { scheduleId });
    // A request id makes the transport's retry after a lost answer harmless: the schedule takes it once.
    const patch = (p: RequestOf<'patchSchedule'>) => call('patchSchedule', { ...p, identity: this.options.identity, requestId: crypto.randomUUID() }).then(() => undefined);
    const handle: ScheduleHandle = {
      scheduleId,
      client: this,
      describe: async () => descriptionFromWire(await call('describeSchedule', {}), this.options.loadedDataConverter),
      update: async (updateFn) => {
        for (let attempt = 1; ; attempt++) {
          const previous = await handle.describe();
          const next = updateFn(previous);
          const raw = previous.raw as ResponseOf<'describeSchedule'>;
          try {
            await call(
              'updateSchedule',
              dropUndefined({
                schedule: await scheduleToWire(scheduleId, next as ScheduleUpdateOptions, this.options.loadedDataConverter),
                conflictToken: raw.conflictToken,
                searchAttributes: next.typedSearchAttributes ? { ...(next.searchAttributes ?? {}), ...typedSearchAttributesToWire(next.typedSearchAttributes) } : next.searchAttributes,
                identity: this.options.identity,
                requestId: crypto.randomUUID(),
              }),
            );
            return;
          } catch (err) {
            if (!(err instanceof KeelServiceError && err.code === 'SCHEDULE_CONFLICT') || attempt >= UPDATE_ATTEMPTS) throw err;
          }
        }
      },
      delete: () => call('deleteSchedule', { identity: this.options.identity }).then(() => undefined),
      trigger: (overlap) => patch({ triggerImmediately: dropUndefined({ overlapPolicy: overlap }) }),
      backfill: (options) => patch({ backfill: (Array.isArray(options) ? options : [options]).map(backfillToWire) }),
      pause: (note) => patch({ pause: note ?? 'Paused via TypeScript SDK' }),
      unpause: (note) => patch({ unpause: note ?? 'Unpaused via TypeScript SDK' }),
    };
    return handle;
  }

  /** Every schedule of the namespace, fetched a page at a time as the iteration goes on (eventually consistent). */
  public list(options: ListScheduleOptions = {}): AsyncIterable<ScheduleSummary> {
    if (options.query) throw new TypeError('Keel lists every schedule; filtering schedules by a query is not supported yet');
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        let nextPageToken: string | undefined;
        do {
          const page: ResponseOf<'listSchedules'> = await self.call('', 'listSchedules', dropUndefined({ pageSize: options.pageSize ?? 1000, nextPageToken }));
          for (const entry of page.schedules) yield await summaryFromWire(entry, self.options.loadedDataConverter);
          nextPageToken = page.nextPageToken;
        } while (nextPageToken);
      },
    };
  }

  private async call<E extends 'createSchedule' | 'describeSchedule' | 'updateSchedule' | 'patchSchedule' | 'deleteSchedule' | 'listSchedules'>(
    scheduleId: string,
    endpoint: E,
    request: RequestOf<E>,
    params?: Record<string, string>,
  ): Promise<ResponseOf<E>> {
    try {
      return await this.connection.call(endpoint, request, { namespace: this.options.namespace, ...(params ? { params } : {}) });
    } catch (err) {
      if (err instanceof KeelServiceError && err.code === 'SCHEDULE_NOT_FOUND') throw new ScheduleNotFoundError(err.message, scheduleId);
      if (err instanceof KeelServiceError && err.code === 'SCHEDULE_ALREADY_RUNNING') throw new ScheduleAlreadyRunning(err.message, scheduleId);
      throw err;
    }
  }
}

function backfillToWire(b: Backfill) {
  return dropUndefined({ startTime: b.start.toISOString(), endTime: b.end.toISOString(), overlapPolicy: b.overlap });
}
