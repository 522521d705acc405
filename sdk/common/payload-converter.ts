// Owns turning values into wire payloads and back: the `PayloadConverter` interface, Temporal's
// default converters (undefined → binary/null, Uint8Array → binary/plain, the rest → json/plain)
// and the helpers that convert argument lists and memo records.
import type { Payload } from '../../protocol/index.js';
import { base64ToUtf8, decodeBase64, decodeUtf8, encodeBase64, utf8ToBase64 } from './encoding.js';
import { PayloadConverterError } from './errors.js';

/** The metadata key that names a payload's encoding. */
export const METADATA_ENCODING_KEY = 'encoding';

/** The encodings Keel's SDK writes, with Temporal's names. */
export const encodingTypes = {
  /** `undefined`; no data. */
  METADATA_ENCODING_NULL: 'binary/null',
  /** Raw bytes (a `Uint8Array`). */
  METADATA_ENCODING_RAW: 'binary/plain',
  /** UTF-8 JSON. */
  METADATA_ENCODING_JSON: 'json/plain',
  /** A payload encrypted by {@link AesGcmPayloadCodec}; not a converter's encoding. */
  METADATA_ENCODING_ENCRYPTED: 'binary/encrypted',
} as const;
/** One of {@link encodingTypes}. */
export type EncodingType = (typeof encodingTypes)[keyof typeof encodingTypes];

/**
 * Turns values into payloads and back. A custom one (e.g. for protobufs or EJSON) is usually a
 * {@link CompositePayloadConverter} of {@link PayloadConverterWithEncoding}s. It runs inside the
 * workflow sandbox too, so it must be deterministic and must not import `node:*`.
 */
export interface PayloadConverter {
  /** Converts a value to a payload; throws {@link PayloadConverterError} when it cannot. */
  toPayload(value: unknown): Payload;
  /** Converts a payload back to its value; throws {@link PayloadConverterError} when it cannot. */
  fromPayload<T>(payload: Payload): T;
}

/** A converter for one encoding, as a part of a {@link CompositePayloadConverter}. */
export interface PayloadConverterWithEncoding {
  /** The `encoding` metadata value this converter writes and reads. */
  readonly encodingType: string;
  /** Converts a value, or returns `undefined` to let the next converter try. */
  toPayload(value: unknown): Payload | undefined;
  /** Converts a payload of this converter's encoding back to its value. */
  fromPayload<T>(payload: Payload): T;
}

/**
 * Encodings and their metadata value (base64 of the name), both ways: a payload's `encoding` is one
 * of a few names, so each is converted once. Bounded, for metadata a payload's sender chose.
 */
const encodingToMetadata = new Map<string, string>();
const metadataToEncoding = new Map<string, string>();
const MAX_ENCODINGS_KEPT = 64;

function remembered(cache: Map<string, string>, key: string, convert: (key: string) => string): string {
  let value = cache.get(key);
  if (value === undefined) {
    value = convert(key);
    if (cache.size < MAX_ENCODINGS_KEPT) cache.set(key, value);
  }
  return value;
}

/** Makes a payload with the given encoding and data (its bytes, base64). */
function makePayload(encoding: string, data: string): Payload {
  return { metadata: { [METADATA_ENCODING_KEY]: remembered(encodingToMetadata, encoding, utf8ToBase64) }, data };
}

/** The `encoding` metadata of a payload, decoded; `undefined` when it has none. */
export function encodingOf(payload: Payload): string | undefined {
  const raw = payload.metadata?.[METADATA_ENCODING_KEY];
  return raw === undefined ? undefined : remembered(metadataToEncoding, raw, base64ToUtf8);
}

/**
 * Whether `value` is a Uint8Array from any realm (a value from the workflow sandbox is not an
 * `instanceof` the worker's Uint8Array). Node's Buffer counts, being a Uint8Array.
 */
function isUint8Array(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]');
}

/** Converts `undefined` to an empty `binary/null` payload and back. */
export class UndefinedPayloadConverter implements PayloadConverterWithEncoding {
  public readonly encodingType = encodingTypes.METADATA_ENCODING_NULL;

  /** @inheritDoc */
  public toPayload(value: unknown): Payload | undefined {
    return value === undefined ? makePayload(this.encodingType, '') : undefined;
  }

  /** @inheritDoc */
  public fromPayload<T>(_payload: Payload): T {
    return undefined as T;
  }
}

/** Converts a `Uint8Array` to a `binary/plain` payload of its bytes and back. */
export class BinaryPayloadConverter implements PayloadConverterWithEncoding {
  public readonly encodingType = encodingTypes.METADATA_ENCODING_RAW;

  /** @inheritDoc */
  public toPayload(value: unknown): Payload | undefined {
    return isUint8Array(value) ? makePayload(this.encodingType, encodeBase64(value)) : undefined;
  }

  /** @inheritDoc */
  public fromPayload<T>(payload: Payload): T {
    return decodeBase64(payload.data ?? '') as T;
  }
}

/**
 * Converts any JSON-serialisable value to a `json/plain` payload (UTF-8 JSON) and back. Values
 * JSON cannot represent (functions, symbols) are declined; values JSON.stringify rejects (BigInt,
 * cycles) throw a {@link PayloadConverterError}.
 */
export class JsonPayloadConverter implements PayloadConverterWithEncoding {
  public readonly encodingType = encodingTypes.METADATA_ENCODING_JSON;

  /** @inheritDoc */
  public toPayload(value: unknown): Payload | undefined {
    if (value === undefined) return undefined;
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      throw new PayloadConverterError(`Cannot convert value to JSON: ${(err as Error)?.message ?? String(err)}`, err);
    }
    if (json === undefined) return undefined;
    return makePayload(this.encodingType, utf8ToBase64(json));
  }

  /** @inheritDoc */
  public fromPayload<T>(payload: Payload): T {
    const text = decodeUtf8(decodeBase64(payload.data ?? ''));
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new PayloadConverterError(`Payload with encoding 'json/plain' does not hold valid JSON: ${(err as Error)?.message}`, err);
    }
  }
}

/**
 * Tries its converters in order on `toPayload`, the first that accepts the value wins; on
 * `fromPayload`, picks the converter by the payload's `encoding` metadata.
 */
export class CompositePayloadConverter implements PayloadConverter {
  public readonly converters: readonly PayloadConverterWithEncoding[];
  private readonly byEncoding = new Map<string, PayloadConverterWithEncoding>();

  constructor(...converters: PayloadConverterWithEncoding[]) {
    if (converters.length === 0) {
      throw new PayloadConverterError('CompositePayloadConverter needs at least one converter');
    }
    this.converters = converters;
    for (const converter of converters) this.byEncoding.set(converter.encodingType, converter);
  }

  /** @inheritDoc */
  public toPayload(value: unknown): Payload {
    for (const converter of this.converters) {
      const payload = converter.toPayload(value);
      if (payload !== undefined) return payload;
    }
    throw new PayloadConverterError(`Unable to convert ${describe(value)} to a payload: no converter accepts it`);
  }

  /** @inheritDoc */
  public fromPayload<T>(payload: Payload): T {
    const encoding = encodingOf(payload);
    if (encoding === undefined) {
      throw new PayloadConverterError("Payload has no 'encoding' metadata; cannot tell how to decode it");
    }
    const converter = this.byEncoding.get(encoding);
    if (converter === undefined) {
      const known = [...this.byEncoding.keys()].join(', ');
      const hint =
        encoding === encodingTypes.METADATA_ENCODING_ENCRYPTED ? ' (it is encrypted: is a payload codec configured?)' : '';
      throw new PayloadConverterError(`Unknown payload encoding '${encoding}'${hint}; this converter knows ${known}`);
    }
    return converter.fromPayload<T>(payload);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  return typeof value;
}

/** Temporal's default: {@link UndefinedPayloadConverter}, {@link BinaryPayloadConverter}, {@link JsonPayloadConverter}. */
export class DefaultPayloadConverter extends CompositePayloadConverter {
  constructor() {
    super(new UndefinedPayloadConverter(), new BinaryPayloadConverter(), new JsonPayloadConverter());
  }
}

/** The shared default payload converter. */
export const defaultPayloadConverter: PayloadConverter = new DefaultPayloadConverter();

/** Converts each value to a payload, in order (workflow and activity arguments). */
export function toPayloads(converter: PayloadConverter, ...values: unknown[]): Payload[] {
  return values.map((value) => converter.toPayload(value));
}

/**
 * Converts the payload at `index` back to its value; `undefined` when there is no payload there
 * (an argument the caller left out).
 */
export function fromPayloadsAtIndex<T>(converter: PayloadConverter, index: number, payloads?: Payload[] | null): T {
  const payload = payloads?.[index];
  if (payload === undefined) return undefined as T;
  return converter.fromPayload<T>(payload);
}

/** Converts every payload back to its value (an argument list); none gives `[]`. */
export function arrayFromPayloads(converter: PayloadConverter, payloads?: Payload[] | null): unknown[] {
  return payloads ? payloads.map((payload) => converter.fromPayload(payload)) : [];
}

/** Converts each value of a record to a payload (memo, headers). */
export function mapToPayloads<K extends string>(converter: PayloadConverter, map: Record<K, unknown>): Record<K, Payload> {
  // Object.fromEntries defines own properties, so a key such as '__proto__' stays a plain key.
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => [key, converter.toPayload(value)]),
  ) as Record<K, Payload>;
}

/** Converts each payload of a record back to its value; `undefined` in, `undefined` out. */
export function mapFromPayloads<K extends string, T = unknown>(
  converter: PayloadConverter,
  map?: Record<K, Payload> | null,
): Record<K, T> | undefined {
  if (map == null) return undefined;
  return Object.fromEntries(
    Object.entries<Payload>(map).map(([key, payload]) => [key, converter.fromPayload<T>(payload)]),
  ) as Record<K, T>;
}
