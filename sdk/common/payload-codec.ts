// Owns payload codecs: the `PayloadCodec` interface (bytes in, bytes out: encryption,
// compression) and the helpers that run a chain of codecs over payload lists, single payloads,
// records and whole failure trees. Codecs run outside the workflow sandbox, on the way to and from
// the service.
//
// Codecs see Temporal's payload shape (Uint8Array data and metadata values), so a codec written for
// Temporal runs unchanged; everything around them carries the wire shape (base64). The change of
// shape happens in encodeWithCodecs/decodeWithCodecs, which every other helper here and the worker's
// payload walk go through, and only when there are codecs to run.
import type { Failure, Payload } from '../../protocol/index.js';
import { payloadFromWire, payloadToWire, type Payload as BytesPayload } from './encoding.js';

/**
 * Transforms payloads on their way to the service and back, e.g. to encrypt or compress them.
 * `decode(encode(p))` must give back `p`. A codec should leave alone payloads it did not encode.
 * Payloads are Temporal's shape: `data` and metadata values are `Uint8Array`s.
 *
 * @example
 * class EncryptionCodec implements PayloadCodec {
 *   async encode(payloads: Payload[]): Promise<Payload[]> {
 *     return Promise.all(payloads.map(async (p) => ({
 *       metadata: { [METADATA_ENCODING_KEY]: encodeUtf8('binary/encrypted') },
 *       data: await encrypt(temporal.api.common.v1.Payload.encode(p).finish()),
 *     })));
 *   }
 *   // decode: decrypt, then temporal.api.common.v1.Payload.decode(bytes)
 * }
 */
export interface PayloadCodec {
  /** Encodes payloads; the result has one payload per input, in order. */
  encode(payloads: BytesPayload[]): Promise<BytesPayload[]>;
  /** Decodes payloads this codec encoded; the result has one payload per input, in order. */
  decode(payloads: BytesPayload[]): Promise<BytesPayload[]>;
}

/**
 * Runs the codecs' `encode` in order: the first codec sees the converter's payloads. Takes and
 * gives wire payloads; the codecs see bytes.
 */
export async function encodeWithCodecs(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  if (codecs.length === 0) return payloads;
  let bytes = payloads.map(payloadFromWire);
  for (const codec of codecs) bytes = await codec.encode(bytes);
  return bytes.map(payloadToWire);
}

/** Runs the codecs' `decode` in reverse order, undoing {@link encodeWithCodecs}. */
export async function decodeWithCodecs(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  if (codecs.length === 0) return payloads;
  let bytes = payloads.map(payloadFromWire);
  for (let i = codecs.length - 1; i >= 0; i--) bytes = await codecs[i]!.decode(bytes);
  return bytes.map(payloadToWire);
}

async function encodeSingle(codecs: readonly PayloadCodec[], payload: Payload): Promise<Payload> {
  const [encoded] = await encodeWithCodecs(codecs, [payload]);
  return encoded!;
}

async function decodeSingle(codecs: readonly PayloadCodec[], payload: Payload): Promise<Payload> {
  const [decoded] = await decodeWithCodecs(codecs, [payload]);
  return decoded!;
}

/** {@link encodeWithCodecs} that passes `undefined` through. */
export async function encodeOptional(
  codecs: readonly PayloadCodec[],
  payloads: Payload[] | undefined,
): Promise<Payload[] | undefined> {
  return payloads === undefined ? undefined : encodeWithCodecs(codecs, payloads);
}

/** {@link decodeWithCodecs} that passes `undefined` through. */
export async function decodeOptional(
  codecs: readonly PayloadCodec[],
  payloads: Payload[] | undefined,
): Promise<Payload[] | undefined> {
  return payloads === undefined ? undefined : decodeWithCodecs(codecs, payloads);
}

/** Encodes one optional payload (a workflow result, a heartbeat). */
export async function encodeOptionalSingle(
  codecs: readonly PayloadCodec[],
  payload: Payload | undefined,
): Promise<Payload | undefined> {
  return payload === undefined ? undefined : encodeSingle(codecs, payload);
}

/** Decodes one optional payload. */
export async function decodeOptionalSingle(
  codecs: readonly PayloadCodec[],
  payload: Payload | undefined,
): Promise<Payload | undefined> {
  return payload === undefined ? undefined : decodeSingle(codecs, payload);
}

/** Encodes every payload of a record (memo); `undefined` passes through. */
export async function encodeMap<K extends string>(
  codecs: readonly PayloadCodec[],
  map: Record<K, Payload> | undefined,
): Promise<Record<K, Payload> | undefined> {
  if (map === undefined) return undefined;
  const entries = Object.entries<Payload>(map);
  const encoded = await encodeWithCodecs(codecs, entries.map(([, payload]) => payload));
  return Object.fromEntries(entries.map(([key], i) => [key, encoded[i]!])) as Record<K, Payload>;
}

/** Decodes every payload of a record (memo); `undefined` passes through. */
export async function decodeMap<K extends string>(
  codecs: readonly PayloadCodec[],
  map: Record<K, Payload> | undefined,
): Promise<Record<K, Payload> | undefined> {
  if (map === undefined) return undefined;
  const entries = Object.entries<Payload>(map);
  const decoded = await decodeWithCodecs(codecs, entries.map(([, payload]) => payload));
  return Object.fromEntries(entries.map(([key], i) => [key, decoded[i]!])) as Record<K, Payload>;
}

type Transform = (payloads: Payload[]) => Promise<Payload[]>;

/** Returns a copy of `failure` with `transform` applied to every payload in it and its causes. */
async function mapFailure(failure: Failure, transform: Transform): Promise<Failure> {
  const out: Failure = { ...failure };
  if (failure.encodedAttributes) {
    out.encodedAttributes = (await transform([failure.encodedAttributes]))[0]!;
  }
  if (failure.applicationFailureInfo?.details) {
    out.applicationFailureInfo = {
      ...failure.applicationFailureInfo,
      details: await transform(failure.applicationFailureInfo.details),
    };
  }
  if (failure.timeoutFailureInfo?.lastHeartbeatDetails) {
    out.timeoutFailureInfo = {
      ...failure.timeoutFailureInfo,
      lastHeartbeatDetails: await transform(failure.timeoutFailureInfo.lastHeartbeatDetails),
    };
  }
  if (failure.canceledFailureInfo?.details) {
    out.canceledFailureInfo = { ...failure.canceledFailureInfo, details: await transform(failure.canceledFailureInfo.details) };
  }
  if (failure.cause) out.cause = await mapFailure(failure.cause, transform);
  return out;
}

/**
 * Returns a copy of `failure` with every payload in it (details, last heartbeat details, encoded
 * attributes) encoded, through the whole `cause` chain. The input is not changed (with no codecs it
 * is returned as it is).
 */
export async function encodeFailure(codecs: readonly PayloadCodec[], failure: Failure): Promise<Failure> {
  if (codecs.length === 0) return failure;
  return mapFailure(failure, (payloads) => encodeWithCodecs(codecs, payloads));
}

/** Undoes {@link encodeFailure}: returns a copy of `failure` with every payload decoded. */
export async function decodeFailure(codecs: readonly PayloadCodec[], failure: Failure): Promise<Failure> {
  if (codecs.length === 0) return failure;
  return mapFailure(failure, (payloads) => decodeWithCodecs(codecs, payloads));
}

/** {@link encodeFailure} that passes `undefined` through. */
export async function encodeOptionalFailure(
  codecs: readonly PayloadCodec[],
  failure: Failure | undefined,
): Promise<Failure | undefined> {
  return failure === undefined ? undefined : encodeFailure(codecs, failure);
}

/** {@link decodeFailure} that passes `undefined` through. */
export async function decodeOptionalFailure(
  codecs: readonly PayloadCodec[],
  failure: Failure | undefined,
): Promise<Failure | undefined> {
  return failure === undefined ? undefined : decodeFailure(codecs, failure);
}
