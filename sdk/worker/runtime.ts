// Owns the process-wide Runtime of keel/worker, as Temporal's `Runtime` of @temporalio/worker: the
// one logger that the worker, its activities and workflows (and anything else of the SDK that
// logs) write through, set once with `Runtime.install`, plus `DefaultLogger` and
// `makeTelemetryFilterString` with Temporal's shapes. Keel has no native core, so there are no core
// logs to filter or forward, and no metrics exporter: those options are accepted (programs written
// for Temporal pass them) and documented as such.
import { formatWithOptions } from 'node:util';
import { IllegalStateError } from '../common/errors.js';
import { LOG_LEVELS, type Logger, type LogLevel, type LogMetadata } from '../common/logger.js';
import { MetricRegistry } from '../../protocol/metric-registry.js';
import { startPrometheusEndpoint, type PrometheusEndpoint } from './prometheus-endpoint.js';

/** One record, as Temporal's `LogEntry`. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  /** Nanoseconds since the epoch. */
  timestampNanos: bigint;
  /** The record's attributes; undefined when it has none. */
  meta?: LogMetadata;
}

/** A record's timestamp, when its writer knows it (Temporal's `Symbol.for('log_timestamp')`). */
export const LogTimestamp = Symbol.for('log_timestamp');

/** Now, in nanoseconds since the epoch. */
function nowNanos(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1_000_000));
}

const stderrColors = process.stderr.isTTY === true && process.stderr.hasColors?.() === true;

/** Writes `<ISO time> [LEVEL] message {meta}` to stderr, as Temporal's default log function. */
function defaultLogFunction(entry: LogEntry): void {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const line = `${time} [${entry.level}] ${entry.message}`;
  process.stderr.write(entry.meta === undefined ? `${line}\n` : `${line} ${formatWithOptions({ colors: stderrColors }, entry.meta)}\n`);
}

/**
 * The default logger: records at `level` or above go to `logFunction` (default: one line each on
 * stderr), as Temporal's `DefaultLogger`.
 *
 * @example
 * Runtime.install({ logger: new DefaultLogger('WARN') });
 * new DefaultLogger('DEBUG', ({ level, message, meta }) => lines.push(`${level} ${message}`));
 */
export class DefaultLogger implements Logger {
  protected readonly severity: number;

  constructor(
    public readonly level: LogLevel = 'INFO',
    protected readonly logFunction: (entry: LogEntry) => void = defaultLogFunction,
  ) {
    this.severity = LOG_LEVELS.indexOf(level);
    if (this.severity < 0) throw new TypeError(`DefaultLogger: unknown log level '${String(level)}'; use one of ${LOG_LEVELS.join(', ')}`);
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (LOG_LEVELS.indexOf(level) < this.severity) return;
    const { [LogTimestamp]: timestamp, ...rest } = meta ?? {};
    this.logFunction({
      level,
      message,
      meta: Object.keys(rest).length === 0 ? undefined : rest,
      timestampNanos: typeof timestamp === 'bigint' ? timestamp : nowNanos(),
    });
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** Options of {@link makeTelemetryFilterString}. */
export interface MakeTelemetryFilterStringOptions {
  /** The level kept for the SDK core's own records. */
  core: LogLevel;
  /** The level kept for everything else. Default 'INFO'. */
  other?: LogLevel;
}

/**
 * The filter string of `telemetryOptions.logging.filter`, in Temporal's format. Keel has no
 * native core whose records it would filter; the string is accepted so that setups written for
 * Temporal run unchanged.
 */
export function makeTelemetryFilterString(options: MakeTelemetryFilterStringOptions): string {
  const { core, other = 'INFO' } = options;
  return `${other},temporal_sdk_core=${core},temporal_client=${core},temporal_sdk=${core}`;
}

/**
 * Temporal's metrics options. `prometheus.bindAddress` serves the worker's metrics (Temporal's SDK
 * names) as Prometheus text at `http://<bindAddress>/metrics`; `globalTags` are added to every
 * series; other exporters (`otel`) are accepted and ignored.
 */
export interface MetricsExporterConfig {
  prometheus?: { bindAddress: string; [other: string]: unknown };
  globalTags?: Record<string, string>;
  [other: string]: unknown;
}

/** Temporal's telemetry options. Keel has no native core: `logging` configures nothing. */
export interface TelemetryOptions {
  logging?: { filter?: string; forward?: Record<string, never>; console?: Record<string, never> };
  metrics?: MetricsExporterConfig;
  /** @deprecated Temporal's older name of `logging.filter`. */
  tracingFilter?: string;
  [other: string]: unknown;
}

/** Options of {@link Runtime.install}, as Temporal's `RuntimeOptions`. */
export interface RuntimeOptions {
  /** Where every record of the SDK goes. Default `new DefaultLogger('INFO')`. */
  logger?: Logger;
  /** Accepted for compatibility; see {@link TelemetryOptions}. */
  telemetryOptions?: TelemetryOptions;
  /** The signals on which workers shut down, unless a worker sets its own. Default ['SIGINT', 'SIGTERM']. */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * The process-wide runtime: holds the logger everything in the SDK logs through.
 *
 * @example
 * import { Runtime, DefaultLogger, makeTelemetryFilterString } from 'keel/worker';
 * Runtime.install({
 *   logger: new DefaultLogger('WARN'),
 *   telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'INFO' }) } },
 * });
 */
export class Runtime {
  private static current: Runtime | undefined;
  private static instantiator: 'install' | 'instance' | undefined;

  readonly logger: Logger;
  /** Every metric of the process's workers (sdk/worker/worker-metrics.ts). */
  readonly metrics: MetricRegistry;
  /** The Prometheus endpoint, once listening (`telemetryOptions.metrics.prometheus`). */
  private prometheus: Promise<PrometheusEndpoint> | undefined;

  protected constructor(readonly options: Required<Pick<RuntimeOptions, 'shutdownSignals'>> & RuntimeOptions) {
    this.logger = options.logger ?? new DefaultLogger('INFO');
    const metrics = options.telemetryOptions?.metrics;
    this.metrics = new MetricRegistry({ service_name: 'temporal-core-sdk', ...metrics?.globalTags });
    const bindAddress = metrics?.prometheus?.bindAddress;
    if (bindAddress !== undefined) {
      this.prometheus = startPrometheusEndpoint(this.metrics, bindAddress);
      this.prometheus.catch((err: unknown) => this.logger.error(`Could not serve metrics at ${bindAddress}`, { error: err }));
    }
  }

  /** Where the Prometheus endpoint listens, once it does; undefined without one. */
  async metricsAddress(): Promise<{ host: string; port: number } | undefined> {
    return (await this.prometheus)?.address;
  }

  /**
   * Sets the process's runtime. Call it before creating a worker (or anything that logs): once
   * a runtime exists, installing another throws `IllegalStateError`, as in Temporal.
   */
  static install(options: RuntimeOptions): Runtime {
    if (Runtime.current) {
      throw new IllegalStateError(
        Runtime.instantiator === 'install'
          ? 'Runtime singleton has already been installed'
          : 'Runtime singleton has already been instantiated. Did you start a Worker before calling `install`?',
      );
    }
    return Runtime.create(options, 'install');
  }

  /** The process's runtime; a default one (a `DefaultLogger` at INFO) if none was installed. */
  static instance(): Runtime {
    return Runtime.current ?? Runtime.create({}, 'instance');
  }

  private static create(options: RuntimeOptions, instantiator: 'install' | 'instance'): Runtime {
    Runtime.current = new Runtime({ ...options, shutdownSignals: options.shutdownSignals ?? ['SIGINT', 'SIGTERM'] });
    Runtime.instantiator = instantiator;
    return Runtime.current;
  }

  /** Nothing is buffered in Keel; here for Temporal's API. */
  flushLogs(): void {}

  /** Forgets this runtime, so that a later `install` or `instance()` makes a new one. */
  async shutdown(): Promise<void> {
    if (Runtime.current === this) {
      Runtime.current = undefined;
      Runtime.instantiator = undefined;
    }
    await (await this.prometheus?.catch(() => undefined))?.close();
  }
}
