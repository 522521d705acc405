// Owns the logger contract every part of the SDK logs through, with Temporal's names and shapes
// (`Logger`, `LogLevel`, `LogMetadata`, `SdkComponent` of @temporalio/common), and `withMetadata`,
// which attaches attributes to every record of a logger. Sandbox-safe: no `node:*`.

/** Log levels, least severe first, as Temporal's. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Attributes of a log record. */
export type LogMetadata = Record<string | symbol, unknown>;

/**
 * Where the SDK's log records go: the shape of Temporal's `Logger`, so that a logger written for
 * Temporal (winston or pino adapters, `DefaultLogger`) plugs in unchanged. `console` fits too.
 */
export interface Logger {
  log(level: LogLevel, message: string, meta?: LogMetadata): void;
  trace(message: string, meta?: LogMetadata): void;
  debug(message: string, meta?: LogMetadata): void;
  info(message: string, meta?: LogMetadata): void;
  warn(message: string, meta?: LogMetadata): void;
  error(message: string, meta?: LogMetadata): void;
}

/** The `sdkComponent` attribute of a record: which part of the SDK wrote it (Temporal's values). */
export const SdkComponent = {
  workflow: 'workflow',
  activity: 'activity',
  worker: 'worker',
  client: 'client',
  core: 'core',
} as const;
export type SdkComponent = (typeof SdkComponent)[keyof typeof SdkComponent];

/** The levels in order of severity; a level's index is its severity. */
export const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** A Logger whose every level method goes through one `log(level, message, meta)` function. */
export function loggerFrom(log: Logger['log']): Logger {
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * A logger that adds `meta` (or what `meta()` returns at each record) to every record of `logger`,
 * under the record's own attributes. Nested calls flatten into one wrapper over the base logger.
 *
 * @example
 * const log = withMetadata(Runtime.instance().logger, { sdkComponent: 'worker', taskQueue });
 */
export function withMetadata(logger: Logger, meta: LogMetadata | (() => LogMetadata)): Logger {
  const base = logger instanceof MetadataLogger ? logger.base : logger;
  const chain = logger instanceof MetadataLogger ? [...logger.chain, meta] : [meta];
  return new MetadataLogger(base, chain);
}

class MetadataLogger implements Logger {
  constructor(
    readonly base: Logger,
    readonly chain: ReadonlyArray<LogMetadata | (() => LogMetadata)>,
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.base.log(level, message, this.resolve(meta));
  }
  trace(message: string, meta?: LogMetadata): void {
    this.base.trace(message, this.resolve(meta));
  }
  debug(message: string, meta?: LogMetadata): void {
    this.base.debug(message, this.resolve(meta));
  }
  info(message: string, meta?: LogMetadata): void {
    this.base.info(message, this.resolve(meta));
  }
  warn(message: string, meta?: LogMetadata): void {
    this.base.warn(message, this.resolve(meta));
  }
  error(message: string, meta?: LogMetadata): void {
    this.base.error(message, this.resolve(meta));
  }

  private resolve(meta: LogMetadata | undefined): LogMetadata {
    const out: LogMetadata = {};
    for (const m of this.chain) Object.assign(out, typeof m === 'function' ? m() : m);
    return Object.assign(out, meta);
  }
}
