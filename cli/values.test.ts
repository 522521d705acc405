import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '../sdk/common/index.js';
import { UsageError } from './errors.js';
import { parseDuration, parseInputs, parseJson, parseKeyValues, parsePolicy, payloadValue } from './values.js';

describe('CLI values', () => {
  it('reads each --input as one JSON argument, in order', () => {
    expect(parseInputs(['"Keel"', '42', '{"a":[1]}'])).toEqual(['Keel', 42, { a: [1] }]);
    expect(parseInputs()).toEqual([]);
  });

  it('says which --input is not JSON, and hints at quoting a bare word', () => {
    expect(() => parseInputs(['1', 'Keel'])).toThrow(UsageError);
    expect(() => parseJson('Keel', '--input #2')).toThrow(/--input #2 is not valid JSON \(a string must be quoted: '"Keel"'\)/);
  });

  it('reads KEY=JSON pairs', () => {
    expect(parseKeyValues(['customer="acme"', 'tier=3'], '--memo')).toEqual({ customer: 'acme', tier: 3 });
    expect(parseKeyValues([], '--memo')).toBeUndefined();
    expect(() => parseKeyValues(['novalue'], '--memo')).toThrow(/--memo 'novalue' must be KEY=JSON/);
  });

  it("takes Temporal CLI's Go durations and the SDK's", () => {
    expect(parseDuration('90s', '--run-timeout')).toBe(90_000);
    expect(parseDuration('1h30m', '--run-timeout')).toBe(5_400_000);
    // Days, as Temporal's CLI takes them for --retention.
    expect(parseDuration('3d', '--retention')).toBe(3 * 86_400_000);
    expect(parseDuration('1d12h', '--retention')).toBe(36 * 3_600_000);
    expect(parseDuration('250ms', '--run-timeout')).toBe(250);
    expect(parseDuration('7 days', '--run-timeout')).toBe(7 * 86_400_000);
    expect(parseDuration('1500', '--run-timeout')).toBe(1500);
    expect(() => parseDuration('soon', '--run-timeout')).toThrow(/--run-timeout 'soon' is not a duration/);
  });

  it("takes policy names in Temporal CLI's spelling and the SDK's", () => {
    const Reuse = { ALLOW_DUPLICATE: 'ALLOW_DUPLICATE', REJECT_DUPLICATE: 'REJECT_DUPLICATE' } as const;
    expect(parsePolicy('RejectDuplicate', Reuse, '--id-reuse-policy')).toBe('REJECT_DUPLICATE');
    expect(parsePolicy('allow_duplicate', Reuse, '--id-reuse-policy')).toBe('ALLOW_DUPLICATE');
    expect(() => parsePolicy('Never', Reuse, '--id-reuse-policy')).toThrow(/is not one of AllowDuplicate, RejectDuplicate/);
  });

  it('shows payloads decoded, and describes the ones it cannot decode', () => {
    expect(payloadValue(defaultPayloadConverter.toPayload({ ok: true }))).toEqual({ ok: true });
    expect(payloadValue(defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3])))).toBe('<binary: 3 bytes>');
    expect(payloadValue({ metadata: { encoding: btoa('binary/encrypted') }, data: btoa('xxxxxx') })).toBe('<binary/encrypted: 6 bytes>');
  });
});
