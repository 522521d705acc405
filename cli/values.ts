// Owns the values the CLI reads from flags — JSON inputs, `KEY=JSON` pairs, durations, policy
// names — and how it shows payloads it reads back (decoded when it can, described when not).
import { readFileSync } from 'node:fs';
import { defaultPayloadConverter, encodingOf, msToNumber, type WirePayload as Payload } from '../sdk/common/index.js';
import { UsageError } from './errors.js';

/**
 * The arguments a command passes: each `--input` is one JSON value, as in Temporal's CLI, then
 * each `--input-file` one JSON file.
 */
export function parseInputs(inputs: readonly string[] = [], inputFiles: readonly string[] = []): unknown[] {
  const values = inputs.map((text, i) => parseJson(text, `--input #${i + 1}`));
  for (const file of inputFiles) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--input-file ${file} cannot be read: ${(err as Error).message}`);
    }
    values.push(parseJson(text, `--input-file ${file}`));
  }
  return values;
}

/** Parses one JSON value, or says which flag held what could not be parsed. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const hint = /^[A-Za-z_][\w-]*$/.test(text.trim()) ? ` (a string must be quoted: '"${text.trim()}"')` : '';
    throw new UsageError(`${what} is not valid JSON${hint}: ${(err as Error).message}`);
  }
}

/** `KEY=JSON` pairs (`--memo`, `--search-attribute`) as an object. */
export function parseKeyValues(pairs: readonly string[] = [], flag: string): Record<string, unknown> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} '${pair}' must be KEY=JSON, e.g. ${flag} customer='"acme"'`);
    out[pair.slice(0, eq)] = parseJson(pair.slice(eq + 1), `${flag} ${pair.slice(0, eq)}`);
  }
  return out;
}

// Go's units, and `d` for days as Temporal's CLI takes it (`--retention 3d`).
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+$/;
const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration flag in milliseconds. Takes Temporal CLI's Go form (`90s`, `1h30m`, `250ms`) and the
 * SDK's (`'10 seconds'`, `'2 days'`, a bare number of milliseconds).
 */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (GO_DURATION.test(t)) {
    let ms = 0;
    for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g)) ms += Number(n) * GO_UNITS[unit!]!;
    return Math.round(ms);
  }
  try {
    return Math.round(msToNumber(t));
  } catch {
    throw new UsageError(`${flag} '${text}' is not a duration; use e.g. 30s, 1h30m, '10 minutes' or '7 days'`);
  }
}

/**
 * A policy flag: Temporal CLI's spelling (`AllowDuplicate`, `UseExisting`) or the SDK's
 * (`ALLOW_DUPLICATE`), case-insensitive, to the SDK's value.
 */
export function parsePolicy<V extends string>(text: string, values: Record<string, V>, flag: string): V {
  const key = text.replace(/[-_\s]/g, '').toLowerCase();
  for (const v of Object.values(values)) if (v.replace(/_/g, '').toLowerCase() === key) return v;
  const names = Object.values(values).map((v) => v.toLowerCase().replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase()));
  throw new UsageError(`${flag} '${text}' is not one of ${names.join(', ')}`);
}

/**
 * A payload as a value for display: decoded by the default converter (JSON, binary, null); a
 * payload it cannot decode (encrypted by a codec, a custom encoding) is described instead.
 */
export function payloadValue(payload: Payload | undefined): unknown {
  if (payload === undefined) return undefined;
  try {
    const value = defaultPayloadConverter.fromPayload(payload);
    return value instanceof Uint8Array ? `<binary: ${value.byteLength} bytes>` : value;
  } catch {
    return `<${encodingOf(payload) ?? 'unknown encoding'}: ${Math.floor((payload.data.length * 3) / 4)} bytes>`;
  }
}

/** Payloads as values for display. */
export function payloadValues(payloads: readonly Payload[] | undefined): unknown[] {
  return (payloads ?? []).map(payloadValue);
}
