// Owns showing user data: payloads are opaque bytes with base64 metadata (design invariant 4).
// Those whose `metadata.encoding` says JSON are decoded here in the browser; any other encoding
// (encrypted, compressed) goes to the user's codec server, if one is configured, by Temporal's
// codec server protocol: POST {endpoint}/decode with `{ payloads }`, answered with `{ payloads }`.
import type { Payload } from '../../protocol/payload.js';

/** What a payload shows as. */
export type Decoded =
  | { kind: 'json'; value: unknown; encoding: string }
  | { kind: 'null' }
  | { kind: 'binary'; bytes: number; base64: string; encoding: string }
  /** An encoding this page cannot read and no codec decoded (encrypted, compressed, …). */
  | { kind: 'opaque'; encoding: string; reason: string }
  | { kind: 'error'; encoding: string; message: string };

/** Encodings this page reads itself; anything else needs a codec. */
const LOCAL_ENCODINGS = new Set(['json/plain', 'json/protobuf', 'binary/null', 'binary/plain']);

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const b64text = (b64: string) => utf8.decode(base64ToBytes(b64));

/** The payload's `metadata.encoding`, decoded; '' when absent or unreadable. */
export function encodingOf(p: Payload): string {
  const e = p.metadata?.['encoding'];
  if (!e) return '';
  try {
    return b64text(e);
  } catch {
    return '';
  }
}

/** Is this value shaped like a payload (`{ metadata: { k: base64 }, data: base64 }`)? */
export function isPayload(v: unknown): v is Payload {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (!keys.includes('metadata') || keys.some((k) => k !== 'metadata' && k !== 'data')) return false;
  const md = o['metadata'];
  return md !== null && typeof md === 'object' && !Array.isArray(md) && Object.values(md).every((x) => typeof x === 'string') && (o['data'] === undefined || typeof o['data'] === 'string');
}

/** Decodes what needs no codec; `opaque` for the rest. */
export function decodeLocal(p: Payload): Decoded {
  const encoding = encodingOf(p);
  const data = p.data ?? '';
  try {
    switch (encoding) {
      case 'binary/null':
        return { kind: 'null' };
      case 'json/plain':
      case 'json/protobuf':
        return { kind: 'json', value: JSON.parse(b64text(data)), encoding };
      case 'binary/plain':
        return { kind: 'binary', bytes: base64ToBytes(data).length, base64: data, encoding };
      default:
        return { kind: 'opaque', encoding: encoding || '(none)', reason: encoding === 'binary/encrypted' ? 'encrypted' : 'unknown encoding' };
    }
  } catch (err) {
    return { kind: 'error', encoding, message: (err as Error).message };
  }
}

export const needsCodec = (p: Payload) => !LOCAL_ENCODINGS.has(encodingOf(p));

export interface CodecOptions {
  endpoint: string;
  namespace: string;
  includeCredentials?: boolean;
  fetch?: typeof fetch;
}

/** Decoded payloads, by their data and metadata, so each is sent to the codec once. */
const codecCache = new Map<string, Payload>();
const cacheKey = (p: Payload) => `${JSON.stringify(p.metadata)}|${p.data}`;

/**
 * Decodes payloads through the codec server, in batches of at most 500; what it cannot decode
 * comes back as it was. Throws when the codec cannot be reached or answers badly.
 */
export async function codecDecode(payloads: Payload[], o: CodecOptions): Promise<Payload[]> {
  const todo = [...new Map(payloads.filter((p) => !codecCache.has(cacheKey(p))).map((p) => [cacheKey(p), p])).values()];
  for (let i = 0; i < todo.length; i += 500) {
    const batch = todo.slice(i, i + 500);
    const res = await (o.fetch ?? fetch)(`${o.endpoint.replace(/\/+$/, '')}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': o.namespace },
      body: JSON.stringify({ payloads: batch }),
      credentials: o.includeCredentials ? 'include' : 'omit',
    });
    if (!res.ok) throw new Error(`The codec endpoint answered ${res.status} ${res.statusText}`);
    const body = (await res.json()) as { payloads?: Payload[] };
    if (!Array.isArray(body.payloads) || body.payloads.length !== batch.length) throw new Error('The codec endpoint answered without one payload per payload sent');
    batch.forEach((p, j) => codecCache.set(cacheKey(p), body.payloads![j]!));
    if (codecCache.size > 20_000) codecCache.delete(codecCache.keys().next().value!);
  }
  return payloads.map((p) => codecCache.get(cacheKey(p)) ?? p);
}

/** Every payload inside a value (events, describe answers, failures), depth first. */
export function collectPayloads(v: unknown, out: Payload[] = []): Payload[] {
  const stack = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (isPayload(x)) out.push(x);
    else for (const c of Array.isArray(x) ? x : Object.values(x)) if (c !== null && typeof c === 'object') stack.push(c);
  }
  return out;
}

/** How a decoded payload reads inside a JSON view. */
export function displayValue(d: Decoded): unknown {
  switch (d.kind) {
    case 'json':
      return d.value;
    case 'null':
      return null;
    case 'binary':
      return `<${d.bytes} bytes, ${d.encoding}>`;
    case 'opaque':
      return `<${d.reason}: ${d.encoding}${d.reason === 'encrypted' ? ' — set a codec endpoint in Settings to decode' : ''}>`;
    case 'error':
      return `<could not decode ${d.encoding}: ${d.message}>`;
  }
}

/**
 * A copy of `v` with every payload replaced by what it shows as. `decoded` maps payloads the
 * codec turned back into plain ones; others are decoded locally.
 */
export function withDecodedPayloads(v: unknown, decoded?: Map<Payload, Payload>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (isPayload(v)) return displayValue(decodeLocal(decoded?.get(v) ?? v));
  if (Array.isArray(v)) return v.map((x) => withDecodedPayloads(x, decoded));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = withDecodedPayloads(x, decoded);
  return out;
}

/**
 * Decodes every payload in `v` for display: locally where the encoding allows, through the
 * codec for the rest when one is configured. Never throws: a codec failure shows as a note.
 */
export async function decodeForDisplay(v: unknown, codec: CodecOptions | undefined): Promise<{ value: unknown; codecError?: string }> {
  const opaque = collectPayloads(v).filter(needsCodec);
  if (!codec?.endpoint || opaque.length === 0) return { value: withDecodedPayloads(v) };
  try {
    const plain = await codecDecode(opaque, codec);
    return { value: withDecodedPayloads(v, new Map(opaque.map((p, i) => [p, plain[i]!]))) };
  } catch (err) {
    return { value: withDecodedPayloads(v), codecError: (err as Error).message };
  }
}
