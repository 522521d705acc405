import { describe, expect, it } from 'vitest';
import { KeelServiceError } from '../sdk/client/index.js';
import { CliError, ExitCode, UsageError, describeError, exitCodeOf } from './errors.js';

describe('CLI failures', () => {
  it('say what to check when nothing answers at the address', () => {
    const err = new Error('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' }) });
    expect(describeError(err, { address: '127.0.0.1:7233' })).toBe(
      'cannot reach the Keel service at 127.0.0.1:7233 (ECONNREFUSED); is `keel dev` running? Set --address or KEEL_ADDRESS to use another service.',
    );
  });

  it("add a service error's code, on one line", () => {
    expect(describeError(new KeelServiceError('INVALID_ARGUMENT', 400, 'Invalid request:\n  pageSize: too big'))).toBe('Invalid request: pageSize: too big (INVALID_ARGUMENT)');
  });

  it('exit with 2 for usage errors and 1 for everything else', () => {
    expect(exitCodeOf(new UsageError('bad flag'))).toBe(ExitCode.USAGE);
    expect(exitCodeOf(new CliError('failed'))).toBe(ExitCode.FAILED);
    expect(exitCodeOf(new Error('boom'))).toBe(ExitCode.FAILED);
  });
});
