/**
 * Applies payload codecs to every payload inside a history or a list of commands. The
 * service's shapes hold payloads in many fields (input, result, details, failures,
 * memo…); a payload is recognised by its shape, `{ metadata, data }`, so a new event
 * type needs no change here. Without codecs nothing is walked.
 */
import type { Payload } from '../../protocol/index.js';
import { decodeWithCodecs, encodeWithCodecs, type PayloadCodec } from '../common/index.js';

function isPayload(v: unknown): v is Payload {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 2 && 'metadata' in v && 'data' in v && typeof (v as Payload).data === 'string';
}

function collect(value: unknown, found: Array<{ holder: Record<string, unknown> | unknown[]; key: string | number; payload: Payload }>): void {
  if (typeof value !== 'object' || value === null) return;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    if (isPayload(v)) found.push({ holder: value as Record<string, unknown>, key, payload: v });
    else collect(v, found);
  }
}

async function transform<T>(value: T, codecs: readonly PayloadCodec[], apply: typeof encodeWithCodecs): Promise<T> {
  if (codecs.length === 0) return value;
  const copy = structuredClone(value);
  const found: Parameters<typeof collect>[1] = [];
  collect(copy, found);
  const out = await apply(codecs, found.map((f) => f.payload));
  found.forEach((f, i) => ((f.holder as Record<string | number, unknown>)[f.key] = out[i]));
  return copy;
}

/** A copy of `value` with every payload decoded. */
export const decodeAllPayloads = <T>(value: T, codecs: readonly PayloadCodec[]) => transform(value, codecs, decodeWithCodecs);
/** A copy of `value` with every payload encoded. */
export const encodeAllPayloads = <T>(value: T, codecs: readonly PayloadCodec[]) => transform(value, codecs, encodeWithCodecs);
