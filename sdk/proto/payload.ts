// Owns `temporal.api.common.v1.Payload` and `Payloads` with protobufjs's static API (create,
// encode, decode, fromObject, toObject, verify, the delimited forms), byte for byte the encoding
// Temporal's @temporalio/proto gives: a codec that serialises whole payloads (encryption,
// compression) writes bytes that a Temporal codec reads, and the other way round.
//
// The messages are Keel's payload shape, base64 strings (what converters and codecs see in Keel);
// `encode` and `fromObject` also take Temporal's shape, Uint8Array values.
import type { Payload as WirePayload } from '../../protocol/index.js';
import { decodeBase64, decodeUtf8, encodeBase64, encodeUtf8 } from '../common/encoding.js';
import { Reader, Writer, expectLengthDelimited } from './wire.js';

/** Bytes as either shape: Keel's base64 text, or Temporal's Uint8Array. */
export type Bytes = string | Uint8Array;

/** A Payload as `encode`, `create` and `fromObject` take it: Keel's shape or Temporal's. */
export interface IPayload {
  metadata?: Record<string, Bytes> | null;
  data?: Bytes | null;
}

/** A Payloads message as `encode` takes it. */
export interface IPayloads {
  payloads?: IPayload[] | null;
}

/** Options of `toObject`, as protobufjs's `IConversionOptions` (bytes are base64 strings either way). */
export interface ConversionOptions {
  /** Include fields left at their defaults. */
  defaults?: boolean;
  [other: string]: unknown;
}

const toBytes = (b: Bytes): Uint8Array => (typeof b === 'string' ? decodeBase64(b) : b);
const toBase64 = (b: Bytes): string => (typeof b === 'string' ? b : encodeBase64(b));

function normalizePayload(p: IPayload): WirePayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = toBase64(v);
  return { metadata, data: p.data == null ? '' : toBase64(p.data) };
}

function writePayload(p: IPayload, w: Writer = new Writer()): Writer {
  // Field order and presence as protobufjs writes them: every map entry (key 1, value 2), then
  // data (field 2) whenever it is set, even empty.
  for (const key of Object.keys(p.metadata ?? {})) {
    const entry = new Writer().field(1, encodeUtf8(key)).field(2, toBytes(p.metadata![key]!)).finish();
    w.field(1, entry);
  }
  if (p.data != null) w.field(2, toBytes(p.data));
  return w;
}

function readPayload(r: Reader, end: number): WirePayload {
  const inner = new Reader(r.bytes, end);
  inner.pos = r.pos;
  const metadata: Record<string, string> = {};
  let data = '';
  for (let tag = inner.tag(); tag; tag = inner.tag()) {
    if (tag.field === 1) {
      expectLengthDelimited(tag.wireType, 'Payload.metadata');
      const entryBytes = inner.bytesField();
      const entry = new Reader(entryBytes);
      let key = '';
      let value: Uint8Array = new Uint8Array();
      for (let t = entry.tag(); t; t = entry.tag()) {
        if (t.field === 1 && t.wireType === 2) key = decodeUtf8(entry.bytesField());
        else if (t.field === 2 && t.wireType === 2) value = entry.bytesField();
        else entry.skip(t.wireType);
      }
      metadata[key] = encodeBase64(value);
    } else if (tag.field === 2) {
      expectLengthDelimited(tag.wireType, 'Payload.data');
      data = encodeBase64(inner.bytesField());
    } else inner.skip(tag.wireType);
  }
  r.pos = end;
  return { metadata, data };
}

const asReader = (input: Uint8Array | Reader): Reader => (input instanceof Reader ? input : new Reader(input));

function verifyBytes(v: unknown): boolean {
  return typeof v === 'string' || v instanceof Uint8Array;
}

/** `temporal.api.common.v1.Payload`: user data with its metadata. */
const Payload = {
  create(properties?: IPayload): WirePayload {
    return normalizePayload(properties ?? {});
  },
  encode(message: IPayload, writer?: Writer): Writer {
    return writePayload(message, writer);
  },
  encodeDelimited(message: IPayload, writer: Writer = new Writer()): Writer {
    return writer.bytes(writePayload(message).finish());
  },
  decode(input: Uint8Array | Reader, length?: number): WirePayload {
    const r = asReader(input);
    return readPayload(r, length === undefined ? r.end : r.pos + length);
  },
  decodeDelimited(input: Uint8Array | Reader): WirePayload {
    const r = asReader(input);
    const length = r.uint32();
    return readPayload(r, r.pos + length);
  },
  verify(message: Record<string, unknown>): string | null {
    if (message['metadata'] != null) {
      if (typeof message['metadata'] !== 'object') return 'metadata: object expected';
      for (const v of Object.values(message['metadata'] as object)) if (!verifyBytes(v)) return 'metadata: buffer{k:string} expected';
    }
    if (message['data'] != null && !verifyBytes(message['data'])) return 'data: buffer expected';
    return null;
  },
  fromObject(object: IPayload): WirePayload {
    return normalizePayload(object);
  },
  toObject(message: IPayload, options?: ConversionOptions): Partial<WirePayload> {
    const p = normalizePayload(message);
    const out: Partial<WirePayload> = {};
    if (options?.defaults || Object.keys(p.metadata).length > 0) out.metadata = p.metadata;
    if (options?.defaults || message.data != null) out.data = p.data;
    return out;
  },
  toJSON(message: IPayload): Partial<WirePayload> {
    return Payload.toObject(message);
  },
};

/** `temporal.api.common.v1.Payloads`: a list of payloads (arguments, results, details). */
const Payloads = {
  create(properties?: IPayloads): { payloads: WirePayload[] } {
    return { payloads: (properties?.payloads ?? []).map(normalizePayload) };
  },
  encode(message: IPayloads, writer: Writer = new Writer()): Writer {
    for (const p of message.payloads ?? []) writer.field(1, writePayload(p).finish());
    return writer;
  },
  encodeDelimited(message: IPayloads, writer: Writer = new Writer()): Writer {
    return writer.bytes(Payloads.encode(message).finish());
  },
  decode(input: Uint8Array | Reader, length?: number): { payloads: WirePayload[] } {
    const r = asReader(input);
    return readPayloads(r, length === undefined ? r.end : r.pos + length);
  },
  decodeDelimited(input: Uint8Array | Reader): { payloads: WirePayload[] } {
    const r = asReader(input);
    const length = r.uint32();
    return readPayloads(r, r.pos + length);
  },
  verify(message: Record<string, unknown>): string | null {
    const list = message['payloads'];
    if (list == null) return null;
    if (!Array.isArray(list)) return 'payloads: array expected';
    for (const p of list) {
      const err = Payload.verify(p as Record<string, unknown>);
      if (err) return `payloads.${err}`;
    }
    return null;
  },
  fromObject(object: IPayloads): { payloads: WirePayload[] } {
    return Payloads.create(object);
  },
  toObject(message: IPayloads, options?: ConversionOptions): { payloads?: Partial<WirePayload>[] } {
    const list = message.payloads ?? [];
    return options?.defaults || list.length > 0 ? { payloads: list.map((p) => Payload.toObject(p, options)) } : {};
  },
  toJSON(message: IPayloads): { payloads?: Partial<WirePayload>[] } {
    return Payloads.toObject(message);
  },
};

function readPayloads(r: Reader, end: number): { payloads: WirePayload[] } {
  const inner = new Reader(r.bytes, end);
  inner.pos = r.pos;
  const payloads: WirePayload[] = [];
  for (let tag = inner.tag(); tag; tag = inner.tag()) {
    if (tag.field === 1) {
      expectLengthDelimited(tag.wireType, 'Payloads.payloads');
      const length = inner.uint32();
      payloads.push(readPayload(inner, inner.pos + length));
    } else inner.skip(tag.wireType);
  }
  r.pos = end;
  return { payloads };
}

export { Payload, Payloads };
