import { describe, expect, it, vi } from 'vitest';
import { withMetadata } from '../common/logger.js';
import { DefaultLogger, LogTimestamp, makeTelemetryFilterString, type LogEntry } from './runtime.js';

describe('DefaultLogger', () => {
  it("keeps records at its level or above, as Temporal's", () => {
    const entries: LogEntry[] = [];
    const logger = new DefaultLogger('WARN', (e) => void entries.push(e));
    logger.debug('dropped');
    logger.info('dropped');
    logger.warn('kept', { a: 1 });
    logger.error('kept too');
    logger.log('TRACE', 'dropped');
    expect(entries.map((e) => [e.level, e.message, e.meta])).toEqual([
      ['WARN', 'kept', { a: 1 }],
      ['ERROR', 'kept too', undefined],
    ]);
    expect(logger.level).toBe('WARN');
  });

  it('defaults to INFO and takes a record timestamp from LogTimestamp', () => {
    const entries: LogEntry[] = [];
    const logger = new DefaultLogger(undefined, (e) => void entries.push(e));
    logger.debug('dropped');
    logger.info('at', { [LogTimestamp]: 5_000_000n });
    expect(entries).toEqual([{ level: 'INFO', message: 'at', meta: undefined, timestampNanos: 5_000_000n }]);
  });

  it('refuses an unknown level', () => {
    expect(() => new DefaultLogger('LOUD' as never)).toThrow(/unknown log level 'LOUD'/);
  });

  it('prints time, level, message and metadata on stderr by default', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let calls: unknown[][];
    try {
      new DefaultLogger('INFO').info('iteration', { [LogTimestamp]: 0n, iteration: 3 });
    } finally {
      calls = [...write.mock.calls];
      write.mockRestore();
    }
    expect(calls).toEqual([['1970-01-01T00:00:00.000Z [INFO] iteration { iteration: 3 }\n']]);
  });
});

describe('makeTelemetryFilterString', () => {
  it("builds Temporal's filter string", () => {
    expect(makeTelemetryFilterString({ core: 'WARN' })).toBe('INFO,temporal_sdk_core=WARN,temporal_client=WARN,temporal_sdk=WARN');
    expect(makeTelemetryFilterString({ core: 'DEBUG', other: 'ERROR' })).toBe('ERROR,temporal_sdk_core=DEBUG,temporal_client=DEBUG,temporal_sdk=DEBUG');
  });
});

describe('withMetadata', () => {
  it('adds attributes under the record’s own, flattening nested wrappers', () => {
    const entries: LogEntry[] = [];
    const base = new DefaultLogger('TRACE', (e) => void entries.push(e));
    let n = 0;
    const log = withMetadata(withMetadata(base, { sdkComponent: 'worker', taskQueue: 'q' }), () => ({ n: ++n }));
    log.trace('a', { sdkComponent: 'activity' });
    log.log('WARN', 'b');
    expect(entries.map((e) => e.meta)).toEqual([
      { sdkComponent: 'activity', taskQueue: 'q', n: 1 },
      { sdkComponent: 'worker', taskQueue: 'q', n: 2 },
    ]);
  });
});
