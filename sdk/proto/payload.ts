// Owns `temporal.api.common.v1.Payload` and `Payloads` with protobufjs's static API (create,
// encode, decode, fromObject, toObject, verify, the delimited forms), byte for byte the encoding
// Temporal's @temporalio/proto gives: a codec that serialises whole payloads (encryption,
// compression) writes bytes that a Temporal codec reads, and the other way round.
//
// Decoded messages are Temporal's shape, Uint8Array values (what codecs see); `encode`,
// `create` and `fromObject` also take the wire shape, base64 text. `toObject` gives base64 text
// only when asked with `{ bytes: String }`, and `toJSON` always does, as protobufjs does.
import { decodeBase64, decodeUtf8, encodeBase64, encodeUtf8, type Payload as BytesPayload } from '../common/encoding.js';
import { Reader, Writer, expectLengthDelimited } from './wire.js';

/** Bytes as either shape: the wire's base64 text, or Temporal's Uint8Array. */
export type Bytes = string | Uint8Array;

/** A Payload as `encode`, `create` and `fromObject` take it: Temporal's shape or the wire's. */
export interface IPayload {
  metadata?: Record<string, Bytes> | null;
  data?: Bytes | null;
}

/** A Payloads message as `encode` takes it. */
export interface IPayloads {
  payloads?: IPayload[] | null;
}

/** A decoded Payload: Temporal's shape with every field present (absent data is empty). */
export interface DecodedPayload extends BytesPayload {
  metadata: Record<string, Uint8Array>;
  data: Uint8Array;
}

/** A decoded Payloads message. */
export interface DecodedPayloads {
  payloads: DecodedPayload[];
}

/** A Payload as `toObject` gives it: bytes, or base64 text with `{ bytes: String }`. */
export interface PayloadObject {
  metadata?: Record<string, Bytes>;
  data?: Bytes;
}

/** Options of `toObject`, as protobufjs's `IConversionOptions`. */
export interface ConversionOptions {
  /** Include fields left at their defaults. */
  defaults?: boolean;
  /** `String` for base64 text; otherwise bytes stay Uint8Arrays. */
  bytes?: unknown;
  [other: string]: unknown;
}

const toBytes = (b: Bytes): Uint8Array => (typeof b === 'string' ? decodeBase64(b) : b);

function normalizePayload(p: IPayload): DecodedPayload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = toBytes(v);
  return { metadata, data: p.data == null ? new Uint8Array() : toBytes(p.data) };
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

function readPayload(r: Reader, end: number): DecodedPayload {
  const inner = new Reader(r.bytes, end);
  inner.pos = r.pos;
  const metadata: Record<string, Uint8Array> = {};
  let data: Uint8Array = new Uint8Array();
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
      metadata[key] = value;
    } else if (tag.field === 2) {
      expectLengthDelimited(tag.wireType, 'Payload.data');
      data = inner.bytesField();
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
  create(properties?: IPayload): DecodedPayload {
    return normalizePayload(properties ?? {});
  },
  encode(message: IPayload, writer?: Writer): Writer {
    return writePayload(message, writer);
  },
  encodeDelimited(message: IPayload, writer: Writer = new Writer()): Writer {
    return writer.bytes(writePayload(message).finish());
  },
  decode(input: Uint8Array | Reader, length?: number): DecodedPayload {
    const r = asReader(input);
    return readPayload(r, length === undefined ? r.end : r.pos + length);
  },
  decodeDelimited(input: Uint8Array | Reader): DecodedPayload {
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
  fromObject(object: IPayload): DecodedPayload {
    return normalizePayload(object);
  },
  toObject(message: IPayload, options?: ConversionOptions): PayloadObject {
    const p = normalizePayload(message);
    const asText = options?.bytes === String;
    const out: PayloadObject = {};
    if (options?.defaults || Object.keys(p.metadata).length > 0) {
      out.metadata = asText ? Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, encodeBase64(v)])) : p.metadata;
    }
    if (options?.defaults || message.data != null) out.data = asText ? encodeBase64(p.data) : p.data;
    return out;
  },
  toJSON(message: IPayload): PayloadObject {
    return Payload.toObject(message, { bytes: String });
  },
};

/** `temporal.api.common.v1.Payloads`: a list of payloads (arguments, results, details). */
const Payloads = {
  create(properties?: IPayloads): { payloads: DecodedPayload[] } {
    return { payloads: (properties?.payloads ?? []).map(normalizePayload) };
  },
  encode(message: IPayloads, writer: Writer = new Writer()): Writer {
    for (const p of message.payloads ?? []) writer.field(1, writePayload(p).finish());
    return writer;
  },
  encodeDelimited(message: IPayloads, writer: Writer = new Writer()): Writer {
    return writer.bytes(Payloads.encode(message).finish());
  },
  decode(input: Uint8Array | Reader, length?: number): { payloads: DecodedPayload[] } {
    const r = asReader(input);
    return readPayloads(r, length === undefined ? r.end : r.pos + length);
  },
  decodeDelimited(input: Uint8Array | Reader): { payloads: DecodedPayload[] } {
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
  fromObject(object: IPayloads): { payloads: DecodedPayload[] } {
    return Payloads.create(object);
  },
  toObject(message: IPayloads, options?: ConversionOptions): { payloads?: PayloadObject[] } {
    const list = message.payloads ?? [];
    return options?.defaults || list.length > 0 ? { payloads: list.map((p) => Payload.toObject(p, options)) } : {};
  },
  toJSON(message: IPayloads): { payloads?: PayloadObject[] } {
    return Payloads.toObject(message, { bytes: String });
  },
};

function readPayloads(r: Reader, end: number): { payloads: DecodedPayload[] } {
  const inner = new Reader(r.bytes, end);
  inner.pos = r.pos;
  const payloads: DecodedPayload[] = [];
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
